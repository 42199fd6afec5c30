import type { AllocationLine, AllocationMode, AllocationStatus, AllocationView } from '@ruleflow/rules';
import type { DataSource, EntityManager } from 'typeorm';

export interface InventoryItemView {
  sku: string;
  quantityOnHand: number;
  quantityReserved: number;
  quantityAvailable: number;
}

export interface AllocateRequest {
  tenantId: string;
  idempotencyKey: string;
  orderId: string;
  lines: Array<{ sku: string; quantity: number }>;
  mode?: AllocationMode;
}

export interface AllocateOptions {
  /**
   * Try an allocation stored under the key that holds nothing again: `rejected` (a resumed run's
   * allocation that failed for want of stock) or `released` (returned by the compensation of a cancelled
   * run of the same resume chain). Holding nothing, a new try cannot reserve twice. Resumes only; never
   * set by the public API.
   */
  retryUnheld?: boolean;
}

/** A request that can never succeed as given (unknown sku, bad quantity): a 400, a non-retryable action failure. */
export class InventoryRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InventoryRequestError';
  }
}

/** A stock change that conflicts with the current reservations (on hand below reserved): a 409. */
export class InventoryConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InventoryConflictError';
  }
}

interface ItemRow {
  sku: string;
  quantity_on_hand: number;
  quantity_reserved: number;
}

interface AllocationRow {
  id: string;
  idempotency_key: string;
  order_id: string;
  status: AllocationStatus;
  lines: AllocationLine[];
  created_at: Date;
}

const ALLOCATION_COLUMNS = 'id, idempotency_key, order_id, status, lines, created_at';

function toItemView(row: ItemRow): InventoryItemView {
  return {
    sku: row.sku,
    quantityOnHand: row.quantity_on_hand,
    quantityReserved: row.quantity_reserved,
    quantityAvailable: row.quantity_on_hand - row.quantity_reserved,
  };
}

function toAllocationView(row: AllocationRow): AllocationView {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    orderId: row.order_id,
    status: row.status,
    lines: row.lines,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

/** Checks an allocation request's shape; throws InventoryRequestError naming the first problem. */
export function checkAllocateRequest(req: AllocateRequest): void {
  if (typeof req.idempotencyKey !== 'string' || req.idempotencyKey.length === 0 || req.idempotencyKey.length > 200)
    throw new InventoryRequestError('idempotencyKey must be a non-empty string of at most 200 characters');
  if (typeof req.orderId !== 'string' || req.orderId.length === 0)
    throw new InventoryRequestError('orderId must be a non-empty string');
  if (req.mode !== undefined && req.mode !== 'all_or_nothing' && req.mode !== 'partial')
    throw new InventoryRequestError('mode must be "all_or_nothing" or "partial"');
  if (!Array.isArray(req.lines) || req.lines.length === 0)
    throw new InventoryRequestError('lines must be a non-empty array');
  req.lines.forEach((line, i) => {
    if (typeof line?.sku !== 'string' || line.sku.length === 0)
      throw new InventoryRequestError(`lines[${i}].sku must be a non-empty string`);
    if (!Number.isInteger(line.quantity) || line.quantity <= 0)
      throw new InventoryRequestError(`lines[${i}].quantity must be a positive integer`);
  });
}

/** The part of InventoryRepository the inventory activities use (a fake in unit tests). */
export interface InventoryStore {
  allocate(req: AllocateRequest, options?: AllocateOptions): Promise<{ allocation: AllocationView; created: boolean }>;
  release(tenantId: string, idempotencyKey: string): Promise<AllocationView | null>;
  reacquire(tenantId: string, idempotencyKey: string): Promise<AllocationView | null>;
}

/**
 * Stock and allocations in PostgreSQL, shared by the gateway and the inventory activities. Every
 * change runs in one transaction that first serialises on the idempotency key (a transaction-scoped
 * advisory lock) and then locks the item rows in sku order, so concurrent requests never reserve
 * beyond on-hand stock, never deadlock on each other, and a repeated key never reserves twice.
 */
export class InventoryRepository implements InventoryStore {
  constructor(private readonly db: DataSource) {}

  /** Sets a SKU's on-hand quantity (creating the item); below what is reserved → InventoryConflictError. */
  async setOnHand(tenantId: string, sku: string, quantityOnHand: number): Promise<InventoryItemView> {
    if (!Number.isInteger(quantityOnHand) || quantityOnHand < 0)
      throw new InventoryRequestError('quantityOnHand must be a non-negative integer');
    const rows: ItemRow[] = await this.db.query(
      `INSERT INTO inventory_items (tenant_id, sku, quantity_on_hand) VALUES ($1, $2, $3)
       ON CONFLICT (tenant_id, sku) DO UPDATE SET quantity_on_hand = EXCLUDED.quantity_on_hand, updated_at = now()
         WHERE inventory_items.quantity_reserved <= EXCLUDED.quantity_on_hand
       RETURNING sku, quantity_on_hand, quantity_reserved`,
      [tenantId, sku, quantityOnHand],
    );
    if (rows[0]) return toItemView(rows[0]);
    const current = await this.getItem(tenantId, sku);
    throw new InventoryConflictError(
      `quantityOnHand ${quantityOnHand} is below the ${current?.quantityReserved ?? 'currently'} reserved units of sku "${sku}"`,
    );
  }

  async getItem(tenantId: string, sku: string): Promise<InventoryItemView | null> {
    const rows: ItemRow[] = await this.db.query(
      `SELECT sku, quantity_on_hand, quantity_reserved FROM inventory_items WHERE tenant_id = $1 AND sku = $2`,
      [tenantId, sku],
    );
    return rows[0] ? toItemView(rows[0]) : null;
  }

  async getAllocation(tenantId: string, idempotencyKey: string): Promise<AllocationView | null> {
    const rows: AllocationRow[] = await this.db.query(
      `SELECT ${ALLOCATION_COLUMNS} FROM inventory_allocations WHERE tenant_id = $1 AND idempotency_key = $2`,
      [tenantId, idempotencyKey],
    );
    return rows[0] ? toAllocationView(rows[0]) : null;
  }

  /**
   * Reserves stock for an order. `all_or_nothing` (default) reserves nothing (`rejected`) unless every
   * line fits; `partial` reserves what is available. A key seen before returns its stored allocation
   * with `created: false` and reserves nothing. Unknown skus → InventoryRequestError.
   * With `retryUnheld` (a resume), a stored allocation holding nothing (`rejected` or `released`) is
   * tried again under its key, with this request's lines and mode against today's stock: `created: true`
   * when it now reserves (`allocated` or `partial`), else it is `rejected` (`created: false`). Once held,
   * calls return it.
   */
  async allocate(
    req: AllocateRequest,
    options: AllocateOptions = {},
  ): Promise<{ allocation: AllocationView; created: boolean }> {
    checkAllocateRequest(req);
    const mode: AllocationMode = req.mode ?? 'all_or_nothing';
    return this.db.transaction(async (m) => {
      await lockKey(m, req.tenantId, req.idempotencyKey);
      const existing = await this.findLocked(m, req.tenantId, req.idempotencyKey);
      const retry =
        options.retryUnheld === true && (existing?.status === 'rejected' || existing?.status === 'released');
      if (existing && !retry) return { allocation: existing, created: false };

      const available = await lockItems(m, req.tenantId, req.lines);
      const unknown = [...new Set(req.lines.map((l) => l.sku))].filter((s) => !available.has(s));
      if (unknown.length) throw new InventoryRequestError(`unknown sku: ${unknown.map((s) => `"${s}"`).join(', ')}`);
      const { status, lines } = fit(req.lines, available, mode);
      await reserve(m, req.tenantId, lines, 1);
      if (retry) {
        // Held nothing, so reserving now cannot double-reserve; the key's lock serialises the tries.
        const [updated]: [AllocationRow[], number] = await m.query(
          `UPDATE inventory_allocations SET mode = $3, status = $4, lines = $5::jsonb, released_at = NULL
            WHERE tenant_id = $1 AND idempotency_key = $2 RETURNING ${ALLOCATION_COLUMNS}`,
          [req.tenantId, req.idempotencyKey, mode, status, JSON.stringify(lines)],
        );
        return { allocation: toAllocationView(updated[0]!), created: status !== 'rejected' };
      }
      const rows: AllocationRow[] = await m.query(
        `INSERT INTO inventory_allocations (tenant_id, idempotency_key, order_id, mode, status, lines)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING ${ALLOCATION_COLUMNS}`,
        [req.tenantId, req.idempotencyKey, req.orderId, mode, status, JSON.stringify(lines)],
      );
      return { allocation: toAllocationView(rows[0]!), created: true };
    });
  }

  /**
   * Returns an allocation's reserved stock, once: a released (or rejected) allocation is returned as it
   * is. Null when the key is unknown for this tenant.
   */
  async release(tenantId: string, idempotencyKey: string): Promise<AllocationView | null> {
    return this.db.transaction(async (m) => {
      await lockKey(m, tenantId, idempotencyKey);
      const existing = await this.findLocked(m, tenantId, idempotencyKey);
      if (!existing || existing.status === 'released' || existing.status === 'rejected') return existing;
      await lockItems(m, tenantId, existing.lines);
      await reserve(m, tenantId, existing.lines, -1);
      // TypeORM answers an UPDATE … RETURNING as [rows, affected].
      const [rows]: [AllocationRow[], number] = await m.query(
        `UPDATE inventory_allocations SET status = 'released', released_at = now()
          WHERE tenant_id = $1 AND idempotency_key = $2 RETURNING ${ALLOCATION_COLUMNS}`,
        [tenantId, idempotencyKey],
      );
      return toAllocationView(rows[0]!);
    });
  }

  /**
   * Reserves a `released` allocation's stock again, under its key: its stored lines (as requested) and
   * mode against what is available now, like a fresh allocation (`allocated`, `partial`, or `rejected`
   * reserving nothing; a sku no longer stocked counts as none available). Any other allocation is
   * returned unchanged, so a repeated call (an activity retry) never reserves twice. Null when the key
   * is unknown for this tenant. A resumed run holds the allocations it reuses with this (the
   * original's compensation released them).
   */
  async reacquire(tenantId: string, idempotencyKey: string): Promise<AllocationView | null> {
    return this.db.transaction(async (m) => {
      await lockKey(m, tenantId, idempotencyKey);
      const rows: Array<AllocationRow & { mode: AllocationMode }> = await m.query(
        `SELECT ${ALLOCATION_COLUMNS}, mode FROM inventory_allocations WHERE tenant_id = $1 AND idempotency_key = $2`,
        [tenantId, idempotencyKey],
      );
      const row = rows[0];
      if (!row || row.status !== 'released') return row ? toAllocationView(row) : null;
      const requested = row.lines.map((l) => ({ sku: l.sku, quantity: l.requested }));
      const { status, lines } = fit(requested, await lockItems(m, tenantId, requested), row.mode);
      await reserve(m, tenantId, lines, 1);
      const [updated]: [AllocationRow[], number] = await m.query(
        `UPDATE inventory_allocations SET status = $3, lines = $4::jsonb, released_at = NULL
          WHERE tenant_id = $1 AND idempotency_key = $2 RETURNING ${ALLOCATION_COLUMNS}`,
        [tenantId, idempotencyKey, status, JSON.stringify(lines)],
      );
      return toAllocationView(updated[0]!);
    });
  }

  private async findLocked(m: EntityManager, tenantId: string, key: string): Promise<AllocationView | null> {
    const rows: AllocationRow[] = await m.query(
      `SELECT ${ALLOCATION_COLUMNS} FROM inventory_allocations WHERE tenant_id = $1 AND idempotency_key = $2`,
      [tenantId, key],
    );
    return rows[0] ? toAllocationView(rows[0]) : null;
  }
}

/** Serialises every change under one idempotency key for the rest of the transaction. */
async function lockKey(m: EntityManager, tenantId: string, key: string): Promise<void> {
  await m.query(`SELECT pg_advisory_xact_lock(hashtext($1::text || ':' || $2::text))`, [tenantId, key]);
}

/** Locks the lines' item rows in sku order; what each existing sku has available. */
async function lockItems(
  m: EntityManager,
  tenantId: string,
  lines: Array<{ sku: string }>,
): Promise<Map<string, number>> {
  const skus = [...new Set(lines.map((l) => l.sku))].sort();
  const items: ItemRow[] = await m.query(
    `SELECT sku, quantity_on_hand, quantity_reserved FROM inventory_items
      WHERE tenant_id = $1 AND sku = ANY($2::text[]) ORDER BY sku FOR UPDATE`,
    [tenantId, skus],
  );
  return new Map(items.map((i) => [i.sku, i.quantity_on_hand - i.quantity_reserved]));
}

/**
 * What an allocation of `requested` gets from `available` (consumed): `all_or_nothing` reserves nothing
 * (`rejected`) unless every line fits; `partial` what is available. Lines naming the same sku share
 * its availability, in line order.
 */
function fit(
  requested: Array<{ sku: string; quantity: number }>,
  available: Map<string, number>,
  mode: AllocationMode,
): { status: AllocationStatus; lines: AllocationLine[] } {
  const lines: AllocationLine[] = requested.map((line) => {
    const left = available.get(line.sku) ?? 0;
    const allocated = Math.min(left, line.quantity);
    available.set(line.sku, left - allocated);
    return { sku: line.sku, requested: line.quantity, allocated };
  });
  let status: AllocationStatus;
  if (lines.every((l) => l.allocated === l.requested)) status = 'allocated';
  else if (mode === 'partial' && lines.some((l) => l.allocated > 0)) status = 'partial';
  else status = 'rejected';
  if (status === 'rejected') for (const l of lines) l.allocated = 0;
  return { status, lines };
}

/** Adds (sign 1) or returns (sign -1) the lines' allocated units to the items' reservations; rows already locked. */
async function reserve(m: EntityManager, tenantId: string, lines: AllocationLine[], sign: 1 | -1): Promise<void> {
  const totals = new Map<string, number>();
  for (const l of lines) if (l.allocated > 0) totals.set(l.sku, (totals.get(l.sku) ?? 0) + l.allocated);
  if (totals.size === 0) return;
  const skus = [...totals.keys()].sort();
  await m.query(
    `UPDATE inventory_items i SET quantity_reserved = i.quantity_reserved + d.delta, updated_at = now()
       FROM unnest($2::text[], $3::int[]) AS d(sku, delta)
      WHERE i.tenant_id = $1 AND i.sku = d.sku`,
    [tenantId, skus, skus.map((s) => sign * (totals.get(s) ?? 0))],
  );
}
