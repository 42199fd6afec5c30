export * from './inventory.activities';
