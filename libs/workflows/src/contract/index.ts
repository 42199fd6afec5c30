/**
 * @ruleflow/contract: what the gateway, the activities and the workflows agree on, and nothing else.
 * Workflow ids, search attributes, workflow inputs and results, the shapes activities return to
 * workflows, and the message (signal/query/update) definitions. It imports only `@ruleflow/rules`
 * and `@temporalio/common|workflow`, so every side can depend on it and it depends on no side.
 */
export * from './activity-types';
export * from './idempotency-keys';
export * from './ids';
export * from './ivr';
export * from './messages';
export * from './search-attributes';
export * from './types';
