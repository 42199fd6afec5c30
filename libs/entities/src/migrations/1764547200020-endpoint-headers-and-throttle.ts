import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Endpoints like Svix's:
 * - `webhooks.headers`: custom request headers sent with every delivery, each value sealed
 *   (`enc:v1:…`) like the signing secret; `webhooks.rate_limit_per_second`: deliveries to the
 *   endpoint are spaced so no more than that many go out per second.
 * - `webhook_rate_slots`: one row per throttled endpoint holding the next free send slot. Workers
 *   reserve slots with one atomic UPDATE, so the limit holds across worker processes. Removed with
 *   the endpoint.
 * - An index over `deliveries.redelivery_of`, so `recover` skips failed deliveries already redelivered.
 */
export class EndpointHeadersAndThrottle1764547200020 implements MigrationInterface {
  name = 'EndpointHeadersAndThrottle1764547200020';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhooks ADD COLUMN headers jsonb`);
    await q.query(
      `ALTER TABLE webhooks ADD COLUMN rate_limit_per_second integer
         CONSTRAINT chk_webhooks_rate_limit CHECK (rate_limit_per_second IS NULL OR rate_limit_per_second > 0)`,
    );
    await q.query(`
      CREATE TABLE webhook_rate_slots (
        webhook_id uuid PRIMARY KEY REFERENCES webhooks(id) ON DELETE CASCADE,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        next_at timestamptz NOT NULL
      )`);
    await q.query(`ALTER TABLE webhook_rate_slots ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE webhook_rate_slots FORCE ROW LEVEL SECURITY`);
    await q.query(`
      CREATE POLICY tenant_isolation ON webhook_rate_slots
      USING (ruleflow_tenant_visible(tenant_id)) WITH CHECK (ruleflow_tenant_visible(tenant_id))`);
    await q.query(
      `CREATE INDEX idx_deliveries_redelivery_of ON deliveries (redelivery_of) WHERE redelivery_of IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idx_deliveries_redelivery_of`);
    await q.query(`DROP TABLE IF EXISTS webhook_rate_slots`);
    await q.query(`ALTER TABLE webhooks DROP COLUMN IF EXISTS rate_limit_per_second`);
    await q.query(`ALTER TABLE webhooks DROP COLUMN IF EXISTS headers`);
  }
}
