import { EndpointDeliveryRepository } from '@ruleflow/entities';
import { insertTenants, openTestDataSource } from '@ruleflow/testing';
import { ApplicationFailure } from '@temporalio/common';
import type { DataSource } from 'typeorm';
import { awaitTurn, ENDPOINT_RATE_LIMITED, MAX_TURN_WAIT_MS } from './endpoint-throttle';

describe('awaitTurn: an endpoint delivery waits for its send slot (real PostgreSQL)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  let db: DataSource;
  let store: EndpointDeliveryRepository;
  let tenantId: string;

  beforeAll(async () => {
    testDb = await openTestDataSource('endpoint-throttle-spec');
    db = testDb.db;
    store = new EndpointDeliveryRepository(db);
    [tenantId] = (await insertTenants(db, 1)) as [string];
  });

  afterAll(async () => {
    await testDb?.close();
  });

  async function endpoint(): Promise<string> {
    const rows: Array<{ id: string }> = await db.query(
      `INSERT INTO webhooks (tenant_id, name, url, events, secret) VALUES ($1, 'ep', 'http://127.0.0.1:9/x', '{*}', 's')
       RETURNING id`,
      [tenantId],
    );
    return rows[0]!.id;
  }

  it('returns at once for a free slot and after the spacing for the next one (4 per second: 250 ms)', async () => {
    const webhookId = await endpoint();
    const t0 = Date.now();
    await awaitTurn(store, tenantId, webhookId, 4);
    expect(Date.now() - t0).toBeLessThan(200);
    await awaitTurn(store, tenantId, webhookId, 4);
    await awaitTurn(store, tenantId, webhookId, 4);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(480);
  });

  it('a turn further away than one activity may wait: a retryable failure with nextRetryDelay, nothing reserved', async () => {
    const webhookId = await endpoint();
    await db.query(
      `INSERT INTO webhook_rate_slots (webhook_id, tenant_id, next_at) VALUES ($1, $2, now() + interval '2 minutes')`,
      [webhookId, tenantId],
    );
    const err: unknown = await awaitTurn(store, tenantId, webhookId, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    const failure = err as ApplicationFailure;
    expect(failure.type).toBe(ENDPOINT_RATE_LIMITED);
    expect(failure.nonRetryable).toBeFalsy();
    // About two minutes away, less the 30 s an activity may wait: asked again when the turn is within reach.
    const delay = Number(failure.nextRetryDelay);
    expect(delay).toBeGreaterThan(120_000 - MAX_TURN_WAIT_MS - 5000);
    expect(delay).toBeLessThanOrEqual(120_000 - MAX_TURN_WAIT_MS + 1000);
  });
});
