/**
 * Webhook endpoints end to end: gateway, outbox, worker and a real receiver. An ingested event and a
 * system event reach the subscribed endpoint, signed, through the (shortened) retry schedule, and the
 * deliveries API tells the story.
 */
import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver, verifyStandardWebhook } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

describe('webhook endpoint deliveries (end to end)', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;

  beforeAll(async () => {
    sys = await startTestSystem({
      env: { WEBHOOK_RETRY_SCHEDULE: '200ms,300ms', WEBHOOK_RETRY_WINDOW: '20s', WEBHOOK_RETRY_JITTER: '0' },
    });
    receiver = await startHttpReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.setHandler(() => ({ status: 200, body: 'ok' }));
  });

  async function endpoint(events: string[], extra: Record<string, unknown> = {}) {
    const res = await sys.http
      .post('/v1/webhooks')
      .set(sys.auth)
      .send({ name: `ep ${events.join(',')}`, url: `${receiver.url}/in`, events, ...extra });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string };
  }

  async function settled(webhookId: string, count: number) {
    return eventually(async () => {
      const res = await sys.http.get(`/v1/webhooks/${webhookId}/deliveries`).set(sys.auth);
      const items = res.body.items as Array<{ status: string }>;
      return items.length >= count && items.every((d) => d.status === 'success' || d.status === 'failed')
        ? items
        : undefined;
    });
  }

  it('delivers an ingested event, shaped and signed, through 500 → 503 → 200', async () => {
    const ep = await endpoint(['parcels.*'], {
      fieldSelection: ['id', 'status'],
      transform: '{"parcel": id, "s": status}',
    });
    const codes = [500, 503, 200];
    receiver.setHandler(() => ({ status: codes.shift() ?? 200, body: 'x' }));
    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({ id: 'parcel-1', entity: 'parcels', type: 'on_create', data: { id: 'p1', status: 'new', secret: 'no' } });
    expect(ev.status).toBe(202);

    const [delivery] = (await settled(ep.id, 1)) as Array<Record<string, unknown>>;
    expect(delivery).toMatchObject({ webhookId: ep.id, eventType: 'parcels.on_create', status: 'success' });
    expect((delivery!.attempts as Array<{ statusCode: number }>).map((a) => a.statusCode)).toEqual([500, 503, 200]);
    expect(receiver.requests).toHaveLength(3);
    const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
    expect([...ids]).toEqual([delivery!.id]);
    expect(verifyStandardWebhook(ep.secret, receiver.requests[2]!)).toMatchObject({
      type: 'parcels.on_create',
      data: { parcel: 'p1', s: 'new' },
    });
    const one = await sys.http.get(`/v1/deliveries/${delivery!.id as string}`).set(sys.auth);
    expect(one.status).toBe(200);
    expect(one.body.deliveredAt).toEqual(expect.any(String));
  });

  it('offers execution.failed to its subscribers when a rule run fails', async () => {
    const ep = await endpoint(['execution.failed']);
    const rule = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: 'always fails',
        entity: 'boxes',
        trigger: { type: 'on_create' },
        actions: [
          {
            name: 'refused',
            type: 'webhook',
            config: { url: `${receiver.url}/refuse` },
            retry: { maximumAttempts: 1, initialInterval: '100ms', backoffCoefficient: 1, maximumInterval: '100ms' },
          },
        ],
      });
    expect(rule.status).toBe(201);
    receiver.setHandler((req) => (req.url === '/refuse' ? { status: 400, body: 'no' } : { status: 200, body: 'ok' }));
    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({ id: 'box-1', entity: 'boxes', type: 'on_create', data: { id: 1 } });
    const executionId = ev.body.executions[0].executionId as string;

    const [delivery] = (await settled(ep.id, 1)) as Array<Record<string, unknown>>;
    expect(delivery).toMatchObject({ eventType: 'execution.failed', status: 'success' });
    const received = receiver.requests.find((r) => r.path === '/in')!;
    expect(verifyStandardWebhook(ep.secret, received)).toMatchObject({
      type: 'execution.failed',
      data: expect.objectContaining({ executionId, ruleId: rule.body.id, status: 'failed' }),
    });
  });

  it("shapes entity events only: an endpoint's field selection leaves its execution.failed intact", async () => {
    const ep = await endpoint(['crates.*', 'execution.failed'], { fieldSelection: ['id'] });
    const rule = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: 'crates fail',
        entity: 'crates',
        trigger: { type: 'on_create' },
        actions: [
          {
            name: 'refused',
            type: 'webhook',
            config: { url: `${receiver.url}/refuse` },
            retry: { maximumAttempts: 1, initialInterval: '100ms', backoffCoefficient: 1, maximumInterval: '100ms' },
          },
        ],
      });
    expect(rule.status).toBe(201);
    receiver.setHandler((req) => (req.url === '/refuse' ? { status: 400, body: 'no' } : { status: 200, body: 'ok' }));
    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({ id: 'crate-1', entity: 'crates', type: 'on_create', data: { id: 7, weight: 12 } });
    expect(ev.status).toBe(202);
    const executionId = ev.body.executions[0].executionId as string;

    const deliveries = (await settled(ep.id, 2)) as Array<{ id: string; eventType: string; status: string }>;
    expect(deliveries.map((d) => [d.eventType, d.status]).sort()).toEqual([
      ['crates.on_create', 'success'],
      ['execution.failed', 'success'],
    ]);
    // Only this endpoint's requests (the endpoint of the test above gets the failure too, signed with its secret).
    const ours = new Set(deliveries.map((d) => d.id));
    const bodies = receiver.requests
      .filter((r) => ours.has(r.headers['webhook-id'] as string))
      .map((r) => verifyStandardWebhook(ep.secret, r) as { type: string; data: Record<string, unknown> });
    expect(bodies.find((b) => b.type === 'crates.on_create')?.data).toEqual({ id: 7 });
    expect(bodies.find((b) => b.type === 'execution.failed')?.data).toEqual(
      expect.objectContaining({ executionId, ruleId: rule.body.id, status: 'failed' }),
    );
  });
});
