import { randomBytes } from 'node:crypto';
import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver, verifyStandardWebhook } from '@ruleflow/testing';
import { RuleSecrets } from '../src/rules/rule-secrets.service';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

const fastRetry = { maximumAttempts: 1, initialInterval: '100ms', backoffCoefficient: 1, maximumInterval: '100ms' };
const ENDED = ['success', 'failed', 'partial', 'cancelled'];
/** A webhook signing secret (whsec_ and base64 of 32 bytes) and a bearer token: both secrets. */
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const TOKEN = `Bearer ${randomBytes(16).toString('hex')}`;
const MASK = '********';

interface ExecutionAction {
  name: string;
  type: string;
  status: string;
  attempts: number;
  error: string | null;
  phase?: string;
}
interface Execution {
  status: string;
  error: string | null;
  errorAction: string | null;
  actions: ExecutionAction[];
}
/** A handler for the refusal table (built before any receiver runs; never sent). */
const unsent = (name = 'alert_ops') => ({
  name,
  type: 'webhook',
  config: { url: 'http://127.0.0.1:9/alert', headers: { Authorization: TOKEN } },
});
type Action = { name: string; type: string; config: Record<string, unknown> };
type StoredRule = { actions: Action[]; onFailure: Action[] };

/**
 * A rule's `onFailure` actions through the API, real Temporal, PostgreSQL and two local receivers:
 * `service` (the rule's own calls; `/fail` answers 500) and `ops` (where the failure handlers post).
 */
describe('run control: onFailure actions (end to end)', () => {
  let sys: TestSystem;
  let service: HttpReceiver;
  let ops: HttpReceiver;

  beforeAll(async () => {
    sys = await startTestSystem();
    service = await startHttpReceiver((req) =>
      req.url?.startsWith('/fail') ? { status: 500, body: 'boom' } : { status: 200, body: '' },
    );
    ops = await startHttpReceiver();
  });
  afterAll(async () => {
    await ops?.close();
    await service?.close();
    await sys?.close();
  });
  beforeEach(() => {
    service.requests.length = 0;
    ops.requests.length = 0;
  });

  let seq = 0;
  const callService = (name: string, path: string) => ({
    name,
    type: 'webhook',
    config: { url: `${service.url}${path}` },
    retry: fastRetry,
  });
  /** A failure handler posting why the run failed to `ops`, with a secret header. */
  const alertOps = (name = 'alert_ops') => ({
    name,
    type: 'webhook',
    config: {
      url: `${ops.url}/alert`,
      headers: { Authorization: TOKEN },
      body: { rule: '{{rule.name}}', error: '{{error}}', errorAction: '{{errorAction}}', total: '{{data.total}}' },
    },
    retry: fastRetry,
  });
  const createRule = (body: Record<string, unknown>, auth = sys.auth) =>
    sys.http
      .post('/v1/rules')
      .set(auth)
      .send({ name: `on-failure-${++seq}`, entity: 'of_orders', trigger: { type: 'manual' }, ...body });
  async function runToEnd(ruleId: string, data: Record<string, unknown> = {}, auth = sys.auth) {
    const run = await sys.http.post(`/v1/rules/${ruleId}/run`).set(auth).send({ data });
    expect(run.status).toBe(202);
    const execution = await eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${run.body.executionId}`).set(auth);
      return ENDED.includes(res.body.status) ? (res.body as Execution) : undefined;
    });
    return { executionId: run.body.executionId as string, execution };
  }
  const summary = (e: Execution) => e.actions.map((a) => [a.name, a.status, a.phase ?? null]);
  async function storedRule(id: string): Promise<StoredRule> {
    const [row] = (await sys.db.query(`SELECT actions, on_failure AS "onFailure" FROM rules WHERE id = $1`, [
      id,
    ])) as StoredRule[];
    return row!;
  }
  const opened = (actions: Action[]) => sys.app.get(RuleSecrets).openActions(actions);

  it('runs the onFailure actions after a failed run, with error and errorAction; the run keeps its status', async () => {
    const template = await sys.http
      .post('/v1/action-templates')
      .set(sys.auth)
      .send({
        name: `of-tpl-${seq}`,
        actionType: 'webhook',
        defaultConfig: { url: `${ops.url}/from-template`, secret: SECRET },
      });
    expect(template.status).toBe(201);
    const created = await createRule({
      actions: [callService('reserve', '/reserve'), callService('erp', '/fail')],
      onFailure: [
        alertOps(),
        {
          name: 'page',
          templateId: template.body.id,
          config: { body: { failed: '{{errorAction}}' } },
          retry: fastRetry,
        },
      ],
    });
    expect(created.status).toBe(201);
    // Echoed in the stored form, the template merged in, secrets masked.
    expect(created.body.onFailure).toMatchObject([
      { name: 'alert_ops', type: 'webhook', config: { method: 'POST', headers: { Authorization: MASK } } },
      {
        name: 'page',
        type: 'webhook',
        templateId: template.body.id,
        config: { url: `${ops.url}/from-template`, secret: MASK, body: { failed: '{{errorAction}}' } },
      },
    ]);
    expect(JSON.stringify(created.body)).not.toContain(SECRET);
    expect(JSON.stringify(created.body)).not.toContain(TOKEN);
    // Sealed at rest like the secrets of actions.
    const stored = await storedRule(created.body.id);
    expect(JSON.stringify(stored)).not.toContain(SECRET);
    expect(JSON.stringify(stored)).not.toContain(TOKEN);
    const handlers = opened(stored.onFailure);
    expect(handlers[0]!.config.headers).toEqual({ Authorization: TOKEN });
    expect(handlers[1]!.config.secret).toBe(SECRET);

    const { execution } = await runToEnd(created.body.id, { total: 120 });
    expect(execution).toMatchObject({ status: 'partial', errorAction: 'erp' });
    expect(execution.error).toContain('500');
    expect(summary(execution)).toEqual([
      ['reserve', 'success', null],
      ['erp', 'failed', null],
      ['alert_ops', 'success', 'on_failure'],
      ['page', 'success', 'on_failure'],
    ]);
    expect(execution.actions[2]).toMatchObject({ type: 'webhook', attempts: 1, error: null });

    expect(ops.requests.map((r) => r.path)).toEqual(['/alert', '/from-template']);
    const [alert, page] = ops.requests;
    // The worker opened the sealed header and the template's sealed signing secret.
    expect(alert!.headers.authorization).toBe(TOKEN);
    expect(JSON.parse(alert!.body)).toEqual({
      rule: created.body.name,
      error: execution.error,
      errorAction: 'erp',
      total: 120,
    });
    expect(verifyStandardWebhook(SECRET, page!)).toEqual({ failed: 'erp' });
    expect(service.requests.map((r) => r.path)).toEqual(['/reserve', '/fail']);
  });

  it('ends failed when no action succeeded, and a failing handler does not stop the next one', async () => {
    const created = await createRule({
      actions: [callService('erp', '/fail')],
      onFailure: [
        { name: 'broken', type: 'webhook', config: { url: `${service.url}/fail/handler` }, retry: fastRetry },
        alertOps(),
      ],
    });
    expect(created.status).toBe(201);
    const { execution } = await runToEnd(created.body.id);
    expect(execution).toMatchObject({ status: 'failed', errorAction: 'erp' });
    expect(summary(execution)).toEqual([
      ['erp', 'failed', null],
      ['broken', 'failed', 'on_failure'],
      ['alert_ops', 'success', 'on_failure'],
    ]);
    expect(JSON.parse(ops.requests[0]!.body)).toMatchObject({ errorAction: 'erp' });
  });

  it('records the onFailure actions skipped after a successful run, sending nothing', async () => {
    const created = await createRule({ actions: [callService('erp', '/ok')], onFailure: [alertOps()] });
    expect(created.status).toBe(201);
    const { execution } = await runToEnd(created.body.id);
    expect(execution.status).toBe('success');
    expect(summary(execution)).toEqual([
      ['erp', 'success', null],
      ['alert_ops', 'skipped', 'on_failure'],
    ]);
    expect(execution.actions[1]!.attempts).toBe(0);
    expect(ops.requests).toHaveLength(0);
  });

  it('PATCH adds, keeps (the mask sent back) and removes onFailure; versions show it; restore brings it back', async () => {
    const created = await createRule({ actions: [callService('erp', '/fail')] });
    expect(created.status).toBe(201);
    expect(created.body.onFailure).toEqual([]);
    const id = created.body.id as string;
    const patch = (body: Record<string, unknown>) => sys.http.patch(`/v1/rules/${id}`).set(sys.auth).send(body);

    const added = await patch({ onFailure: [alertOps()] });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ version: 2, onFailure: [{ name: 'alert_ops' }] });
    expect(added.body.onFailure[0].config.headers).toEqual({ Authorization: MASK });

    // GET → PATCH round trip: the masked header sent back keeps the stored one.
    const got = await sys.http.get(`/v1/rules/${id}`).set(sys.auth);
    expect((await patch({ onFailure: got.body.onFailure })).body.version).toBe(3);
    expect(opened((await storedRule(id)).onFailure)[0]!.config.headers).toEqual({ Authorization: TOKEN });
    // A mask with nothing stored behind it (a handler of a new name) is refused.
    const unknownMask = await patch({ onFailure: [{ ...got.body.onFailure[0], name: 'alert' }] });
    expect(unknownMask.status).toBe(400);
    expect(unknownMask.body.message).toContain('onFailure[0].config.headers.Authorization');

    // The dry run lists the rule's actions only.
    const dry = await sys.http.post(`/v1/rules/${id}/test`).set(sys.auth).send({ data: {} });
    expect(dry.status).toBe(200);
    expect(dry.body.actions.map((a: { name: string }) => a.name)).toEqual(['erp']);

    // Changing only the actions re-checks the handlers against them.
    const clash = await patch({ actions: [callService('alert_ops', '/ok')] });
    expect(clash.status).toBe(400);
    expect(clash.body.message).toContain('onFailure[0].name: duplicate action name "alert_ops"');

    const removed = await patch({ onFailure: [] });
    expect(removed.body).toMatchObject({ version: 4, onFailure: [] });
    expect((await runToEnd(id)).execution.actions.map((a) => a.name)).toEqual(['erp']);
    expect(ops.requests).toHaveLength(0);

    const versions = await sys.http.get(`/v1/rules/${id}/versions`).set(sys.auth);
    const byVersion = new Map(
      (versions.body.items as Array<{ version: number; rule: StoredRule }>).map((v) => [v.version, v.rule]),
    );
    expect(byVersion.get(1)!.onFailure).toEqual([]);
    expect(byVersion.get(2)!.onFailure[0]!.config.headers).toEqual({ Authorization: MASK });
    expect(byVersion.get(4)!.onFailure).toEqual([]);
    expect(JSON.stringify(versions.body)).not.toContain(TOKEN);

    const restored = await sys.http.post(`/v1/rules/${id}/versions/2/restore`).set(sys.auth);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ version: 5, onFailure: [{ name: 'alert_ops' }] });
    expect(opened((await storedRule(id)).onFailure)[0]!.config.headers).toEqual({ Authorization: TOKEN });
    const { execution } = await runToEnd(id);
    expect(summary(execution)).toEqual([
      ['erp', 'failed', null],
      ['alert_ops', 'success', 'on_failure'],
    ]);
    expect(ops.requests[0]!.headers.authorization).toBe(TOKEN);

    // null, like [], removes them.
    expect((await patch({ onFailure: null })).body).toMatchObject({ version: 6, onFailure: [] });
  });

  it.each([
    ['an unknown type', [{ name: 'x', type: 'nope', config: {} }], 'onFailure[0].type:'],
    ['a name used by an action', [unsent('erp')], 'onFailure[0].name: duplicate action name "erp"'],
    [
      'a step that is no action of the rule',
      [{ ...unsent(), config: { url: 'http://127.0.0.1:9/x', body: '{{steps.unknown.statusCode}}' } }],
      'onFailure[0].config.body: template "{{ steps.unknown.statusCode }}" refers to step "unknown"',
    ],
    [
      'a bad when',
      [{ ...unsent(), when: [{ field: 'total', operator: 'exists' }] }],
      'onFailure[0].when.all[0]: "field" "total" must start',
    ],
    [
      'an allocation',
      [
        {
          name: 'hold',
          type: 'allocate_inventory',
          config: { orderId: '{{data.id}}', lines: [{ sku: 'a', quantity: 1 }] },
        },
      ],
      'onFailure[0].type: "allocate_inventory" cannot be an onFailure action',
    ],
    [
      'an unknown webhook endpoint',
      [{ name: 'x', type: 'webhook', config: { webhookId: '00000000-0000-4000-8000-000000000000' } }],
      'onFailure[0].config.webhookId: is not the id of one of your webhook endpoints',
    ],
    [
      'an unknown template',
      [{ name: 'x', templateId: '00000000-0000-4000-8000-000000000000' }],
      'onFailure[0].templateId: action template',
    ],
    ['not a list', { name: 'x' }, 'onFailure must be an array'],
  ])('refuses %s in onFailure with a 400 naming it, writing nothing', async (_what, onFailure, message) => {
    const count = () => sys.db.query(`SELECT count(*)::int AS n FROM rules WHERE entity = 'of_orders'`);
    const before = await count();
    const res = await createRule({ actions: [callService('erp', '/ok')], onFailure });
    expect(res.status).toBe(400);
    // class-validator answers a list of messages, the rule checks one.
    expect([res.body.message].flat().join('; ')).toContain(message);
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
    expect(await count()).toEqual(before);
  });

  it('never echoes a secret header of an onFailure action in a 400', async () => {
    const leaky = 'Bearer sk_live_{{ oops';
    const res = await createRule({
      actions: [callService('erp', '/ok')],
      onFailure: [{ ...unsent(), config: { url: 'http://127.0.0.1:9/x', headers: { Authorization: leaky } } }],
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('onFailure[0].config.headers.Authorization: contains an invalid template expression');
    expect(JSON.stringify(res.body)).not.toContain('sk_live');
  });

  it('refuses error and errorAction in the actions themselves', async () => {
    const res = await createRule({
      actions: [{ ...callService('erp', '/ok'), config: { url: `${service.url}/ok`, body: '{{error}}' } }],
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('actions[0].config.body');
  });

  it("keeps a tenant's onFailure actions and their runs from another tenant (404)", async () => {
    const tenant = async () => {
      const t = await sys.http
        .post('/v1/tenants')
        .set(sys.auth)
        .send({ name: `of-${randomBytes(4).toString('hex')}` });
      const key = await sys.http
        .post('/v1/api-keys')
        .set(sys.auth)
        .send({ name: 'on failure', tenantId: t.body.id, scopes: ['admin'] });
      expect(key.status).toBe(201);
      return { Authorization: `Bearer ${key.body.key as string}` };
    };
    const a = await tenant();
    const b = await tenant();
    const created = await createRule({ actions: [callService('erp', '/fail')], onFailure: [alertOps()] }, a);
    expect(created.status).toBe(201);
    const { executionId, execution } = await runToEnd(created.body.id, {}, a);
    expect(summary(execution)[1]).toEqual(['alert_ops', 'success', 'on_failure']);

    const id = created.body.id as string;
    expect((await sys.http.get(`/v1/rules/${id}`).set(b)).status).toBe(404);
    expect((await sys.http.get(`/v1/rules/${id}/versions`).set(b)).status).toBe(404);
    expect((await sys.http.patch(`/v1/rules/${id}`).set(b).send({ onFailure: [] })).status).toBe(404);
    expect((await sys.http.get(`/v1/executions/${executionId}`).set(b)).status).toBe(404);
    expect((await sys.http.get(`/v1/rules/${id}`).set(a)).body.onFailure).toHaveLength(1);
  });
});
