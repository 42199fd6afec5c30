import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Outbound calls of `ivr_call` actions: one row per action of a run (its idempotency key), written
 * before the provider is asked to dial and completed with the provider's CallSid, so a retried
 * activity never dials the person twice. Removed with the run's execution (retention).
 */
export class IvrCalls1764460800003 implements MigrationInterface {
  name = 'IvrCalls1764460800003';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ivr_calls (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        execution_id uuid NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
        idempotency_key text NOT NULL,
        line_id uuid NOT NULL,
        to_number text NOT NULL,
        call_sid text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_ivr_calls_key ON ivr_calls (tenant_id, idempotency_key)`);
    await q.query(`CREATE INDEX idx_ivr_calls_execution ON ivr_calls (execution_id)`);
    await q.query(`ALTER TABLE ivr_calls ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE ivr_calls FORCE ROW LEVEL SECURITY`);
    await q.query(`
      CREATE POLICY tenant_isolation ON ivr_calls
      USING (ruleflow_tenant_visible(tenant_id)) WITH CHECK (ruleflow_tenant_visible(tenant_id))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ivr_calls`);
  }
}
