import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * IVR menus: a prompt and up to one item per key (`items` jsonb: `{digit, label, action, target}`),
 * with their timeout and retry settings. `version` counts the edits (a running session keeps the
 * snapshot it started with). `parent_menu_id` is the menu's place in the tenant's hierarchy (same
 * tenant, no cycle: checked by the gateway); the foreign key keeps a parent from disappearing.
 * The GIN index serves "which menus name this one as a submenu target" (deleting a menu).
 */
export class IvrMenus1764460800000 implements MigrationInterface {
  name = 'IvrMenus1764460800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ivr_menus (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        prompt text NOT NULL,
        items jsonb NOT NULL DEFAULT '[]'::jsonb,
        timeout_ms integer NOT NULL DEFAULT 10000,
        max_retries integer NOT NULL DEFAULT 3,
        invalid_prompt text,
        timeout_prompt text,
        parent_menu_id uuid REFERENCES ivr_menus(id) ON DELETE RESTRICT,
        version integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_ivr_menus_tenant_created ON ivr_menus (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX idx_ivr_menus_parent ON ivr_menus (parent_menu_id) WHERE parent_menu_id IS NOT NULL`);
    await q.query(`CREATE INDEX idx_ivr_menus_items ON ivr_menus USING gin (items jsonb_path_ops)`);
    await q.query(`ALTER TABLE ivr_menus ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE ivr_menus FORCE ROW LEVEL SECURITY`);
    await q.query(`
      CREATE POLICY tenant_isolation ON ivr_menus
      USING (ruleflow_tenant_visible(tenant_id)) WITH CHECK (ruleflow_tenant_visible(tenant_id))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ivr_menus`);
  }
}
