export * from './webhook.activities';
export * from './endpoint-resolver.activities';
