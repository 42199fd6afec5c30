export * from './scheduled-run.store';
export * from './scheduling.activities';
