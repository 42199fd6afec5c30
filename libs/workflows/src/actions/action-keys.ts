import { workflowInfo } from '@temporalio/workflow';
import { actionIdempotencyKey } from '../contract';
import type { IdempotentActionType, RuleExecutionInput } from '../contract';

/**
 * The idempotency key of one of this run's actions. A resume derives it from the original run's
 * workflow id (`resume.idempotencyBase`), so the failed action and those after it find what the
 * original made (its alert, allocation, notification, call) instead of making another; any other
 * run from its own workflow id. Every action's key comes from here.
 */
export function runActionKey(input: RuleExecutionInput, type: IdempotentActionType, actionName: string): string {
  return actionIdempotencyKey(type, input.resume?.idempotencyBase ?? workflowInfo().workflowId, actionName);
}
