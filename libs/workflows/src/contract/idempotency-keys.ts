import type { ActionType } from '@ruleflow/rules';

/**
 * The separator of each idempotent action's key, as it shipped. Notifications have always used `:`
 * and the others `/`; the keys are stored and compared on retry, so the formats stay exactly as they
 * are (a new format would repeat the side effect of a run in flight). Pinned by the unit test beside.
 */
const KEY_SEPARATORS = {
  create_alert: '/',
  allocate_inventory: '/',
  send_notification: ':',
  ivr_call: '/',
} as const satisfies Partial<Record<ActionType, string>>;

/** An action type whose side effect is made idempotent by a key from the run and the action. */
export type IdempotentActionType = keyof typeof KEY_SEPARATORS;

/**
 * The idempotency key of one action of one run: `<workflowId>/<actionName>` (`:` for notifications),
 * the same on every attempt and on replay, so a retried action finds the alert, allocation or
 * notification it already made instead of making another.
 */
export function actionIdempotencyKey(type: IdempotentActionType, workflowId: string, actionName: string): string {
  return `${workflowId}${KEY_SEPARATORS[type]}${actionName}`;
}
