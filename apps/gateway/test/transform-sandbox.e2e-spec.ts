/**
 * Hostile JSONata transforms end to end: saved on endpoints, sent with `POST /v1/webhooks/:id/test`,
 * evaluated by the real worker in its sandbox. Each bomb fails its own delivery with a reason naming
 * the limit; the worker (this very process) lives on, `/health` is ok and a normal delivery succeeds.
 */
import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver, verifyStandardWebhook } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

describe('hostile transforms (end to end)', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;

  beforeAll(async () => {
    sys = await startTestSystem();
    receiver = await startHttpReceiver();
    receiver.setHandler(() => ({ status: 200, body: 'ok' }));
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.close();
  });

  async function endpoint(transform: string) {
    const res = await sys.http
      .post('/v1/webhooks')
      .set(sys.auth)
      // Not '*': each endpoint would also get the others' `delivery.exhausted` events (through its transform).
      .send({ name: 'sandboxed', url: `${receiver.url}/in`, events: ['orders.on_create'], transform });
    expect({ status: res.status, body: res.body }).toMatchObject({ status: 201 });
    return res.body as { id: string; secret: string };
  }

  async function sendTest(webhookId: string, payload: unknown): Promise<string> {
    const res = await sys.http.post(`/v1/webhooks/${webhookId}/test`).set(sys.auth).send({ payload });
    expect(res.status).toBe(202);
    return res.body.deliveryId as string;
  }

  async function ended(deliveryId: string) {
    return eventually(async () => {
      const res = await sys.http.get(`/v1/deliveries/${deliveryId}`).set(sys.auth);
      return res.body.status === 'success' || res.body.status === 'failed'
        ? (res.body as { status: string; error: string | null; attempts: unknown[] })
        : undefined;
    }, 60_000);
  }

  // Sized by the event, so a trial run on an empty object at save time finds nothing wrong.
  const BOMBS: Array<[string, string, unknown, RegExp]> = [
    ['string growth', '$length($pad("", n))', { n: 500_000_000 }, /exceeded the memory limit of 64 MB/],
    ['array growth', '$count([1..n])', { n: 10_000_000 }, /exceeded the memory limit of 64 MB|took longer than/],
    [
      'array growth with $map',
      '$count($map([1..n], function($v) { [$v, $v, $v] }))',
      { n: 10_000_000 },
      /exceeded the memory limit of 64 MB|took longer than/,
    ],
    [
      'object growth',
      '$count($keys($merge([1..n].{ $string($): $ })))',
      { n: 3_000_000 },
      /exceeded the memory limit of 64 MB|took longer than/,
    ],
    [
      'deep recursion',
      '($f := function($k) { $k <= 0 ? 0 : 1 + $f($k - 1) }; $f($exists(n) ? n : 0))',
      { n: 100_000 },
      /nests deeper than 200 levels/,
    ],
    [
      'a long loop',
      '($f := function($k) { $k <= 0 ? 0 : $f($k - 1) }; $f($exists(n) ? n : 0))',
      { n: 1e12 },
      /took longer than 1000 ms/,
    ],
  ];

  it('fails each hostile delivery with the limit it hit; the worker, /health and a normal delivery go on', async () => {
    const sent: Array<[string, string, RegExp]> = [];
    for (const [name, transform, payload, reason] of BOMBS) {
      const ep = await endpoint(transform);
      sent.push([name, await sendTest(ep.id, payload), reason]);
    }
    for (const [name, deliveryId, reason] of sent) {
      const delivery = await ended(deliveryId);
      expect({ name, status: delivery.status }).toEqual({ name, status: 'failed' });
      expect(delivery.error).toMatch(/^payload shaping failed: transform failed: /);
      expect(delivery.error).toMatch(reason);
      expect(delivery.attempts).toHaveLength(1);
    }
    expect(receiver.requests).toHaveLength(0);

    const health = await sys.http.get('/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok' });

    const fine = await endpoint('{ "orderId": id, "cents": total * 100 }');
    const delivery = await ended(await sendTest(fine.id, { id: 'o-1', total: 2.5 }));
    expect(delivery.status).toBe('success');
    expect(receiver.requests).toHaveLength(1);
    expect(verifyStandardWebhook(fine.secret, receiver.requests[0]!)).toMatchObject({
      type: 'webhook.test',
      data: { orderId: 'o-1', cents: 250 },
    });
  }, 180_000);

  it.each([
    ['the issue’s 29 characters', '$length($pad("", 500000000))', /transform: .*exceeded the memory limit of 64 MB/],
    ['a long loop', '($f := function($k) { $f($k + 1) }; $f(0))', /transform: .*took longer than 1000 ms/],
  ])(
    'refuses %s at save time: 400 naming transform, nothing written',
    async (_, transform, message) => {
      const before = await sys.http.get('/v1/webhooks').set(sys.auth);
      const res = await sys.http
        .post('/v1/webhooks')
        .set(sys.auth)
        .send({ name: 'bomb', url: `${receiver.url}/in`, events: ['*'], transform });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).toMatch(message);
      const after = await sys.http.get('/v1/webhooks').set(sys.auth);
      expect(after.body.items).toHaveLength(before.body.items.length);

      const ok = await endpoint('$');
      const patch = await sys.http.patch(`/v1/webhooks/${ok.id}`).set(sys.auth).send({ transform });
      expect(patch.status).toBe(400);
      expect(JSON.stringify(patch.body)).toMatch(message);
      const kept = await sys.http.get(`/v1/webhooks/${ok.id}`).set(sys.auth);
      expect(kept.body.transform).toBe('$');
    },
    60_000,
  );
});
