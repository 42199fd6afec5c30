import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log of changes made through the API. No foreign key on `api_key_id`: a revoked or
 * deleted key keeps its history. Read newest first per tenant, or per resource.
 */
export class AuditLogs1764201600000 implements MigrationInterface {
  name = 'AuditLogs1764201600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_logs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        api_key_id uuid,
        action text NOT NULL,
        resource_type text NOT NULL,
        resource_id text,
        details jsonb NOT NULL DEFAULT '{}',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX idx_audit_logs_tenant_created ON audit_logs (tenant_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX idx_audit_logs_tenant_resource ON audit_logs (tenant_id, resource_type, resource_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS audit_logs`);
  }
}
