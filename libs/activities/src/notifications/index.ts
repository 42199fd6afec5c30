export * from './notification.activities';
export * from './notification.store';
export * from './providers';
