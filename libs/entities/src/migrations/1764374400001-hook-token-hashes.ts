import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Hook tokens (`/v1/hooks/<token>`) are bearer credentials: keep only their SHA-256 (hex) and the
 * first characters for display. Existing tokens are hashed in place, so their hook URLs keep
 * working; the versions' recorded `trigger.hookUrl` is masked the way responses show it.
 */
export class HookTokenHashes1764374400001 implements MigrationInterface {
  name = 'HookTokenHashes1764374400001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rules ADD COLUMN hook_token_hash text, ADD COLUMN hook_token_prefix text`);
    await q.query(
      `UPDATE rules SET hook_token_hash = encode(sha256(convert_to(hook_token, 'UTF8')), 'hex'),
                        hook_token_prefix = left(hook_token, 6)
        WHERE hook_token IS NOT NULL`,
    );
    await q.query(
      `UPDATE rule_versions
          SET rule = jsonb_set(rule, '{trigger,hookUrl}',
                to_jsonb('/v1/hooks/' || left(substr(rule #>> '{trigger,hookUrl}', 11), 6) || '********'))
        WHERE rule #>> '{trigger,hookUrl}' LIKE '/v1/hooks/%' AND rule #>> '{trigger,hookUrl}' NOT LIKE '%*'`,
    );
    await q.query(`DROP INDEX IF EXISTS uq_rules_hook_token`);
    await q.query(`ALTER TABLE rules DROP COLUMN hook_token`);
    await q.query(
      `CREATE UNIQUE INDEX uq_rules_hook_token_hash ON rules (hook_token_hash) WHERE hook_token_hash IS NOT NULL`,
    );
  }

  /** The clear tokens are gone: webhook rules come back without one (rotate their hook after an upgrade again). */
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS uq_rules_hook_token_hash`);
    await q.query(`ALTER TABLE rules DROP COLUMN IF EXISTS hook_token_hash, DROP COLUMN IF EXISTS hook_token_prefix`);
    await q.query(`ALTER TABLE rules ADD COLUMN hook_token text`);
    await q.query(`CREATE UNIQUE INDEX uq_rules_hook_token ON rules (hook_token) WHERE hook_token IS NOT NULL`);
  }
}
