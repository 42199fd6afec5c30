import type {
  DeliveryAttempt,
  DeliveryEntity,
  DeliverySource,
  DeliveryStatus,
  WebhookEntity,
} from '@ruleflow/entities';
import { SECRET_ROTATION_OVERLAP_MS } from '@ruleflow/outbound';
import { SECRET_MASK } from '@ruleflow/rules';

/** An endpoint as the API shows it: never its secrets. */
export interface WebhookResponse {
  id: string;
  name: string;
  description: string | null;
  url: string;
  events: string[];
  enabled: boolean;
  /** Why the system disabled it (a 410, the circuit breaker); null otherwise. */
  disabledReason: string | null;
  disabledAt: string | null;
  /** First failed attempt since the last success (the circuit breaker's clock). */
  failingSince: string | null;
  lastSuccessAt: string | null;
  fieldSelection: string[] | null;
  payloadTemplate: unknown;
  transform: string | null;
  /** Custom request headers, each value shown as `********` (they are secrets). */
  headers: Record<string, string>;
  rateLimitPerSecond: number | null;
  /** When the secret was last rotated, while the previous one still signs (24 h). */
  secretRotatedAt: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface DeliveryResponse {
  id: string;
  webhookId: string | null;
  eventType: string;
  status: DeliveryStatus;
  attempts: DeliveryAttempt[];
  createdAt: string;
  deliveredAt: string | null;
  source: DeliverySource;
  url: string;
  executionId: string | null;
  actionName: string | null;
  redeliveryOf: string | null;
  nextAttemptAt: string | null;
  /** Why it ended failed (the endpoint deleted or disabled, a failed transform, the window spent); else null. */
  error: string | null;
}

/** The contract cuts response bodies to 4 KiB. */
const MAX_RESPONSE_BODY = 4096;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export function toWebhookResponse(w: WebhookEntity, now = new Date()): WebhookResponse {
  const overlap = w.previousSecret && w.previousSecretExpiresAt && w.previousSecretExpiresAt > now;
  return {
    id: w.id,
    name: w.name,
    description: w.description,
    url: w.url,
    events: w.events,
    enabled: w.enabled,
    disabledReason: w.disabledReason,
    disabledAt: iso(w.disabledAt),
    failingSince: iso(w.failingSince),
    lastSuccessAt: iso(w.lastSuccessAt),
    fieldSelection: w.fieldSelection,
    payloadTemplate: w.payloadTemplate ?? null,
    transform: w.transform,
    headers: Object.fromEntries(Object.keys(w.headers ?? {}).map((name) => [name, SECRET_MASK])),
    rateLimitPerSecond: w.rateLimitPerSecond,
    secretRotatedAt: w.previousSecretExpiresAt
      ? new Date(w.previousSecretExpiresAt.getTime() - SECRET_ROTATION_OVERLAP_MS).toISOString()
      : null,
    previousSecretExpiresAt: overlap ? iso(w.previousSecretExpiresAt) : null,
    createdAt: w.createdAt.toISOString(),
    updatedAt: w.updatedAt.toISOString(),
  };
}

export function toDeliveryResponse(d: DeliveryEntity): DeliveryResponse {
  return {
    id: d.id,
    webhookId: d.webhookId,
    eventType: d.eventType,
    status: d.status,
    attempts: (d.attempts ?? []).map((a) => ({
      attemptNumber: a.attemptNumber,
      statusCode: a.statusCode ?? null,
      error: a.error ?? null,
      durationMs: a.durationMs,
      responseBody:
        typeof a.responseBody === 'string' && a.responseBody.length > MAX_RESPONSE_BODY
          ? a.responseBody.slice(0, MAX_RESPONSE_BODY)
          : (a.responseBody ?? null),
      at: a.at,
    })),
    createdAt: d.createdAt.toISOString(),
    deliveredAt: iso(d.deliveredAt),
    source: d.source,
    url: d.url,
    executionId: d.executionId,
    actionName: d.actionName,
    redeliveryOf: d.redeliveryOf,
    nextAttemptAt: iso(d.nextAttemptAt),
    error: d.error ?? null,
  };
}
