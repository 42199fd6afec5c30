import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver } from '@ruleflow/testing';
import { ScheduleNotFoundError } from '@temporalio/client';
import request from 'supertest';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

describe('rules: versions, activation, ordering, dry runs, manual runs, triggers, templates', () => {
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

  const hook = () => ({ type: 'webhook', config: { url: `${receiver.url}/r` } });
  async function create(body: Record<string, unknown>) {
    const res = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({ name: 'r', entity: 'items', trigger: { type: 'on_create' }, actions: [hook()], ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number; trigger: Record<string, unknown> };
  }
  const post = (path: string, body: object = {}) => sys.http.post(path).set(sys.auth).send(body);

  it('keeps every version of a rule, newest first', async () => {
    const rule = await create({ name: 'v1' });
    await sys.http.patch(`/v1/rules/${rule.id}`).set(sys.auth).send({ name: 'v2' }).expect(200);
    await sys.http.patch(`/v1/rules/${rule.id}`).set(sys.auth).send({ priority: 4 }).expect(200);
    const res = await sys.http.get(`/v1/rules/${rule.id}/versions`).set(sys.auth);
    expect(res.status).toBe(200);
    expect(res.body.items.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(res.body.items[2].rule).toMatchObject({ name: 'v1', version: 1 });
    expect(res.body.items[0].rule).toMatchObject({ name: 'v2', priority: 4, version: 3 });
    expect(res.body.items[0].createdAt).toEqual(expect.any(String));
  });

  it('deactivate/activate change matching at once, also in another gateway process', async () => {
    const entity = 'toggle';
    const rule = await create({ entity });
    const other = await sys.startGateway();
    const ingest = (app: typeof other | undefined, id: string) =>
      request((app ?? sys.app).getHttpServer())
        .post('/v1/events')
        .set(sys.auth)
        .send({ id, entity, type: 'on_create', data: {} });

    expect((await ingest(other, 'tg-1')).body.executions).toHaveLength(1); // warms the other gateway's cache
    const off = await post(`/v1/rules/${rule.id}/deactivate`);
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ isActive: false, version: 2 });
    await eventually(async () => (await ingest(other, `tg-2-${Date.now()}`)).body.executions.length === 0, 5000);
    expect((await ingest(undefined, 'tg-3')).body.executions).toHaveLength(0);
    const on = await post(`/v1/rules/${rule.id}/activate`);
    expect(on.body).toMatchObject({ isActive: true, version: 3 });
    await eventually(async () => (await ingest(other, `tg-4-${Date.now()}`)).body.executions.length === 1, 5000);
    // Activating an active rule is not a change.
    expect((await post(`/v1/rules/${rule.id}/activate`)).body.version).toBe(3);
    await other.close();
  });

  it('reorders: the first id gets the highest priority; an unknown id changes nothing', async () => {
    const a = await create({ entity: 'ord', name: 'a' });
    const b = await create({ entity: 'ord', name: 'b' });
    const c = await create({ entity: 'ord', name: 'c' });
    const res = await post('/v1/rules/reorder', { ruleIds: [c.id, a.id, b.id] });
    expect(res.status).toBe(200);
    const list = await sys.http.get('/v1/rules').query({ entity: 'ord' }).set(sys.auth);
    expect(list.body.items.map((r: { name: string; priority: number }) => [r.name, r.priority])).toEqual([
      ['c', 3],
      ['a', 2],
      ['b', 1],
    ]);
    const bad = await post('/v1/rules/reorder', { ruleIds: [b.id, '3f1c1f8e-9d55-4a55-9a3c-000000000000'] });
    expect(bad.status).toBe(404);
    expect((await sys.http.get(`/v1/rules/${b.id}`).set(sys.auth)).body.priority).toBe(1);
    expect((await post('/v1/rules/reorder', { ruleIds: ['nope'] })).status).toBe(400);
  });

  it('dry-runs a rule: per-condition results and rendered configs, nothing stored', async () => {
    const rule = await create({
      entity: 'dry',
      trigger: { type: 'on_update' },
      conditions: {
        all: [
          { field: 'status', operator: 'changed_to', value: 'shipped' },
          { field: 'total', operator: 'greater_than', value: 100 },
        ],
      },
      actions: [
        {
          name: 'erp',
          type: 'webhook',
          config: {
            url: `${receiver.url}/x`,
            body: { id: '{{data.id}}', msg: 'order {{data.id}} by {{data.customer.name}}' },
          },
        },
      ],
    });
    const res = await post(`/v1/rules/${rule.id}/test`, {
      data: { id: 7, status: 'shipped', total: 50, customer: { name: 'Ann' } },
      previous: { status: 'packed' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      matched: false,
      conditions: [
        { field: 'status', operator: 'changed_to', expected: 'shipped', actual: 'shipped', passed: true },
        { field: 'total', operator: 'greater_than', expected: 100, actual: 50, passed: false },
      ],
      actions: [
        { name: 'erp', type: 'webhook', config: expect.objectContaining({ body: { id: 7, msg: 'order 7 by Ann' } }) },
      ],
    });
    const rows: Array<{ n: string }> = await sys.db.query(
      `SELECT count(*)::text AS n FROM executions WHERE rule_id = $1`,
      [rule.id],
    );
    expect(rows[0]!.n).toBe('0');
    expect((await post(`/v1/rules/${rule.id}/test`, { data: 'x' })).status).toBe(400);
  });

  it('runs any rule manually with the given data', async () => {
    const rule = await create({
      entity: 'manual',
      trigger: { type: 'on_delete' },
      actions: [
        { name: 'm', type: 'webhook', config: { url: `${receiver.url}/manual`, body: { who: '{{data.who}}' } } },
      ],
    });
    const res = await post(`/v1/rules/${rule.id}/run`, { data: { who: 'operator' } });
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      executionId: expect.any(String),
      workflowId: expect.stringMatching(new RegExp(`^rule-${rule.id}-`)),
    });
    const done = await eventually(async () => {
      const e = await sys.http.get(`/v1/executions/${res.body.executionId}`).set(sys.auth);
      return e.body.status === 'success' ? e.body : undefined;
    });
    expect(done.triggerType).toBe('manual');
    expect(JSON.parse(receiver.requests.find((r) => r.path === '/manual')!.body)).toEqual({ who: 'operator' });
    expect((await post('/v1/rules/3f1c1f8e-9d55-4a55-9a3c-000000000000/run', {})).status).toBe(404);
  });

  it('gives webhook-triggered rules a secret hook URL, and drops it when the trigger changes', async () => {
    const rule = await create({ trigger: { type: 'webhook' } });
    expect(rule.trigger.hookUrl).toMatch(/^\/v1\/hooks\/[A-Za-z0-9_-]{43}$/);
    const listed = await sys.http.get(`/v1/rules/${rule.id}`).set(sys.auth);
    // Shown in full only on create (and rotate-hook); elsewhere masked but for its first characters.
    expect(listed.body.trigger.hookUrl).toBe(
      `${String(rule.trigger.hookUrl).slice(0, '/v1/hooks/'.length + 6)}********`,
    );
    const changed = await sys.http
      .patch(`/v1/rules/${rule.id}`)
      .set(sys.auth)
      .send({ trigger: { type: 'manual' } });
    expect(changed.body.trigger).toEqual({ type: 'manual' });
  });

  it('keeps a Temporal Schedule per scheduled rule: created, updated, paused, deleted', async () => {
    const rule = await create({ trigger: { type: 'scheduled', cron: '*/5 * * * *', timezone: 'Europe/Paris' } });
    expect(rule.trigger).toEqual({ type: 'scheduled', cron: '*/5 * * * *', timezone: 'Europe/Paris' });
    const handle = sys.temporal.schedule.getHandle(`rule-schedule-${rule.id}`);
    let described = await handle.describe();
    expect(described.spec.timezone).toBe('Europe/Paris');
    expect(described.state.paused).toBe(false);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'ScheduledRuleWorkflow' });

    await sys.http
      .patch(`/v1/rules/${rule.id}`)
      .set(sys.auth)
      .send({ trigger: { type: 'scheduled', cron: '0 9 * * 1-5' } })
      .expect(200);
    described = await handle.describe();
    expect(described.spec.timezone).toBe('UTC');
    expect(JSON.stringify(described.spec)).toContain('9');

    await post(`/v1/rules/${rule.id}/deactivate`).expect(200);
    expect((await handle.describe()).state.paused).toBe(true);
    await post(`/v1/rules/${rule.id}/activate`).expect(200);
    expect((await handle.describe()).state.paused).toBe(false);

    // Lost on the Temporal side (a new cluster, an operator's mistake): a gateway start recreates it.
    await handle.delete();
    const restarted = await sys.startGateway();
    await eventually(async () => (await handle.describe().catch(() => undefined)) !== undefined, 15000);
    await restarted.close();

    await sys.http.delete(`/v1/rules/${rule.id}`).set(sys.auth).expect(204);
    await expect(handle.describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it.each([
    [{ type: 'scheduled' }, /trigger\.cron/],
    [{ type: 'scheduled', cron: '61 * * * *' }, /trigger\.cron/],
    [{ type: 'scheduled', cron: '* * * *' }, /5 fields/],
    [{ type: 'scheduled', cron: '* * * * *', timezone: 'Mars/Olympus' }, /trigger\.timezone/],
    [{ type: 'on_create', cron: '* * * * *' }, /scheduled triggers only/],
  ])('refuses a bad schedule %j', async (trigger, pattern) => {
    const res = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({ name: 's', entity: 'x', trigger, actions: [hook()] });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toMatch(pattern);
  });

  describe('action templates', () => {
    it('CRUD with unique names', async () => {
      const created = await post('/v1/action-templates', {
        name: 'erp',
        actionType: 'webhook',
        defaultConfig: { url: `${receiver.url}/tpl` },
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ name: 'erp', actionType: 'webhook', description: null });
      expect((await post('/v1/action-templates', { name: 'erp', actionType: 'delay', defaultConfig: {} })).status).toBe(
        409,
      );
      expect(
        (await post('/v1/action-templates', { name: 'x', actionType: 'teleport', defaultConfig: {} })).status,
      ).toBe(400);
      expect((await post('/v1/action-templates', { name: 'x', actionType: 'delay', defaultConfig: 'no' })).status).toBe(
        400,
      );
      const id = created.body.id as string;
      const patched = await sys.http.patch(`/v1/action-templates/${id}`).set(sys.auth).send({ description: 'ERP' });
      expect(patched.body.description).toBe('ERP');
      const list = await sys.http.get('/v1/action-templates').set(sys.auth);
      expect(list.body.items.map((t: { id: string }) => t.id)).toContain(id);
      expect((await sys.http.get(`/v1/action-templates/${id}`).set(sys.auth)).status).toBe(200);
    });

    it('merges defaultConfig under the action config at save time', async () => {
      const tpl = await post('/v1/action-templates', {
        name: 'merge',
        actionType: 'webhook',
        defaultConfig: { url: `${receiver.url}/from-template`, headers: { 'X-From': 'template' } },
      });
      const rule = await create({
        entity: 'tpl',
        actions: [{ name: 'w', templateId: tpl.body.id, config: { body: { a: 1 } } }],
      });
      const got = await sys.http.get(`/v1/rules/${rule.id}`).set(sys.auth);
      expect(got.body.actions[0]).toMatchObject({
        name: 'w',
        type: 'webhook',
        templateId: tpl.body.id,
        config: { url: `${receiver.url}/from-template`, headers: { 'X-From': 'template' }, body: { a: 1 } },
      });
      const wrongType = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({
          name: 'x',
          entity: 'x',
          trigger: { type: 'on_create' },
          actions: [{ type: 'delay', templateId: tpl.body.id, config: { duration: '1s' } }],
        });
      expect(wrongType.status).toBe(400);
      expect(JSON.stringify(wrongType.body.message)).toMatch(/actions\[0\]\.type/);
      const unknown = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({
          name: 'x',
          entity: 'x',
          trigger: { type: 'on_create' },
          actions: [{ type: 'webhook', templateId: '3f1c1f8e-9d55-4a55-9a3c-000000000000' }],
        });
      expect(unknown.status).toBe(400);
      expect(JSON.stringify(unknown.body.message)).toMatch(/actions\[0\]\.templateId/);
      expect((await sys.http.delete(`/v1/action-templates/${tpl.body.id}`).set(sys.auth)).status).toBe(204);
      expect((await sys.http.get(`/v1/action-templates/${tpl.body.id}`).set(sys.auth)).status).toBe(404);
    });
  });
});
