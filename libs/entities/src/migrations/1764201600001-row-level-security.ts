import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Tables with a `tenant_id` column: a row is visible to its tenant and to the system scope. */
const TENANT_TABLES = [
  'api_keys',
  'rules',
  'rule_versions',
  'events',
  'executions',
  'deliveries',
  'rule_dependencies',
  'action_templates',
  'registered_entities',
  'captured_changes',
  'notifications',
  'alerts',
  'inventory_items',
  'inventory_allocations',
  'audit_logs',
];

/** Tables whose rows belong to a parent row: visible exactly when the parent is. */
const CHILD_TABLES: Array<{ table: string; parent: string; column: string }> = [
  { table: 'alert_recipients', parent: 'alerts', column: 'alert_id' },
  { table: 'alert_acknowledgments', parent: 'alerts', column: 'alert_id' },
  { table: 'api_key_usage', parent: 'api_keys', column: 'api_key_id' },
];

/**
 * Row-level security on every tenant-owned table, as defence in depth behind the application's own
 * `WHERE tenant_id = …`: a query that forgets its tenant sees nothing of other tenants.
 *
 * Each transaction declares its scope (libs/entities/src/db-scope.ts): `ruleflow.scope` = 'tenant' with
 * `ruleflow.tenant_id`, or 'system' for background work. Neither set: no rows. FORCE applies the
 * policies to the tables' owner too; only superusers and BYPASSRLS roles skip them, and the
 * application must not connect as one (the gateway and worker warn at start when they do).
 */
export class RowLevelSecurity1764201600001 implements MigrationInterface {
  name = 'RowLevelSecurity1764201600001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION ruleflow_tenant_visible(row_tenant uuid) RETURNS boolean
      LANGUAGE sql STABLE AS $fn$
        SELECT current_setting('ruleflow.scope', true) = 'system'
            OR row_tenant = NULLIF(current_setting('ruleflow.tenant_id', true), '')::uuid
      $fn$`);
    await isolate(q, 'tenants', 'ruleflow_tenant_visible(id)');
    for (const table of TENANT_TABLES) await isolate(q, table, 'ruleflow_tenant_visible(tenant_id)');
    for (const { table, parent, column } of CHILD_TABLES) {
      await isolate(q, table, `EXISTS (SELECT 1 FROM ${parent} p WHERE p.id = ${table}.${column})`);
    }
    // Change capture runs in the writer's transaction, whoever the writer is: the trigger declares the
    // captured table's tenant for its own insert, then gives the writer its own scope back.
    await q.query(`
      CREATE OR REPLACE FUNCTION ruleflow_capture_row() RETURNS trigger
      LANGUAGE plpgsql AS $fn$
      DECLARE
        writer_scope text := coalesce(current_setting('ruleflow.scope', true), '');
        writer_tenant text := coalesce(current_setting('ruleflow.tenant_id', true), '');
      BEGIN
        PERFORM set_config('ruleflow.scope', 'tenant', true), set_config('ruleflow.tenant_id', TG_ARGV[0], true);
        IF TG_OP = 'INSERT' THEN
          INSERT INTO captured_changes (tenant_id, entity, type, data, previous)
          VALUES (TG_ARGV[0]::uuid, TG_ARGV[1], 'on_create', to_jsonb(NEW), NULL);
        ELSIF TG_OP = 'UPDATE' THEN
          INSERT INTO captured_changes (tenant_id, entity, type, data, previous)
          VALUES (TG_ARGV[0]::uuid, TG_ARGV[1], 'on_update', to_jsonb(NEW), to_jsonb(OLD));
        ELSE
          INSERT INTO captured_changes (tenant_id, entity, type, data, previous)
          VALUES (TG_ARGV[0]::uuid, TG_ARGV[1], 'on_delete', to_jsonb(OLD), NULL);
        END IF;
        PERFORM set_config('ruleflow.scope', writer_scope, true), set_config('ruleflow.tenant_id', writer_tenant, true);
        PERFORM pg_notify('ruleflow_captured', '');
        RETURN NULL;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE OR REPLACE FUNCTION ruleflow_capture_row() RETURNS trigger
      LANGUAGE plpgsql AS $fn$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO captured_changes (tenant_id, entity, type, data, previous)
          VALUES (TG_ARGV[0]::uuid, TG_ARGV[1], 'on_create', to_jsonb(NEW), NULL);
        ELSIF TG_OP = 'UPDATE' THEN
          INSERT INTO captured_changes (tenant_id, entity, type, data, previous)
          VALUES (TG_ARGV[0]::uuid, TG_ARGV[1], 'on_update', to_jsonb(NEW), to_jsonb(OLD));
        ELSE
          INSERT INTO captured_changes (tenant_id, entity, type, data, previous)
          VALUES (TG_ARGV[0]::uuid, TG_ARGV[1], 'on_delete', to_jsonb(OLD), NULL);
        END IF;
        PERFORM pg_notify('ruleflow_captured', '');
        RETURN NULL;
      END
      $fn$`);
    const tables = ['tenants', ...TENANT_TABLES, ...CHILD_TABLES.map((c) => c.table)];
    for (const table of tables.reverse()) {
      await q.query(`DROP POLICY IF EXISTS tenant_isolation ON ${table}`);
      await q.query(`ALTER TABLE ${table} NO FORCE ROW LEVEL SECURITY`);
      await q.query(`ALTER TABLE ${table} DISABLE ROW LEVEL SECURITY`);
    }
    await q.query(`DROP FUNCTION IF EXISTS ruleflow_tenant_visible(uuid)`);
  }
}

async function isolate(q: QueryRunner, table: string, visible: string): Promise<void> {
  await q.query(`ALTER TABLE ${table} ENABLE ROW LEVEL SECURITY`);
  await q.query(`ALTER TABLE ${table} FORCE ROW LEVEL SECURITY`);
  await q.query(`CREATE POLICY tenant_isolation ON ${table} USING (${visible}) WITH CHECK (${visible})`);
}
