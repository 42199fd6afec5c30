import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-key request counters by hour, in PostgreSQL so a rate limit holds across every gateway process. */
export class ApiKeyUsage1764115200000 implements MigrationInterface {
  name = 'ApiKeyUsage1764115200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE api_key_usage (
        api_key_id uuid NOT NULL REFERENCES api_keys(id) ON DELETE CASCADE,
        window_start timestamptz NOT NULL,
        count integer NOT NULL,
        PRIMARY KEY (api_key_id, window_start)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS api_key_usage`);
  }
}
