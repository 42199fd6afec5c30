import type { DeliveryAttempt, DeliveryPayload, DeliveryStatus } from '../delivery.entity';
import type { WebhookEntity } from '../webhook.entity';
import type { DataSource } from 'typeorm';
import { DELIVERY_EXHAUSTED_EVENT, ENDPOINT_DISABLED_EVENT } from '@ruleflow/rules';
import type { SqlRunner } from './fan-out';
import { fanOutEvent } from './fan-out';
import { returnedRows } from './query-result';

/** What an attempt needs of an endpoint delivery row. */
export interface EndpointDeliveryRow {
  id: string;
  tenantId: string;
  webhookId: string | null;
  eventType: string;
  url: string;
  status: DeliveryStatus;
  payload: DeliveryPayload | null;
  attempts: DeliveryAttempt[];
  nextAttemptAt: Date | null;
  /** Why it ended failed; null otherwise. */
  error: string | null;
}

/** What an attempt needs of the endpoint: where to send, how to shape and sign, and its breaker state. */
export type EndpointSettings = Pick<
  WebhookEntity,
  | 'id'
  | 'name'
  | 'url'
  | 'enabled'
  | 'disabledReason'
  | 'fieldSelection'
  | 'payloadTemplate'
  | 'transform'
  | 'secret'
  | 'previousSecret'
  | 'previousSecretExpiresAt'
  | 'failingSince'
  | 'headers'
  | 'rateLimitPerSecond'
>;

/** A throttled endpoint's send slot: reserved (wait `waitMs`, then send), or not yet within reach. */
export interface RateSlot {
  reserved: boolean;
  /** Reserved: until the slot. Not reserved: until a slot would come within the horizon. */
  waitMs: number;
}

/** The delivery and the endpoint it goes to (null when the endpoint was deleted). */
export interface LoadedEndpointDelivery {
  delivery: EndpointDeliveryRow;
  endpoint: EndpointSettings | null;
}

/** Reads and writes of endpoint deliveries beside the attempt log (`DeliveryStore.recordAttempt`). */
export interface EndpointDeliveryStore {
  load(tenantId: string, deliveryId: string): Promise<LoadedEndpointDelivery | null>;
  /**
   * When the next attempt is due (null: none is); also the URL the attempt went to, and the
   * delivery's `error`: why it ends failed when this attempt ends it so, null otherwise.
   */
  setNextAttempt(
    tenantId: string,
    deliveryId: string,
    at: Date | null,
    url?: string,
    error?: string | null,
  ): Promise<void>;
  /** Ends a delivery as failed without a new attempt, saying why (a `success` stays a success, error null). */
  finish(tenantId: string, deliveryId: string, error: string): Promise<void>;
  /** A delivered message: the endpoint is healthy again. */
  recordEndpointSuccess(tenantId: string, webhookId: string, at: Date): Promise<void>;
  /**
   * A failed attempt: starts the breaker's clock when it is not running, and disables the endpoint
   * once every delivery has failed for `breakerAfterMs`. Returns the reason when this call disabled it.
   */
  recordEndpointFailure(
    tenantId: string,
    webhookId: string,
    at: Date,
    breakerAfterMs: number,
  ): Promise<{ disabledReason: string | null }>;
  /**
   * Disables an enabled endpoint with a reason (a disabled one keeps its first reason); the call that
   * disables it offers `endpoint.disabled` to the tenant's other subscribed endpoints.
   */
  disableEndpoint(tenantId: string, webhookId: string, reason: string, at: Date): Promise<void>;
  /**
   * Reserves the next send slot of an endpoint limited to one send per `spacingMs`, shared by every
   * worker through one atomic UPDATE; only when that slot is at most `horizonMs` away, so nobody holds
   * a turn it cannot wait for.
   */
  reserveSlot(tenantId: string, webhookId: string, spacingMs: number, horizonMs: number): Promise<RateSlot>;
  /**
   * When the delivery has ended failed: offers `delivery.exhausted` to the tenant's other subscribed
   * endpoints (idempotent; never for a `delivery.exhausted` delivery, so it cannot loop).
   */
  offerExhausted(tenantId: string, deliveryId: string): Promise<void>;
}

interface LoadRow {
  id: string;
  tenant_id: string;
  webhook_id: string | null;
  event_type: string;
  url: string;
  status: DeliveryStatus;
  payload: DeliveryPayload | null;
  attempts: DeliveryAttempt[] | null;
  next_attempt_at: Date | null;
  error: string | null;
  w_id: string | null;
  w_url: string | null;
  w_enabled: boolean | null;
  w_disabled_reason: string | null;
  w_field_selection: string[] | null;
  w_payload_template: unknown;
  w_transform: string | null;
  w_secret: string | null;
  w_previous_secret: string | null;
  w_previous_secret_expires_at: Date | null;
  w_failing_since: Date | null;
  w_name: string | null;
  w_headers: Record<string, string> | null;
  w_rate_limit_per_second: number | null;
}

const LOAD_SQL = `
  SELECT d.id, d.tenant_id, d.webhook_id, d.event_type, d.url, d.status, d.payload, d.attempts, d.next_attempt_at, d.error,
         w.id AS w_id, w.url AS w_url, w.enabled AS w_enabled, w.disabled_reason AS w_disabled_reason,
         w.field_selection AS w_field_selection, w.payload_template AS w_payload_template,
         w.transform AS w_transform, w.secret AS w_secret, w.previous_secret AS w_previous_secret,
         w.previous_secret_expires_at AS w_previous_secret_expires_at, w.failing_since AS w_failing_since,
         w.name AS w_name, w.headers AS w_headers, w.rate_limit_per_second AS w_rate_limit_per_second
    FROM deliveries d
    LEFT JOIN webhooks w ON w.id = d.webhook_id AND w.tenant_id = d.tenant_id
   WHERE d.id = $1 AND d.tenant_id = $2`;

/** The circuit breaker's reason, naming when the failures began. */
export function circuitBreakerReason(failingSince: Date): string {
  return `circuit breaker: every delivery has failed since ${failingSince.toISOString()}`;
}

/** PostgreSQL implementation over `deliveries` and `webhooks`; every write is idempotent. */
export class EndpointDeliveryRepository implements EndpointDeliveryStore {
  constructor(private readonly db: DataSource) {}

  async load(tenantId: string, deliveryId: string): Promise<LoadedEndpointDelivery | null> {
    const rows: LoadRow[] = await this.db.query(LOAD_SQL, [deliveryId, tenantId]);
    const r = rows[0];
    if (!r) return null;
    const delivery: EndpointDeliveryRow = {
      id: r.id,
      tenantId: r.tenant_id,
      webhookId: r.webhook_id,
      eventType: r.event_type,
      url: r.url,
      status: r.status,
      payload: r.payload,
      attempts: r.attempts ?? [],
      nextAttemptAt: r.next_attempt_at,
      error: r.error,
    };
    const endpoint: EndpointSettings | null =
      r.w_id === null
        ? null
        : {
            id: r.w_id,
            name: r.w_name ?? '',
            url: r.w_url ?? '',
            enabled: r.w_enabled === true,
            disabledReason: r.w_disabled_reason,
            fieldSelection: r.w_field_selection,
            payloadTemplate: r.w_payload_template,
            transform: r.w_transform,
            secret: r.w_secret ?? '',
            previousSecret: r.w_previous_secret,
            previousSecretExpiresAt: r.w_previous_secret_expires_at,
            failingSince: r.w_failing_since,
            headers: r.w_headers,
            rateLimitPerSecond: r.w_rate_limit_per_second,
          };
    return { delivery, endpoint };
  }

  async setNextAttempt(
    tenantId: string,
    deliveryId: string,
    at: Date | null,
    url?: string,
    error: string | null = null,
  ): Promise<void> {
    // A delivered message never shows an error (a zombie attempt's late write cannot add one).
    await this.db.query(
      `UPDATE deliveries
          SET next_attempt_at = $3, url = coalesce($4, url),
              error = CASE WHEN status = 'success' THEN NULL ELSE $5 END, updated_at = now()
        WHERE id = $1 AND tenant_id = $2`,
      [deliveryId, tenantId, at, url ?? null, error],
    );
  }

  async finish(tenantId: string, deliveryId: string, error: string): Promise<void> {
    await this.db.query(
      `UPDATE deliveries
          SET status = CASE WHEN status = 'success' THEN status ELSE 'failed' END,
              error = CASE WHEN status = 'success' THEN NULL ELSE $3 END,
              next_attempt_at = NULL, updated_at = now()
        WHERE id = $1 AND tenant_id = $2`,
      [deliveryId, tenantId, error],
    );
  }

  async recordEndpointSuccess(tenantId: string, webhookId: string, at: Date): Promise<void> {
    await this.db.query(
      `UPDATE webhooks SET last_success_at = GREATEST(coalesce(last_success_at, $3), $3), failing_since = NULL
        WHERE id = $1 AND tenant_id = $2`,
      [webhookId, tenantId, at],
    );
  }

  recordEndpointFailure(
    tenantId: string,
    webhookId: string,
    at: Date,
    breakerAfterMs: number,
  ): Promise<{ disabledReason: string | null }> {
    return this.db.transaction(async (tx) => {
      const updated: unknown = await tx.query(
        `UPDATE webhooks SET failing_since = coalesce(failing_since, $3)
          WHERE id = $1 AND tenant_id = $2
          RETURNING failing_since, enabled`,
        [webhookId, tenantId, at],
      );
      const state = returnedRows<{ failing_since: Date; enabled: boolean }>(updated)[0];
      if (!state || !state.enabled) return { disabledReason: null };
      const since = new Date(state.failing_since);
      if (at.getTime() - since.getTime() < breakerAfterMs) return { disabledReason: null };
      const reason = circuitBreakerReason(since);
      const disabled = await disableAndOffer(tx, tenantId, webhookId, reason, at);
      return { disabledReason: disabled ? reason : null };
    });
  }

  async disableEndpoint(tenantId: string, webhookId: string, reason: string, at: Date): Promise<void> {
    await this.db.transaction((tx) => disableAndOffer(tx, tenantId, webhookId, reason, at));
  }

  async reserveSlot(tenantId: string, webhookId: string, spacingMs: number, horizonMs: number): Promise<RateSlot> {
    await this.db.query(
      `INSERT INTO webhook_rate_slots (webhook_id, tenant_id, next_at) VALUES ($1, $2, clock_timestamp())
       ON CONFLICT (webhook_id) DO NOTHING`,
      [webhookId, tenantId],
    );
    // The row lock serialises concurrent reservations; each one sees the slot the previous one left.
    const reserved: unknown = await this.db.query(
      `UPDATE webhook_rate_slots
          SET next_at = greatest(next_at, clock_timestamp()) + $3::double precision * interval '1 millisecond'
        WHERE webhook_id = $1 AND tenant_id = $2
          AND greatest(next_at, clock_timestamp()) <= clock_timestamp() + $4::double precision * interval '1 millisecond'
        RETURNING greatest(0, extract(epoch FROM
                    (next_at - $3::double precision * interval '1 millisecond' - clock_timestamp())) * 1000)::float8
                  AS wait_ms`,
      [webhookId, tenantId, spacingMs, horizonMs],
    );
    const slot = returnedRows<{ wait_ms: number }>(reserved)[0];
    if (slot) return { reserved: true, waitMs: Math.ceil(Number(slot.wait_ms)) };
    const rows: Array<{ ahead_ms: number }> = await this.db.query(
      `SELECT extract(epoch FROM (next_at - clock_timestamp())) * 1000 AS ahead_ms
         FROM webhook_rate_slots WHERE webhook_id = $1 AND tenant_id = $2`,
      [webhookId, tenantId],
    );
    const ahead = Number(rows[0]?.ahead_ms ?? 0);
    return { reserved: false, waitMs: Math.max(1, Math.ceil(ahead - horizonMs)) };
  }

  async offerExhausted(tenantId: string, deliveryId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const rows: Array<{ webhook_id: string; event_type: string; error: string | null; updated_at: Date }> =
        await tx.query(
          `SELECT webhook_id, event_type, error, updated_at FROM deliveries
            WHERE id = $1 AND tenant_id = $2 AND source = 'endpoint' AND status = 'failed'
              AND webhook_id IS NOT NULL AND event_type <> $3`,
          [deliveryId, tenantId, DELIVERY_EXHAUSTED_EVENT],
        );
      const d = rows[0];
      if (!d) return;
      await fanOutEvent(tx, {
        tenantId,
        type: DELIVERY_EXHAUSTED_EVENT,
        eventKey: `${DELIVERY_EXHAUSTED_EVENT}:${deliveryId}`,
        data: { deliveryId, webhookId: d.webhook_id, eventType: d.event_type, error: d.error },
        timestamp: new Date(d.updated_at).toISOString(),
        excludeWebhookId: d.webhook_id,
      });
    });
  }
}

/**
 * Disables an enabled endpoint and, when this call disabled it, offers `endpoint.disabled` to the
 * tenant's other subscribed endpoints in the same transaction. Whether this call disabled it.
 */
async function disableAndOffer(
  tx: SqlRunner,
  tenantId: string,
  webhookId: string,
  reason: string,
  at: Date,
): Promise<boolean> {
  const disabled: unknown = await tx.query(
    `UPDATE webhooks SET enabled = false, disabled_reason = $3, disabled_at = $4, updated_at = now()
      WHERE id = $1 AND tenant_id = $2 AND enabled
      RETURNING name`,
    [webhookId, tenantId, reason, at],
  );
  const row = returnedRows<{ name: string }>(disabled)[0];
  if (!row) return false;
  await fanOutEvent(tx, {
    tenantId,
    type: ENDPOINT_DISABLED_EVENT,
    eventKey: `${ENDPOINT_DISABLED_EVENT}:${webhookId}:${at.toISOString()}`,
    data: { webhookId, name: row.name, reason },
    timestamp: at.toISOString(),
    excludeWebhookId: webhookId,
  });
  return true;
}
