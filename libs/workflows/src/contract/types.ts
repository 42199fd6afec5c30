import type { ParentContext, RuleEvent, RuleSnapshot, RunResume } from '@ruleflow/rules';

export const RULE_EXECUTION_WORKFLOW = 'RuleExecutionWorkflow';

/** What a rule run is started with: a snapshot of the rule, so editing the rule never changes a run in flight. */
export interface RuleExecutionInput {
  executionId: string;
  rule: RuleSnapshot;
  event: RuleEvent;
  parent: ParentContext | null;
  /** Only on a resume (a rerun from the failed action): what it reuses of the original and the keys it keeps. */
  resume?: RunResume;
}

export type RunOutcome = 'success' | 'failed' | 'partial' | 'cancelled';

export interface RuleExecutionResult {
  executionId: string;
  status: RunOutcome;
  steps: Record<string, unknown>;
  error: string | null;
  errorAction: string | null;
}

export const SCHEDULED_RULE_WORKFLOW = 'ScheduledRuleWorkflow';

/** What a rule's Temporal Schedule starts `ScheduledRuleWorkflow` with; the rule itself is read when it fires. */
export interface ScheduledRuleInput {
  ruleId: string;
  tenantId: string;
}

export const RETENTION_CLEANUP_WORKFLOW = 'RetentionCleanupWorkflow';

/** Input of `WebhookDeliveryWorkflow` (workflow id `delivery-<deliveryId>`), started by the gateway's delivery outbox. */
export interface WebhookDeliveryInput {
  deliveryId: string;
  tenantId: string;
  /** The retry schedule in force when the delivery was started (config `WEBHOOK_RETRY_*`). */
  schedule: { delaysMs: number[]; windowMs: number; jitter: number };
}

/** The workflow type name the gateway starts for an endpoint delivery. */
export const WEBHOOK_DELIVERY_WORKFLOW = 'WebhookDeliveryWorkflow';
