import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { DeliveryAttempt, DeliveryRef, DeliveryStatus, DeliveryStore } from '@ruleflow/entities';
import { isSecretHeaderName } from '@ruleflow/rules';
import { isSealedSecret, SecretBoxError } from '@ruleflow/rules/node/secret-box';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { sendWebhookRequest, WebhookNetworkError } from '@ruleflow/outbound';
import type { WebhookMethod, WebhookRequest, WebhookResponse } from '@ruleflow/outbound';
import { InvalidWebhookSecretError, signHeaders } from '@ruleflow/outbound';

export interface WebhookActionInput {
  tenantId: string;
  executionId: string | null;
  actionName: string | null;
  webhookId: string | null;
  /** The `webhook-id` header; the same on every attempt (the workflow derives it). */
  deliveryId: string;
  /** e.g. `orders.on_update`. */
  eventType: string;
  url: string;
  method: WebhookMethod;
  /** Credential headers may be sealed (`enc:v1:…`); they are opened only here, right before sending. */
  headers: Record<string, string>;
  /** JSON-serialised unless already a string. */
  body: unknown;
  /**
   * `whsec_` secrets, usually sealed (`enc:v1:…`, as stored): workflow inputs and Temporal history
   * only ever carry the sealed form; they are opened here, right before signing. Empty means unsigned.
   */
  secrets: string[];
  /** To know when an attempt is the last one (0 or less: unlimited, as in Temporal). */
  maximumAttempts: number;
  /**
   * The action's number for this activity's first attempt: 2 when the workflow made the first attempt
   * as a local activity before scheduling this one (1 when absent), so the log counts on, never twice.
   */
  firstAttempt?: number;
}

export interface WebhookActionOutput {
  statusCode: number;
  /** Parsed when JSON, else the text (at most 64 KiB). */
  body: unknown;
  attempts: number;
  deliveryId: string;
}

export interface WebhookActivityDeps {
  deliveries: DeliveryStore;
  allowPrivateNetworks: boolean;
  timeoutMs: number;
  now?: () => Date;
  /** Replaces DNS resolution in tests. */
  resolve?: WebhookRequest['resolve'];
  /** Opens sealed secrets (the worker's secret box). Without it a sealed secret fails the attempt. */
  secrets?: SecretOpener;
}

/** What the activity needs of the secret box: open a sealed value, pass any other through. */
export interface SecretOpener {
  decrypt(value: string): string;
}

/** The opener of a worker without an encryption key: plain values pass, a sealed one cannot be opened. */
export const noKeyOpener: SecretOpener = {
  decrypt(value) {
    if (isSealedSecret(value))
      throw new SecretBoxError('cannot open a sealed secret: this worker has no encryption key');
    return value;
  },
};

/** Failure types a workflow or operator may see on a webhook action. */
export const WEBHOOK_FAILURE_TYPES = {
  retryable: 'WebhookRetryableError',
  rejected: 'WebhookRejectedError',
  forbiddenUrl: 'WebhookForbiddenUrl',
  invalidRequest: 'WebhookInvalidRequest',
} as const;

/** How much of a response the delivery history keeps (API: `responseBody` is cut to 4 KiB). */
export const RECORDED_RESPONSE_BYTES = 4 * 1024;
const MESSAGE_BODY_CHARS = 200;
/** A receiver may ask for a later retry, but not for longer than this. */
const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;
const METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'GET']);

interface Outcome {
  status: DeliveryStatus;
  statusCode: number | null;
  /** What the history records as the attempt's error; null on success. */
  error: string | null;
  responseBody: string | null;
  durationMs: number;
  /** Thrown after the attempt is recorded; absent on success. */
  failure?: ApplicationFailure;
}

/** The `deliverWebhook` activity: one signed HTTP attempt per Temporal attempt, each logged as a delivery attempt. */
export function createWebhookActivities(deps: WebhookActivityDeps) {
  const now = deps.now ?? (() => new Date());
  const opener = deps.secrets ?? noKeyOpener;

  async function deliverWebhook(input: WebhookActionInput): Promise<WebhookActionOutput> {
    const ctx = Context.current();
    const attempt = (input.firstAttempt ?? 1) - 1 + ctx.info.attempt;
    const isLastAttempt = input.maximumAttempts > 0 && attempt >= input.maximumAttempts;
    const startedAt = now();
    const { exchange, response } = await exchangeWebhook(deps, startedAt, (reveal) =>
      prepareActionRequest(input, opener, startedAt, reveal),
    );
    const outcome = toOutcome(exchange, { isLastAttempt, details: (statusCode) => [{ attempt, statusCode }] });

    try {
      await deps.deliveries.recordAttempt(
        actionDeliveryRef(input),
        toDeliveryAttempt(attempt, outcome, startedAt),
        outcome.status,
      );
    } catch (err) {
      // The history is best effort: failing here would re-send a webhook the receiver may already have.
      ctx.log.warn('could not record webhook delivery attempt', {
        deliveryId: input.deliveryId,
        attempt,
        error: err instanceof Error ? err.message : String(err),
      });
    }

    if (outcome.failure) throw outcome.failure;
    return {
      statusCode: outcome.statusCode ?? 0,
      body: parseBody(response?.body ?? '', response?.headers ?? {}),
      attempts: attempt,
      deliveryId: input.deliveryId,
    };
  }

  return { deliverWebhook };
}

/** What a webhook request needs besides itself: the worker's network settings. */
export type WebhookNetworkSettings = Pick<WebhookRequest, 'timeoutMs' | 'allowPrivateNetworks' | 'resolve'>;

/** A request ready to send, with its (opened) signature headers. */
export type PreparedWebhookRequest = Pick<WebhookRequest, 'url' | 'method' | 'headers' | 'body'>;

/**
 * Prepares, sends and classifies one webhook attempt; never throws. `prepare` runs inside, so a bad
 * method or secret is classified like any failed exchange; it calls `reveal` with the secret
 * plaintexts it opens, and every text of the result is redacted of them. Shared by the rule action
 * (`deliverWebhook`) and endpoint deliveries.
 */
export async function exchangeWebhook(
  network: WebhookNetworkSettings,
  startedAt: Date,
  prepare: (reveal: (plaintexts: string[]) => void) => PreparedWebhookRequest,
): Promise<{ exchange: WebhookExchange; response?: WebhookResponse }> {
  // Plaintext secrets exist only inside this call; every text leaving it is redacted of them.
  let redact = redactor([]);
  // Durations come from the monotonic clock: `startedAt` may come from a test's fixed clock.
  const t0 = performance.now();
  let response: WebhookResponse | undefined;
  try {
    const request = prepare((plaintexts) => {
      redact = redactor(plaintexts);
    });
    response = await sendWebhookRequest({
      ...request,
      timeoutMs: network.timeoutMs,
      allowPrivateNetworks: network.allowPrivateNetworks,
      resolve: network.resolve,
    });
    return { exchange: classifyWebhookResponse(response, { redact, now: startedAt }), response };
  } catch (err) {
    const exchange = classifyWebhookError(err, { redact, durationMs: Math.round(performance.now() - t0) });
    return { exchange, response };
  }
}

/** The rule action's request: its method checked, secrets opened (and revealed for redaction), body and headers. */
function prepareActionRequest(
  input: WebhookActionInput,
  opener: SecretOpener,
  timestamp: Date,
  reveal: (plaintexts: string[]) => void,
): PreparedWebhookRequest {
  const method = String(input.method).toUpperCase();
  if (!METHODS.has(method)) throw new WebhookInputError(`unsupported HTTP method "${method}"`);
  const opened = openSecrets(input, opener);
  reveal(opened.plaintexts);
  // A GET carries no body; the signature then covers the empty string, which is what is sent.
  const body = method === 'GET' ? '' : serialiseBody(input.body);
  return {
    url: input.url,
    method: method as WebhookMethod,
    headers: buildHeaders(opened.input, body, timestamp),
    body,
  };
}

/** Where the rule action's attempts are logged: its delivery, under the run and action. */
function actionDeliveryRef(input: WebhookActionInput): DeliveryRef {
  return {
    id: input.deliveryId,
    tenantId: input.tenantId,
    webhookId: input.webhookId,
    executionId: input.executionId,
    actionName: input.actionName,
    eventType: input.eventType,
    url: input.url,
  };
}

/** One attempt's entry in a delivery's log. */
export function toDeliveryAttempt(
  attemptNumber: number,
  x: Pick<WebhookExchange, 'statusCode' | 'error' | 'responseBody' | 'durationMs'>,
  startedAt: Date,
): DeliveryAttempt {
  return {
    attemptNumber,
    statusCode: x.statusCode,
    error: x.error,
    durationMs: x.durationMs,
    responseBody: x.responseBody,
    at: startedAt.toISOString(),
  };
}

export type WebhookActivities = ReturnType<typeof createWebhookActivities>;

/**
 * The input with its sealed secrets opened, and every secret plaintext (signing secrets, sealed or
 * credential-named header values) for redaction. A secret that cannot be opened (a key missing from
 * RULEFLOW_PREVIOUS_ENCRYPTION_KEYS) fails the attempt as retryable: fixing the config fixes it.
 */
function openSecrets(
  input: WebhookActionInput,
  opener: SecretOpener,
): { input: WebhookActionInput; plaintexts: string[] } {
  const plaintexts: string[] = [];
  const secrets = (input.secrets ?? []).map((s) => {
    const plain = opener.decrypt(s);
    plaintexts.push(plain);
    return plain;
  });
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    if (typeof value !== 'string') {
      headers[name] = value;
      continue;
    }
    const plain = opener.decrypt(value);
    if (isSealedSecret(value) || isSecretHeaderName(name)) plaintexts.push(plain);
    headers[name] = plain;
  }
  return { input: { ...input, secrets, headers }, plaintexts };
}

/** Input the workflow got wrong (method, header, secret): no retry can fix it. */
export class WebhookInputError extends Error {}

function buildHeaders(input: WebhookActionInput, body: string, timestamp: Date): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(input.headers ?? {})) {
    // The signature headers are ours; a caller's copy would break verification or forge it.
    if (/^webhook-(id|timestamp|signature)$/i.test(name)) continue;
    if (value === undefined || value === null) continue;
    headers[name] = String(value);
  }
  return { ...headers, ...webhookIdentityHeaders({ id: input.deliveryId, timestamp, body, secrets: input.secrets }) };
}

/**
 * The Standard Webhooks headers of one attempt: signed with every (opened) secret, or, without
 * secrets, unsigned but still with `webhook-id` so receivers can drop duplicates of a retried
 * delivery. A malformed secret throws a {@link WebhookInputError}.
 */
export function webhookIdentityHeaders(input: {
  id: string;
  timestamp: Date;
  body: string;
  secrets: string[];
}): Record<string, string> {
  if (input.secrets.length === 0) {
    return {
      'webhook-id': input.id,
      'webhook-timestamp': String(Math.floor(input.timestamp.getTime() / 1000)),
    };
  }
  try {
    return { ...signHeaders(input) };
  } catch (err) {
    if (err instanceof InvalidWebhookSecretError) throw new WebhookInputError(err.message);
    throw err;
  }
}

function serialiseBody(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body === undefined) return '';
  return JSON.stringify(body);
}

interface ClassifyContext {
  isLastAttempt: boolean;
  details: (statusCode: number | null) => Array<{ attempt: number; statusCode: number | null }>;
}

/**
 * What one webhook exchange came to, before anyone decides about retrying: `success` (2xx),
 * `retryable` (408, 429, 5xx, network errors, our own unexpected errors), `rejected` (3xx, other
 * 4xx), `invalidRequest` / `forbiddenUrl` (no request could or may be sent). Shared by the rule
 * action (`deliverWebhook`, retried by Temporal) and endpoint deliveries (retried by their workflow).
 */
export interface WebhookExchange {
  kind: 'success' | 'retryable' | 'rejected' | 'invalidRequest' | 'forbiddenUrl';
  statusCode: number | null;
  /** What the delivery history records as the attempt's error; null on success. */
  error: string | null;
  /** The failure message for operators; null on success. */
  message: string | null;
  /** Cut to {@link RECORDED_RESPONSE_BYTES}, redacted; null without a response. */
  responseBody: string | null;
  durationMs: number;
  /** A retryable answer's `Retry-After`, in milliseconds. */
  retryAfterMs?: number;
}

/** Classifies an HTTP answer; every text in the result is redacted of the secrets. */
export function classifyWebhookResponse(
  res: WebhookResponse,
  c: { redact: (text: string) => string; now: Date },
): WebhookExchange {
  const { statusCode } = res;
  const recorded = c.redact(truncateUtf8(res.body, RECORDED_RESPONSE_BYTES));
  const base = { statusCode, responseBody: recorded, durationMs: res.durationMs };
  if (statusCode >= 200 && statusCode < 300) return { ...base, kind: 'success', error: null, message: null };

  const statusLine = `${statusCode} ${http.STATUS_CODES[statusCode] ?? 'Unknown Status'}`;
  const snippet = c.redact(res.body.slice(0, MESSAGE_BODY_CHARS).trim());
  const message = `webhook answered ${statusLine}${snippet ? `: ${snippet}` : ''}`;

  if (statusCode === 408 || statusCode === 429 || (statusCode >= 500 && statusCode < 600)) {
    const nextRetryDelay = retryAfterMs(res.headers['retry-after'], c.now);
    return {
      ...base,
      kind: 'retryable',
      error: statusLine,
      message,
      ...(nextRetryDelay !== undefined ? { retryAfterMs: nextRetryDelay } : {}),
    };
  }

  // 3xx (redirects are not followed: the target was never checked), other 4xx, anything odd.
  const location = statusCode >= 300 && statusCode < 400 ? res.headers.location : undefined;
  const notFollowed = location ? ` (redirect to ${c.redact(location)} not followed)` : '';
  return { ...base, kind: 'rejected', error: `${statusLine}${notFollowed}`, message: `${message}${notFollowed}` };
}

/** Classifies an exchange that got no HTTP answer (or could not be prepared); texts are redacted. */
export function classifyWebhookError(
  err: unknown,
  c: { redact: (text: string) => string; durationMs: number },
): WebhookExchange {
  const base = { statusCode: null, responseBody: null };
  if (err instanceof WebhookInputError) {
    const message = c.redact(err.message);
    return { ...base, kind: 'invalidRequest', error: message, message, durationMs: 0 };
  }
  if (err instanceof WebhookNetworkError) {
    const message = c.redact(err.message);
    if (err.permanent) {
      return err.code === 'ERR_INVALID_REQUEST'
        ? { ...base, kind: 'invalidRequest', error: message, message, durationMs: err.durationMs }
        : {
            ...base,
            kind: 'forbiddenUrl',
            error: message,
            message: `webhook URL refused: ${message}`,
            durationMs: err.durationMs,
          };
    }
    return {
      ...base,
      kind: 'retryable',
      error: message,
      message: `webhook request failed: ${message}`,
      durationMs: err.durationMs,
    };
  }
  // A bug of ours, not the receiver's: retried like any transient error, but the attempt is logged.
  const message = c.redact(err instanceof Error ? err.message : String(err));
  return {
    ...base,
    kind: 'retryable',
    error: message,
    message: `webhook request failed: ${message}`,
    durationMs: c.durationMs,
  };
}

/** The rule action's view of an exchange: the delivery status, and the failure Temporal retries (or not). */
function toOutcome(x: WebhookExchange, c: ClassifyContext): Outcome {
  const base = { statusCode: x.statusCode, error: x.error, responseBody: x.responseBody, durationMs: x.durationMs };
  const message = x.message ?? '';
  switch (x.kind) {
    case 'success':
      return { ...base, status: 'success' };
    case 'retryable':
      return {
        ...base,
        status: c.isLastAttempt ? 'failed' : 'retrying',
        failure: ApplicationFailure.create({
          type: WEBHOOK_FAILURE_TYPES.retryable,
          message,
          details: c.details(x.statusCode),
          ...(x.retryAfterMs !== undefined ? { nextRetryDelay: x.retryAfterMs } : {}),
        }),
      };
    case 'rejected':
      return {
        ...base,
        status: 'failed',
        failure: ApplicationFailure.create({
          type: WEBHOOK_FAILURE_TYPES.rejected,
          nonRetryable: true,
          message,
          details: c.details(x.statusCode),
        }),
      };
    case 'invalidRequest':
    case 'forbiddenUrl':
      return {
        ...base,
        status: 'failed',
        failure: ApplicationFailure.create({
          type: WEBHOOK_FAILURE_TYPES[x.kind],
          nonRetryable: true,
          message,
          details: c.details(null),
        }),
      };
  }
}

/** `Retry-After` as seconds or an HTTP date, in milliseconds, capped; undefined when absent, invalid or not in the future. */
export function retryAfterMs(header: string | string[] | undefined, now: Date): number | undefined {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return undefined;
  let ms: number;
  if (/^\d+$/.test(value)) {
    ms = Number(value) * 1000;
  } else {
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    ms = date - now.getTime();
  }
  if (!(ms > 0)) return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** The response as JSON when it is JSON (by content type or shape), else the text. */
function parseBody(body: string, headers: IncomingHttpHeaders): unknown {
  const type = headers['content-type'] ?? '';
  const looksJson = /[/+]json\b/i.test(type) || /^\s*[[{]/.test(body);
  if (!looksJson) return body;
  if (body.trim() === '') return null;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    // Cut at 64 KiB or simply malformed: the text is still worth having.
    return body;
  }
}

/** Cut a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text, 'utf8');
  if (buf.length <= maxBytes) return text;
  let end = maxBytes;
  // Back off continuation bytes (10xxxxxx) so the cut lands on a character boundary.
  while (end > 0 && ((buf[end] ?? 0) & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}

/** Removes every secret (with and without its `whsec_` / `Bearer ` prefix) from text that leaves the activity. */
export function redactor(secrets: string[]): (text: string) => string {
  const needles = secrets
    .flatMap((s) => [s, s.replace(/^whsec_/, ''), s.replace(/^(Bearer|Basic|Token)\s+/i, '')])
    .filter((s) => s.length >= 8)
    .sort((a, b) => b.length - a.length);
  if (needles.length === 0) return (text) => text;
  return (text) => needles.reduce((acc, needle) => acc.split(needle).join('[redacted]'), text);
}
