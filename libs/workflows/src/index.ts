/** The workflows bundle entry point and the workflow-side API shared with the gateway. */
export * from './ids';
export * from './rule-execution.workflow';
export * from './search-attributes';
export * from './types';
