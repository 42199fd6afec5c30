import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook endpoints (subscriptions to event types, payload shaping, sealed `whsec_` secrets with a
 * 24 h rotation overlap, circuit breaker state) and endpoint deliveries in the `deliveries` table:
 * one row per (event, endpoint), started as the workflow `delivery-<id>` through the outbox.
 */
export class WebhookEndpoints1764288000000 implements MigrationInterface {
  name = 'WebhookEndpoints1764288000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhooks (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        url text NOT NULL,
        events text[] NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        disabled_reason text,
        disabled_at timestamptz,
        field_selection text[],
        payload_template jsonb,
        transform text,
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        failing_since timestamptz,
        last_success_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_webhooks_tenant_created ON webhooks (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX idx_webhooks_subscriptions ON webhooks USING gin (events) WHERE enabled`);
    await q.query(`ALTER TABLE webhooks ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE webhooks FORCE ROW LEVEL SECURITY`);
    await q.query(`
      CREATE POLICY tenant_isolation ON webhooks
      USING (ruleflow_tenant_visible(tenant_id)) WITH CHECK (ruleflow_tenant_visible(tenant_id))`);

    // 'rule_action': attempts of a rule's webhook action (run inside the rule's workflow).
    // 'endpoint': a delivery to a registered endpoint, run by its own workflow.
    await q.query(`ALTER TABLE deliveries ADD COLUMN source text NOT NULL DEFAULT 'rule_action'`);
    await q.query(
      `ALTER TABLE deliveries ADD CONSTRAINT ck_deliveries_source CHECK (source IN ('rule_action', 'endpoint'))`,
    );
    await q.query(`ALTER TABLE deliveries ADD COLUMN event_key text`);
    await q.query(`ALTER TABLE deliveries ADD COLUMN payload jsonb`);
    await q.query(`ALTER TABLE deliveries ADD COLUMN redelivery_of uuid`);
    await q.query(`ALTER TABLE deliveries ADD COLUMN dispatched_at timestamptz`);
    await q.query(`ALTER TABLE deliveries ADD COLUMN next_attempt_at timestamptz`);
    // One delivery per (event, endpoint); redeliveries are extra rows pointing at the original.
    await q.query(
      `CREATE UNIQUE INDEX uq_deliveries_endpoint_event ON deliveries (webhook_id, event_key)
       WHERE redelivery_of IS NULL AND event_key IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX idx_deliveries_undispatched ON deliveries (created_at)
       WHERE dispatched_at IS NULL AND source = 'endpoint'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idx_deliveries_undispatched`);
    await q.query(`DROP INDEX IF EXISTS uq_deliveries_endpoint_event`);
    await q.query(`DELETE FROM deliveries WHERE source = 'endpoint'`);
    for (const column of ['next_attempt_at', 'dispatched_at', 'redelivery_of', 'payload', 'event_key']) {
      await q.query(`ALTER TABLE deliveries DROP COLUMN IF EXISTS ${column}`);
    }
    await q.query(`ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS ck_deliveries_source`);
    await q.query(`ALTER TABLE deliveries DROP COLUMN IF EXISTS source`);
    await q.query(`DROP TABLE IF EXISTS webhooks`);
  }
}
