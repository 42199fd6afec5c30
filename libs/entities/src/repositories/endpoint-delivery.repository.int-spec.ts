import { randomUUID } from 'node:crypto';
import { createDataSource } from '../data-source';
import { insertTenants, openTestDataSource } from '@ruleflow/testing';
import type { DataSource } from 'typeorm';
import { EndpointDeliveryRepository } from './endpoint-delivery.repository';

describe('EndpointDeliveryRepository: send slots and operational events (real PostgreSQL)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  let db: DataSource;
  /** A second pool, as a second worker process would have. */
  let otherDb: DataSource;
  let tenantId: string;

  beforeAll(async () => {
    testDb = await openTestDataSource('endpoint-delivery-spec');
    db = testDb.db;
    otherDb = createDataSource({ url: testDb.database.url, poolSize: 4, systemByDefault: true });
    await otherDb.initialize();
    [tenantId] = (await insertTenants(db, 1)) as [string];
  });

  afterAll(async () => {
    await otherDb?.destroy();
    await testDb?.close();
  });

  async function endpoint(events: string[], name = 'ep'): Promise<string> {
    const rows: Array<{ id: string }> = await db.query(
      `INSERT INTO webhooks (tenant_id, name, url, events, secret) VALUES ($1, $2, 'http://127.0.0.1:9/x', $3, 's')
       RETURNING id`,
      [tenantId, name, events],
    );
    return rows[0]!.id;
  }

  it('hands out distinct slots spaced apart to concurrent callers on two pools; none beyond the horizon', async () => {
    const webhookId = await endpoint(['orders.*']);
    const stores = [new EndpointDeliveryRepository(db), new EndpointDeliveryRepository(otherDb)];
    const t0 = Date.now();
    const slots = await Promise.all(
      Array.from({ length: 20 }, (_, i) => stores[i % 2]!.reserveSlot(tenantId, webhookId, 100, 5000)),
    );
    expect(slots.every((s) => s.reserved)).toBe(true);
    // Slot times as absolute ms: 20 distinct slots 100 ms apart span at least 1.9 s.
    const waits = slots.map((s) => s.waitMs).sort((a, b) => a - b);
    expect(waits[0]!).toBeLessThan(200);
    expect(waits.at(-1)!).toBeGreaterThanOrEqual(1900 - (Date.now() - t0));
    const [row] = (await db.query(`SELECT next_at FROM webhook_rate_slots WHERE webhook_id = $1`, [
      webhookId,
    ])) as Array<{
      next_at: Date;
    }>;
    expect(new Date(row!.next_at).getTime() - t0).toBeGreaterThanOrEqual(1900);

    // A horizon shorter than the queue: nothing reserved, and told how long until a slot comes within it.
    const later = await stores[0]!.reserveSlot(tenantId, webhookId, 100, 500);
    expect(later.reserved).toBe(false);
    expect(later.waitMs).toBeGreaterThan(1000);
    const [after] = (await db.query(`SELECT next_at FROM webhook_rate_slots WHERE webhook_id = $1`, [
      webhookId,
    ])) as Array<{
      next_at: Date;
    }>;
    expect(after!.next_at).toEqual(row!.next_at);
  });

  it('offers endpoint.disabled and delivery.exhausted to the other endpoints only, once, and never about delivery.exhausted', async () => {
    const store = new EndpointDeliveryRepository(db);
    const failing = await endpoint(['orders.*', 'delivery.exhausted', 'endpoint.disabled'], 'failing');
    const watcher = await endpoint(['*'], 'watcher');
    const insert = async (webhookId: string, eventType: string, status: string) => {
      const id = randomUUID();
      await db.query(
        `INSERT INTO deliveries (id, tenant_id, webhook_id, source, event_type, url, status, error, dispatched_at)
         VALUES ($1, $2, $3, 'endpoint', $4, 'http://127.0.0.1:9/x', $5, 'HTTP 400', now())`,
        [id, tenantId, webhookId, eventType, status],
      );
      return id;
    };
    const offered = async (type: string) =>
      (await db.query(
        `SELECT webhook_id, payload->'data' AS data FROM deliveries WHERE event_type = $1 AND tenant_id = $2 AND payload IS NOT NULL`,
        [type, tenantId],
      )) as Array<{ webhook_id: string; data: Record<string, unknown> }>;

    const failed = await insert(failing, 'orders.on_update', 'failed');
    await store.offerExhausted(tenantId, failed);
    await store.offerExhausted(tenantId, failed); // idempotent
    await store.offerExhausted(tenantId, await insert(failing, 'orders.on_update', 'retrying')); // not ended
    const exhausted = await offered('delivery.exhausted');
    expect(exhausted).toEqual([
      {
        webhook_id: watcher,
        data: { deliveryId: failed, webhookId: failing, eventType: 'orders.on_update', error: 'HTTP 400' },
      },
    ]);

    // The watcher's own delivery.exhausted fails for good: nothing more is offered.
    await store.offerExhausted(tenantId, await insert(watcher, 'delivery.exhausted', 'failed'));
    expect(await offered('delivery.exhausted')).toHaveLength(1);

    await store.disableEndpoint(tenantId, failing, 'the receiver answered 410 Gone', new Date());
    await store.disableEndpoint(tenantId, failing, 'again', new Date()); // already disabled: nothing new
    expect(await offered('endpoint.disabled')).toEqual([
      { webhook_id: watcher, data: { webhookId: failing, name: 'failing', reason: 'the receiver answered 410 Gone' } },
    ]);
  });
});
