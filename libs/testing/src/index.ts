export * from './database';
export * from './http-receiver';
export * from './ports';
export * from './temporal';
export * from './process-tree';
export * from './capturing-logger';
export * from './ts-register';
export * from './gateway-process';
