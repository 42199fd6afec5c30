/**
 * Fan-out: an event (or a system event) becomes one `pending` endpoint delivery per enabled
 * endpoint of its tenant subscribed to its type. Called inside the transaction that records the
 * event, so the deliveries exist exactly when the event does; the gateway's delivery outbox starts
 * their workflows (`delivery-<id>`). Repeats of the same event key add nothing.
 */
import type { DeliveryPayload } from '../delivery.entity';
import { subscriptionsMatching } from '@ruleflow/rules';

/** Anything that runs SQL: a DataSource, an EntityManager inside a transaction, a QueryRunner. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

export interface FanOutEvent {
  tenantId: string;
  /** `orders.on_update`, `execution.failed`, … */
  type: string;
  /** Unique per tenant and event: the ingested event's id, or e.g. `execution.failed:<executionId>`. */
  eventKey: string;
  data: unknown;
  /** ISO time of the event: the body's `timestamp`. */
  timestamp: string;
  /** An endpoint not to offer it to (the one an operational event is about). */
  excludeWebhookId?: string;
}

export interface FannedOutDelivery {
  id: string;
  webhookId: string;
  tenantId: string;
}

const FAN_OUT_SQL = `
  INSERT INTO deliveries (id, tenant_id, webhook_id, source, event_type, event_key, url, status, payload)
  SELECT gen_random_uuid(), w.tenant_id, w.id, 'endpoint', $2, $3, w.url, 'pending', $4::jsonb
    FROM webhooks w
   WHERE w.tenant_id = $1 AND w.enabled AND w.events && $5::text[] AND ($6::uuid IS NULL OR w.id <> $6::uuid)
  ON CONFLICT (webhook_id, event_key) WHERE redelivery_of IS NULL AND event_key IS NOT NULL DO NOTHING
  RETURNING id, webhook_id AS "webhookId", tenant_id AS "tenantId"`;

/** Record the deliveries of `event` to every matching endpoint; returns those created now. */
export async function fanOutEvent(sql: SqlRunner, event: FanOutEvent): Promise<FannedOutDelivery[]> {
  const payload: DeliveryPayload = { type: event.type, timestamp: event.timestamp, data: event.data };
  const rows = (await sql.query(FAN_OUT_SQL, [
    event.tenantId,
    event.type,
    event.eventKey,
    JSON.stringify(payload),
    subscriptionsMatching(event.type),
    event.excludeWebhookId ?? null,
  ])) as FannedOutDelivery[];
  return rows;
}
