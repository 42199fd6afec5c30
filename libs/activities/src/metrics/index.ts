export * from './run-metrics';
