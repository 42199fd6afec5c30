import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Alerts raised by `create_alert` actions, their recipients and acknowledgments. One alert per
 * (tenant, idempotency key): a retried or replayed activity finds the alert its first attempt made.
 */
export class Alerts1764028800001 implements MigrationInterface {
  name = 'Alerts1764028800001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE alerts (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        alert_type text NOT NULL,
        severity text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
        title text NOT NULL,
        message text NOT NULL,
        context jsonb,
        source_entity_name text,
        source_entity_id text,
        source_rule_id uuid,
        source_execution_id uuid,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'acknowledged', 'dismissed', 'resolved')),
        expires_at timestamptz,
        idempotency_key text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_alerts_tenant_idempotency_key ON alerts (tenant_id, idempotency_key)`);
    await q.query(`CREATE INDEX idx_alerts_tenant_created ON alerts (tenant_id, created_at)`);
    await q.query(`
      CREATE TABLE alert_recipients (
        alert_id uuid NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        recipient_type text NOT NULL CHECK (recipient_type IN ('user', 'role')),
        recipient_id text NOT NULL,
        PRIMARY KEY (alert_id, recipient_type, recipient_id)
      )`);
    await q.query(`CREATE INDEX idx_alert_recipients_recipient ON alert_recipients (recipient_type, recipient_id)`);
    await q.query(`
      CREATE TABLE alert_acknowledgments (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        alert_id uuid NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
        user_id text NOT NULL,
        notes text,
        acknowledged_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_alert_acknowledgments_alert ON alert_acknowledgments (alert_id, acknowledged_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS alert_acknowledgments`);
    await q.query(`DROP TABLE IF EXISTS alert_recipients`);
    await q.query(`DROP TABLE IF EXISTS alerts`);
  }
}
