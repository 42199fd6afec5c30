export * from './chaining.activities';
