import type { HttpReceiver, ReceivedRequest } from '@ruleflow/testing';
import { startHttpReceiver } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

const oneAttempt = { maximumAttempts: 1, initialInterval: '100ms', backoffCoefficient: 1, maximumInterval: '100ms' };
const ENDED = ['success', 'failed', 'partial', 'cancelled'];

interface ExecutionAction {
  name: string;
  status: string;
  attempts: number;
  output: unknown;
  reused?: boolean;
  error: string | null;
}
interface Execution {
  id: string;
  status: string;
  ruleVersion: number;
  rerunOf: string | null;
  workflowId: string;
  errorAction: string | null;
  actions: ExecutionAction[];
}

/**
 * Resume (`rerun` with `"from":"failed"`) through the API, real Temporal, PostgreSQL and a local
 * receiver: what succeeded is not sent again, the failed webhook goes again under its webhook-id.
 */
describe('run control: resume from the failed action (end to end)', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;
  /** Paths answering 500 until the test "fixes" the receiver. */
  const broken = new Set<string>();

  beforeAll(async () => {
    sys = await startTestSystem();
    receiver = await startHttpReceiver((req) => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (broken.has(path)) return { status: 500, body: 'down' };
      return { status: 200, headers: { 'content-type': 'application/json' }, body: `{"token":"tok${path}"}` };
    });
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
    broken.clear();
  });

  let seq = 0;
  const webhook = (name: string, path: string, body?: unknown) => ({
    name,
    type: 'webhook',
    config: { url: `${receiver.url}${path}`, ...(body === undefined ? {} : { body }) },
    retry: oneAttempt,
  });
  async function createRule(actions: unknown[]): Promise<string> {
    const res = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({ name: `resume-${++seq}-${Date.now()}`, entity: 'resume_orders', trigger: { type: 'manual' }, actions });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }
  const ended = (executionId: string) =>
    eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${executionId}`).set(sys.auth);
      return ENDED.includes(res.body.status) ? (res.body as Execution) : undefined;
    });
  async function runToEnd(ruleId: string, data: Record<string, unknown> = { id: 7 }): Promise<Execution> {
    const run = await sys.http.post(`/v1/rules/${ruleId}/run`).set(sys.auth).send({ data });
    expect(run.status).toBe(202);
    return ended(run.body.executionId as string);
  }
  const resume = (executionId: string) =>
    sys.http.post(`/v1/executions/${executionId}/rerun`).set(sys.auth).send({ from: 'failed' });
  async function resumeToEnd(executionId: string): Promise<Execution> {
    const res = await resume(executionId);
    expect(res.status).toBe(202);
    return ended(res.body.executionId as string);
  }
  const to = (path: string): ReceivedRequest[] => receiver.requests.filter((r) => r.path === path);

  it('does not send A again, sends B again under its webhook-id, sends C; A reads reused with its output', async () => {
    const ruleId = await createRule([
      webhook('a', '/a'),
      webhook('b', '/b', { from: '{{steps.a.body.token}}' }),
      webhook('c', '/c', { from: '{{steps.a.body.token}}' }),
    ]);
    broken.add('/b');
    const original = await runToEnd(ruleId);
    expect(original).toMatchObject({ status: 'partial', errorAction: 'b' });
    expect(to('/a')).toHaveLength(1);
    expect(to('/b')).toHaveLength(1);
    expect(to('/c')).toHaveLength(0);

    // The rule changes after the original: the resume still runs the version the original ran.
    const patched = await sys.http
      .patch(`/v1/rules/${ruleId}`)
      .set(sys.auth)
      .send({ actions: [webhook('a', '/a'), webhook('b', '/b'), webhook('c', '/c-edited')] });
    expect(patched.status).toBe(200);
    expect(patched.body.version).toBe(original.ruleVersion + 1);

    broken.clear();
    const resumed = await resumeToEnd(original.id);
    expect(resumed).toMatchObject({ status: 'success', rerunOf: original.id, ruleVersion: original.ruleVersion });
    expect(resumed.workflowId).not.toBe(original.workflowId);

    expect(to('/a')).toHaveLength(1);
    const b = to('/b');
    expect(b).toHaveLength(2);
    expect(b[1]!.headers['webhook-id']).toBe(b[0]!.headers['webhook-id']);
    expect(JSON.parse(b[1]!.body)).toEqual({ from: 'tok/a' });
    expect(to('/c')).toHaveLength(1);
    expect(to('/c-edited')).toHaveLength(0);
    // C's template read A's reused output.
    expect(JSON.parse(to('/c')[0]!.body)).toEqual({ from: 'tok/a' });

    const [a, rb, c] = resumed.actions;
    expect(a).toMatchObject({ name: 'a', status: 'success', attempts: 0, reused: true });
    expect(a!.output).toEqual(original.actions[0]!.output);
    expect(a!.output).toEqual({ statusCode: 200, body: { token: 'tok/a' } });
    expect(rb).toMatchObject({ name: 'b', status: 'success', attempts: 1 });
    expect(rb!.reused).toBeUndefined();
    expect(c).toMatchObject({ name: 'c', status: 'success', attempts: 1 });

    // B's delivery log goes on under its webhook-id: the original's 500, then the resume's 200.
    const [delivery] = await sys.db.query(`SELECT status, attempts FROM deliveries WHERE id = $1`, [
      b[0]!.headers['webhook-id'],
    ]);
    expect(delivery.status).toBe('success');
    expect(
      (delivery.attempts as Array<{ attemptNumber: number; statusCode: number }>).map((x) => [
        x.attemptNumber,
        x.statusCode,
      ]),
    ).toEqual([
      [1, 500],
      [2, 200],
    ]);

    // A run that did not fail cannot be resumed; it can still be rerun from the start.
    const again = await resume(resumed.id);
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('did not fail');
  });

  it('resumes a partial run: reuses what succeeded after a continueOnError failure, re-evaluates skipped', async () => {
    const ruleId = await createRule([
      webhook('first', '/p-first'),
      { ...webhook('optional', '/p-optional'), continueOnError: true },
      webhook('last', '/p-last'),
      {
        ...webhook('after_optional', '/p-after'),
        when: [{ field: 'steps.optional.statusCode', operator: 'equals', value: 200 }],
      },
    ]);
    broken.add('/p-optional');
    const original = await runToEnd(ruleId);
    expect(original).toMatchObject({ status: 'partial', errorAction: 'optional' });
    expect(original.actions.map((a) => a.status)).toEqual(['success', 'failed', 'success', 'skipped']);

    broken.clear();
    const resumed = await resumeToEnd(original.id);
    expect(resumed.status).toBe('success');
    expect(resumed.actions.map((a) => [a.name, a.status, a.attempts, a.reused ?? false])).toEqual([
      ['first', 'success', 0, true],
      ['optional', 'success', 1, false],
      ['last', 'success', 0, true],
      ['after_optional', 'success', 1, false],
    ]);
    expect(to('/p-first')).toHaveLength(1);
    expect(to('/p-last')).toHaveLength(1);
    const optional = to('/p-optional');
    expect(optional).toHaveLength(2);
    expect(optional[1]!.headers['webhook-id']).toBe(optional[0]!.headers['webhook-id']);
    // Skipped in the original (its step had failed), evaluated again: the step now succeeded.
    expect(to('/p-after')).toHaveLength(1);
  });

  it('keeps the allocation key: the resume finds the allocation instead of reserving again; no second resume', async () => {
    const sku = `resume-sku-${Date.now()}`;
    expect((await sys.http.put(`/v1/inventory/items/${sku}`).set(sys.auth).send({ quantityOnHand: 10 })).status).toBe(
      200,
    );
    const ruleId = await createRule([
      webhook('gate', '/gate'),
      {
        name: 'reserve',
        type: 'allocate_inventory',
        config: { orderId: '{{data.id}}', lines: [{ sku, quantity: 3 }] },
        retry: oneAttempt,
      },
    ]);
    broken.add('/gate');
    const original = await runToEnd(ruleId);
    expect(original).toMatchObject({ status: 'failed', errorAction: 'gate' });

    broken.clear();
    const first = await resumeToEnd(original.id);
    expect(first.status).toBe('success');
    expect(first.actions[1]!.output).toMatchObject({
      idempotencyKey: `${original.workflowId}/reserve`,
      status: 'allocated',
    });
    // Resumed with success: a second resume of the same run (sharing its keys) is refused.
    const second = await resume(original.id);
    expect(second.status).toBe(409);
    expect(second.body.message).toContain(`execution ${first.id}`);
    expect(second.body.message).toContain('ended success');
    const gate = to('/gate');
    expect(gate).toHaveLength(2);
    expect(new Set(gate.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const item = await sys.http.get(`/v1/inventory/items/${sku}`).set(sys.auth);
    expect(item.body).toMatchObject({ quantityOnHand: 10, quantityReserved: 3 });
  });

  describe('an allocation the original released (its compensation)', () => {
    async function compensatedRun(sku: string): Promise<Execution> {
      const put = await sys.http.put(`/v1/inventory/items/${sku}`).set(sys.auth).send({ quantityOnHand: 10 });
      expect(put.status).toBe(200);
      const ruleId = await createRule([
        {
          name: 'reserve',
          type: 'allocate_inventory',
          config: { orderId: '{{data.id}}', lines: [{ sku, quantity: 3 }] },
          retry: oneAttempt,
        },
        webhook('ship', `/ship-${sku}`),
      ]);
      broken.add(`/ship-${sku}`);
      const original = await runToEnd(ruleId);
      expect(original).toMatchObject({ status: 'partial', errorAction: 'ship' });
      const allocation = await sys.http
        .get(`/v1/inventory/allocations/${encodeURIComponent(`${original.workflowId}/reserve`)}`)
        .set(sys.auth);
      expect(allocation.body).toMatchObject({ status: 'released' });
      expect((await item(sku)).quantityReserved).toBe(0);
      broken.clear();
      return original;
    }
    const item = async (sku: string) => (await sys.http.get(`/v1/inventory/items/${sku}`).set(sys.auth)).body;

    it('a resume that ends success holds the stock again, exactly once', async () => {
      const sku = `resume-held-${Date.now()}`;
      const original = await compensatedRun(sku);
      const resumed = await resumeToEnd(original.id);
      expect(resumed.status).toBe('success');
      const key = `${original.workflowId}/reserve`;
      expect(resumed.actions[0]).toMatchObject({ name: 'reserve', status: 'success', attempts: 0, reused: true });
      expect(resumed.actions[0]!.output).toMatchObject({ idempotencyKey: key, status: 'allocated' });
      const allocation = await sys.http.get(`/v1/inventory/allocations/${encodeURIComponent(key)}`).set(sys.auth);
      expect(allocation.body).toMatchObject({ status: 'allocated', lines: [{ sku, requested: 3, allocated: 3 }] });
      expect(await item(sku)).toMatchObject({ quantityOnHand: 10, quantityReserved: 3, quantityAvailable: 7 });
      expect(to(`/ship-${sku}`)).toHaveLength(2);
    });

    it('stock gone: the allocation is not reused, it fails as it now is and nothing stays reserved for it', async () => {
      const sku = `resume-gone-${Date.now()}`;
      const original = await compensatedRun(sku);
      // Another order takes all but 2 units while the original is failed.
      const other = await sys.http
        .post('/v1/inventory/allocations')
        .set(sys.auth)
        .send({ idempotencyKey: `other-${sku}`, orderId: 'other', lines: [{ sku, quantity: 8 }] });
      expect(other.status).toBe(201);

      const resumed = await resumeToEnd(original.id);
      expect(resumed).toMatchObject({ status: 'failed', errorAction: 'reserve' });
      const [reserve, ship] = resumed.actions;
      expect(reserve).toMatchObject({ name: 'reserve', status: 'failed' });
      expect(reserve!.reused).toBeUndefined();
      expect(reserve!.error).toContain('not enough stock');
      expect(reserve!.output).toMatchObject({ status: 'rejected', lines: [{ sku, requested: 3, allocated: 0 }] });
      expect(ship!.status).toBe('skipped');
      expect(to(`/ship-${sku}`)).toHaveLength(1);
      expect(await item(sku)).toMatchObject({ quantityReserved: 8, quantityAvailable: 2 });
    });
  });

  describe('an allocation the original had rejected (out of stock)', () => {
    const item = async (sku: string) => (await sys.http.get(`/v1/inventory/items/${sku}`).set(sys.auth)).body;
    const restock = async (sku: string, quantityOnHand: number) =>
      expect((await sys.http.put(`/v1/inventory/items/${sku}`).set(sys.auth).send({ quantityOnHand })).status).toBe(
        200,
      );
    const allocationOf = (run: Execution) =>
      sys.http.get(`/v1/inventory/allocations/${encodeURIComponent(`${run.workflowId}/reserve`)}`).set(sys.auth);
    /** reserve (3 units, 1 in stock) fails; `middle` actions go between it and the ship webhook. */
    async function outOfStockRun(sku: string, middle: unknown[] = []): Promise<Execution> {
      await restock(sku, 1);
      const ruleId = await createRule([
        {
          name: 'reserve',
          type: 'allocate_inventory',
          config: { orderId: '{{data.id}}', lines: [{ sku, quantity: 3 }] },
          retry: oneAttempt,
        },
        ...middle,
        webhook('ship', `/ship-${sku}`),
      ]);
      const original = await runToEnd(ruleId);
      expect(original).toMatchObject({ status: 'failed', errorAction: 'reserve' });
      expect(original.actions[0]!.error).toContain('not enough stock');
      expect((await allocationOf(original)).body).toMatchObject({ status: 'rejected' });
      return original;
    }

    it('restocked, the resume allocates under the same key and ends success holding the stock once', async () => {
      const sku = `resume-restock-${Date.now()}`;
      const original = await outOfStockRun(sku);
      const key = `${original.workflowId}/reserve`;

      // Still short: the resume fails as the original did, reserving nothing.
      await restock(sku, 2);
      const short = await resumeToEnd(original.id);
      expect(short).toMatchObject({ status: 'failed', errorAction: 'reserve', rerunOf: original.id });
      expect(short.actions[0]).toMatchObject({ name: 'reserve', status: 'failed' });
      expect((await allocationOf(original)).body).toMatchObject({ idempotencyKey: key, status: 'rejected' });
      expect(await item(sku)).toMatchObject({ quantityReserved: 0 });
      // Its newest failed run is what is resumed now.
      const older = await resume(original.id);
      expect(older.status).toBe(409);
      expect(older.body.message).toContain(`resume execution ${short.id} instead`);

      await restock(sku, 10);
      const resumed = await resumeToEnd(short.id);
      expect(resumed).toMatchObject({ status: 'success', rerunOf: short.id });
      expect(resumed.actions[0]).toMatchObject({ name: 'reserve', status: 'success', attempts: 1 });
      expect(resumed.actions[0]!.output).toMatchObject({
        idempotencyKey: key,
        status: 'allocated',
        lines: [{ sku, requested: 3, allocated: 3 }],
      });
      expect((await allocationOf(original)).body).toMatchObject({
        status: 'allocated',
        lines: [{ sku, requested: 3, allocated: 3 }],
      });
      expect(await item(sku)).toMatchObject({ quantityOnHand: 10, quantityReserved: 3, quantityAvailable: 7 });
      expect(to(`/ship-${sku}`)).toHaveLength(1);

      // The chain has a resume that succeeded: no run of it is resumed again.
      for (const id of [original.id, short.id]) {
        const again = await resume(id);
        expect(again.status).toBe(409);
        expect(again.body.message).toContain(`execution ${resumed.id} (a resume of the same run) ended success`);
      }
      expect(await item(sku)).toMatchObject({ quantityReserved: 3 });
    });

    it('after a resume cancelled once it had allocated (its compensation released it), the next resume holds it again', async () => {
      const sku = `resume-cancelled-${Date.now()}`;
      const original = await outOfStockRun(sku, [{ name: 'wait', type: 'delay', config: { duration: '3s' } }]);
      await restock(sku, 10);
      const started = await resume(original.id);
      expect(started.status).toBe(202);
      const first = started.body.executionId as string;
      await eventually(async () => {
        const res = await sys.http.get(`/v1/executions/${first}`).set(sys.auth);
        return (res.body as Execution).actions[0]!.status === 'success';
      });
      expect((await sys.http.post(`/v1/executions/${first}/cancel`).set(sys.auth)).status).toBe(202);
      expect(await ended(first)).toMatchObject({ status: 'cancelled' });
      expect((await allocationOf(original)).body).toMatchObject({ status: 'released' });
      expect(await item(sku)).toMatchObject({ quantityReserved: 0 });

      // The cancelled resume is not in the way; the original is the chain's newest failed run.
      const resumed = await resumeToEnd(original.id);
      expect(resumed.status).toBe('success');
      expect(resumed.actions[0]).toMatchObject({ name: 'reserve', status: 'success', attempts: 1 });
      expect((await allocationOf(original)).body).toMatchObject({ status: 'allocated' });
      expect(await item(sku)).toMatchObject({ quantityReserved: 3 });
      expect(to(`/ship-${sku}`)).toHaveLength(1);
    });

    it('two concurrent resumes of one run: one starts (202), the other is refused (409) naming it', async () => {
      const sku = `resume-race-${Date.now()}`;
      const original = await outOfStockRun(sku);
      await restock(sku, 10);
      const answers = await Promise.all([resume(original.id), resume(original.id)]);
      expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
      const started = answers.find((a) => a.status === 202)!.body.executionId as string;
      expect(answers.find((a) => a.status === 409)!.body.message).toContain(`execution ${started}`);
      expect(await ended(started)).toMatchObject({ status: 'success' });
      expect(await item(sku)).toMatchObject({ quantityReserved: 3 });
      const rows = await sys.db.query(`SELECT id FROM executions WHERE rerun_of = $1`, [original.id]);
      expect(rows).toEqual([{ id: started }]);
    });
  });

  it('bulk resume skips a run whose chain has a resume that succeeded (runs resumed twice before this rule)', async () => {
    const ruleId = await createRule([webhook('a', '/chain-a'), webhook('b', '/chain-b')]);
    broken.add('/chain-b');
    const original = await runToEnd(ruleId);
    const first = await resumeToEnd(original.id);
    expect(first.status).toBe('partial');
    broken.clear();
    const second = await resumeToEnd(first.id);
    expect(second.status).toBe('success');
    // As if `second` had been a second resume of the original: `first` is then not "rerun" itself.
    await sys.db.query(`UPDATE executions SET rerun_of = $2 WHERE id = $1`, [second.id, original.id]);
    const bulk = await sys.http
      .post('/v1/executions/rerun')
      .set(sys.auth)
      .send({ ruleId, status: 'partial', from: 'failed' });
    expect(bulk.status).toBe(202);
    expect(bulk.body).toEqual({ count: 0 });
    const refused = await resume(first.id);
    expect(refused.status).toBe(409);
    expect(refused.body.message).toContain(`execution ${second.id}`);
    expect(to('/chain-b')).toHaveLength(3);
  });

  it('bulk rerun with from failed resumes each failed run once and counts what it started', async () => {
    const ruleId = await createRule([webhook('a', '/bulk-a'), webhook('b', '/bulk-b')]);
    broken.add('/bulk-b');
    const originals = [await runToEnd(ruleId), await runToEnd(ruleId)];
    expect(originals.map((o) => o.status)).toEqual(['partial', 'partial']);
    const bad = await sys.http
      .post('/v1/executions/rerun')
      .set(sys.auth)
      .send({ ruleId, status: 'partial', from: 'middle' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('from');

    broken.clear();
    const bulk = () =>
      sys.http.post('/v1/executions/rerun').set(sys.auth).send({ ruleId, status: 'partial', from: 'failed' });
    const res = await bulk();
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ count: 2 });
    // Each original is resumed once: a second call finds nothing left.
    expect((await bulk()).body).toEqual({ count: 0 });

    const rows: Array<{ id: string; rerun_of: string }> = await sys.db.query(
      `SELECT id, rerun_of FROM executions WHERE rule_id = $1 AND rerun_of IS NOT NULL`,
      [ruleId],
    );
    expect(rows.map((r) => r.rerun_of).sort()).toEqual(originals.map((o) => o.id).sort());
    const resumed = await Promise.all(rows.map((r) => ended(r.id)));
    for (const run of resumed) {
      expect(run.status).toBe('success');
      expect(run.actions[0]).toMatchObject({ status: 'success', attempts: 0, reused: true });
    }
    expect(to('/bulk-a')).toHaveLength(2);
    const b = to('/bulk-b');
    expect(b).toHaveLength(4);
    // Two deliveries (one per original), each sent twice under its own id.
    const ids = b.map((r) => r.headers['webhook-id'] as string);
    expect(new Set(ids).size).toBe(2);
    for (const id of new Set(ids)) expect(ids.filter((x) => x === id)).toHaveLength(2);
  });

  it('answers 409 when the rule is gone, 400 for a bad from, 404 for an unknown execution', async () => {
    const ruleId = await createRule([webhook('only', '/gone')]);
    broken.add('/gone');
    const original = await runToEnd(ruleId);
    expect(original.status).toBe('failed');
    const bad = await sys.http.post(`/v1/executions/${original.id}/rerun`).set(sys.auth).send({ from: 'end' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toContain('from');
    expect((await sys.http.delete(`/v1/rules/${ruleId}`).set(sys.auth)).status).toBe(204);
    const gone = await resume(original.id);
    expect(gone.status).toBe(409);
    expect(gone.body.message).toContain('no longer exists');
    expect((await resume('00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
