export * from './inventory.activities';
export * from './inventory.service';
