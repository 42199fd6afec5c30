import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * IVR call sessions: the queryable mirror of each `ivr-<sessionId>` workflow (Temporal holds the
 * live state; the workflow writes every change here). One session per call: `call_id` is unique per
 * tenant, so a second start for the same call is refused before any workflow starts. `revision` only
 * grows, so a late, retried mirror write can never move a row backwards.
 */
export class IvrSessions1764460800001 implements MigrationInterface {
  name = 'IvrSessions1764460800001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ivr_sessions (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        call_id text NOT NULL,
        caller text,
        root_menu_id uuid NOT NULL,
        menu_id uuid NOT NULL,
        state text NOT NULL DEFAULT 'awaiting_input',
        menu_stack jsonb NOT NULL DEFAULT '[]'::jsonb,
        retry_count integer NOT NULL DEFAULT 0,
        outcome jsonb,
        history jsonb NOT NULL DEFAULT '[]'::jsonb,
        revision integer NOT NULL DEFAULT 0,
        workflow_id text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        last_activity_at timestamptz NOT NULL DEFAULT now(),
        ended_at timestamptz,
        CONSTRAINT ck_ivr_sessions_state CHECK (state IN ('awaiting_input', 'ended'))
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_ivr_sessions_tenant_call ON ivr_sessions (tenant_id, call_id)`);
    await q.query(`CREATE INDEX idx_ivr_sessions_tenant_started ON ivr_sessions (tenant_id, started_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX idx_ivr_sessions_tenant_state ON ivr_sessions (tenant_id, state, started_at DESC, id DESC)`,
    );
    await q.query(
      `CREATE INDEX idx_ivr_sessions_tenant_menu ON ivr_sessions (tenant_id, menu_id, started_at DESC, id DESC)`,
    );
    await q.query(`CREATE INDEX idx_ivr_sessions_ended ON ivr_sessions (ended_at) WHERE state = 'ended'`);
    await q.query(`ALTER TABLE ivr_sessions ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE ivr_sessions FORCE ROW LEVEL SECURITY`);
    await q.query(`
      CREATE POLICY tenant_isolation ON ivr_sessions
      USING (ruleflow_tenant_visible(tenant_id)) WITH CHECK (ruleflow_tenant_visible(tenant_id))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ivr_sessions`);
  }
}
