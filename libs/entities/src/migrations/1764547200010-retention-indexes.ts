import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Indexes for the daily retention (retention.repository.ts): each batch picks the oldest rows of
 * every tenant past a cut-off, so each table it sweeps by age needs an index on that age alone
 * (the existing ones lead with tenant_id). Alerts are swept only once resolved or dismissed.
 */
export class RetentionIndexes1764547200010 implements MigrationInterface {
  name = 'RetentionIndexes1764547200010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX IF NOT EXISTS idx_events_received_at ON events (received_at)`);
    await q.query(`CREATE INDEX IF NOT EXISTS idx_notifications_created_at ON notifications (created_at)`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS idx_alerts_ended ON alerts (updated_at) WHERE status IN ('resolved', 'dismissed')`,
    );
    await q.query(`CREATE INDEX IF NOT EXISTS idx_audit_logs_created_at ON audit_logs (created_at)`);
    await q.query(`CREATE INDEX IF NOT EXISTS idx_api_key_usage_window ON api_key_usage (window_start)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const index of [
      'idx_api_key_usage_window',
      'idx_audit_logs_created_at',
      'idx_alerts_ended',
      'idx_notifications_created_at',
      'idx_events_received_at',
    ]) {
      await q.query(`DROP INDEX IF EXISTS ${index}`);
    }
  }
}
