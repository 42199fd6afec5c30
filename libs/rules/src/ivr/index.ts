export * from './types';
export * from './menu-machine';
