import { randomBytes } from 'node:crypto';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

interface Execution {
  id: string;
  status: string;
  actions: Array<{ name: string; status: string }>;
}

describe('run control: bulk cancel, restore a rule version, backtest', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys?.close();
  });

  /** A tenant of its own with an admin key, made through the operator's API: counts no other test touches. */
  async function tenantWithKey() {
    const tenant = await sys.http
      .post('/v1/tenants')
      .set(sys.auth)
      .send({ name: `rc-${randomBytes(4).toString('hex')}` });
    expect(tenant.status).toBe(201);
    const key = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: 'run control', tenantId: tenant.body.id, scopes: ['admin'] });
    expect(key.status).toBe(201);
    return { tenantId: tenant.body.id as string, auth: { Authorization: `Bearer ${key.body.key as string}` } };
  }

  async function createRule(body: Record<string, unknown>, auth = sys.auth) {
    const res = await sys.http
      .post('/v1/rules')
      .set(auth)
      .send({ name: 'r', trigger: { type: 'on_create' }, ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number };
  }

  async function execution(id: string, auth = sys.auth): Promise<Execution> {
    const res = await sys.http.get(`/v1/executions/${id}`).set(auth);
    expect(res.status).toBe(200);
    return res.body as Execution;
  }

  async function startRun(ruleId: string, auth = sys.auth): Promise<string> {
    const res = await sys.http.post(`/v1/rules/${ruleId}/run`).set(auth).send({ data: {} });
    expect(res.status).toBe(202);
    return res.body.executionId as string;
  }

  const delayed = (entity: string) => ({
    entity,
    trigger: { type: 'manual' },
    actions: [{ name: 'wait', type: 'delay', config: { duration: '1h' } }],
  });

  describe('POST /v1/executions/cancel', () => {
    it("cancels the tenant's running runs of a rule, and only those", async () => {
      const t = await tenantWithKey();
      const rule = await createRule(delayed('bulk_cancel'), t.auth);
      const other = await createRule(delayed('bulk_cancel_other'), t.auth);
      const runs = [await startRun(rule.id, t.auth), await startRun(rule.id, t.auth), await startRun(rule.id, t.auth)];
      const spared = await startRun(other.id, t.auth);
      for (const id of [...runs, spared]) {
        await eventually(async () => (await execution(id, t.auth)).actions[0]?.status === 'running');
      }

      const res = await sys.http.post('/v1/executions/cancel').set(t.auth).send({ ruleId: rule.id, status: 'running' });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ count: 3 });
      for (const id of runs) {
        await eventually(async () => (await execution(id, t.auth)).status === 'cancelled');
      }
      expect((await execution(spared, t.auth)).status).toBe('running');

      // Nothing left of that rule: a second call cancels nothing.
      await eventually(async () => {
        const again = await sys.http.post('/v1/executions/cancel').set(t.auth).send({ ruleId: rule.id });
        return again.status === 202 && again.body.count === 0;
      });

      // With no filter, every run of the tenant that has not ended (both statuses by default).
      const all = await sys.http.post('/v1/executions/cancel').set(t.auth).send({});
      expect(all.status).toBe(202);
      expect(all.body).toEqual({ count: 1 });
      await eventually(async () => (await execution(spared, t.auth)).status === 'cancelled');
    });

    it('matches nothing for another tenant, nor created after `since`', async () => {
      const a = await tenantWithKey();
      const b = await tenantWithKey();
      const rule = await createRule(delayed('bulk_cancel_iso'), a.auth);
      const run = await startRun(rule.id, a.auth);
      await eventually(async () => (await execution(run, a.auth)).actions[0]?.status === 'running');

      const byB = await sys.http.post('/v1/executions/cancel').set(b.auth).send({ ruleId: rule.id });
      expect(byB.status).toBe(202);
      expect(byB.body).toEqual({ count: 0 });
      const later = await sys.http
        .post('/v1/executions/cancel')
        .set(a.auth)
        .send({ since: new Date(Date.now() + 60_000).toISOString() });
      expect(later.body).toEqual({ count: 0 });
      expect((await execution(run, a.auth)).status).toBe('running');

      const mine = await sys.http.post('/v1/executions/cancel').set(a.auth).send({ status: 'running' });
      expect(mine.body).toEqual({ count: 1 });
      await eventually(async () => (await execution(run, a.auth)).status === 'cancelled');
    });

    it.each([
      [{ ruleId: 'nope' }, 'ruleId'],
      [{ status: 'failed' }, 'status'],
      [{ since: 'yesterday' }, 'since'],
    ])('answers 400 naming the field for %j', async (body, field) => {
      const res = await sys.http.post('/v1/executions/cancel').set(sys.auth).send(body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    });
  });
});
