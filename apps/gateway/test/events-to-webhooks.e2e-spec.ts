import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver, verifyStandardWebhook } from '@ruleflow/testing';
import { EventIdKey, RuleflowKindKey, RuleNameKey, RunStatusKey } from '@ruleflow/contract';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const fastRetry = { maximumAttempts: 5, initialInterval: '100ms', backoffCoefficient: 1, maximumInterval: '200ms' };

describe('event → rule → signed webhook (end to end)', () => {
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
    receiver.setHandler(() => ({ status: 200, body: JSON.stringify({ ok: true }) }));
  });

  async function createRule(body: Record<string, unknown>) {
    const res = await sys.http.post('/v1/rules').set(sys.auth).send(body);
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number };
  }

  async function waitForExecution(id: string, statuses = ['success', 'failed', 'partial', 'cancelled']) {
    return eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${id}`).set(sys.auth);
      return statuses.includes(res.body.status) ? res.body : undefined;
    });
  }

  it('delivers a Standard Webhooks-signed request and records a success execution', async () => {
    const entity = 'orders_signed';
    const rule = await createRule({
      name: 'Notify ERP when order ships',
      entity,
      trigger: { type: 'on_update' },
      conditions: {
        all: [
          { field: 'status', operator: 'changed_to', value: 'shipped' },
          { any: [{ field: 'total', operator: 'greater_than', value: 100 }] },
        ],
      },
      actions: [
        {
          name: 'erp',
          type: 'webhook',
          config: {
            url: `${receiver.url}/hooks/erp`,
            secret: SECRET,
            headers: { 'X-Tenant': 'acme' },
            body: { orderId: '{{data.id}}', note: 'Order {{data.id}} shipped', total: '{{ data.total }}' },
          },
        },
      ],
    });

    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({
        id: 'evt-signed-1',
        entity,
        type: 'on_update',
        data: { id: 42, status: 'shipped', total: 150 },
        previous: { id: 42, status: 'packed', total: 150 },
      });
    expect(ev.status).toBe(202);
    expect(ev.body.eventId).toBe('evt-signed-1');
    expect(ev.body.executions).toHaveLength(1);
    const { executionId, workflowId, ruleId } = ev.body.executions[0];
    expect(ruleId).toBe(rule.id);
    expect(workflowId).toBe(`rule-${rule.id}-evt-signed-1`);

    const execution = await waitForExecution(executionId);
    expect(execution.status).toBe('success');
    expect(execution.ruleVersion).toBe(1);
    expect(execution.runId).toEqual(expect.any(String));
    expect(execution.temporalUrl).toMatch(
      new RegExp(`/workflows/${encodeURIComponent(workflowId)}/${execution.runId}/user-metadata$`),
    );
    // The Temporal UI's list names the run's rule, event and outcome. The row can read `success` a moment
    // before the workflow task that records it completes (with the RunStatus upsert): wait for the run's end.
    const handle = sys.temporal.workflow.getHandle(workflowId);
    await handle.result();
    const attributes = (await handle.describe()).typedSearchAttributes;
    expect(attributes.get(RuleflowKindKey)).toBe('rule_run');
    expect(attributes.get(RuleNameKey)).toBe('Notify ERP when order ships');
    expect(attributes.get(EventIdKey)).toBe('evt-signed-1');
    expect(attributes.get(RunStatusKey)).toBe('success');
    expect(execution.actions).toEqual([
      expect.objectContaining({
        name: 'erp',
        type: 'webhook',
        status: 'success',
        attempts: 1,
        output: { statusCode: 200, body: { ok: true } },
      }),
    ]);
    expect(execution.durationMs).toEqual(expect.any(Number));
    expect(execution.completedAt).toEqual(expect.any(String));

    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.path).toBe('/hooks/erp');
    expect(req.headers['x-tenant']).toBe('acme');
    // Verified with the official library: throws on a bad signature.
    const verified = verifyStandardWebhook(SECRET, req);
    expect(verified).toEqual({ orderId: 42, note: 'Order 42 shipped', total: 150 });

    // The rule's stats moved, and operators find the run by its search attributes.
    const after = await sys.http.get(`/v1/rules/${rule.id}`).set(sys.auth);
    expect(after.body).toMatchObject({ executionCount: 1, lastExecutionStatus: 'success' });
    expect(after.body.lastExecutedAt).toEqual(expect.any(String));
    const found = await eventually(async () => {
      const runs = [];
      for await (const wf of sys.temporal.workflow.list({ query: `RuleId="${rule.id}"` })) runs.push(wf);
      return runs.length ? runs : undefined;
    });
    expect(found[0]!.workflowId).toBe(workflowId);
    expect(found[0]!.searchAttributes).toMatchObject({
      EntityName: [entity],
      TriggerType: ['on_update'],
      RuleName: ['Notify ERP when order ships'],
    });
  });

  it('does not fire when the conditions do not hold', async () => {
    const entity = 'orders_nomatch';
    await createRule({
      name: 'big orders',
      entity,
      trigger: { type: 'on_create' },
      conditions: [{ field: 'total', operator: 'greater_than', value: 100 }],
      actions: [{ type: 'webhook', config: { url: `${receiver.url}/x` } }],
    });
    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({ entity, type: 'on_create', data: { total: 5 } });
    expect(ev.status).toBe(202);
    expect(ev.body.executions).toEqual([]);
    expect(ev.body.eventId).toEqual(expect.any(String));
  });

  it('retries 503 twice then succeeds: 3 attempts with one webhook-id', async () => {
    let calls = 0;
    receiver.setHandler(() => (++calls <= 2 ? { status: 503, body: 'busy' } : { status: 200, body: 'done' }));
    const entity = 'orders_retry';
    await createRule({
      name: 'retrying',
      entity,
      trigger: { type: 'on_create' },
      actions: [
        { name: 'flaky', type: 'webhook', config: { url: `${receiver.url}/flaky`, secret: SECRET }, retry: fastRetry },
      ],
    });
    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({ entity, type: 'on_create', data: { id: 1 } });
    const execution = await waitForExecution(ev.body.executions[0].executionId);
    expect(execution.status).toBe('success');
    expect(execution.actions[0]).toMatchObject({
      status: 'success',
      attempts: 3,
      output: { statusCode: 200, body: 'done' },
    });
    expect(receiver.requests).toHaveLength(3);
    const ids = new Set(receiver.requests.map((r) => r.headers['webhook-id']));
    expect(ids.size).toBe(1);
  });

  it('fails at once on a 400: no retry, execution failed', async () => {
    receiver.setHandler(() => ({ status: 400, body: 'bad payload' }));
    const entity = 'orders_reject';
    await createRule({
      name: 'rejected',
      entity,
      trigger: { type: 'on_create' },
      actions: [{ name: 'strict', type: 'webhook', config: { url: `${receiver.url}/strict` }, retry: fastRetry }],
    });
    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({ entity, type: 'on_create', data: { id: 2 } });
    const execution = await waitForExecution(ev.body.executions[0].executionId);
    expect(execution.status).toBe('failed');
    expect(execution.errorAction).toBe('strict');
    expect(execution.error).toContain('400');
    expect(execution.actions[0]).toMatchObject({ status: 'failed', attempts: 1 });
    expect(receiver.requests).toHaveLength(1);
  });

  it('records partial when a later action fails after an earlier one succeeded, and skips the rest', async () => {
    receiver.setHandler((req) =>
      req.url === '/second' ? { status: 422, body: 'no' } : { status: 200, body: '{"n":1}' },
    );
    const entity = 'orders_partial';
    await createRule({
      name: 'partial',
      entity,
      trigger: { type: 'on_create' },
      actions: [
        { name: 'first', type: 'webhook', config: { url: `${receiver.url}/first` }, retry: fastRetry },
        {
          name: 'second',
          type: 'webhook',
          config: { url: `${receiver.url}/second`, body: { prev: '{{steps.first.body.n}}' } },
          retry: fastRetry,
        },
        { name: 'third', type: 'webhook', config: { url: `${receiver.url}/third` }, retry: fastRetry },
      ],
    });
    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({ entity, type: 'on_create', data: { id: 3 } });
    const execution = await waitForExecution(ev.body.executions[0].executionId);
    expect(execution.status).toBe('partial');
    expect(execution.actions.map((a: { status: string }) => a.status)).toEqual(['success', 'failed', 'skipped']);
    expect(JSON.parse(receiver.requests.find((r) => r.path === '/second')!.body)).toEqual({ prev: 1 });
    expect(receiver.requests.some((r) => r.path === '/third')).toBe(false);
  });

  it('treats a repeated event id as the same event: same answer, one run', async () => {
    const entity = 'orders_idem';
    await createRule({
      name: 'idempotent',
      entity,
      trigger: { type: 'on_create' },
      actions: [{ type: 'webhook', config: { url: `${receiver.url}/idem` } }],
    });
    const body = { id: 'evt-idem-1', entity, type: 'on_create', data: { id: 9 } };
    const [a, b] = await Promise.all([
      sys.http.post('/v1/events').set(sys.auth).send(body),
      sys.http.post('/v1/events').set(sys.auth).send(body),
    ]);
    const c = await sys.http.post('/v1/events').set(sys.auth).send(body);
    expect([a.status, b.status, c.status]).toEqual([202, 202, 202]);
    expect(b.body).toEqual(a.body);
    expect(c.body).toEqual(a.body);
    await waitForExecution(a.body.executions[0].executionId);
    const list = await sys.http.get('/v1/executions').query({ eventId: 'evt-idem-1' }).set(sys.auth);
    expect(list.body.items).toHaveLength(1);
    expect(receiver.requests.filter((r) => r.path === '/idem')).toHaveLength(1);
  });

  it('starts runs in priority order, one per matching rule', async () => {
    const entity = 'orders_priority';
    const low = await createRule({
      name: 'low',
      entity,
      trigger: { type: 'on_delete' },
      priority: 1,
      actions: [{ type: 'delay', config: { duration: '10ms' } }],
    });
    const high = await createRule({
      name: 'high',
      entity,
      trigger: { type: 'on_delete' },
      priority: 50,
      actions: [{ type: 'delay', config: { duration: '10ms' } }],
    });
    await createRule({
      name: 'inactive',
      entity,
      trigger: { type: 'on_delete' },
      priority: 99,
      isActive: false,
      actions: [{ type: 'delay', config: { duration: '10ms' } }],
    });
    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({ entity, type: 'on_delete', data: { id: 5 } });
    expect(ev.body.executions.map((e: { ruleId: string }) => e.ruleId)).toEqual([high.id, low.id]);
    for (const e of ev.body.executions) expect((await waitForExecution(e.executionId)).status).toBe('success');
  });
});
