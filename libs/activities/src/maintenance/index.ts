export * from './maintenance.activities';
