import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

const fastRetry = { maximumAttempts: 1, initialInterval: '100ms', backoffCoefficient: 1, maximumInterval: '100ms' };
const ENDED = ['success', 'failed', 'partial', 'cancelled'];

interface ExecutionAction {
  name: string;
  status: string;
  attempts: number;
  error: string | null;
  startedAt: string | null;
}

/** `when` and `continueOnError` on actions, through the API, real Temporal, PostgreSQL and a local receiver. */
describe('run control: when and continueOnError on actions (end to end)', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;

  beforeAll(async () => {
    sys = await startTestSystem();
    receiver = await startHttpReceiver((req) => {
      if (req.url?.startsWith('/fail')) return { status: 400, body: 'rejected' };
      return { status: 200, headers: { 'content-type': 'application/json' }, body: '{"approved":true}' };
    });
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
  });

  let seq = 0;
  const webhook = (name: string, path: string, extra: Record<string, unknown> = {}) => ({
    name,
    type: 'webhook',
    config: { url: `${receiver.url}${path}` },
    retry: fastRetry,
    ...extra,
  });
  const createRule = (actions: unknown[]) =>
    sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({ name: `run-control-${++seq}`, entity: 'rc_orders', trigger: { type: 'manual' }, actions });
  async function runToEnd(ruleId: string, data: Record<string, unknown>) {
    const run = await sys.http.post(`/v1/rules/${ruleId}/run`).set(sys.auth).send({ data });
    expect(run.status).toBe(202);
    return eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${run.body.executionId}`).set(sys.auth);
      return ENDED.includes(res.body.status)
        ? (res.body as { status: string; error: string | null; errorAction: string | null; actions: ExecutionAction[] })
        : undefined;
    });
  }
  const paths = () => receiver.requests.map((r) => r.path);

  it('skips an action whose when does not hold (nothing sent), runs one whose when reads steps', async () => {
    const created = await createRule([
      webhook('check', '/check'),
      webhook('big', '/big', { when: { all: [{ field: 'data.total', operator: 'greater_than', value: 100 }] } }),
      webhook('approved', '/approved', {
        when: [{ field: 'steps.check.body.approved', operator: 'equals', value: true }],
      }),
    ]);
    expect(created.status).toBe(201);
    // Echoed in the stored form.
    expect(created.body.actions[1].when).toEqual({
      all: [{ field: 'data.total', operator: 'greater_than', value: 100 }],
    });

    const small = await runToEnd(created.body.id, { total: 20 });
    expect(small.status).toBe('success');
    expect(small.actions.map((a) => [a.name, a.status, a.attempts])).toEqual([
      ['check', 'success', 1],
      ['big', 'skipped', 0],
      ['approved', 'success', 1],
    ]);
    expect(small.actions[1]!.startedAt).toBeNull();
    expect(paths()).toEqual(['/check', '/approved']);

    receiver.requests.length = 0;
    const large = await runToEnd(created.body.id, { total: 500 });
    expect(large.actions.map((a) => a.status)).toEqual(['success', 'success', 'success']);
    expect(paths()).toEqual(['/check', '/big', '/approved']);
  });

  it('continueOnError records the failure, runs on, and the run ends partial', async () => {
    const created = await createRule([
      webhook('first', '/first'),
      webhook('optional', '/fail', { continueOnError: true }),
      webhook('last', '/last'),
    ]);
    expect(created.status).toBe(201);
    expect(created.body.actions[1].continueOnError).toBe(true);
    const run = await runToEnd(created.body.id, {});
    expect(run).toMatchObject({ status: 'partial', errorAction: 'optional' });
    expect(run.actions.map((a) => [a.name, a.status])).toEqual([
      ['first', 'success'],
      ['optional', 'failed'],
      ['last', 'success'],
    ]);
    expect(run.actions[1]!.error).toContain('400');
    expect(paths()).toEqual(['/first', '/fail', '/last']);
  });

  it('continueOnError with no success at all ends failed', async () => {
    const created = await createRule([webhook('only', '/fail', { continueOnError: true })]);
    expect(created.status).toBe(201);
    expect(await runToEnd(created.body.id, {})).toMatchObject({ status: 'failed', errorAction: 'only' });
  });

  it.each([
    [{ all: [{ field: 'total', operator: 'equals', value: 1 }] }, 'actions[1].when.all[0]: "field" "total" must start'],
    [[{ field: 'data.total', operator: 'nope', value: 1 }], 'actions[1].when.all[0]: unknown operator "nope"'],
    [
      [{ field: 'data.status', operator: 'changed' }],
      'actions[1].when.all[0]: operator "changed" is not allowed in "when"',
    ],
    [
      [{ field: 'data.s', operator: 'matches', value: '(' }],
      'actions[1].when.all[0]: operator "matches" is not allowed',
    ],
    [[{ field: 'steps.later.ok', operator: 'exists' }], 'actions[1].when.all[0]: refers to step "later"'],
  ])('refuses when %j at save with a 400 naming the action, writing nothing', async (when, message) => {
    const before = await sys.db.query(`SELECT count(*)::int AS n FROM rules WHERE entity = 'rc_orders'`);
    const res = await createRule([webhook('a', '/a'), webhook('b', '/b', { when }), webhook('later', '/c')]);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain(message);
    expect(await sys.db.query(`SELECT count(*)::int AS n FROM rules WHERE entity = 'rc_orders'`)).toEqual(before);
  });

  it('validates when and continueOnError on PATCH and with an action template', async () => {
    const created = await createRule([webhook('a', '/a')]);
    expect(created.status).toBe(201);
    const patch = (actions: unknown[]) =>
      sys.http.patch(`/v1/rules/${created.body.id}`).set(sys.auth).send({ actions });
    const bad = await patch([webhook('a', '/a', { continueOnError: 'yes' })]);
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain('actions[0].continueOnError: must be true or false');

    const tpl = await sys.http
      .post('/v1/action-templates')
      .set(sys.auth)
      .send({ name: `rc-tpl-${seq}`, actionType: 'webhook', defaultConfig: { url: `${receiver.url}/tpl` } });
    expect(tpl.status).toBe(201);
    const fromTemplate = (when: unknown) =>
      patch([{ name: 'a', templateId: tpl.body.id, when, continueOnError: true, retry: fastRetry }]);
    const refused = await fromTemplate([{ field: 'event.x', operator: 'changed_to', value: 1 }]);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toContain('actions[0].when.all[0]: operator "changed_to" is not allowed');
    const ok = await fromTemplate([{ field: 'event.entity', operator: 'equals', value: 'rc_orders' }]);
    expect(ok.status).toBe(200);
    expect(ok.body.actions[0]).toMatchObject({
      when: { all: [{ field: 'event.entity', operator: 'equals', value: 'rc_orders' }] },
      continueOnError: true,
    });
    const run = await runToEnd(created.body.id, {});
    expect(run.status).toBe('success');
    expect(paths()).toEqual(['/tpl']);
  });
});
