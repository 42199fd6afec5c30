import { randomUUID } from 'node:crypto';
import type { DeliveryAttempt } from '../delivery.entity';
import { DeliveryEntity } from '../delivery.entity';
import { insertTenants, openTestDataSource } from '@ruleflow/testing';
import type { DataSource } from 'typeorm';
import type { DeliveryRef } from './delivery.repository';
import { DeliveryRepository } from './delivery.repository';

describe('DeliveryRepository (real PostgreSQL)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  let db: DataSource;
  let store: DeliveryRepository;
  let tenantId: string;
  let otherTenantId: string;

  beforeAll(async () => {
    testDb = await openTestDataSource('delivery-store-spec');
    db = testDb.db;
    store = new DeliveryRepository(db);
    [tenantId, otherTenantId] = (await insertTenants(db, 2)) as [string, string];
  });

  afterAll(async () => {
    await testDb?.close();
  });

  function delivery(overrides: Partial<DeliveryRef> = {}): DeliveryRef {
    return {
      id: randomUUID(),
      tenantId,
      webhookId: null,
      executionId: randomUUID(),
      actionName: 'erp',
      eventType: 'orders.on_update',
      url: 'http://127.0.0.1:9/hooks',
      ...overrides,
    };
  }

  function attempt(attemptNumber: number, overrides: Partial<DeliveryAttempt> = {}): DeliveryAttempt {
    return {
      attemptNumber,
      statusCode: 503,
      error: '503 Service Unavailable',
      durationMs: 12,
      responseBody: 'down',
      at: new Date(Date.UTC(2030, 0, 1, 0, attemptNumber)).toISOString(),
      ...overrides,
    };
  }

  const load = (id: string) => db.getRepository(DeliveryEntity).findOneByOrFail({ id });

  it('creates the delivery on its first attempt', async () => {
    const d = delivery();
    await store.recordAttempt(d, attempt(1), 'retrying');

    const row = await load(d.id);
    expect(row).toMatchObject({
      id: d.id,
      tenantId,
      webhookId: null,
      executionId: d.executionId,
      actionName: 'erp',
      eventType: 'orders.on_update',
      url: d.url,
      status: 'retrying',
      attempts: [attempt(1)],
      deliveredAt: null,
    });
    expect(row.createdAt).toBeInstanceOf(Date);
  });

  it('stores an attempt recorded twice with the same number once, keeping the later version', async () => {
    const d = delivery();
    await store.recordAttempt(d, attempt(1), 'retrying');
    await store.recordAttempt(d, attempt(1, { error: 'connection reset (ECONNRESET)', statusCode: null }), 'retrying');

    const row = await load(d.id);
    expect(row.attempts).toHaveLength(1);
    expect(row.attempts[0]).toMatchObject({
      attemptNumber: 1,
      statusCode: null,
      error: 'connection reset (ECONNRESET)',
    });
  });

  it('keeps three attempts in order and moves retrying → success, setting delivered_at once', async () => {
    const d = delivery();
    await store.recordAttempt(d, attempt(1), 'retrying');
    const afterFirst = await load(d.id);
    await store.recordAttempt(d, attempt(2), 'retrying');
    const success = attempt(3, { statusCode: 200, error: null, responseBody: '{"ok":true}' });
    await store.recordAttempt(d, success, 'success');

    const row = await load(d.id);
    expect(row.attempts.map((a) => a.attemptNumber)).toEqual([1, 2, 3]);
    expect(row.attempts[2]).toEqual(success);
    expect(row.status).toBe('success');
    expect(row.deliveredAt?.toISOString()).toBe(success.at);
    expect(row.updatedAt.getTime()).toBeGreaterThanOrEqual(afterFirst.updatedAt.getTime());

    // A retried activity re-recording the success does not move delivered_at or duplicate the attempt.
    await store.recordAttempt(d, { ...success, at: new Date(Date.UTC(2030, 0, 2)).toISOString() }, 'success');
    const again = await load(d.id);
    expect(again.attempts).toHaveLength(3);
    expect(again.deliveredAt?.toISOString()).toBe(success.at);
  });

  it('marks the delivery failed, with no delivered_at', async () => {
    const d = delivery();
    await store.recordAttempt(d, attempt(1), 'retrying');
    await store.recordAttempt(d, attempt(2, { statusCode: 400, error: '400 Bad Request' }), 'failed');

    const row = await load(d.id);
    expect(row.status).toBe('failed');
    expect(row.deliveredAt).toBeNull();
    expect(row.attempts.map((a) => a.statusCode)).toEqual([503, 400]);
  });

  it('a late write from an earlier attempt neither regresses the status nor reorders attempts', async () => {
    const d = delivery();
    await store.recordAttempt(d, attempt(1), 'retrying');
    await store.recordAttempt(d, attempt(2, { statusCode: 200, error: null }), 'success');
    await store.recordAttempt(d, attempt(1), 'retrying');

    const row = await load(d.id);
    expect(row.status).toBe('success');
    expect(row.attempts.map((a) => a.attemptNumber)).toEqual([1, 2]);
  });

  it('records the same attempt from concurrent writers exactly once', async () => {
    const d = delivery();
    await Promise.all(Array.from({ length: 8 }, () => store.recordAttempt(d, attempt(1), 'retrying')));
    const row = await load(d.id);
    expect(row.attempts).toHaveLength(1);
  });

  it('keeps a response body with NUL characters (which jsonb refuses) minus the NULs', async () => {
    const d = delivery();
    await store.recordAttempt(d, attempt(1, { responseBody: 'a\u0000b' }), 'retrying');
    expect((await load(d.id)).attempts[0]?.responseBody).toBe('ab');
  });

  it('refuses to touch a delivery of another tenant', async () => {
    const d = delivery();
    await store.recordAttempt(d, attempt(1), 'retrying');
    await expect(store.recordAttempt({ ...d, tenantId: otherTenantId }, attempt(2), 'failed')).rejects.toThrow(
      /another tenant/,
    );
    const row = await load(d.id);
    expect(row.attempts).toHaveLength(1);
    expect(row.status).toBe('retrying');
  });
});
