/**
 * One attempt of an endpoint delivery (workflow `delivery-<id>`): shape the event for the endpoint,
 * sign it with the endpoint's secrets, send it, log the attempt, keep the endpoint's health (410 and
 * the circuit breaker disable it), and say what comes next. The outcome is a value, never a thrown
 * failure: the workflow's durable timers do the retrying, so a receiver's error must not trigger
 * Temporal's own activity retries. Only infrastructure errors (the database away) throw; those
 * retries are safe because an attempt already logged is answered from the log, not sent again.
 */
import type {
  DeliveryAttempt,
  DeliveryStatus,
  DeliveryStore,
  EndpointDeliveryRow,
  EndpointDeliveryStore,
  EndpointSettings,
} from '@ruleflow/entities';
import type { TransformSandbox } from '@ruleflow/outbound';
import { applyTransform, TransformSandboxUnavailableError } from '@ruleflow/outbound';
import type { RetrySchedule } from '@ruleflow/rules';
import { isShapedEventType, nextRetryDelayMs, shapeData } from '@ruleflow/rules';
import type { WebhookRequest } from '@ruleflow/outbound';
import { countDelivery } from '../metrics/run-metrics';
import type { SecretOpener, WebhookExchange } from '../webhook-action/webhook.activities';
import {
  exchangeWebhook,
  noKeyOpener,
  toDeliveryAttempt,
  webhookIdentityHeaders,
} from '../webhook-action/webhook.activities';
import { endpointSigningSecrets, openEndpointHeaders } from './endpoint-secrets';
import { awaitTurn } from './endpoint-throttle';

export interface EndpointDeliveryActivityDeps {
  deliveries: DeliveryStore;
  endpointDeliveries: EndpointDeliveryStore;
  allowPrivateNetworks: boolean;
  timeoutMs: number;
  /** Config `webhooks.circuitBreakerAfterMs`: an endpoint failing every delivery this long is disabled. */
  circuitBreakerAfterMs: number;
  /** Opens the sealed `whsec_` secrets (the worker's secret box). */
  secrets?: SecretOpener;
  now?: () => Date;
  /** Replaces DNS resolution in tests. */
  resolve?: WebhookRequest['resolve'];
  /** Where transforms run (the worker's pool); defaults to the process's shared sandbox. */
  transforms?: TransformSandbox;
}

export interface AttemptEndpointDeliveryInput {
  deliveryId: string;
  tenantId: string;
  /** 1-based, counted by the workflow: the attempt's number in the delivery's log. */
  attempt: number;
  /** The retry schedule the delivery was started with. */
  schedule: RetrySchedule;
  /** When the first attempt was made (epoch ms, workflow time): the schedule's window runs from there. */
  firstAttemptAt: number;
  /** In [0, 1), drawn by the workflow (deterministic there): the jitter of the next delay. */
  random: number;
}

export type EndpointAttemptOutcome = 'success' | 'retry' | 'failed' | 'abandoned';

export interface EndpointAttemptResult {
  outcome: EndpointAttemptOutcome;
  /** The receiver's status code; null when no answer came (or nothing was sent). */
  statusCode: number | null;
  /** Why it did not succeed; null on success. */
  error: string | null;
  /** On `retry`: how long to wait before the next attempt (schedule, jitter and Retry-After applied). */
  retryInMs?: number;
  /** The receiver's Retry-After, when it sent one. */
  retryAfterMs?: number;
}

export interface FinishEndpointDeliveryInput {
  deliveryId: string;
  tenantId: string;
  /** Why the delivery ends here (the delivery's `error`; the attempts keep their own errors). */
  error: string;
}

/** The reason a 410 gives an endpoint. */
export const GONE_REASON = 'the receiver answered 410 Gone';

export function createEndpointDeliveryActivities(deps: EndpointDeliveryActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const opener = deps.secrets ?? noKeyOpener;
  const store = deps.endpointDeliveries;

  async function attemptEndpointDelivery(input: AttemptEndpointDeliveryInput): Promise<EndpointAttemptResult> {
    const { tenantId, deliveryId } = input;
    const loaded = await store.load(tenantId, deliveryId);
    if (!loaded) return { outcome: 'abandoned', statusCode: null, error: `delivery ${deliveryId} does not exist` };
    const { delivery, endpoint } = loaded;

    const answered = answerFromLog(delivery, input.attempt);
    if (answered) return offeredIfEnded(input, answered);
    // Ended without an attempt: the delivery's `error` is the only place the API can say why.
    if (!endpoint || !endpoint.enabled) {
      const error = !endpoint
        ? 'endpoint deleted'
        : `endpoint disabled: ${endpoint.disabledReason ?? 'disabled by a user'}`;
      await store.finish(tenantId, deliveryId, error);
      countDelivery('failed');
      return offeredIfEnded(input, { outcome: 'abandoned', statusCode: null, error });
    }
    // A throttled endpoint: wait for this delivery's turn (never an attempt, never a failure).
    if (endpoint.rateLimitPerSecond) await awaitTurn(store, tenantId, endpoint.id, endpoint.rateLimitPerSecond);

    const startedAt = now();
    const record = attemptRecorder(input, delivery.eventType, endpoint, startedAt);
    // Shaping is the endpoint's own configuration: a broken transform fails the delivery, not the receiver.
    const shaped = await shapeForEndpoint(delivery, endpoint, startedAt);
    if ('error' in shaped) {
      const { error } = shaped;
      await record({ statusCode: null, error, responseBody: null, durationMs: 0 }, 'failed', null, error);
      return offeredIfEnded(input, { outcome: 'failed', statusCode: null, error });
    }
    const { exchange } = await exchangeWebhook(deps, startedAt, (reveal) => {
      const plaintexts = endpointSigningSecrets(endpoint, startedAt).map((s) => opener.decrypt(s));
      const custom = openEndpointHeaders(endpoint.headers, opener);
      // Every opened value is redacted from what the attempt logs (errors, response bodies).
      reveal([...plaintexts, ...Object.values(custom)]);
      const identity = webhookIdentityHeaders({
        id: deliveryId,
        timestamp: startedAt,
        body: shaped.body,
        secrets: plaintexts,
      });
      return { url: endpoint.url, method: 'POST', headers: { ...custom, ...identity }, body: shaped.body };
    });
    return offeredIfEnded(input, await settleAttempt(input, endpoint, exchange, record));
  }

  /** A delivery that ended failed is offered as `delivery.exhausted` (idempotent, so every path may ask). */
  async function offeredIfEnded(
    input: Pick<AttemptEndpointDeliveryInput, 'tenantId' | 'deliveryId'>,
    result: EndpointAttemptResult,
  ): Promise<EndpointAttemptResult> {
    if (result.outcome === 'failed' || result.outcome === 'abandoned') {
      await store.offerExhausted(input.tenantId, input.deliveryId);
    }
    return result;
  }

  /**
   * An infrastructure retry of an attempt that already ran, or of a delivery already ended: the answer
   * it got then, from the log, so nothing is sent twice. Null when this attempt has yet to run.
   */
  function answerFromLog(delivery: EndpointDeliveryRow, attempt: number): EndpointAttemptResult | null {
    const logged = delivery.attempts.find((a) => a.attemptNumber === attempt);
    if (delivery.status === 'success') {
      const last = logged ?? delivery.attempts.at(-1);
      return { outcome: 'success', statusCode: last?.statusCode ?? null, error: null };
    }
    if (logged) return fromLog(logged, delivery.status, delivery.nextAttemptAt, delivery.error);
    if (delivery.status === 'failed') {
      // Ended by an earlier try of this activity (or another run): the same answer as then.
      return {
        outcome: 'abandoned',
        statusCode: null,
        error: delivery.error ?? 'the delivery has already ended as failed',
      };
    }
    return null;
  }

  /** Logs this attempt (and the delivery's next step) once its exchange is known. */
  function attemptRecorder(
    input: AttemptEndpointDeliveryInput,
    eventType: string,
    endpoint: Pick<EndpointSettings, 'id' | 'url'>,
    startedAt: Date,
  ): RecordAttempt {
    const { tenantId, deliveryId } = input;
    const ref = {
      id: deliveryId,
      tenantId,
      webhookId: endpoint.id,
      executionId: null,
      actionName: null,
      eventType,
      url: endpoint.url,
    };
    return async (x, status, nextAt, deliveryError = null) => {
      const entry = toDeliveryAttempt(input.attempt, x, startedAt);
      // next_attempt_at (and error) first: a crash between the two re-sends (at least once), never skips the log.
      await store.setNextAttempt(tenantId, deliveryId, nextAt, endpoint.url, deliveryError);
      await deps.deliveries.recordAttempt(ref, entry, status);
      countDelivery(status);
    };
  }

  /** The body the endpoint receives, or why its own shaping (field selection, template, transform) failed. */
  async function shapeForEndpoint(
    delivery: EndpointDeliveryRow,
    endpoint: EndpointSettings,
    startedAt: Date,
  ): Promise<{ body: string } | { error: string }> {
    try {
      const payload = delivery.payload ?? { type: delivery.eventType, timestamp: startedAt.toISOString(), data: null };
      return { body: await shapeBody(payload, endpoint, deps.transforms) };
    } catch (err) {
      // The sandbox busy or down is ours, not the endpoint's: thrown, so Temporal retries the activity.
      if (err instanceof TransformSandboxUnavailableError) throw err;
      return { error: `payload shaping failed: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  /**
   * What the exchange means for the endpoint and the delivery: success, or a failure that keeps the
   * endpoint's health (410 and the circuit breaker disable it) and either ends the delivery or
   * schedules the next attempt by the retry schedule.
   */
  async function settleAttempt(
    input: AttemptEndpointDeliveryInput,
    endpoint: Pick<EndpointSettings, 'id'>,
    exchange: WebhookExchange,
    record: RecordAttempt,
  ): Promise<EndpointAttemptResult> {
    const { tenantId, attempt } = input;
    const at = now();
    const retryAfter = exchange.retryAfterMs !== undefined ? { retryAfterMs: exchange.retryAfterMs } : {};
    if (exchange.kind === 'success') {
      await store.recordEndpointSuccess(tenantId, endpoint.id, at);
      await record(exchange, 'success', null);
      return { outcome: 'success', statusCode: exchange.statusCode, error: null };
    }
    /** Ends the delivery failed: the attempt logs its own error, the delivery why it ended (the same unless given). */
    const failed = async (error: string | null, deliveryError = error): Promise<EndpointAttemptResult> => {
      await record({ ...exchange, error }, 'failed', null, deliveryError ?? 'failed');
      return { outcome: 'failed', statusCode: exchange.statusCode, error: deliveryError, ...retryAfter };
    };
    if (exchange.statusCode === 410) {
      await store.disableEndpoint(tenantId, endpoint.id, GONE_REASON, at);
      return failed(`${exchange.error}: endpoint disabled`);
    }
    const breaker = await store.recordEndpointFailure(tenantId, endpoint.id, at, deps.circuitBreakerAfterMs);
    if (breaker.disabledReason) return failed(`${exchange.error}; endpoint disabled: ${breaker.disabledReason}`);
    if (exchange.kind !== 'retryable') return failed(exchange.error);

    const spent = Math.max(0, at.getTime() - input.firstAttemptAt);
    const delay = nextRetryDelayMs(input.schedule, attempt, spent, input.random, exchange.retryAfterMs);
    if (delay === null) {
      return failed(
        exchange.error,
        `gave up after ${attempt} attempts over ${roughDuration(spent)}: ${exchange.error ?? 'no success'}`,
      );
    }
    await record(exchange, 'retrying', new Date(at.getTime() + delay));
    return {
      outcome: 'retry',
      statusCode: exchange.statusCode,
      error: exchange.error,
      retryInMs: delay,
      ...retryAfter,
    };
  }

  async function finishEndpointDelivery(input: FinishEndpointDeliveryInput): Promise<void> {
    await store.finish(input.tenantId, input.deliveryId, input.error);
    countDelivery('failed');
    await store.offerExhausted(input.tenantId, input.deliveryId);
  }

  function fromLog(
    logged: DeliveryAttempt,
    status: DeliveryStatus,
    nextAttemptAt: Date | null,
    deliveryError: string | null,
  ): EndpointAttemptResult {
    const base = { statusCode: logged.statusCode, error: logged.error };
    if (status === 'failed') return { ...base, outcome: 'failed', error: deliveryError ?? logged.error };
    if (status === 'retrying') {
      const retryInMs = nextAttemptAt ? Math.max(0, new Date(nextAttemptAt).getTime() - now().getTime()) : 0;
      return { ...base, outcome: 'retry', retryInMs };
    }
    return { ...base, outcome: status === 'success' ? 'success' : 'failed' };
  }

  return { attemptEndpointDelivery, finishEndpointDelivery };
}

/** Logs one attempt with the delivery's new status; `deliveryError` is the delivery's `error` when it ends failed. */
type RecordAttempt = (
  x: Pick<WebhookExchange, 'statusCode' | 'error' | 'responseBody' | 'durationMs'>,
  status: DeliveryStatus,
  nextAt: Date | null,
  deliveryError?: string | null,
) => Promise<void>;

export type EndpointDeliveryActivities = ReturnType<typeof createEndpointDeliveryActivities>;

/**
 * The body an endpoint receives: `{"type","timestamp","data"}`, data after field selection, template and
 * transform; a system event's data as the system made it (isShapedEventType).
 */
export async function shapeBody(
  payload: { type: string; timestamp: string; data: unknown },
  endpoint: Pick<EndpointSettings, 'fieldSelection' | 'payloadTemplate' | 'transform'>,
  transforms?: TransformSandbox,
): Promise<string> {
  const envelope = { type: payload.type, timestamp: payload.timestamp };
  let data = shapeData(payload.data, envelope, endpoint);
  if (endpoint.transform && isShapedEventType(payload.type)) {
    data = await applyTransform(endpoint.transform, data, transforms);
  }
  return JSON.stringify({ ...envelope, data });
}

/** A readable approximation of a span (`850 ms`, `4.2 s`, `12 min`, `24 h`, `3 d`) for messages. */
export function roughDuration(ms: number): string {
  const one = (n: number) => String(Math.round(n * 10) / 10);
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${one(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${one(ms / 3_600_000)} h`;
  return `${one(ms / 86_400_000)} d`;
}
