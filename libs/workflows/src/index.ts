/** The workflows bundle entry point and the workflow-side API shared with the gateway. */
export * from './ids';
export * from './rule-execution.workflow';
export * from './retention.workflow';
export * from './scheduled-rule.workflow';
export * from './search-attributes';
export * from './types';
export * from './webhook-delivery.workflow';
