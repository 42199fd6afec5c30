import type { ActionSpec, RetrySpec } from '@ruleflow/rules';
import { toRetryPolicy as toRetryMs } from '@ruleflow/rules';
import {
  ActivityFailure,
  ApplicationFailure,
  isCancellation,
  patched,
  sleep,
  TimeoutFailure,
  uuid4,
} from '@temporalio/workflow';
import { endpointLookup, webhookDelivery, webhookFirstAttempt, webhookRetries } from '../activity-profiles';
import type { RuleExecutionInput } from '../contract';
import { RULE_RUN_JOURNAL_PATCH } from '../run-records';

type DeliverWebhook = ReturnType<typeof webhookDelivery>['deliverWebhook'];

/**
 * Runs a `webhook` action with its rendered config: to `config.url`, or to a registered endpoint
 * (`config.webhookId`) with its URL, secrets and body shaping; output `{statusCode, body}`.
 */
export async function runWebhook(
  input: RuleExecutionInput,
  action: ActionSpec & { retry: RetrySpec },
  config: Record<string, unknown>,
): Promise<{ output: { statusCode: number; body: unknown }; attempts: number }> {
  const { rule, event, executionId } = input;
  const envelope = { type: `${event.entity}.${event.type}`, timestamp: event.occurredAt, data: event.data };
  // A registered endpoint (`config.webhookId`): its URL and secrets, and its shaping of the default body.
  // Rules could not name an endpoint before this path existed, so earlier histories never reach it.
  const endpoint =
    typeof config.webhookId === 'string'
      ? await endpointLookup.resolveWebhookEndpoint({
          tenantId: rule.tenantId,
          webhookId: config.webhookId,
          ...(config.body === undefined ? { envelope } : {}),
        })
      : undefined;
  const url = endpoint ? endpoint.url : String(config.url);
  const method = typeof config.method === 'string' ? (config.method.toUpperCase() as 'POST') : 'POST';
  const summary = `${action.name}: ${method} ${hostOf(url)}`;
  // A resume sends what the original sent under the original's webhook-id, its attempts numbered on
  // (the delivery's log continues); an action the original never sent gets a new id.
  const resumed = input.resume?.webhookDeliveries[action.name];
  const prior = resumed?.attempts ?? 0;
  const request: Parameters<DeliverWebhook>[0] = {
    tenantId: rule.tenantId,
    executionId,
    actionName: action.name,
    webhookId: endpoint ? (config.webhookId as string) : null,
    // Drawn from the workflow's seeded random source: the same on every attempt and on replay.
    deliveryId: resumed?.deliveryId ?? uuid4(),
    eventType: envelope.type,
    url,
    method,
    // The endpoint's own headers (sealed) first; the action's may add to them or override them.
    headers: { ...endpoint?.headers, ...(config.headers as Record<string, string> | undefined) },
    // Without an explicit body, send the same envelope as webhook endpoints get.
    body: config.body ?? endpoint?.body ?? envelope,
    secrets: endpoint ? endpoint.secrets : typeof config.secret === 'string' ? [config.secret] : [],
    maximumAttempts: action.retry.maximumAttempts > 0 ? prior + action.retry.maximumAttempts : 0,
    ...(prior > 0 ? { firstAttempt: prior + 1 } : {}),
  };
  // Runs with the run journal try the first attempt locally too (one patch, one marker, for both).
  let result: Awaited<ReturnType<DeliverWebhook>>;
  try {
    result = patched(RULE_RUN_JOURNAL_PATCH)
      ? await deliverLocallyFirst(request, action.retry, summary)
      : await webhookDelivery(action.retry, summary).deliverWebhook(request);
  } catch (err) {
    throw prior > 0 ? attemptsOfThisRun(err, prior) : err;
  }
  // This run's attempts (a resumed delivery's log numbers them on from the original's).
  return { output: { statusCode: result.statusCode, body: result.body }, attempts: result.attempts - prior };
}

/**
 * A resumed delivery's failure with the attempt its details report counted in this run (the log
 * numbers on from the original's `prior` attempts), as the run records a failed action's attempts.
 */
function attemptsOfThisRun(err: unknown, prior: number): unknown {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const detail =
    cause instanceof ApplicationFailure ? (cause.details?.[0] as { attempt?: unknown } | undefined) : undefined;
  if (!(cause instanceof ApplicationFailure) || typeof detail?.attempt !== 'number') return err;
  return ApplicationFailure.create({
    type: cause.type ?? undefined,
    nonRetryable: cause.nonRetryable ?? undefined,
    message: cause.message,
    details: [{ ...detail, attempt: detail.attempt - prior }, ...(cause.details ?? []).slice(1)],
  });
}

/**
 * The first attempt inside the workflow task (a local activity); when it fails and may be retried, the
 * rest as a regular activity after the policy's first interval (or the receiver's Retry-After), with
 * the same delivery id, numbered on from 2.
 */
async function deliverLocallyFirst(
  request: Parameters<DeliverWebhook>[0],
  retry: RetrySpec,
  summary: string,
): ReturnType<DeliverWebhook> {
  try {
    return await webhookFirstAttempt(summary).deliverWebhook(request);
  } catch (err) {
    if (isCancellation(err) || retry.maximumAttempts === 1) throw err;
    // A local activity's failure arrives unwrapped; a regular one's inside an ActivityFailure.
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const retryable = (cause instanceof ApplicationFailure && !cause.nonRetryable) || cause instanceof TimeoutFailure;
    if (!retryable) throw err;
    const wait =
      (cause instanceof ApplicationFailure ? cause.nextRetryDelay : undefined) ?? toRetryMs(retry).initialIntervalMs;
    await sleep(wait, { summary: `${summary}: wait before attempt 2` });
    return webhookRetries(retry, summary).deliverWebhook({ ...request, firstAttempt: (request.firstAttempt ?? 1) + 1 });
  }
}

/** The host of a URL for the activity's summary (the URL itself when it has none). */
function hostOf(url: string): string {
  const match = /^[a-z]+:\/\/([^/?#]+)/i.exec(url);
  return match?.[1] ?? url;
}
