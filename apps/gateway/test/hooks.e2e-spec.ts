import { randomBytes } from 'node:crypto';
import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

interface Execution {
  id: string;
  ruleId: string;
  eventId: string;
  workflowId: string;
  triggerType: string;
  status: string;
}

describe('POST /v1/hooks/:token (webhook-triggered rules)', () => {
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

  /** A webhook-triggered rule made through the API; returns it with its hook path. */
  async function hookRule(path: string, extra: Record<string, unknown> = {}) {
    const res = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: `hook ${path}`,
        entity: 'leads',
        trigger: { type: 'webhook' },
        actions: [{ type: 'webhook', config: { url: `${receiver.url}${path}` } }],
        ...extra,
      });
    expect(res.status).toBe(201);
    const hookUrl = res.body.trigger.hookUrl as string;
    expect(hookUrl).toMatch(/^\/v1\/hooks\/[A-Za-z0-9_-]{43}$/);
    return { id: res.body.id as string, hookUrl };
  }

  const requestsTo = (path: string) => receiver.requests.filter((r) => r.path === path);

  async function executionsOf(ruleId: string): Promise<Execution[]> {
    const res = await sys.http.get(`/v1/executions?ruleId=${ruleId}`).set(sys.auth);
    expect(res.status).toBe(200);
    return res.body.items as Execution[];
  }

  async function succeeded(id: string): Promise<Execution> {
    return eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${id}`).set(sys.auth);
      return res.body.status === 'success' ? (res.body as Execution) : undefined;
    });
  }

  it('runs the rule with the posted JSON as data, with no API key', async () => {
    const rule = await hookRule('/lead', {
      actions: [
        {
          type: 'webhook',
          config: { url: `${receiver.url}/lead`, body: { email: '{{data.email}}', all: '{{data}}' } },
        },
      ],
    });
    const res = await sys.http.post(rule.hookUrl).send({ email: 'ann@example.com', score: 80 });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ executionId: expect.any(String), workflowId: expect.any(String), matched: true });
    expect(res.body.workflowId).toMatch(new RegExp(`^rule-${rule.id}-[0-9a-f-]{36}$`));

    const execution = await succeeded(res.body.executionId as string);
    expect(execution).toMatchObject({ ruleId: rule.id, triggerType: 'webhook', workflowId: res.body.workflowId });
    expect(res.body.workflowId).toBe(`rule-${rule.id}-${execution.eventId}`);
    const [req] = requestsTo('/lead');
    expect(JSON.parse(req!.body)).toEqual({ email: 'ann@example.com', all: { email: 'ann@example.com', score: 80 } });
  });

  it('takes an empty body as {} and sends the webhook envelope of a "webhook" event', async () => {
    const rule = await hookRule('/empty');
    const res = await sys.http.post(rule.hookUrl);
    expect(res.status).toBe(202);
    await succeeded(res.body.executionId as string);
    const [req] = requestsTo('/empty');
    expect(JSON.parse(req!.body)).toMatchObject({ type: 'leads.webhook', data: {} });
  });

  it('evaluates the conditions against the body first: matched false starts nothing', async () => {
    const rule = await hookRule('/hot', { conditions: [{ field: 'score', operator: 'greater_than', value: 50 }] });
    const cold = await sys.http.post(rule.hookUrl).send({ score: 10 });
    expect(cold.status).toBe(202);
    expect(cold.body).toEqual({ executionId: null, workflowId: null, matched: false });
    expect(await executionsOf(rule.id)).toHaveLength(0);

    const hot = await sys.http.post(rule.hookUrl).send({ score: 90 });
    expect(hot.status).toBe(202);
    expect(hot.body.matched).toBe(true);
    await succeeded(hot.body.executionId as string);
    expect(await executionsOf(rule.id)).toHaveLength(1);
    expect(requestsTo('/hot')).toHaveLength(1);
  });

  it('answers the same 404 for an unknown token, a malformed one and an inactive rule', async () => {
    const rule = await hookRule('/inactive');
    const unknown = await sys.http.post(`/v1/hooks/${randomBytes(32).toString('base64url')}`).send({ a: 1 });
    expect(unknown.status).toBe(404);
    const malformed = await sys.http.post('/v1/hooks/x').send({ a: 1 });
    expect(malformed.status).toBe(404);
    expect(malformed.body).toEqual(unknown.body);

    expect((await sys.http.post(`/v1/rules/${rule.id}/deactivate`).set(sys.auth)).status).toBe(200);
    const inactive = await sys.http.post(rule.hookUrl).send({ a: 1 });
    expect(inactive.status).toBe(404);
    expect(inactive.body).toEqual(unknown.body);
    expect(await executionsOf(rule.id)).toHaveLength(0);

    // A rule whose trigger is no longer `webhook` loses its token.
    expect((await sys.http.post(`/v1/rules/${rule.id}/activate`).set(sys.auth)).status).toBe(200);
    expect((await sys.http.post(rule.hookUrl).send({})).status).toBe(202);
    const changed = await sys.http
      .patch(`/v1/rules/${rule.id}`)
      .set(sys.auth)
      .send({ trigger: { type: 'manual' } });
    expect(changed.status).toBe(200);
    expect((await sys.http.post(rule.hookUrl).send({})).status).toBe(404);
  });

  it('dedups on Idempotency-Key: a retried call starts nothing new and gets the same answer', async () => {
    const rule = await hookRule('/idem');
    const send = (key: string) => sys.http.post(rule.hookUrl).set('Idempotency-Key', key).send({ n: 1 });
    const first = await send('order-42');
    expect(first.status).toBe(202);
    expect(first.body.workflowId).toBe(`rule-${rule.id}-order-42`);
    const again = await send('order-42');
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);

    // Concurrent retries of one new key: one run between them.
    const racing = await Promise.all([send('order-43'), send('order-43'), send('order-43')]);
    expect(racing.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(new Set(racing.map((r) => r.body.executionId)).size).toBe(1);

    await succeeded(first.body.executionId as string);
    await succeeded(racing[0]!.body.executionId as string);
    const runs = await executionsOf(rule.id);
    expect(runs.map((e) => e.eventId).sort()).toEqual(['order-42', 'order-43']);
    expect(requestsTo('/idem')).toHaveLength(2);
  });

  it('refuses a body that is not a JSON object and a malformed Idempotency-Key with 400', async () => {
    const rule = await hookRule('/bad');
    const array = await sys.http.post(rule.hookUrl).send([1, 2]);
    expect(array.status).toBe(400);
    expect(array.body.message).toContain('JSON object');
    const string = await sys.http.post(rule.hookUrl).set('Content-Type', 'application/json').send('"text"');
    expect(string.status).toBe(400);
    const key = await sys.http.post(rule.hookUrl).set('Idempotency-Key', 'has spaces!').send({});
    expect(key.status).toBe(400);
    expect(key.body.message).toContain('Idempotency-Key');
    const plain = await sys.http.post(rule.hookUrl).set('Content-Type', 'text/plain').send('hello');
    expect(plain.status).toBe(415);
    expect(await executionsOf(rule.id)).toHaveLength(0);
    expect(requestsTo('/bad')).toHaveLength(0);
  });

  it('is documented in the OpenAPI document without API-key security', async () => {
    const doc = await sys.http.get('/docs-json');
    const op = doc.body.paths['/v1/hooks/{token}']?.post;
    expect(op).toBeDefined();
    expect(op.security).toBeUndefined();
    expect(JSON.stringify(op.responses['202'])).toContain('matched');
    for (const path of ['/v1/executions/summary', '/v1/executions/rerun', '/v1/executions/{id}/cancel']) {
      expect(doc.body.paths).toHaveProperty([path]);
    }
  });
});
