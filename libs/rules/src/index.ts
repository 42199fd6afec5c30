/**
 * @ruleflow/rules: pure rule logic (conditions, templates, actions, durations) shared by the
 * gateway and the workflows. No I/O, no clock, no Node built-ins. Node-only helpers live under
 * `@ruleflow/rules/node/...` and are deliberately not re-exported here.
 */
export * from './types';
export * from './path';
export * from './duration';
export * from './conditions';
export * from './when';
export * from './templates';
export * from './actions';
export * from './action-configs';
export * from './action-secrets';
export { isPlainObject } from './json';
export type { JsonValue } from './json';
export * from './webhooks';
export * from './ivr';
export type { RunResume } from './run-resume';
