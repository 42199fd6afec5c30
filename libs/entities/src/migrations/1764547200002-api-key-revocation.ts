import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Keys can now be disabled and enabled again (`PATCH /v1/api-keys/:id {"enabled"}`), so a revocation
 * (`DELETE`) is recorded apart, and is final: `revoked_at`. Until now the only way to turn a key off was
 * to revoke it, so every disabled key is a revoked one.
 */
export class ApiKeyRevocation1764547200002 implements MigrationInterface {
  name = 'ApiKeyRevocation1764547200002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE api_keys ADD COLUMN revoked_at timestamptz`);
    await q.query(`UPDATE api_keys SET revoked_at = now() WHERE NOT enabled`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE api_keys SET enabled = false WHERE revoked_at IS NOT NULL`);
    await q.query(`ALTER TABLE api_keys DROP COLUMN IF EXISTS revoked_at`);
  }
}
