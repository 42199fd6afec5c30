/**
 * Webhook endpoints, the pure part: which subscriptions an event type matches, the static payload
 * shaping steps (field selection, then template; JSONata is applied after them, in the activity),
 * and the durable retry schedule.
 */
import { isPlainObject, setOwn } from './json';
import { FORBIDDEN_PATH_SEGMENTS, getPath, splitPath } from './path';
import { renderTemplate } from './templates';

/** Event types the system itself offers to subscribers, beside `<entity>.<trigger type>`. */
export const SYSTEM_EVENT_TYPES = [
  'execution.succeeded',
  'execution.failed',
  'alert.created',
  'call.started',
  'call.ended',
  'endpoint.disabled',
  'delivery.exhausted',
] as const;
export type SystemEventType = (typeof SYSTEM_EVENT_TYPES)[number];
/** The event type of `POST /v1/webhooks/:id/test`. */
export const TEST_EVENT_TYPE = 'webhook.test';
/** Offered to the other endpoints of a tenant when the system disables one (a 410, the circuit breaker). */
export const ENDPOINT_DISABLED_EVENT = 'endpoint.disabled';
/** Offered to the other endpoints of a tenant when a delivery fails for good (never about one of its own kind). */
export const DELIVERY_EXHAUSTED_EVENT = 'delivery.exhausted';

const NAME = '[A-Za-z0-9_][A-Za-z0-9_-]{0,99}';
const SUBSCRIPTION = new RegExp(`^(\\*|${NAME}\\.\\*|${NAME}\\.${NAME})$`);

/** Why a subscription pattern is malformed, or null: `*`, `<entity>.*`, `<entity>.<type>`. */
export function subscriptionProblem(pattern: unknown): string | null {
  if (typeof pattern !== 'string') return 'must be a string';
  if (!SUBSCRIPTION.test(pattern)) {
    return `"${pattern.slice(0, 120)}" is not an event type: use "<entity>.<type>", "<entity>.*" or "*"`;
  }
  return null;
}

/** The subscription patterns that receive `eventType`: itself, its `entity.*`, and `*`. */
export function subscriptionsMatching(eventType: string): string[] {
  const dot = eventType.indexOf('.');
  const entity = dot > 0 ? eventType.slice(0, dot) : eventType;
  return ['*', `${entity}.*`, eventType];
}

/** Why a field selection path is malformed, or null. */
export function fieldSelectionProblem(path: unknown): string | null {
  if (typeof path !== 'string' || path.trim() === '') return 'must be a non-empty string';
  if (path.length > 256) return 'is longer than 256 characters';
  const segments = splitPath(path);
  if (segments.some((s) => s === '')) return `"${path}" has an empty segment`;
  if (segments.some((s) => FORBIDDEN_PATH_SEGMENTS.has(s))) return `"${path}" uses a forbidden key`;
  return null;
}

/**
 * Keep only the listed dot paths of `data` (missing ones are left out), nested as they were:
 * `["id", "customer.email"]` over an order gives `{id, customer: {email}}`.
 */
export function selectFields(data: unknown, paths: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const path of paths) {
    const segments = splitPath(path);
    const value = getPath(data, segments);
    if (value === undefined) continue;
    let target = out;
    segments.forEach((segment, i) => {
      if (i === segments.length - 1) {
        setOwn(target, segment, value);
        return;
      }
      const next = target[segment];
      if (!isPlainObject(next)) setOwn(target, segment, {});
      target = target[segment] as Record<string, unknown>;
    });
  }
  return out;
}

export interface StaticShaping {
  fieldSelection?: readonly string[] | null;
  /** Rendered with `{{ data.… }}` / `{{ event.… }}` over the (selected) data and the event envelope. */
  payloadTemplate?: unknown;
}

/**
 * Whether an endpoint's shaping (fieldSelection, payloadTemplate, transform) applies to events of this type:
 * entity events (`<entity>.<type>`) and `webhook.test` (a trial of the endpoint's settings) are shaped; system
 * events (SYSTEM_EVENT_TYPES) reach the endpoint as the system made them, so shaping written for an entity's
 * records never empties an `execution.failed` or an `alert.created`.
 */
export function isShapedEventType(eventType: string): boolean {
  return !(SYSTEM_EVENT_TYPES as readonly string[]).includes(eventType);
}

/**
 * The `data` of a webhook body after field selection and the payload template, in that order; a system
 * event's `data` as it is (see isShapedEventType).
 */
export function shapeData(
  data: unknown,
  envelope: { type: string; timestamp: string },
  shaping: StaticShaping,
): unknown {
  if (!isShapedEventType(envelope.type)) return data;
  let shaped = data;
  if (shaping.fieldSelection && shaping.fieldSelection.length > 0)
    shaped = selectFields(shaped, shaping.fieldSelection);
  if (shaping.payloadTemplate !== undefined && shaping.payloadTemplate !== null) {
    shaped = renderTemplate(shaping.payloadTemplate, { data: shaped, event: { ...envelope, data: shaped } });
  }
  return shaped;
}

export interface RetrySchedule {
  /** Delay before retry n (1-based: after the first failed attempt); the last repeats. */
  delaysMs: readonly number[];
  /** No attempt starts later than this after the first one. */
  windowMs: number;
  /** ± this fraction of each delay, so endpoints coming back are not hit by every delivery at once. */
  jitter: number;
}

/**
 * The delay before the next attempt after `failedAttempts` failures, or null when the window is
 * spent. `random` is in [0, 1) (the workflow's deterministic Math.random); a receiver's Retry-After
 * wins when it asks for longer.
 */
export function nextRetryDelayMs(
  schedule: RetrySchedule,
  failedAttempts: number,
  elapsedMs: number,
  random: number,
  retryAfterMs?: number,
): number | null {
  const { delaysMs } = schedule;
  if (delaysMs.length === 0 || failedAttempts < 1) return null;
  const base = delaysMs[Math.min(failedAttempts, delaysMs.length) - 1]!;
  const jittered = Math.round(base * (1 + schedule.jitter * (2 * random - 1)));
  const delay = Math.max(jittered, retryAfterMs ?? 0, 0);
  if (elapsedMs + delay > schedule.windowMs) return null;
  return delay;
}
