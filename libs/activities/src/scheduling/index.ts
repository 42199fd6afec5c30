export * from './scheduling.activities';
