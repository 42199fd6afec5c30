import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Inventory: stock per tenant and SKU (reserved is kept within 0..on hand by a CHECK, so even a bug in
 * the service cannot over-reserve) and allocations stored under a per-tenant idempotency key.
 */
export class Inventory1764028800002 implements MigrationInterface {
  name = 'Inventory1764028800002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE inventory_items (
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        sku text NOT NULL,
        quantity_on_hand integer NOT NULL CHECK (quantity_on_hand >= 0),
        quantity_reserved integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, sku),
        CONSTRAINT ck_inventory_items_reserved CHECK (quantity_reserved >= 0 AND quantity_reserved <= quantity_on_hand)
      )`);
    await q.query(`
      CREATE TABLE inventory_allocations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        idempotency_key text NOT NULL,
        order_id text NOT NULL,
        mode text NOT NULL CHECK (mode IN ('all_or_nothing', 'partial')),
        status text NOT NULL CHECK (status IN ('allocated', 'partial', 'rejected', 'released')),
        lines jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        released_at timestamptz
      )`);
    await q.query(
      `CREATE UNIQUE INDEX uq_inventory_allocations_tenant_key ON inventory_allocations (tenant_id, idempotency_key)`,
    );
    await q.query(`CREATE INDEX ix_inventory_allocations_order ON inventory_allocations (tenant_id, order_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS inventory_allocations`);
    await q.query(`DROP TABLE IF EXISTS inventory_items`);
  }
}
