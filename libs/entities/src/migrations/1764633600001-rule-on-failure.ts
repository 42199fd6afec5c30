import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A rule's `onFailure` actions: run, in order, after a run ends `failed` or `partial` (after
 * compensation). Stored like `actions` (secrets sealed); every existing rule has none.
 */
export class RuleOnFailure1764633600001 implements MigrationInterface {
  name = 'RuleOnFailure1764633600001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rules ADD COLUMN on_failure jsonb NOT NULL DEFAULT '[]'::jsonb`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE rules DROP COLUMN IF EXISTS on_failure`);
  }
}
