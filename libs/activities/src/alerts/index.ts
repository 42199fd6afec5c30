export * from './alert.activities';
export * from './alert.store';
