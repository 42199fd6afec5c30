import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Why an endpoint delivery ended failed (`deliveries.error`): the endpoint was deleted or disabled
 * before the attempt, its transform failed, the receiver refused it, or the retry window was spent.
 * Null while pending, retrying or delivered, and for rule actions (their attempts carry the errors).
 *
 * Also an index for the retention cleanup of ended endpoint deliveries (by `updated_at`, the time
 * the delivery ended), so each batch reads the oldest rows without scanning the whole table.
 */
export class DeliveryError1764288000001 implements MigrationInterface {
  name = 'DeliveryError1764288000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deliveries ADD COLUMN error text`);
    await q.query(
      `CREATE INDEX idx_deliveries_endpoint_ended ON deliveries (updated_at)
       WHERE source = 'endpoint' AND status IN ('success', 'failed')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idx_deliveries_endpoint_ended`);
    await q.query(`ALTER TABLE deliveries DROP COLUMN IF EXISTS error`);
  }
}
