import { randomBytes } from 'node:crypto';
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
  output: unknown;
  error: string | null;
}
interface Execution {
  id: string;
  status: string;
  error: string | null;
  errorAction: string | null;
  actions: ExecutionAction[];
}
type Auth = { Authorization: string };

/**
 * wait_for_approval end to end: the API, the gateway's Update to the run, a real worker and Temporal,
 * PostgreSQL, and webhooks to a local receiver before and after the approval.
 */
describe('run control: wait_for_approval (end to end)', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;
  let a: { tenantId: string; auth: Auth };

  async function tenantWithKey(scopes = ['admin']) {
    const tenant = await sys.http
      .post('/v1/tenants')
      .set(sys.auth)
      .send({ name: `approval-${randomBytes(4).toString('hex')}` });
    expect(tenant.status).toBe(201);
    return { tenantId: tenant.body.id as string, auth: await keyFor(tenant.body.id as string, scopes) };
  }
  async function keyFor(tenantId: string, scopes: string[]): Promise<Auth> {
    const key = await sys.http.post('/v1/api-keys').set(sys.auth).send({ name: 'approvals', tenantId, scopes });
    expect(key.status).toBe(201);
    return { Authorization: `Bearer ${key.body.key as string}` };
  }

  beforeAll(async () => {
    sys = await startTestSystem();
    receiver = await startHttpReceiver(() => ({ status: 200, body: 'ok' }));
    a = await tenantWithKey();
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.close();
  });
  beforeEach(() => {
    receiver.requests.length = 0;
  });

  let seq = 0;
  const webhook = (name: string, path: string, body?: unknown) => ({
    name,
    type: 'webhook',
    config: { url: `${receiver.url}${path}`, ...(body ? { body } : {}) },
    retry: fastRetry,
  });
  const approval = (config: Record<string, unknown>) => ({ name: 'sign_off', type: 'wait_for_approval', config });
  const createRule = (actions: unknown[], auth: Auth = a.auth) =>
    sys.http
      .post('/v1/rules')
      .set(auth)
      .send({ name: `approval-${++seq}`, entity: 'refunds', trigger: { type: 'manual' }, actions });
  async function ruleOf(actions: unknown[]): Promise<string> {
    const created = await createRule(actions);
    expect(created.status).toBe(201);
    return created.body.id as string;
  }
  async function run(ruleId: string, data: Record<string, unknown> = {}): Promise<string> {
    const res = await sys.http.post(`/v1/rules/${ruleId}/run`).set(a.auth).send({ data });
    expect(res.status).toBe(202);
    return res.body.executionId as string;
  }
  const get = async (id: string) => (await sys.http.get(`/v1/executions/${id}`).set(a.auth)).body as Execution;
  const waitingAt = (id: string, action = 'sign_off') =>
    eventually(async () => {
      const execution = await get(id);
      return execution.actions.find((x) => x.name === action)?.status === 'waiting' ? execution : undefined;
    });
  const ended = (id: string) =>
    eventually(async () => {
      const execution = await get(id);
      return ENDED.includes(execution.status) ? execution : undefined;
    });
  const decide = (id: string, verb: 'approve' | 'reject', body: unknown, auth: Auth = a.auth) =>
    sys.http
      .post(`/v1/executions/${id}/${verb}`)
      .set(auth)
      .send(body as object);
  const paths = () => receiver.requests.map((r) => r.path);
  const standardRule = () =>
    ruleOf([
      webhook('first', '/first'),
      approval({ message: 'Refund {{ data.amount }}?', approvers: ['alice', '{{ data.manager }}'], timeout: '1h' }),
      webhook('second', '/second', { by: '{{ steps.sign_off.by }}' }),
    ]);

  it('waits (action waiting), refuses a non-approver (403), approves (200 with the decision), then runs on', async () => {
    const id = await run(await standardRule(), { amount: 30, manager: 'carol' });
    const waiting = await waitingAt(id);
    expect(waiting.status).toBe('running');
    expect(waiting.actions.map((x) => [x.name, x.status])).toEqual([
      ['first', 'success'],
      ['sign_off', 'waiting'],
      ['second', 'pending'],
    ]);
    expect(paths()).toEqual(['/first']);

    const stranger = await decide(id, 'approve', { by: 'mallory' });
    expect(stranger.status).toBe(403);
    expect(stranger.body.message).toContain('mallory');
    expect((await get(id)).actions[1]!.status).toBe('waiting');

    const approved = await decide(id, 'approve', { by: 'carol', comment: 'ok by me' });
    expect(approved.status).toBe(200);
    expect(approved.body.id).toBe(id);
    const signOff = (approved.body as Execution).actions[1]!;
    expect(signOff).toMatchObject({
      status: 'success',
      attempts: 1,
      output: { approved: true, by: 'carol', comment: 'ok by me' },
    });
    expect(typeof (signOff.output as { at: unknown }).at).toBe('string');

    const done = await ended(id);
    expect(done.status).toBe('success');
    expect(paths()).toEqual(['/first', '/second']);
    expect(JSON.parse(receiver.requests[1]!.body)).toEqual({ by: 'carol' });

    // Audited like other writes (field names only).
    const audit = (await sys.db.query(
      `SELECT details FROM audit_logs
         WHERE tenant_id = $1 AND action = 'approve' AND resource_type = 'execution' AND resource_id = $2`,
      [a.tenantId, id],
    )) as Array<{ details: { fields: string[] } }>;
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details.fields.sort()).toEqual(['by', 'comment']);

    // Decided and ended: nothing waits any more.
    const again = await decide(id, 'approve', { by: 'carol' });
    expect(again.status).toBe(409);
  });

  it('reject: 200 with the action failed; the run ends partial (failed after a success), the next webhook never sent', async () => {
    const id = await run(await standardRule(), { amount: 900, manager: 'carol' });
    await waitingAt(id);
    const rejected = await decide(id, 'reject', { by: 'alice', comment: 'too much' });
    expect(rejected.status).toBe(200);
    expect((rejected.body as Execution).actions[1]).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: 'rejected by alice: too much',
    });
    const done = await ended(id);
    expect(done).toMatchObject({ status: 'partial', errorAction: 'sign_off', error: 'rejected by alice: too much' });
    expect(done.actions.map((x) => x.status)).toEqual(['success', 'failed', 'skipped']);
    expect(paths()).toEqual(['/first']);
  });

  it('409 while nothing waits: running another action, a rule without an approval, a run that ended', async () => {
    const slow = await run(
      await ruleOf([
        { name: 'pause', type: 'delay', config: { duration: '3s' } },
        approval({ timeout: '1h', approvers: ['alice'] }),
      ]),
    );
    await eventually(async () => ((await get(slow)).actions[0]!.status === 'running' ? true : undefined));
    const early = await decide(slow, 'approve', { by: 'alice' });
    expect(early.status).toBe(409);
    expect(early.body.message).toContain('not waiting for an approval');
    await waitingAt(slow);
    expect((await decide(slow, 'approve', { by: 'alice' })).status).toBe(200);

    const plain = await run(await ruleOf([{ name: 'pause', type: 'delay', config: { duration: '3s' } }]));
    await eventually(async () => ((await get(plain)).status === 'running' ? true : undefined));
    expect((await decide(plain, 'reject', { by: 'alice' })).status).toBe(409);
    expect((await ended(plain)).status).toBe('success');
    expect((await decide(plain, 'approve', { by: 'alice' })).status).toBe(409);
  });

  it('timeout "continue" runs on with {approved:false, timedOut:true}; a cancel while waiting ends cancelled', async () => {
    const id = await run(
      await ruleOf([approval({ timeout: '1s', onTimeout: 'continue' }), webhook('after', '/after')]),
    );
    const done = await ended(id);
    expect(done.status).toBe('success');
    expect(done.actions[0]!.output).toEqual({ approved: false, timedOut: true });
    expect(paths()).toEqual(['/after']);

    const cancelled = await run(await ruleOf([approval({ timeout: '1h' })]));
    await waitingAt(cancelled);
    expect((await sys.http.post(`/v1/executions/${cancelled}/cancel`).set(a.auth)).status).toBe(202);
    const stopped = await ended(cancelled);
    expect(stopped.status).toBe('cancelled');
    // Like an action cut off while running: it never got its decision.
    expect(stopped.actions[0]!.status).toBe('failed');
    expect((await decide(cancelled, 'approve', { by: 'alice' })).status).toBe(409);
  });

  it("404 for another tenant's execution or an unknown id; 400 for a bad body; 403 without the write scope", async () => {
    const id = await run(await ruleOf([approval({ timeout: '1h' })]));
    await waitingAt(id);
    const b = await tenantWithKey();
    const foreign = await decide(id, 'approve', { by: 'alice' }, b.auth);
    expect(foreign.status).toBe(404);
    expect((await decide('00000000-0000-4000-8000-000000000000', 'approve', { by: 'x' })).status).toBe(404);
    expect((await decide('not-an-id', 'reject', { by: 'x' })).status).toBe(404);

    for (const [body, field] of [
      [{}, 'by'],
      [{ by: '   ' }, 'by'],
      [{ by: 'x'.repeat(201) }, 'by'],
      [{ by: 'alice', comment: 5 }, 'comment'],
      [{ by: 'alice', approved: true }, 'approved'],
    ] as const) {
      const res = await decide(id, 'approve', body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    }
    const readOnly = await keyFor(a.tenantId, ['executions:read']);
    expect((await decide(id, 'approve', { by: 'alice' }, readOnly)).status).toBe(403);
    // Still waiting after all that; anyone may decide when no approvers are named.
    expect((await get(id)).actions[0]!.status).toBe('waiting');
    expect((await decide(id, 'approve', { by: 'anyone' })).status).toBe(200);
  });

  it('a bad config is refused at save with 400 naming the field', async () => {
    for (const [config, field] of [
      [{}, 'actions[0].config.timeout'],
      [{ timeout: '91d' }, 'actions[0].config.timeout'],
      [{ timeout: '1h', approvers: ['ok', ''] }, 'actions[0].config.approvers[1]'],
      [{ timeout: '1h', onTimeout: 'approve' }, 'actions[0].config.onTimeout'],
      [{ timeout: '1h', message: 'x'.repeat(2001) }, 'actions[0].config.message'],
    ] as const) {
      const res = await createRule([approval(config)]);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    }
  });
});
