export * from './database';
export * from './http-receiver';
export * from './ports';
export * from './temporal';
