/** Injection tokens. */
export const RULEFLOW_CONFIG = Symbol('RULEFLOW_CONFIG');
export const TEMPORAL_CLIENT = Symbol('TEMPORAL_CLIENT');
/** The process's one SecretBox (secrets at rest), built from RULEFLOW_ENCRYPTION_KEY at start. */
export const SECRET_BOX = Symbol('SECRET_BOX');
