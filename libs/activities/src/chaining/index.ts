export * from './chaining.activities';
export * from './child-run.store';
