export * from './fan-out';
export * from './transform';
export * from './endpoint-secrets';
