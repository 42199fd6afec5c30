import { createHash, randomUUID } from 'node:crypto';
import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver } from '@ruleflow/testing';
import { WorkflowFailedError } from '@temporalio/client';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

const fastRetry = { maximumAttempts: 2, initialInterval: '100ms', backoffCoefficient: 1, maximumInterval: '100ms' };
const ENDED = ['success', 'failed', 'partial', 'cancelled'];

interface Rule {
  id: string;
  name: string;
  entity: string;
  isActive: boolean;
  trigger: { type: string };
}

describe('rule dependencies (a DAG) and chained runs (end to end)', () => {
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
    receiver.setHandler((req) => {
      if (req.url?.startsWith('/fail')) return { status: 400, body: 'rejected' };
      if (req.url?.startsWith('/parent'))
        return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"x":"from-parent","n":3}' };
      return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' };
    });
  });

  /** An API key of its own tenant (or of `default`), with these scopes. */
  async function keyFor(scopes: string[], tenantName = 'default'): Promise<{ Authorization: string }> {
    await sys.db.query(`INSERT INTO tenants (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [tenantName]);
    const tenant: Array<{ id: string }> = await sys.db.query(`SELECT id FROM tenants WHERE name = $1`, [tenantName]);
    const key = `rf_chain_${randomUUID().replace(/-/g, '')}`;
    await sys.db.query(
      `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes) VALUES ($1, 'chain', $2, $3, $4)`,
      [tenant[0]!.id, key.slice(0, 10), createHash('sha256').update(key).digest('hex'), scopes],
    );
    return { Authorization: `Bearer ${key}` };
  }

  let seq = 0;
  async function createRule(body: Record<string, unknown> = {}, auth = sys.auth): Promise<Rule> {
    const res = await sys.http
      .post('/v1/rules')
      .set(auth)
      .send({
        name: `rule-${++seq}`,
        entity: 'chained_things',
        trigger: { type: 'manual' },
        actions: [{ type: 'delay', config: { duration: '1ms' } }],
        ...body,
      });
    expect(res.status).toBe(201);
    return res.body as Rule;
  }
  const link = (parent: Rule, child: Rule | string, auth = sys.auth) =>
    sys.http
      .post(`/v1/rules/${parent.id}/dependencies`)
      .set(auth)
      .send({ childRuleId: typeof child === 'string' ? child : child.id });
  const edgeCount = async () =>
    ((await sys.db.query(`SELECT count(*)::int AS n FROM rule_dependencies`)) as Array<{ n: number }>)[0]!.n;
  const summary = (r: Rule) => ({
    id: r.id,
    name: r.name,
    entity: r.entity,
    isActive: r.isActive,
    triggerType: r.trigger.type,
  });

  describe('the DAG API', () => {
    it('adds, lists and removes dependencies', async () => {
      const a = await createRule({ name: 'A', priority: 1 });
      const b = await createRule({ name: 'B', priority: 5, entity: 'other', trigger: { type: 'on_create' } });
      const c = await createRule({ name: 'C', isActive: false });

      const ab = await link(a, b);
      expect(ab.status).toBe(201);
      expect(ab.body).toEqual({
        id: expect.any(String),
        parentRuleId: a.id,
        childRuleId: b.id,
        createdAt: expect.any(String),
      });
      expect(new Date(ab.body.createdAt).toISOString()).toBe(ab.body.createdAt);
      expect((await link(a, c)).status).toBe(201);
      expect((await link(c, b)).status).toBe(201);

      const ofA = await sys.http.get(`/v1/rules/${a.id}/dependencies`).set(sys.auth);
      expect(ofA.status).toBe(200);
      expect(ofA.body).toEqual({ children: [summary(b), summary(c)], parents: [] });
      const ofB = await sys.http.get(`/v1/rules/${b.id}/dependencies`).set(sys.auth);
      expect(ofB.body).toEqual({ children: [], parents: [summary(a), summary(c)] });

      const del = await sys.http.delete(`/v1/rules/${a.id}/dependencies/${b.id}`).set(sys.auth);
      expect(del.status).toBe(204);
      expect((await sys.http.delete(`/v1/rules/${a.id}/dependencies/${b.id}`).set(sys.auth)).status).toBe(404);
      expect((await sys.http.delete(`/v1/rules/${b.id}/dependencies/${a.id}`).set(sys.auth)).status).toBe(404);
      expect((await sys.http.delete(`/v1/rules/${a.id}/dependencies/not-a-uuid`).set(sys.auth)).status).toBe(404);
      expect((await sys.http.get(`/v1/rules/${a.id}/dependencies`).set(sys.auth)).body.children).toEqual([summary(c)]);

      // Deleting a rule takes its edges with it.
      await sys.http.delete(`/v1/rules/${c.id}`).set(sys.auth).expect(204);
      expect((await sys.http.get(`/v1/rules/${a.id}/dependencies`).set(sys.auth)).body).toEqual({
        children: [],
        parents: [],
      });
      expect((await sys.http.get(`/v1/rules/${b.id}/dependencies`).set(sys.auth)).body).toEqual({
        children: [],
        parents: [],
      });
    });

    it('refuses a self-dependency with 409', async () => {
      const a = await createRule();
      const before = await edgeCount();
      const res = await link(a, a);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
      expect(res.body.message).toContain('itself');
      expect(await edgeCount()).toBe(before);
    });

    it('refuses an edge that would close a cycle A → B → C → A, naming the path', async () => {
      const a = await createRule({ name: 'cyc-A' });
      const b = await createRule({ name: 'cyc-B' });
      const c = await createRule({ name: 'cyc-C' });
      expect((await link(a, b)).status).toBe(201);
      expect((await link(b, c)).status).toBe(201);
      const before = await edgeCount();
      const res = await link(c, a);
      expect(res.status).toBe(409);
      expect(res.body.message).toBe(
        `dependency would close a cycle: "cyc-C" (${c.id}) → "cyc-A" (${a.id}) → "cyc-B" (${b.id}) → "cyc-C" (${c.id})`,
      );
      expect((await link(b, a)).status).toBe(409);
      expect(await edgeCount()).toBe(before);
      // Not a cycle: a second path to the same rule (a diamond) is fine.
      expect((await link(a, c)).status).toBe(201);
    });

    it('refuses a duplicate edge with 409', async () => {
      const a = await createRule();
      const b = await createRule();
      expect((await link(a, b)).status).toBe(201);
      const again = await link(a, b);
      expect(again.status).toBe(409);
      expect(again.body.message).toContain('already depends');
      const rows: Array<{ n: number }> = await sys.db.query(
        `SELECT count(*)::int AS n FROM rule_dependencies WHERE parent_rule_id = $1 AND child_rule_id = $2`,
        [a.id, b.id],
      );
      expect(rows[0]!.n).toBe(1);
    });

    it("answers 404 for unknown rules and for another tenant's, and writes nothing", async () => {
      const other = await keyFor(['admin'], `tenant-${randomUUID()}`);
      const mine = await createRule();
      const theirs = await createRule({}, other);
      const theirOther = await createRule({}, other);
      const before = await edgeCount();
      expect((await link(mine, theirs)).status).toBe(404);
      expect((await link(theirs, mine)).status).toBe(404);
      expect((await link(theirs, theirOther)).status).toBe(404);
      expect((await link(mine, randomUUID())).status).toBe(404);
      expect(
        (await sys.http.post(`/v1/rules/nope/dependencies`).set(sys.auth).send({ childRuleId: mine.id })).status,
      ).toBe(404);
      expect(await edgeCount()).toBe(before);

      // Their own edge is theirs alone: invisible and undeletable from here.
      expect((await link(theirs, theirOther, other)).status).toBe(201);
      expect((await sys.http.get(`/v1/rules/${theirs.id}/dependencies`).set(sys.auth)).status).toBe(404);
      expect((await sys.http.delete(`/v1/rules/${theirs.id}/dependencies/${theirOther.id}`).set(sys.auth)).status).toBe(
        404,
      );
      const seen = await sys.http.get(`/v1/rules/${theirs.id}/dependencies`).set(other);
      expect(seen.body.children.map((r: Rule) => r.id)).toEqual([theirOther.id]);
    });

    it('validates the body: childRuleId must be a UUID; unknown fields are refused', async () => {
      const a = await createRule();
      const b = await createRule();
      const before = await edgeCount();
      for (const body of [{}, { childRuleId: 'abc' }, { childRuleId: 42 }, { childRuleId: b.id, extra: true }]) {
        const res = await sys.http.post(`/v1/rules/${a.id}/dependencies`).set(sys.auth).send(body);
        expect(res.status).toBe(400);
        expect(JSON.stringify(res.body.message)).toMatch(/childRuleId|extra/);
      }
      expect(await edgeCount()).toBe(before);
    });

    it('needs rules:write to change the graph and rules:read to read it', async () => {
      const a = await createRule();
      const b = await createRule();
      const reader = await keyFor(['rules:read']);
      const writer = await keyFor(['rules:write']);
      expect((await link(a, b, reader)).status).toBe(403);
      expect((await link(a, b, writer)).status).toBe(201);
      expect((await sys.http.get(`/v1/rules/${a.id}/dependencies`).set(reader)).status).toBe(200);
      expect((await sys.http.get(`/v1/rules/${a.id}/dependencies`).set(await keyFor(['events:write']))).status).toBe(
        403,
      );
      expect((await sys.http.delete(`/v1/rules/${a.id}/dependencies/${b.id}`).set(reader)).status).toBe(403);
      expect((await sys.http.get(`/v1/rules/${a.id}/dependencies`)).status).toBe(401);
    });

    it('never lets concurrent opposite edges both in: of A → B and B → A exactly one succeeds', async () => {
      for (let round = 0; round < 25; round++) {
        const [a, b] = await Promise.all([createRule(), createRule()]);
        const [ab, ba] = await Promise.all([link(a, b), link(b, a)]);
        expect([ab.status, ba.status].sort()).toEqual([201, 409]);
      }
    });

    it('never lets concurrent edges close a longer cycle: with A → B, of B → C and C → A exactly one succeeds', async () => {
      for (let round = 0; round < 15; round++) {
        const [a, b, c] = await Promise.all([createRule(), createRule(), createRule()]);
        expect((await link(a, b)).status).toBe(201);
        const [bc, ca] = await Promise.all([link(b, c), link(c, a)]);
        expect([bc.status, ca.status].sort()).toEqual([201, 409]);
      }
    });
  });

  describe('chained runs', () => {
    const webhook = (name: string, path: string, body?: Record<string, unknown>) => ({
      name,
      type: 'webhook',
      config: { url: `${receiver.url}${path}`, ...(body ? { body } : {}) },
      retry: fastRetry,
    });
    async function ingest(entity: string, data: Record<string, unknown>) {
      const res = await sys.http.post('/v1/events').set(sys.auth).send({ entity, type: 'on_create', data });
      expect(res.status).toBe(202);
      return res.body as { eventId: string; executions: Array<{ executionId: string; workflowId: string }> };
    }
    async function waitForExecution(id: string) {
      return eventually(async () => {
        const res = await sys.http.get(`/v1/executions/${id}`).set(sys.auth);
        return ENDED.includes(res.body.status) ? res.body : undefined;
      });
    }
    /** The parent's workflow has closed: every child it was going to record and start is recorded by now. */
    async function parentClosed(workflowId: string): Promise<void> {
      await sys.temporal.workflow
        .getHandle(workflowId)
        .result()
        .catch((err: unknown) => {
          if (!(err instanceof WorkflowFailedError)) throw err;
        });
    }
    async function childrenOf(executionId: string): Promise<Array<{ id: string; rule_id: string }>> {
      return sys.db.query(`SELECT id, rule_id FROM executions WHERE parent_execution_id = $1 ORDER BY dispatch_order`, [
        executionId,
      ]);
    }
    const executionsOfRule = async (ruleId: string) =>
      (await sys.http.get('/v1/executions').query({ ruleId }).set(sys.auth)).body.items as unknown[];

    it('runs the active children whose conditions hold, with `parent` in their context; a failing child leaves the parent success', async () => {
      const entity = 'chain_orders';
      const parent = await createRule({
        name: 'Parent',
        entity,
        trigger: { type: 'on_create' },
        actions: [webhook('lookup', '/parent', { orderId: '{{data.id}}' })],
      });
      const vip = await createRule({
        name: 'VIP follow-up',
        entity: 'followups',
        priority: 10,
        conditions: [{ field: 'kind', operator: 'equals', value: 'vip' }],
        actions: [
          webhook('notify', '/child', {
            fromParent: '{{parent.steps.lookup.body.x}}',
            n: '{{parent.steps.lookup.body.n}}',
            id: '{{data.id}}',
            parentRule: '{{parent.ruleName}}',
            parentExecution: '{{parent.executionId}}',
          }),
        ],
      });
      const standard = await createRule({
        name: 'Standard follow-up',
        conditions: [{ field: 'kind', operator: 'equals', value: 'standard' }],
        actions: [webhook('never', '/never-conditions')],
      });
      const inactive = await createRule({
        name: 'Inactive',
        isActive: false,
        actions: [webhook('never', '/never-inactive')],
      });
      const failing = await createRule({ name: 'Failing', priority: 1, actions: [webhook('reject', '/fail')] });
      for (const child of [vip, standard, inactive, failing]) expect((await link(parent, child)).status).toBe(201);

      const ev = await ingest(entity, { id: 'ord-1', kind: 'vip' });
      expect(ev.executions).toHaveLength(1);
      const parentRun = ev.executions[0]!;
      expect((await waitForExecution(parentRun.executionId)).status).toBe('success');
      await parentClosed(parentRun.workflowId);

      const children = await childrenOf(parentRun.executionId);
      expect(children.map((c) => c.rule_id)).toEqual([vip.id, failing.id]);
      const [vipRunId, failingRunId] = children.map((c) => c.id) as [string, string];

      const vipRun = await waitForExecution(vipRunId);
      expect(vipRun).toMatchObject({
        ruleId: vip.id,
        status: 'success',
        parentExecutionId: parentRun.executionId,
        eventId: ev.eventId,
        triggerType: 'on_create',
        workflowId: `rule-${vip.id}-${ev.eventId}-after-${parentRun.executionId}`,
        rerunOf: null,
      });
      const sent = receiver.requests.find((r) => r.path === '/child')!;
      expect(JSON.parse(sent.body)).toEqual({
        fromParent: 'from-parent',
        n: 3,
        id: 'ord-1',
        parentRule: 'Parent',
        parentExecution: parentRun.executionId,
      });

      const failedRun = await waitForExecution(failingRunId);
      expect(failedRun).toMatchObject({
        status: 'failed',
        parentExecutionId: parentRun.executionId,
        errorAction: 'reject',
      });
      // The child's failure does not reach the parent, in the record or in Temporal.
      expect((await sys.http.get(`/v1/executions/${parentRun.executionId}`).set(sys.auth)).body.status).toBe('success');
      expect((await sys.temporal.workflow.getHandle(parentRun.workflowId).describe()).status.name).toBe('COMPLETED');

      expect(await executionsOfRule(standard.id)).toEqual([]);
      expect(await executionsOfRule(inactive.id)).toEqual([]);
      expect(receiver.requests.map((r) => r.path).filter((p) => p.startsWith('/never'))).toEqual([]);

      // Operators see the link and the child's own search attributes in Temporal.
      const described = await sys.temporal.workflow.getHandle(vipRun.workflowId).describe();
      expect(described.parentExecution?.workflowId).toBe(parentRun.workflowId);
      expect(described.searchAttributes).toMatchObject({
        RuleId: [vip.id],
        RuleName: ['VIP follow-up'],
        EntityName: ['followups'],
        TriggerType: ['manual'],
      });
    });

    it('a failed parent starts no children', async () => {
      const entity = 'chain_failing_parent';
      const parent = await createRule({ entity, trigger: { type: 'on_create' }, actions: [webhook('bad', '/fail')] });
      const child = await createRule({ actions: [webhook('never', '/never-after-failure')] });
      expect((await link(parent, child)).status).toBe(201);
      const ev = await ingest(entity, { id: 'x' });
      const parentRun = ev.executions[0]!;
      expect((await waitForExecution(parentRun.executionId)).status).toBe('failed');
      await parentClosed(parentRun.workflowId);
      expect(await childrenOf(parentRun.executionId)).toEqual([]);
      expect(await executionsOfRule(child.id)).toEqual([]);
      expect(receiver.requests.some((r) => r.path === '/never-after-failure')).toBe(false);
    });

    it('runs a chain A → B → C in order, each run the parent of the next', async () => {
      const entity = 'chain_abc';
      const a = await createRule({
        name: 'A',
        entity,
        trigger: { type: 'on_create' },
        actions: [webhook('a', '/parent')],
      });
      const b = await createRule({
        name: 'B',
        actions: [webhook('b', '/b', { via: '{{parent.ruleName}}', x: '{{parent.steps.a.body.x}}' })],
      });
      const c = await createRule({
        name: 'C',
        actions: [
          webhook('c', '/c', { via: '{{parent.ruleName}}', fromB: '{{parent.steps.b.body}}', id: '{{data.id}}' }),
        ],
      });
      expect((await link(a, b)).status).toBe(201);
      expect((await link(b, c)).status).toBe(201);

      const ev = await ingest(entity, { id: 'chain-1' });
      const aRun = await waitForExecution(ev.executions[0]!.executionId);
      const bRun = await waitForExecution((await eventually(async () => (await childrenOf(aRun.id))[0]))!.id);
      const cRun = await waitForExecution((await eventually(async () => (await childrenOf(bRun.id))[0]))!.id);
      expect([aRun.status, bRun.status, cRun.status]).toEqual(['success', 'success', 'success']);
      expect(bRun).toMatchObject({ ruleId: b.id, parentExecutionId: aRun.id, eventId: ev.eventId });
      expect(cRun).toMatchObject({ ruleId: c.id, parentExecutionId: bRun.id, eventId: ev.eventId });
      expect(new Date(bRun.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(aRun.completedAt).getTime());
      expect(new Date(cRun.startedAt).getTime()).toBeGreaterThanOrEqual(new Date(bRun.completedAt).getTime());

      expect(receiver.requests.map((r) => r.path)).toEqual(['/parent', '/b', '/c']);
      expect(JSON.parse(receiver.requests[1]!.body)).toEqual({ via: 'A', x: 'from-parent' });
      expect(JSON.parse(receiver.requests[2]!.body)).toEqual({ via: 'B', fromB: { ok: true }, id: 'chain-1' });
      const cWorkflow = await sys.temporal.workflow.getHandle(cRun.workflowId).describe();
      expect(cWorkflow.parentExecution?.workflowId).toBe(bRun.workflowId);
    });

    it('a manual run of a parent chains too, on the same data', async () => {
      const parent = await createRule({ name: 'manual parent', actions: [webhook('p', '/parent')] });
      const child = await createRule({
        name: 'manual child',
        actions: [webhook('c', '/manual-child', { id: '{{data.id}}' })],
      });
      expect((await link(parent, child)).status).toBe(201);
      const run = await sys.http
        .post(`/v1/rules/${parent.id}/run`)
        .set(sys.auth)
        .send({ data: { id: 'm-1' } });
      expect(run.status).toBe(202);
      await waitForExecution(run.body.executionId);
      const childRun = await waitForExecution(
        (await eventually(async () => (await childrenOf(run.body.executionId))[0]))!.id,
      );
      expect(childRun).toMatchObject({
        status: 'success',
        triggerType: 'manual',
        parentExecutionId: run.body.executionId,
      });
      expect(JSON.parse(receiver.requests.find((r) => r.path === '/manual-child')!.body)).toEqual({ id: 'm-1' });
    });
  });
});
