export * from './notification.activities';
export * from './providers';
