export * from './endpoint-secrets';
export * from './endpoint-delivery.activities';
