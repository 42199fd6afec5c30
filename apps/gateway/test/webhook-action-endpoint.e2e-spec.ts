/**
 * The rule `webhook` action with `config.webhookId`: it posts to the registered endpoint, signs with
 * the endpoint's secret (both during a rotation), shapes the default body as the endpoint does,
 * retries under the action's own policy and logs its attempts as deliveries of that endpoint.
 */
import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver, verifyStandardWebhook } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

const fastRetry = { maximumAttempts: 3, initialInterval: '100ms', backoffCoefficient: 1, maximumInterval: '200ms' };

describe('rule webhook action posting to a registered endpoint', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;

  beforeAll(async () => {
    sys = await startTestSystem();
    receiver = await startHttpReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    receiver.setHandler(() => ({ status: 200, body: '{"ok":true}' }));
  });

  async function createEndpoint(body: Record<string, unknown>): Promise<{ id: string; secret: string }> {
    const res = await sys.http
      .post('/v1/webhooks')
      .set(sys.auth)
      .send({ name: 'erp', url: `${receiver.url}/erp`, events: ['audit.never'], ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; secret: string };
  }

  async function ruleWith(entity: string, config: Record<string, unknown>) {
    return sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: `to endpoint ${entity}`,
        entity,
        trigger: { type: 'on_create' },
        actions: [{ name: 'erp', type: 'webhook', config, retry: fastRetry }],
      });
  }

  async function fire(entity: string, id: string, data: Record<string, unknown>) {
    const ev = await sys.http.post('/v1/events').set(sys.auth).send({ id, entity, type: 'on_create', data });
    expect(ev.status).toBe(202);
    const executionId = ev.body.executions[0].executionId as string;
    return eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${executionId}`).set(sys.auth);
      return ['success', 'failed', 'partial'].includes(res.body.status) ? res.body : undefined;
    });
  }

  it("signs with the endpoint's secret, shapes the body and logs the delivery under the endpoint", async () => {
    const endpoint = await createEndpoint({ fieldSelection: ['id', 'customer.email'] });
    const rule = await ruleWith('orders_ep', { webhookId: endpoint.id });
    expect(rule.status).toBe(201);
    const execution = await fire('orders_ep', 'ep-1', { id: 7, total: 99, customer: { email: 'a@x.test', vip: true } });
    expect(execution.status).toBe('success');

    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.path).toBe('/erp');
    expect(verifyStandardWebhook(endpoint.secret, req)).toEqual({
      type: 'orders_ep.on_create',
      timestamp: expect.any(String),
      data: { id: 7, customer: { email: 'a@x.test' } },
    });

    const deliveries = await sys.http.get(`/v1/webhooks/${endpoint.id}/deliveries`).set(sys.auth);
    expect(deliveries.status).toBe(200);
    expect(deliveries.body.items).toEqual([
      expect.objectContaining({
        id: req.headers['webhook-id'],
        webhookId: endpoint.id,
        eventType: 'orders_ep.on_create',
        status: 'success',
        attempts: [expect.objectContaining({ attemptNumber: 1, statusCode: 200 })],
      }),
    ]);
  });

  it("sends the endpoint's custom headers (opened from their sealed form) beside the action's own", async () => {
    const endpoint = await createEndpoint({ headers: { 'X-Erp-Token': 'erp-secret-token', 'X-Tenant': 'acme' } });
    const rule = await ruleWith('orders_hdr', { webhookId: endpoint.id, headers: { 'X-Tenant': 'override' } });
    expect(rule.status).toBe(201);
    const execution = await fire('orders_hdr', 'hdr-1', { id: 8 });
    expect(execution.status).toBe('success');
    const req = receiver.requests[0]!;
    expect(req.headers['x-erp-token']).toBe('erp-secret-token');
    expect(req.headers['x-tenant']).toBe('override');
    // What the run recorded shows the value masked, never in the clear.
    expect(JSON.stringify(execution)).not.toContain('erp-secret-token');
  });

  it('retries under the action policy and signs with both secrets during a rotation', async () => {
    const endpoint = await createEndpoint({});
    const rotated = await sys.http.post(`/v1/webhooks/${endpoint.id}/rotate-secret`).set(sys.auth).send({});
    expect(rotated.status).toBe(200);
    const rule = await ruleWith('orders_rot', { webhookId: endpoint.id });
    expect(rule.status).toBe(201);
    let calls = 0;
    receiver.setHandler(() => (++calls === 1 ? { status: 503, body: 'busy' } : { status: 200, body: '{}' }));

    const execution = await fire('orders_rot', 'rot-1', { id: 1 });
    expect(execution.status).toBe('success');
    expect(execution.actions[0].attempts).toBe(2);
    expect(receiver.requests).toHaveLength(2);
    const last = receiver.requests[1]!;
    expect(String(last.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(() => verifyStandardWebhook(endpoint.secret, last)).not.toThrow();
    expect(() => verifyStandardWebhook(rotated.body.secret as string, last)).not.toThrow();
    expect(receiver.requests[0]!.headers['webhook-id']).toBe(last.headers['webhook-id']);
  });

  it('refuses at save an unknown endpoint, another tenant’s id shape, and a secret beside webhookId', async () => {
    const unknown = await ruleWith('orders_bad', { webhookId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(400);
    expect(JSON.stringify(unknown.body.message)).toContain('actions[0].config.webhookId');
    const notUuid = await ruleWith('orders_bad', { webhookId: 'w-1' });
    expect(notUuid.status).toBe(400);
    const endpoint = await createEndpoint({});
    const both = await ruleWith('orders_bad', {
      webhookId: endpoint.id,
      secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    });
    expect(both.status).toBe(400);
    expect(JSON.stringify(both.body.message)).toContain('actions[0].config.secret');
  });

  it('fails the action, without retrying, when the endpoint was disabled after the rule was saved', async () => {
    const endpoint = await createEndpoint({});
    expect((await ruleWith('orders_off', { webhookId: endpoint.id })).status).toBe(201);
    const off = await sys.http.patch(`/v1/webhooks/${endpoint.id}`).set(sys.auth).send({ enabled: false });
    expect(off.status).toBe(200);
    const execution = await fire('orders_off', 'off-1', { id: 1 });
    expect(execution.status).toBe('failed');
    expect(execution.actions[0].error).toContain('disabled');
    expect(receiver.requests).toHaveLength(0);
  });
});
