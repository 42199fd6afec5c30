export * from './fan-out';
export * from './transform';
