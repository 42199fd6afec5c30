/**
 * Endpoints like Svix's, end to end (gateway, outbox, real workers, a real receiver): custom headers
 * reach the receiver and stay sealed; `rateLimitPerSecond` spaces deliveries across TWO worker
 * instances (each with its own database pool) and drops none; `recover` resends failed deliveries;
 * `stats` counts them; `endpoint.disabled` and `delivery.exhausted` reach the tenant's other
 * endpoints and never loop.
 */
import { createDataSource } from '@ruleflow/entities';
import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver, testTemporalAddress, verifyStandardWebhook, workflowBundle } from '@ruleflow/testing';
import type { Worker } from '@temporalio/worker';
import { NativeConnection } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { createRuleflowWorker } from '../../worker/src/worker';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

interface Delivery {
  id: string;
  status: string;
  eventType: string;
  attempts: Array<{ statusCode: number | null }>;
  redeliveryOf: string | null;
}

describe('webhook endpoints: headers, throttling, recover, stats, operational events (end to end)', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;
  /** When each request arrived, by path. */
  const arrivals = new Map<string, number[]>();
  let answer: (path: string) => number = () => 200;
  // A second worker instance on the same task queue, with its own pool: the limit must hold across both.
  let second: { worker: Worker; run: Promise<void>; db: DataSource; connection: NativeConnection } | undefined;

  beforeAll(async () => {
    sys = await startTestSystem({
      env: { WEBHOOK_RETRY_SCHEDULE: '200ms', WEBHOOK_RETRY_WINDOW: '5s', WEBHOOK_RETRY_JITTER: '0' },
    });
    receiver = await startHttpReceiver((req) => {
      const path = req.url ?? '/';
      arrivals.set(path, [...(arrivals.get(path) ?? []), Date.now()]);
      return { status: answer(path), body: 'ok' };
    });
    const db = createDataSource({ url: sys.databaseUrl, poolSize: 4 });
    await db.initialize();
    const connection = await NativeConnection.connect({ address: testTemporalAddress() });
    const worker = await createRuleflowWorker({
      config: sys.config,
      dataSource: db,
      connection,
      workflowBundlePath: workflowBundle().codePath,
    });
    second = { worker, run: worker.run(), db, connection };
  });
  afterAll(async () => {
    if (second) {
      if (second.worker.getState() === 'RUNNING') second.worker.shutdown();
      await second.run;
      await second.db.destroy();
      await second.connection.close();
    }
    await receiver?.close();
    await sys?.close();
  });
  beforeEach(() => {
    answer = () => 200;
  });

  async function endpoint(path: string, extra: Record<string, unknown> = {}) {
    const res = await sys.http
      .post('/v1/webhooks')
      .set(sys.auth)
      .send({ name: `ep ${path}`, url: `${receiver.url}${path}`, events: ['orders.*'], ...extra });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string; headers: Record<string, string> };
  }

  async function test(webhookId: string): Promise<string> {
    const res = await sys.http.post(`/v1/webhooks/${webhookId}/test`).set(sys.auth).send({});
    expect(res.status).toBe(202);
    return res.body.deliveryId as string;
  }

  async function deliveries(webhookId: string): Promise<Delivery[]> {
    const res = await sys.http.get(`/v1/webhooks/${webhookId}/deliveries?limit=100`).set(sys.auth);
    expect(res.status).toBe(200);
    return res.body.items as Delivery[];
  }

  /** The endpoint's deliveries once there are `count` and all have ended. */
  async function settled(webhookId: string, count: number, timeoutMs = 30_000): Promise<Delivery[]> {
    return eventually(async () => {
      const items = await deliveries(webhookId);
      return items.length >= count && items.every((d) => d.status === 'success' || d.status === 'failed')
        ? items
        : undefined;
    }, timeoutMs);
  }

  it('sends custom headers with every delivery, sealed at rest and masked in responses', async () => {
    const ep = await endpoint('/headers', { headers: { 'X-Api-Key': 'k-123', 'X-Team': 'ops' } });
    expect(ep.headers).toEqual({ 'X-Api-Key': '********', 'X-Team': '********' });
    const [stored] = (await sys.db.query(`SELECT headers FROM webhooks WHERE id = $1`, [ep.id])) as Array<{
      headers: Record<string, string>;
    }>;
    expect(stored!.headers['X-Api-Key']).toMatch(/^enc:v1:/);
    expect(JSON.stringify(stored)).not.toContain('k-123');

    // Sent back masked (host unchanged): kept; a changed one is replaced.
    const patched = await sys.http
      .patch(`/v1/webhooks/${ep.id}`)
      .set(sys.auth)
      .send({ headers: { 'X-Api-Key': '********', 'X-Team': 'platform' } });
    expect(patched.status).toBe(200);
    await test(ep.id);
    await settled(ep.id, 1);
    const got = receiver.requests.filter((r) => r.path === '/headers');
    expect(got).toHaveLength(1);
    expect(got[0]!.headers['x-api-key']).toBe('k-123');
    expect(got[0]!.headers['x-team']).toBe('platform');
    expect(verifyStandardWebhook(ep.secret, got[0]!)).toMatchObject({ type: 'webhook.test' });
  });

  it('rateLimitPerSecond=2: 10 deliveries over two workers all arrive, no more than 2 in any second', async () => {
    const ep = await endpoint('/throttled', { rateLimitPerSecond: 2 });
    const started = Date.now();
    await Promise.all(Array.from({ length: 10 }, () => test(ep.id)));
    const items = await settled(ep.id, 10, 60_000);
    expect(items.map((d) => d.status)).toEqual(Array(10).fill('success'));
    // Waiting is not an attempt: each delivery went out once.
    expect(items.every((d) => d.attempts.length === 1)).toBe(true);
    const times = [...(arrivals.get('/throttled') ?? [])].sort((a, b) => a - b);
    expect(times).toHaveLength(10);
    // Any window of one second holds at most 2 arrivals (3 allowed at the very edge: network jitter).
    for (let i = 0; i < times.length; i++) {
      const inWindow = times.filter((t) => t >= times[i]! && t < times[i]! + 1000).length;
      expect(inWindow).toBeLessThanOrEqual(3);
    }
    // Sends leave 500 ms apart; an arrival may lag its send a little on a busy machine (unthrottled, all
    // ten would arrive within a few ms of each other).
    for (let i = 0; i + 2 < times.length; i++) expect(times[i + 2]! - times[i]!).toBeGreaterThanOrEqual(600);
    // 10 sends spaced 500 ms apart span 4.5 s.
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(3500);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000);
  }, 90_000);

  it('recover resends the failed deliveries of a window once; stats count them with attempt latency', async () => {
    const ep = await endpoint('/recover');
    answer = (path) => (path === '/recover' ? 400 : 200);
    const since = new Date(Date.now() - 1000).toISOString();
    for (let i = 0; i < 3; i++) await test(ep.id);
    const failed = await settled(ep.id, 3);
    expect(failed.map((d) => d.status)).toEqual(['failed', 'failed', 'failed']);

    answer = () => 200;
    const recovered = await sys.http.post(`/v1/webhooks/${ep.id}/recover`).set(sys.auth).send({ since });
    expect(recovered.status).toBe(202);
    expect(recovered.body).toEqual({ count: 3 });
    const all = await settled(ep.id, 6);
    const again = all.filter((d) => d.redeliveryOf !== null);
    expect(again.map((d) => d.status)).toEqual(['success', 'success', 'success']);
    expect(new Set(again.map((d) => d.redeliveryOf))).toEqual(new Set(failed.map((d) => d.id)));
    // Nothing left to recover in that window.
    const twice = await sys.http.post(`/v1/webhooks/${ep.id}/recover`).set(sys.auth).send({ since });
    expect(twice.body).toEqual({ count: 0 });

    const stats = await sys.http.get(`/v1/webhooks/${ep.id}/stats`).set(sys.auth);
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ success: 3, failed: 3, pending: 0, retrying: 0 });
    expect(stats.body.p50LatencyMs).toEqual(expect.any(Number));
    expect(stats.body.p99LatencyMs).toBeGreaterThanOrEqual(stats.body.p50LatencyMs);
    const later = await sys.http
      .get(`/v1/webhooks/${ep.id}/stats?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)
      .set(sys.auth);
    expect(later.body).toEqual({
      success: 0,
      failed: 0,
      pending: 0,
      retrying: 0,
      p50LatencyMs: null,
      p99LatencyMs: null,
    });
  });

  it('offers endpoint.disabled and delivery.exhausted to the other endpoints, never in a loop', async () => {
    const gone = await endpoint('/gone', { name: 'the gone one' });
    const watcher = await endpoint('/watch', { events: ['endpoint.disabled', 'delivery.exhausted'] });
    // Refuses every delivery.exhausted it gets: those fail for good but offer nothing further.
    const refuser = await endpoint('/refuse', { events: ['delivery.exhausted'] });
    answer = (path) => (path === '/gone' ? 410 : path === '/refuse' ? 400 : 200);

    const deliveryId = await test(gone.id);
    const [failed] = await settled(gone.id, 1);
    expect(failed).toMatchObject({ id: deliveryId, status: 'failed' });
    const disabled = await sys.http.get(`/v1/webhooks/${gone.id}`).set(sys.auth);
    expect(disabled.body).toMatchObject({ enabled: false, disabledReason: 'the receiver answered 410 Gone' });

    const seen = await settled(watcher.id, 2);
    const bodies = receiver.requests
      .filter((r) => r.path === '/watch')
      .map((r) => verifyStandardWebhook(watcher.secret, r) as { type: string; data: Record<string, unknown> });
    const byType = Object.fromEntries(bodies.map((b) => [b.type, b.data]));
    expect(byType['endpoint.disabled']).toEqual({
      webhookId: gone.id,
      name: 'the gone one',
      reason: 'the receiver answered 410 Gone',
    });
    expect(byType['delivery.exhausted']).toEqual({
      deliveryId,
      webhookId: gone.id,
      eventType: 'webhook.test',
      error: expect.stringContaining('410'),
    });
    expect(seen.every((d) => d.status === 'success')).toBe(true);

    // The refuser failed its delivery.exhausted for good; that is not offered again (no loop).
    const refused = await settled(refuser.id, 1);
    expect(refused).toEqual([expect.objectContaining({ eventType: 'delivery.exhausted', status: 'failed' })]);
    await new Promise((r) => setTimeout(r, 1500));
    expect(await deliveries(watcher.id)).toHaveLength(2);
    expect(await deliveries(refuser.id)).toHaveLength(1);
    const offered = (await sys.db.query(
      `SELECT payload->'data'->>'webhookId' AS about, webhook_id FROM deliveries WHERE event_type = 'delivery.exhausted'`,
    )) as Array<{ about: string; webhook_id: string }>;
    expect(offered.every((o) => o.about === gone.id && o.webhook_id !== gone.id)).toBe(true);
  });

  it('the OpenAPI document describes headers, rateLimitPerSecond, recover and stats', async () => {
    const doc = (await sys.http.get('/docs-json')).body as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> };
    };
    expect(Object.keys(doc.paths['/v1/webhooks/{id}/recover'] ?? {})).toEqual(['post']);
    expect(Object.keys(doc.paths['/v1/webhooks/{id}/stats'] ?? {})).toEqual(['get']);
    const { schemas } = doc.components;
    expect(schemas.CreateWebhookDto!.properties.headers).toMatchObject({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
    expect(schemas.UpdateWebhookDto!.properties.rateLimitPerSecond).toMatchObject({ type: 'number', minimum: 1 });
    expect(Object.keys(schemas.RecoverWebhookDto!.properties)).toEqual(['since', 'until']);
    expect(Object.keys(schemas.WebhookStatsDto!.properties)).toEqual([
      'success',
      'failed',
      'pending',
      'retrying',
      'p50LatencyMs',
      'p99LatencyMs',
    ]);
    expect(String(schemas.WebhookStatsDto!.properties.p50LatencyMs!.description)).toContain('durationMs');
  });
});
