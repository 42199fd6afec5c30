import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Phone lines: a telephony provider's number (Twilio) whose calls drive a tenant's IVR menu. The
 * provider's auth token is sealed (`enc:v1:…`); of the voice/status URL token only its SHA-256 and
 * first characters are kept (the token itself is derived again from the encryption key and the line id).
 * `menu_id` names a menu of the same tenant (checked by the gateway; no foreign key, so deleting a menu
 * is the menus' concern and a line on a deleted menu answers with a hangup).
 */
export class IvrLines1764460800002 implements MigrationInterface {
  name = 'IvrLines1764460800002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ivr_lines (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        name text NOT NULL,
        menu_id uuid NOT NULL,
        provider text NOT NULL DEFAULT 'twilio' CHECK (provider IN ('twilio')),
        account_sid text NOT NULL,
        auth_token text NOT NULL,
        phone_number text NOT NULL,
        token_hash text NOT NULL,
        token_prefix text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE UNIQUE INDEX uq_ivr_lines_token_hash ON ivr_lines (token_hash)`);
    await q.query(`CREATE INDEX idx_ivr_lines_tenant_created ON ivr_lines (tenant_id, created_at DESC, id DESC)`);
    await q.query(`ALTER TABLE ivr_lines ENABLE ROW LEVEL SECURITY`);
    await q.query(`ALTER TABLE ivr_lines FORCE ROW LEVEL SECURITY`);
    await q.query(`
      CREATE POLICY tenant_isolation ON ivr_lines
      USING (ruleflow_tenant_visible(tenant_id)) WITH CHECK (ruleflow_tenant_visible(tenant_id))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS ivr_lines`);
  }
}
