import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Audit entries say where a change came from: the caller's IP address and User-Agent (null for older rows). */
export class AuditCaller1764547200001 implements MigrationInterface {
  name = 'AuditCaller1764547200001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_logs ADD COLUMN ip text, ADD COLUMN user_agent text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE audit_logs DROP COLUMN IF EXISTS ip, DROP COLUMN IF EXISTS user_agent`);
  }
}
