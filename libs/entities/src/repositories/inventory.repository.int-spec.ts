import { randomUUID } from 'node:crypto';
import { createDataSource } from '../data-source';
import { insertTenants, openTestDataSource } from '@ruleflow/testing';
import type { DataSource } from 'typeorm';
import { InventoryConflictError, InventoryRequestError, InventoryRepository } from './inventory.repository';

describe('InventoryRepository (real PostgreSQL)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  // A pool as wide as the concurrent callers, so they really overlap in PostgreSQL.
  let wide: DataSource;
  let inventory: InventoryRepository;
  let tenantId: string;
  let otherTenantId: string;

  beforeAll(async () => {
    testDb = await openTestDataSource('inventory-repository-spec');
    wide = createDataSource({
      url: testDb.database.url,
      poolSize: 20,
      applicationName: 'inventory-spec-wide',
      systemByDefault: true,
    });
    await wide.initialize();
    inventory = new InventoryRepository(wide);
    [tenantId, otherTenantId] = (await insertTenants(testDb.db, 2)) as [string, string];
  });
  afterAll(async () => {
    await wide?.destroy();
    await testDb?.close();
  });

  const sku = () => `sku-${randomUUID().slice(0, 8)}`;
  const key = () => `key-${randomUUID()}`;

  it('sets stock, reports availability and refuses on-hand below reserved', async () => {
    const s = sku();
    expect(await inventory.setOnHand(tenantId, s, 10)).toEqual({
      sku: s,
      quantityOnHand: 10,
      quantityReserved: 0,
      quantityAvailable: 10,
    });
    await inventory.allocate({ tenantId, idempotencyKey: key(), orderId: 'o1', lines: [{ sku: s, quantity: 7 }] });
    await expect(inventory.setOnHand(tenantId, s, 6)).rejects.toBeInstanceOf(InventoryConflictError);
    expect(await inventory.setOnHand(tenantId, s, 7)).toMatchObject({ quantityReserved: 7, quantityAvailable: 0 });
    expect(await inventory.getItem(otherTenantId, s)).toBeNull();
  });

  it('never reserves beyond on hand under 20 concurrent allocations of the last units', async () => {
    const s = sku();
    await inventory.setOnHand(tenantId, s, 5);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        inventory.allocate({ tenantId, idempotencyKey: key(), orderId: `o${i}`, lines: [{ sku: s, quantity: 1 }] }),
      ),
    );
    const statuses = results.map((r) => r.allocation.status);
    expect(statuses.filter((st) => st === 'allocated')).toHaveLength(5);
    expect(statuses.filter((st) => st === 'rejected')).toHaveLength(15);
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 5, quantityAvailable: 0 });
  });

  it('does not deadlock when concurrent multi-line orders name the skus in opposite orders', async () => {
    const a = sku();
    const b = sku();
    await inventory.setOnHand(tenantId, a, 10);
    await inventory.setOnHand(tenantId, b, 10);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        inventory.allocate({
          tenantId,
          idempotencyKey: key(),
          orderId: `o${i}`,
          lines:
            i % 2
              ? [
                  { sku: a, quantity: 1 },
                  { sku: b, quantity: 1 },
                ]
              : [
                  { sku: b, quantity: 1 },
                  { sku: a, quantity: 1 },
                ],
        }),
      ),
    );
    expect(results.filter((r) => r.allocation.status === 'allocated')).toHaveLength(10);
    expect(await inventory.getItem(tenantId, a)).toMatchObject({ quantityReserved: 10 });
    expect(await inventory.getItem(tenantId, b)).toMatchObject({ quantityReserved: 10 });
  });

  it('reserves once for the same key, also when 20 requests with it race', async () => {
    const s = sku();
    const k = key();
    await inventory.setOnHand(tenantId, s, 100);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        inventory.allocate({ tenantId, idempotencyKey: k, orderId: 'o-same', lines: [{ sku: s, quantity: 3 }] }),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.allocation.id)).size).toBe(1);
    expect(results[0]!.allocation).toMatchObject({ idempotencyKey: k, status: 'allocated' });
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 3 });
    // The same key of another tenant is another allocation.
    await inventory.setOnHand(otherTenantId, s, 5);
    const theirs = await inventory.allocate({
      tenantId: otherTenantId,
      idempotencyKey: k,
      orderId: 'o-same',
      lines: [{ sku: s, quantity: 1 }],
    });
    expect(theirs.created).toBe(true);
  });

  it('all_or_nothing rejects unless every line fits; partial allocates what is available', async () => {
    const a = sku();
    const b = sku();
    await inventory.setOnHand(tenantId, a, 5);
    await inventory.setOnHand(tenantId, b, 2);
    const lines = [
      { sku: a, quantity: 4 },
      { sku: b, quantity: 3 },
    ];
    const rejected = await inventory.allocate({ tenantId, idempotencyKey: key(), orderId: 'o', lines });
    expect(rejected.allocation).toMatchObject({
      status: 'rejected',
      lines: [
        { sku: a, requested: 4, allocated: 0 },
        { sku: b, requested: 3, allocated: 0 },
      ],
    });
    expect(await inventory.getItem(tenantId, a)).toMatchObject({ quantityReserved: 0 });

    const partial = await inventory.allocate({ tenantId, idempotencyKey: key(), orderId: 'o', lines, mode: 'partial' });
    expect(partial.allocation).toMatchObject({
      status: 'partial',
      lines: [
        { sku: a, requested: 4, allocated: 4 },
        { sku: b, requested: 3, allocated: 2 },
      ],
    });
    expect(await inventory.getItem(tenantId, a)).toMatchObject({ quantityReserved: 4, quantityAvailable: 1 });
    expect(await inventory.getItem(tenantId, b)).toMatchObject({ quantityReserved: 2, quantityAvailable: 0 });
  });

  it('refuses unknown skus (also another tenant’s) and non-positive quantities, reserving nothing', async () => {
    const s = sku();
    await inventory.setOnHand(otherTenantId, s, 5);
    await expect(
      inventory.allocate({ tenantId, idempotencyKey: key(), orderId: 'o', lines: [{ sku: s, quantity: 1 }] }),
    ).rejects.toThrow(InventoryRequestError);
    await inventory.setOnHand(tenantId, s, 5);
    await expect(
      inventory.allocate({ tenantId, idempotencyKey: key(), orderId: 'o', lines: [{ sku: s, quantity: 0 }] }),
    ).rejects.toThrow(InventoryRequestError);
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 0 });
  });

  it('releases the reserved stock once, also under concurrent releases', async () => {
    const s = sku();
    const k = key();
    await inventory.setOnHand(tenantId, s, 10);
    await inventory.allocate({ tenantId, idempotencyKey: k, orderId: 'o', lines: [{ sku: s, quantity: 6 }] });
    // Another order holds stock too: a double release would eat into it (or trip the CHECK).
    await inventory.allocate({ tenantId, idempotencyKey: key(), orderId: 'o2', lines: [{ sku: s, quantity: 2 }] });
    const released = await Promise.all(Array.from({ length: 10 }, () => inventory.release(tenantId, k)));
    expect(released.every((r) => r?.status === 'released')).toBe(true);
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 2, quantityAvailable: 8 });
    expect(await inventory.release(tenantId, k)).toMatchObject({ status: 'released' });
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 2 });
    expect(await inventory.release(otherTenantId, k)).toBeNull();
    expect(await inventory.getAllocation(tenantId, k)).toMatchObject({ status: 'released', orderId: 'o' });
  });

  it('reserves a released allocation again under its key, once, also under concurrent calls', async () => {
    const s = sku();
    const k = key();
    await inventory.setOnHand(tenantId, s, 10);
    const { allocation } = await inventory.allocate({
      tenantId,
      idempotencyKey: k,
      orderId: 'o',
      lines: [{ sku: s, quantity: 6 }],
    });
    await inventory.release(tenantId, k);
    const again = await Promise.all(Array.from({ length: 10 }, () => inventory.reacquire(tenantId, k)));
    expect(again.every((a) => a?.status === 'allocated')).toBe(true);
    expect(again[0]).toEqual(allocation);
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 6, quantityAvailable: 4 });
    // Held: unchanged, nothing reserved; released again it is released once.
    expect(await inventory.reacquire(tenantId, k)).toEqual(allocation);
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 6 });
    await inventory.release(tenantId, k);
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 0 });
    expect(await inventory.reacquire(otherTenantId, k)).toBeNull();
    expect(await inventory.reacquire(tenantId, key())).toBeNull();
  });

  it('reacquires like a fresh allocation when the stock is gone: rejected (all_or_nothing) or partial', async () => {
    const s = sku();
    const [whole, part] = [key(), key()];
    await inventory.setOnHand(tenantId, s, 10);
    const lines = [{ sku: s, quantity: 4 }];
    await inventory.allocate({ tenantId, idempotencyKey: whole, orderId: 'w', lines });
    await inventory.allocate({ tenantId, idempotencyKey: part, orderId: 'p', lines, mode: 'partial' });
    await inventory.release(tenantId, whole);
    await inventory.release(tenantId, part);
    // Another order takes all but 3 units.
    await inventory.allocate({ tenantId, idempotencyKey: key(), orderId: 'x', lines: [{ sku: s, quantity: 7 }] });

    expect(await inventory.reacquire(tenantId, whole)).toMatchObject({
      status: 'rejected',
      lines: [{ sku: s, requested: 4, allocated: 0 }],
    });
    expect(await inventory.reacquire(tenantId, part)).toMatchObject({
      status: 'partial',
      lines: [{ sku: s, requested: 4, allocated: 3 }],
    });
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 10, quantityAvailable: 0 });
    // Retried: returned as they are, nothing more reserved; releasing the partial one returns its 3 units.
    expect(await inventory.reacquire(tenantId, whole)).toMatchObject({ status: 'rejected' });
    expect(await inventory.reacquire(tenantId, part)).toMatchObject({ status: 'partial' });
    expect(await inventory.release(tenantId, part)).toMatchObject({ status: 'released' });
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 7 });
  });

  it('retries a rejected allocation under its key only when asked (a resume), once, also under concurrent calls', async () => {
    const s = sku();
    const k = key();
    await inventory.setOnHand(tenantId, s, 2);
    const req = { tenantId, idempotencyKey: k, orderId: 'o', lines: [{ sku: s, quantity: 5 }] };
    const first = await inventory.allocate(req);
    expect(first).toMatchObject({ created: true, allocation: { status: 'rejected' } });
    await inventory.setOnHand(tenantId, s, 10);
    // Without the option the stored answer stays (the public API's idempotency).
    expect(await inventory.allocate(req)).toEqual({ allocation: first.allocation, created: false });
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 0 });

    const again = await Promise.all(Array.from({ length: 10 }, () => inventory.allocate(req, { retryUnheld: true })));
    expect(again.filter((r) => r.created)).toHaveLength(1);
    for (const r of again) {
      expect(r.allocation).toMatchObject({
        id: first.allocation.id,
        idempotencyKey: k,
        status: 'allocated',
        lines: [{ sku: s, requested: 5, allocated: 5 }],
      });
    }
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 5, quantityAvailable: 5 });
    expect(await inventory.getAllocation(tenantId, k)).toMatchObject({ status: 'allocated' });
    // Held now: returned as it is, nothing more reserved.
    expect(await inventory.allocate(req, { retryUnheld: true })).toMatchObject({
      created: false,
      allocation: { status: 'allocated' },
    });
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 5 });
  });

  it('a retried allocation short of stock stays rejected, reserving nothing; partial takes what is there; released is retried too', async () => {
    const s = sku();
    const [whole, part] = [key(), key()];
    await inventory.setOnHand(tenantId, s, 1);
    const lines = [{ sku: s, quantity: 4 }];
    await inventory.allocate({ tenantId, idempotencyKey: whole, orderId: 'w', lines });
    await inventory.allocate({ tenantId, idempotencyKey: part, orderId: 'p', lines: [{ sku: s, quantity: 2 }] });
    await inventory.setOnHand(tenantId, s, 3);
    const retried = await inventory.allocate(
      { tenantId, idempotencyKey: whole, orderId: 'w', lines },
      { retryUnheld: true },
    );
    expect(retried).toMatchObject({ created: false, allocation: { status: 'rejected', lines: [{ allocated: 0 }] } });
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 0 });
    const partial = await inventory.allocate(
      { tenantId, idempotencyKey: part, orderId: 'p', lines, mode: 'partial' },
      { retryUnheld: true },
    );
    expect(partial).toMatchObject({
      created: true,
      allocation: { status: 'partial', lines: [{ sku: s, requested: 4, allocated: 3 }] },
    });
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 3, quantityAvailable: 0 });
    // Released (holds nothing too): the stored answer without the option, tried again with it.
    await inventory.release(tenantId, part);
    const again = { tenantId, idempotencyKey: part, orderId: 'p', lines: [{ sku: s, quantity: 2 }] };
    expect(await inventory.allocate(again)).toMatchObject({ created: false, allocation: { status: 'released' } });
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 0 });
    expect(await inventory.allocate(again, { retryUnheld: true })).toMatchObject({
      created: true,
      allocation: { status: 'allocated', lines: [{ sku: s, requested: 2, allocated: 2 }] },
    });
    expect(await inventory.allocate(again, { retryUnheld: true })).toMatchObject({ created: false });
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 2 });
    // Released again, it is released once (released_at cleared by the new try).
    expect(await inventory.release(tenantId, part)).toMatchObject({ status: 'released' });
    expect(await inventory.getItem(tenantId, s)).toMatchObject({ quantityReserved: 0 });
  });
});
