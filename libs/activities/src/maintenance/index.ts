export * from './execution-retention.service';
export * from './maintenance.activities';
