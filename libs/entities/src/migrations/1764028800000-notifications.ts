import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Notification deliveries: one row per recipient of a `send_notification` action (also the in-app inbox). */
export class Notifications1764028800000 implements MigrationInterface {
  name = 'Notifications1764028800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notifications (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        execution_id uuid,
        rule_id uuid,
        action_name text,
        channel text NOT NULL CHECK (channel IN ('email', 'sms', 'push', 'in_app')),
        recipient_id text NOT NULL,
        status text NOT NULL DEFAULT 'pending'
          CHECK (status IN ('pending', 'sent', 'delivered', 'failed', 'bounced', 'retrying')),
        attempts int NOT NULL DEFAULT 0,
        sent_at timestamptz,
        delivered_at timestamptz,
        failed_at timestamptz,
        error text,
        provider_response jsonb,
        subject text,
        body text NOT NULL,
        data jsonb,
        read_at timestamptz,
        idempotency_key text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_notifications_idempotency ON notifications (idempotency_key, recipient_id)`);
    await q.query(`CREATE INDEX idx_notifications_tenant_created ON notifications (tenant_id, created_at)`);
    await q.query(
      `CREATE INDEX idx_notifications_inbox ON notifications (tenant_id, recipient_id, channel, created_at)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS notifications`);
  }
}
