import type { NotificationChannel, NotificationStatus } from '../notification.entity';
import type { DataSource } from 'typeorm';

/** What one `send_notification` call asks for, per recipient. */
export interface NewNotification {
  tenantId: string;
  executionId: string | null;
  ruleId: string | null;
  actionName: string | null;
  channel: NotificationChannel;
  recipientId: string;
  subject: string | null;
  body: string;
  data: unknown;
  idempotencyKey: string;
}

export interface NotificationRow {
  id: string;
  recipientId: string;
  status: NotificationStatus;
  attempts: number;
}

/** Where notification deliveries are kept (one row per recipient, unique per idempotency key). */
export interface NotificationStore {
  /** Creates the missing rows and returns every row of these recipients under the key, in the given order. */
  claim(rows: NewNotification[]): Promise<NotificationRow[]>;
  /** Records one send attempt's outcome. A row already `sent` or later is never moved back. */
  recordAttempt(
    id: string,
    outcome: { status: 'sent' | 'failed' | 'retrying'; error: string | null; providerResponse: unknown },
  ): Promise<void>;
}

const CLAIM_SQL = `
  INSERT INTO notifications
    (tenant_id, execution_id, rule_id, action_name, channel, recipient_id, subject, body, data, idempotency_key)
  SELECT $1, $2, $3, $4, $5, r.recipient, $6, $7, $8::jsonb, $9
    FROM unnest($10::text[]) AS r(recipient)
  ON CONFLICT (idempotency_key, recipient_id) DO NOTHING`;

/**
 * `sent`, `delivered` and `bounced` are final for the sender: a retried attempt never overwrites them,
 * so a zombie attempt cannot undo a send or a receipt.
 */
const RECORD_SQL = `
  UPDATE notifications SET
      status = $2,
      attempts = attempts + 1,
      error = $3,
      provider_response = coalesce($4::jsonb, provider_response),
      sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END,
      failed_at = CASE WHEN $2 = 'failed' THEN now() ELSE failed_at END,
      updated_at = now()
    WHERE id = $1 AND status NOT IN ('sent', 'delivered', 'bounced')`;

/** The PostgreSQL {@link NotificationStore}. */
export class NotificationRepository implements NotificationStore {
  constructor(private readonly db: DataSource) {}

  async claim(rows: NewNotification[]): Promise<NotificationRow[]> {
    const first = rows[0];
    if (!first) return [];
    const recipients = rows.map((r) => r.recipientId);
    await this.db.query(CLAIM_SQL, [
      first.tenantId,
      first.executionId,
      first.ruleId,
      first.actionName,
      first.channel,
      first.subject,
      first.body,
      first.data === undefined ? null : JSON.stringify(first.data),
      first.idempotencyKey,
      recipients,
    ]);
    const found: Array<{ id: string; recipient_id: string; status: NotificationStatus; attempts: number }> =
      await this.db.query(
        `SELECT id, recipient_id, status, attempts FROM notifications
          WHERE idempotency_key = $1 AND recipient_id = ANY($2::text[]) AND tenant_id = $3`,
        [first.idempotencyKey, recipients, first.tenantId],
      );
    const byRecipient = new Map(found.map((f) => [f.recipient_id, f]));
    return recipients.flatMap((recipientId) => {
      const row = byRecipient.get(recipientId);
      return row ? [{ id: row.id, recipientId, status: row.status, attempts: row.attempts }] : [];
    });
  }

  async recordAttempt(
    id: string,
    outcome: { status: 'sent' | 'failed' | 'retrying'; error: string | null; providerResponse: unknown },
  ): Promise<void> {
    await this.db.query(RECORD_SQL, [
      id,
      outcome.status,
      outcome.error,
      outcome.providerResponse === undefined || outcome.providerResponse === null
        ? null
        : JSON.stringify(outcome.providerResponse),
    ]);
  }
}
