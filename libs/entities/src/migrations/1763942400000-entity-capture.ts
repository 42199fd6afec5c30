import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Registered entities and change capture: a row trigger (one per captured table and tenant) writes each
 * INSERT/UPDATE/DELETE to `captured_changes` in the writer's own transaction, so a change is captured
 * exactly when it commits; the gateway turns those rows into events.
 */
export class EntityCapture1763942400000 implements MigrationInterface {
  name = 'EntityCapture1763942400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE registered_entities (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        schema_name text NOT NULL DEFAULT 'public',
        type text NOT NULL CHECK (type IN ('table', 'view')),
        capture boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE UNIQUE INDEX uq_registered_entities_tenant_table ON registered_entities (tenant_id, schema_name, name)`,
    );
    await q.query(`
      CREATE TABLE captured_changes (
        id bigserial PRIMARY KEY,
        tenant_id uuid NOT NULL,
        entity text NOT NULL,
        type text NOT NULL,
        data jsonb NOT NULL,
        previous jsonb,
        captured_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    // TG_ARGV: tenant id, entity name. NEW/OLD become the event's data/previous.
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
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION IF EXISTS ruleflow_capture_row() CASCADE`);
    await q.query(`DROP TABLE IF EXISTS captured_changes`);
    await q.query(`DROP TABLE IF EXISTS registered_entities`);
  }
}
