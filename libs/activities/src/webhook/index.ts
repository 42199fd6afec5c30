export * from './http-client';
export * from './signing';
export * from './webhook.activities';
export * from './endpoint-resolver.activities';
