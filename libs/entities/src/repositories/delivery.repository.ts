import type { DeliveryAttempt, DeliveryStatus } from '../delivery.entity';
import type { DataSource } from 'typeorm';

/** The delivery an attempt belongs to; the row is created by its first recorded attempt. */
export interface DeliveryRef {
  /** The `webhook-id` header, the same on every attempt. */
  id: string;
  tenantId: string;
  webhookId: string | null;
  executionId: string | null;
  actionName: string | null;
  eventType: string;
  url: string;
}

/** Where webhook attempts are logged (the queryable delivery history). */
export interface DeliveryStore {
  /** Creates or updates the delivery and stores the attempt; recording the same attempt number again replaces it. */
  recordAttempt(delivery: DeliveryRef, attempt: DeliveryAttempt, status: DeliveryStatus): Promise<void>;
}

/**
 * One statement, so concurrent or repeated calls cannot interleave: the row is upserted, the
 * attempt replaces any element with the same attemptNumber, and the array stays ordered.
 * The status follows the newest attempt only, so a late write from a zombie earlier attempt
 * cannot move it backwards, and `success` is final (the receiver has the message).
 * The tenant guard makes a foreign row with a colliding id a visible error rather than a silent overwrite.
 */
const RECORD_ATTEMPT_SQL = `
  INSERT INTO deliveries AS d
    (id, tenant_id, webhook_id, execution_id, action_name, event_type, url, status, attempts,
     created_at, updated_at, delivered_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, jsonb_build_array($9::jsonb),
     now(), now(), CASE WHEN $8 = 'success' THEN $10::timestamptz END)
  ON CONFLICT (id) DO UPDATE SET
    attempts = (
      SELECT coalesce(jsonb_agg(t.a ORDER BY (t.a->>'attemptNumber')::int), '[]'::jsonb)
      FROM (
        SELECT e AS a FROM jsonb_array_elements(d.attempts) AS e
         WHERE (e->>'attemptNumber')::int IS DISTINCT FROM ($9::jsonb->>'attemptNumber')::int
        UNION ALL
        SELECT $9::jsonb
      ) AS t
    ),
    status = CASE
      WHEN d.status = 'success' THEN d.status
      WHEN ($9::jsonb->>'attemptNumber')::int >= coalesce(
             (SELECT max((e->>'attemptNumber')::int) FROM jsonb_array_elements(d.attempts) AS e), 0)
        THEN EXCLUDED.status
      ELSE d.status
    END,
    delivered_at = CASE
      WHEN d.delivered_at IS NOT NULL THEN d.delivered_at
      WHEN EXCLUDED.status = 'success' THEN EXCLUDED.delivered_at
      ELSE NULL
    END,
    updated_at = now()
  WHERE d.tenant_id = EXCLUDED.tenant_id
  RETURNING d.id`;

/** PostgreSQL implementation over the `deliveries` table; idempotent per (delivery id, attempt number). */
export class DeliveryRepository implements DeliveryStore {
  constructor(private readonly db: DataSource) {}

  async recordAttempt(delivery: DeliveryRef, attempt: DeliveryAttempt, status: DeliveryStatus): Promise<void> {
    const clean: DeliveryAttempt = {
      attemptNumber: attempt.attemptNumber,
      statusCode: attempt.statusCode,
      error: stripNul(attempt.error),
      durationMs: Math.max(0, Math.round(attempt.durationMs)),
      responseBody: stripNul(attempt.responseBody),
      at: attempt.at,
    };
    const rows: unknown = await this.db.query(RECORD_ATTEMPT_SQL, [
      delivery.id,
      delivery.tenantId,
      delivery.webhookId,
      delivery.executionId,
      delivery.actionName,
      delivery.eventType,
      delivery.url,
      status,
      JSON.stringify(clean),
      attempt.at,
    ]);
    if (!Array.isArray(rows) || rows.length === 0) {
      throw new Error(
        `delivery ${delivery.id} exists for another tenant; attempt ${attempt.attemptNumber} not recorded`,
      );
    }
  }
}

/** jsonb cannot hold U+0000, and a receiver's response body may contain it. */
function stripNul(value: string | null): string | null {
  return value === null ? null : value.replace(/\u0000/g, '');
}
