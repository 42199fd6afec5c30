/** The workflows bundle entry point: the workflow functions the worker registers (the shared API is ./contract). */
export * from './retention.workflow';
export * from './rule-execution.workflow';
export * from './scheduled-rule.workflow';
export * from './webhook-delivery.workflow';
export * from './ivr-session.workflow';
