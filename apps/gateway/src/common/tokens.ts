/** Injection tokens. */
export const RULEFLOW_CONFIG = Symbol('RULEFLOW_CONFIG');
export const TEMPORAL_CLIENT = Symbol('TEMPORAL_CLIENT');
