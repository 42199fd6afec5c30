export * from './alert.activities';
