import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Rule dependencies (the DAG), action templates, and the secret token of `webhook`-triggered rules. */
export class RuleGraphAndTemplates1763856000000 implements MigrationInterface {
  name = 'RuleGraphAndTemplates1763856000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rule_dependencies (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        parent_rule_id uuid NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
        child_rule_id uuid NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_rule_dependencies_not_self CHECK (parent_rule_id <> child_rule_id)
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_rule_dependencies_edge ON rule_dependencies (parent_rule_id, child_rule_id)`);
    await q.query(`CREATE INDEX idx_rule_dependencies_child ON rule_dependencies (child_rule_id)`);
    await q.query(`
      CREATE TABLE action_templates (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        description text,
        action_type text NOT NULL,
        default_config jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_action_templates_tenant_name ON action_templates (tenant_id, name)`);
    await q.query(`ALTER TABLE rules ADD COLUMN hook_token text`);
    await q.query(`CREATE UNIQUE INDEX uq_rules_hook_token ON rules (hook_token) WHERE hook_token IS NOT NULL`);
    await q.query(`CREATE INDEX idx_executions_tenant_status ON executions (tenant_id, status, created_at DESC)`);
    await q.query(`CREATE INDEX idx_executions_rerun_of ON executions (rerun_of) WHERE rerun_of IS NOT NULL`);
    await q.query(
      `CREATE INDEX idx_executions_parent ON executions (parent_execution_id) WHERE parent_execution_id IS NOT NULL`,
    );
    // Retention deletes the oldest ended runs in batches.
    await q.query(
      `CREATE INDEX idx_executions_ended ON executions (status, completed_at) WHERE completed_at IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idx_executions_ended`);
    await q.query(`DROP INDEX IF EXISTS idx_executions_parent`);
    await q.query(`DROP INDEX IF EXISTS idx_executions_rerun_of`);
    await q.query(`DROP INDEX IF EXISTS idx_executions_tenant_status`);
    await q.query(`ALTER TABLE rules DROP COLUMN IF EXISTS hook_token`);
    await q.query(`DROP TABLE IF EXISTS action_templates`);
    await q.query(`DROP TABLE IF EXISTS rule_dependencies`);
  }
}
