import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tenants, keys, rules (with versions), events (the outbox's source), executions and deliveries. */
export class InitialSchema1763769600000 implements MigrationInterface {
  name = 'InitialSchema1763769600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE api_keys (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        prefix text NOT NULL,
        key_hash text NOT NULL UNIQUE,
        scopes text[] NOT NULL DEFAULT '{}',
        expires_at timestamptz,
        rate_limit_per_hour integer,
        usage_quota integer,
        usage_count integer NOT NULL DEFAULT 0,
        last_used_at timestamptz,
        enabled boolean NOT NULL DEFAULT true,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_api_keys_tenant ON api_keys (tenant_id)`);
    await q.query(`
      CREATE TABLE rules (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        entity text NOT NULL,
        trigger_type text NOT NULL,
        trigger jsonb NOT NULL,
        conditions jsonb NOT NULL,
        actions jsonb NOT NULL,
        priority integer NOT NULL DEFAULT 0,
        is_active boolean NOT NULL DEFAULT true,
        version integer NOT NULL DEFAULT 1,
        execution_count integer NOT NULL DEFAULT 0,
        last_executed_at timestamptz,
        last_execution_status text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_rules_match ON rules (tenant_id, entity, trigger_type)`);
    await q.query(`CREATE INDEX idx_rules_tenant_priority ON rules (tenant_id, priority DESC, created_at)`);
    await q.query(`
      CREATE TABLE rule_versions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        rule_id uuid NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
        version integer NOT NULL,
        rule jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_rule_versions_rule_version ON rule_versions (rule_id, version)`);
    await q.query(`
      CREATE TABLE events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        event_key text NOT NULL,
        entity text NOT NULL,
        type text NOT NULL,
        data jsonb NOT NULL,
        previous jsonb,
        occurred_at timestamptz NOT NULL,
        response jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_events_tenant_key ON events (tenant_id, event_key)`);
    // Executions outlive their rule (history), so rule_id carries no foreign key.
    await q.query(`
      CREATE TABLE executions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        rule_id uuid NOT NULL,
        rule_version integer NOT NULL,
        event_id text NOT NULL,
        parent_execution_id uuid,
        rerun_of uuid,
        workflow_id text NOT NULL UNIQUE,
        run_id text,
        trigger_type text NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        test_mode boolean NOT NULL DEFAULT false,
        actions jsonb NOT NULL DEFAULT '[]',
        error text,
        error_action text,
        input jsonb NOT NULL,
        dispatch_order integer NOT NULL DEFAULT 0,
        dispatched_at timestamptz,
        started_at timestamptz,
        completed_at timestamptz,
        duration_ms integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_executions_status CHECK (status IN ('pending','running','success','failed','partial','cancelled'))
      )`);
    await q.query(`CREATE INDEX idx_executions_tenant_created ON executions (tenant_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_executions_tenant_rule ON executions (tenant_id, rule_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_executions_tenant_event ON executions (tenant_id, event_id)`);
    await q.query(`CREATE INDEX idx_executions_undispatched ON executions (created_at) WHERE dispatched_at IS NULL`);
    await q.query(`
      CREATE TABLE deliveries (
        id uuid PRIMARY KEY,
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        webhook_id uuid,
        execution_id uuid,
        action_name text,
        event_type text NOT NULL,
        url text NOT NULL,
        status text NOT NULL DEFAULT 'pending',
        attempts jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        delivered_at timestamptz,
        CONSTRAINT ck_deliveries_status CHECK (status IN ('pending','retrying','success','failed'))
      )`);
    await q.query(`CREATE INDEX idx_deliveries_tenant_webhook ON deliveries (tenant_id, webhook_id, created_at DESC)`);
    await q.query(`CREATE INDEX idx_deliveries_execution ON deliveries (execution_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['deliveries', 'executions', 'events', 'rule_versions', 'rules', 'api_keys', 'tenants']) {
      await q.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
