import { ApplicationFailure, isCancellation, patched, setCurrentDetails, sleep } from '@temporalio/workflow';
import { endpointDelivery, endpointDeliveryWrite, endpointFirstTry } from './activity-profiles';
import type { WebhookDeliveryInput } from './contract';

/**
 * Guards each attempt's first try as a local activity (the regular activity only when that try fails):
 * deliveries recorded with regular activities only replay down that path.
 */
export const DELIVERY_LOCAL_FIRST_TRY_PATCH = 'delivery-local-first-try';

type AttemptInput = Parameters<ReturnType<typeof endpointDelivery>['attemptEndpointDelivery']>[0];

/** One attempt: tried in the workflow task first (see `endpointFirstTry`), else as a regular activity. */
async function runAttempt(args: AttemptInput) {
  const summary = `attempt ${args.attempt}`;
  if (patched(DELIVERY_LOCAL_FIRST_TRY_PATCH)) {
    try {
      return await endpointFirstTry(summary).attemptEndpointDelivery(args);
    } catch (err) {
      if (isCancellation(err)) throw err;
      // Throttled, the database away, the worker lost: the same attempt, durably.
    }
  }
  return endpointDelivery(summary).attemptEndpointDelivery(args);
}

/** How a delivery ended. */
export interface WebhookDeliveryResult {
  deliveryId: string;
  status: 'success' | 'failed';
  attempts: number;
  /** The last answer's status code; null when none came. */
  statusCode: number | null;
  error: string | null;
}

/**
 * Far above what any sane schedule reaches (24 h of hourly retries is about 30 attempts); it only
 * keeps a misconfigured schedule from growing the history without bound.
 */
export const MAX_DELIVERY_ATTEMPTS = 200;

/** The failure type of a delivery that did not get through (the Temporal UI shows the run failed). */
export const WEBHOOK_DELIVERY_FAILED = 'WebhookDeliveryFailed';

/**
 * One message to one registered endpoint (`delivery-<deliveryId>`, started by the gateway's delivery
 * outbox). Each attempt is one activity that answers with an outcome; between attempts the workflow
 * sleeps on a durable timer for the delay the attempt worked out from the schedule (with the jitter
 * drawn here, deterministically, and the receiver's Retry-After), so a worker restart loses nothing
 * and nothing waits in memory. The history stays small: about five events per attempt.
 */
export async function WebhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryResult> {
  const { deliveryId, tenantId, schedule } = input;
  // Workflow time: the same on replay. The schedule's window runs from the first attempt.
  const firstAttemptAt = Date.now();
  let attempt = 0;
  for (;;) {
    attempt++;
    setCurrentDetails(`Attempt **${attempt}** of delivery ${deliveryId}`);
    const result = await runAttempt({
      deliveryId,
      tenantId,
      attempt,
      schedule,
      firstAttemptAt,
      random: Math.random(),
    });
    if (result.outcome === 'success') {
      setCurrentDetails(`Delivered on attempt **${attempt}** (HTTP ${result.statusCode ?? '?'})`);
      return { deliveryId, status: 'success', attempts: attempt, statusCode: result.statusCode, error: null };
    }
    if (result.outcome !== 'retry' || result.retryInMs === undefined) {
      return failed(deliveryId, attempt, result.statusCode, result.error ?? result.outcome);
    }
    if (attempt >= MAX_DELIVERY_ATTEMPTS) {
      const error = `gave up after ${attempt} attempts: ${result.error ?? 'no success'}`;
      await endpointDeliveryWrite.finishEndpointDelivery({ deliveryId, tenantId, error });
      return failed(deliveryId, attempt, result.statusCode, error);
    }
    setCurrentDetails(
      `Attempt **${attempt}** failed (${result.error ?? 'error'}); attempt ${attempt + 1} in ${formatMs(result.retryInMs)}`,
    );
    await sleep(result.retryInMs, { summary: `wait before attempt ${attempt + 1}` });
  }
}

function failed(deliveryId: string, attempts: number, statusCode: number | null, error: string): never {
  setCurrentDetails(`Failed after **${attempts}** attempt(s): ${error}`);
  const result: WebhookDeliveryResult = { deliveryId, status: 'failed', attempts, statusCode, error };
  throw ApplicationFailure.create({
    type: WEBHOOK_DELIVERY_FAILED,
    nonRetryable: true,
    message: `delivery ${deliveryId} failed after ${attempts} attempt(s): ${error}`,
    details: [result],
  });
}

function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  return `${Math.round(ms / 60_000)} min`;
}
