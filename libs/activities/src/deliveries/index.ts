export * from './fan-out';
export * from './transform';
export * from './transform-sandbox';
export * from './endpoint-secrets';
export * from './endpoint-delivery.store';
export * from './endpoint-delivery.activities';
