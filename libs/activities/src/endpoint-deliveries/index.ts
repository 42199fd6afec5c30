export * from './endpoint-secrets';
export * from './endpoint-delivery.activities';
export * from './endpoint-throttle';
