/**
 * Activity option profiles, declared once. Workflow bodies never set ad-hoc timeouts.
 */
import type { ExecutionActivities, RuleflowActivities } from '@ruleflow/activities';
import type { RetrySpec } from '@ruleflow/rules';
import { toRetryPolicy as toRetryMs } from '@ruleflow/rules';
import type { RetryPolicy } from '@temporalio/common';
import { proxyActivities } from '@temporalio/workflow';

/** Short, idempotent PostgreSQL writes: retried patiently while the database is away. */
export const dbWrite = proxyActivities<ExecutionActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

/** A rule's own retry spec as a Temporal retry policy. */
export function toRetryPolicy(retry: RetrySpec): RetryPolicy {
  const ms = toRetryMs(retry);
  return {
    maximumAttempts: ms.maximumAttempts,
    initialInterval: ms.initialIntervalMs,
    backoffCoefficient: ms.backoffCoefficient,
    maximumInterval: ms.maximumIntervalMs,
  };
}

/**
 * One outbound HTTP call per attempt; the attempt's own 10 s request timeout sits well inside
 * the start-to-close timeout. Retries follow the action's policy from the rule.
 */
export function webhookDelivery(retry: RetrySpec, summary: string) {
  return proxyActivities<Pick<RuleflowActivities, 'deliverWebhook'>>({
    startToCloseTimeout: '60s',
    retry: toRetryPolicy(retry),
    summary,
  });
}
