/**
 * Activity option profiles, declared once. Workflow bodies never set ad-hoc timeouts.
 */
import type {
  AlertActivities,
  ChainingActivities,
  EndpointDeliveryActivities,
  EndpointResolverActivities,
  ExecutionActivities,
  InventoryActivities,
  IvrSessionActivities,
  MaintenanceActivities,
  RuleflowActivities,
  RunJournalActivities,
  SchedulingActivities,
} from '@ruleflow/activities';
import type { RetrySpec } from '@ruleflow/rules';
import { toRetryPolicy as toRetryMs } from '@ruleflow/rules';
import type { RetryPolicy } from '@temporalio/common';
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';

/**
 * The retry policy of short, idempotent PostgreSQL work: from half a second up to every 30 s, without
 * limit, so a run waits out a database restart instead of failing. One policy, shared by every such profile.
 */
const PATIENT_RETRY = {
  initialInterval: '500ms',
  backoffCoefficient: 2,
  maximumInterval: '30s',
} as const satisfies RetryPolicy;

/** Short, idempotent PostgreSQL writes: retried patiently while the database is away. */
export const dbWrite = proxyActivities<ExecutionActivities>({
  startToCloseTimeout: '30s',
  retry: PATIENT_RETRY,
});

/**
 * A run's queued record writes (and, at the end, the chaining lookup) in one local activity: run by
 * the worker inside the workflow task that needs them and recorded as a marker, instead of a round
 * trip through the server and a workflow task per write. Short and idempotent, and retried as
 * patiently as `dbWrite` (a lost workflow task runs it again, harmlessly).
 */
export const runJournal = proxyLocalActivities<RunJournalActivities>({
  startToCloseTimeout: '30s',
  retry: PATIENT_RETRY,
  summary: 'record the run',
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

/**
 * The first attempt of a `webhook` action as a local activity: sent by the worker inside the workflow
 * task that reached the action, so a webhook answered at once costs no activity round trip through
 * the server. Never retried here: a retryable failure goes on as `webhookRetries` (a regular activity,
 * its pending attempts and last failure visible in the Temporal UI) after the policy's first interval.
 */
export function webhookFirstAttempt(summary: string) {
  return proxyLocalActivities<Pick<RuleflowActivities, 'deliverWebhook'>>({
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: 1 },
    summary,
  });
}

/**
 * The attempts after a local first one: the action's policy shifted by one attempt, so the whole
 * schedule (first interval, then growing by the coefficient) is the one the rule asked for.
 */
export function webhookRetries(retry: RetrySpec, summary: string) {
  const policy = toRetryPolicy(retry);
  const initial = Number(policy.initialInterval);
  return proxyActivities<Pick<RuleflowActivities, 'deliverWebhook'>>({
    startToCloseTimeout: '60s',
    retry: {
      ...policy,
      maximumAttempts: retry.maximumAttempts > 0 ? retry.maximumAttempts - 1 : retry.maximumAttempts,
      initialInterval: Math.min(initial * retry.backoffCoefficient, Number(policy.maximumInterval)),
    },
    summary,
  });
}

/**
 * Recording a scheduled fire: one short, idempotent PostgreSQL write, retried patiently like `dbWrite`
 * (the schedule's SKIP overlap policy holds later fires back meanwhile instead of piling them up).
 */
export const scheduledRunWrite = proxyActivities<SchedulingActivities>({
  startToCloseTimeout: '30s',
  retry: PATIENT_RETRY,
});

/**
 * The retention cleanup: long, batched deletes that heartbeat after every batch, so a dead worker
 * is noticed within the heartbeat timeout; the deletes are idempotent, so a retry just goes on.
 */
export const maintenance = proxyActivities<MaintenanceActivities>({
  startToCloseTimeout: '1h',
  heartbeatTimeout: '2m',
  retry: { initialInterval: '10s', backoffCoefficient: 2, maximumInterval: '5m', maximumAttempts: 5 },
  summary: 'delete ended executions past retention',
});

/** Looking up the registered endpoint of a `webhook` action with `config.webhookId`: one short read. */
export const endpointLookup = proxyActivities<EndpointResolverActivities>({
  startToCloseTimeout: '30s',
  retry: { ...PATIENT_RETRY, maximumAttempts: 10 },
  summary: 'look up the webhook endpoint',
});

/**
 * Recording the chained runs of a rule's dependents after a successful run: one short, idempotent
 * PostgreSQL write (conditions are evaluated there too), retried patiently like `dbWrite`.
 */
export const childRunWrite = proxyActivities<ChainingActivities>({
  startToCloseTimeout: '30s',
  retry: PATIENT_RETRY,
  summary: 'record runs of dependent rules',
});

/**
 * A `create_alert` action: one short, idempotent PostgreSQL write (keyed by workflow id and action
 * name). Retries follow the action's policy from the rule, like every other action.
 */
export function alertWrite(retry: RetrySpec, summary: string) {
  return proxyActivities<AlertActivities>({
    startToCloseTimeout: '30s',
    retry: toRetryPolicy(retry),
    summary,
  });
}

/**
 * Sending one `send_notification` action: a provider call per recipient (each bounded by a 10 s timeout),
 * heartbeating after each, so a dead worker is noticed quickly while up to 100 recipients still fit.
 * Retries follow the action's policy from the rule; recipients already sent are skipped on retry.
 */
export function notificationDelivery(retry: RetrySpec, summary: string) {
  return proxyActivities<Pick<RuleflowActivities, 'sendNotifications'>>({
    startToCloseTimeout: '30m',
    heartbeatTimeout: '1m',
    retry: toRetryPolicy(retry),
    summary,
  });
}

/**
 * An inventory action (`allocate_inventory`, `release_inventory`): one short PostgreSQL transaction,
 * idempotent by its key. Retries follow the action's policy from the rule.
 */
export function inventoryAction(retry: RetrySpec, summary: string) {
  return proxyActivities<InventoryActivities>({ startToCloseTimeout: '30s', retry: toRetryPolicy(retry), summary });
}

/**
 * Releasing a failed run's allocations (compensation): idempotent, so retried patiently like `dbWrite`;
 * stock must not stay reserved for an order whose run gave up.
 */
export const inventoryCompensation = proxyActivities<Pick<InventoryActivities, 'releaseAllocation'>>({
  startToCloseTimeout: '30s',
  retry: PATIENT_RETRY,
  summary: 'release the allocations of a failed run',
});

/**
 * One attempt of an endpoint delivery (`WebhookDeliveryWorkflow`): a load, one HTTP request bounded by
 * `WEBHOOK_TIMEOUT_MS` (at most 2 min), and a few writes. A receiver's failure comes back as a value and
 * is retried by the workflow's durable timers; Temporal retries only infrastructure errors, patiently
 * like `dbWrite`, and an attempt already logged is answered from the log rather than sent again.
 */
export function endpointDelivery(summary: string) {
  return proxyActivities<Pick<EndpointDeliveryActivities, 'attemptEndpointDelivery'>>({
    startToCloseTimeout: '3m',
    retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
    summary,
  });
}

/**
 * An endpoint delivery's attempt as a local activity, tried first: sent by the worker inside the
 * workflow task, so a delivery answered at once costs no activity round trip through the server. Its
 * 60 s leave no time to wait for a throttled endpoint's turn (the activity then refuses at once), and
 * it is never retried here: whatever stops it (a throttle, the database, a lost worker) hands the same
 * attempt to `endpointDelivery`, which answers from the log if the local try got as far as sending.
 */
export function endpointFirstTry(summary: string) {
  return proxyLocalActivities<Pick<EndpointDeliveryActivities, 'attemptEndpointDelivery'>>({
    startToCloseTimeout: '60s',
    retry: { maximumAttempts: 1 },
    summary,
  });
}

/** Ending an endpoint delivery as failed: one short, idempotent PostgreSQL write. */
export const endpointDeliveryWrite = proxyActivities<Pick<EndpointDeliveryActivities, 'finishEndpointDelivery'>>({
  startToCloseTimeout: '30s',
  retry: PATIENT_RETRY,
  summary: 'end the delivery as failed',
});

/**
 * Mirroring an IVR session into `ivr_sessions` (and offering `call.started` / `call.ended`): one short,
 * idempotent PostgreSQL write guarded by the session's revision, retried patiently like `dbWrite`.
 */
export const ivrSessionWrite = proxyActivities<IvrSessionActivities>({
  startToCloseTimeout: '30s',
  retry: PATIENT_RETRY,
  summary: 'mirror the session into ivr_sessions',
});

/**
 * The same mirror write as a local activity: run by the worker inside the workflow task that took the
 * key press, recorded as a marker, so an Update is answered after one workflow task instead of a task,
 * an activity round trip through the server and a second task. Idempotent and revision-guarded, so a
 * retry after a lost workflow task writes nothing twice.
 */
export const ivrSessionLocalWrite = proxyLocalActivities<IvrSessionActivities>({
  startToCloseTimeout: '30s',
  retry: PATIENT_RETRY,
  summary: 'mirror the session into ivr_sessions',
});

/**
 * Placing the call of an `ivr_call` action: one provider request. The activity itself marks every
 * failure but a refused request non-retryable, and its reservation keeps a retry after a lost worker
 * from dialling again; the action's policy from the rule paces the retries of refusals.
 */
export function callPlacement(retry: RetrySpec, summary: string) {
  return proxyActivities<Pick<RuleflowActivities, 'placeCall'>>({
    startToCloseTimeout: '60s',
    retry: toRetryPolicy(retry),
    summary,
  });
}

/** Ending the call of a cancelled `ivr_call` action at the provider: one short request, a few tries. */
export const callHangUp = proxyActivities<Pick<RuleflowActivities, 'endCall'>>({
  startToCloseTimeout: '30s',
  retry: { ...PATIENT_RETRY, maximumAttempts: 5 },
  summary: 'end the call of a cancelled ivr_call action',
});
