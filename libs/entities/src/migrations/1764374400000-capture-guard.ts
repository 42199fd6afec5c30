import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The capture trigger function. Without `skipRuleflowWrites` it is the one migration 1764201600001 left
 * (restored by `down`); with it, a change written by a transaction that declared a Ruleflow scope is skipped.
 */
function captureRowFunction(skipRuleflowWrites: boolean): string {
  const skip = skipRuleflowWrites
    ? `IF writer_scope <> '' THEN
         RETURN NULL; -- Ruleflow's own write (see CaptureGuard1764374400000): never captured.
       END IF;`
    : '';
  return `
    CREATE OR REPLACE FUNCTION ruleflow_capture_row() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
    DECLARE
      writer_scope text := coalesce(current_setting('ruleflow.scope', true), '');
      writer_tenant text := coalesce(current_setting('ruleflow.tenant_id', true), '');
    BEGIN
      ${skip}
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
    $fn$`;
}

/**
 * Change capture never reads Ruleflow's own data, never feeds Ruleflow's own writes back to it, and a
 * table has at most one capturing tenant.
 *
 * - The capture trigger skips a change written by a transaction that declared a Ruleflow scope
 *   (`ruleflow.scope`, set by every transaction the gateway and the worker open, db-scope.ts): such a
 *   write is Ruleflow's own (a rule's run, through an application trigger on one of our tables), and
 *   capturing it would let a rule fire itself without bound. Application writes declare no scope.
 * - Registrations that the gateway now refuses are removed with their triggers: those on Ruleflow's
 *   own tables (here: every table under a `tenant_isolation` policy, and the migrations table) and in
 *   system schemas; of several tenants capturing one table, only the first keeps its capture.
 * - A partial unique index makes "a table already captured by another tenant" a constraint that row-level
 *   security cannot hide (the gateway answers 409).
 */
export class CaptureGuard1764374400000 implements MigrationInterface {
  name = 'CaptureGuard1764374400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(captureRowFunction(true));

    const migrationsTable = q.connection.options.migrationsTableName ?? 'migrations';
    // Registrations to remove entirely (own tables, system schemas), then captures to turn off (every
    // capture of a table but its first).
    const forbidden: Array<{ id: string; rel: string | null; capture: boolean }> = await q.query(
      `SELECT e.id, t.rel::text AS rel, e.capture
         FROM registered_entities e
         CROSS JOIN LATERAL (SELECT to_regclass(format('%I.%I', e.schema_name, e.name)) AS rel) t
        WHERE e.schema_name ~* '^(pg_|information_schema$)'
           OR EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = t.rel AND p.polname = 'tenant_isolation')
           OR (t.rel IS NOT NULL AND t.rel = to_regclass(quote_ident($1)))`,
      [migrationsTable],
    );
    const duplicates: Array<{ id: string; rel: string | null; capture: boolean }> = await q.query(
      `SELECT id, to_regclass(format('%I.%I', schema_name, name))::text AS rel, capture
         FROM (SELECT e.*, row_number() OVER (PARTITION BY schema_name, name ORDER BY created_at, id) AS n
                 FROM registered_entities e WHERE capture) d
        WHERE n > 1 AND id <> ALL($1::uuid[])`,
      [forbidden.map((f) => f.id)],
    );
    for (const e of [...forbidden, ...duplicates]) {
      if (e.capture && e.rel) {
        await q.query(`DROP TRIGGER IF EXISTS ruleflow_capture_${e.id.replace(/-/g, '')} ON ${e.rel}`);
      }
    }
    if (forbidden.length) {
      const ids = forbidden.map((f) => f.id);
      // Changes they already queued are other tenants' rows: dropped, never ingested.
      await q.query(
        `DELETE FROM captured_changes c USING registered_entities e
          WHERE e.id = ANY($1::uuid[]) AND c.tenant_id = e.tenant_id AND c.entity = e.name`,
        [ids],
      );
      await q.query(`DELETE FROM registered_entities WHERE id = ANY($1::uuid[])`, [ids]);
    }
    if (duplicates.length) {
      await q.query(`UPDATE registered_entities SET capture = false WHERE id = ANY($1::uuid[])`, [
        duplicates.map((d) => d.id),
      ]);
    }
    await q.query(
      `CREATE UNIQUE INDEX uq_registered_entities_captured_table ON registered_entities (schema_name, name) WHERE capture`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS uq_registered_entities_captured_table`);
    await q.query(captureRowFunction(false));
  }
}
