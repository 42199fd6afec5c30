/**
 * Secrets at rest: webhook signing secrets and credential headers of rule actions are sealed
 * (`enc:v1:…`, AES-256-GCM) in rules, rule_versions, action_templates and the executions' snapshot,
 * never appear in responses (the mask instead) nor in Temporal history, and are opened only by the
 * webhook activity right before it signs and sends.
 */
import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver, verifyStandardWebhook } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SECRET_KEY_PART = SECRET.slice('whsec_'.length);
const NEW_SECRET = 'whsec_QUJDREVGR0hJSktMTU5PUFFSU1RVVldY';
const TOKEN = 'Bearer tok_live_9f8e7d6c5b4a39281706';
const API_KEY = 'k3y-0123456789-abcdef';
const MASK = '********';
const PLAINTEXTS = [SECRET, SECRET_KEY_PART, NEW_SECRET, NEW_SECRET.slice(6), TOKEN, TOKEN.slice(7), API_KEY];
const SEALED = /^enc:v1:[0-9a-f]{8}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/;

function expectNoPlaintext(text: string): void {
  for (const p of PLAINTEXTS) expect(text).not.toContain(p);
}

/** History as text with every payload decoded (payload data is bytes or base64: a plain stringify would hide a secret). */
function historyText(history: unknown): string {
  return JSON.stringify(history, (_key, value: unknown) => {
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    if (value && typeof value === 'object' && 'metadata' in value && 'data' in value) {
      const data = (value as { data: unknown }).data;
      if (typeof data === 'string') return { ...value, data: Buffer.from(data, 'base64').toString('utf8') };
    }
    return value;
  });
}

describe('secrets at rest (end to end)', () => {
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

  const webhookAction = (path: string, secret: string = SECRET) => ({
    name: 'erp',
    type: 'webhook',
    config: {
      url: `${receiver.url}${path}`,
      secret,
      headers: { Authorization: TOKEN, 'X-API-Key': API_KEY, 'X-Tenant': 'acme' },
      body: { id: '{{ data.id }}' },
    },
  });

  async function fire(entity: string, eventId: string) {
    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({ id: eventId, entity, type: 'on_create', data: { id: eventId } });
    expect(ev.status).toBe(202);
    expect(ev.body.executions).toHaveLength(1);
    const { executionId, workflowId } = ev.body.executions[0] as { executionId: string; workflowId: string };
    const execution = await eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${executionId}`).set(sys.auth);
      return ['success', 'failed', 'partial'].includes(res.body.status) ? res.body : undefined;
    });
    return { executionId, workflowId, execution };
  }

  it('seals secrets at rest, masks them in every response, keeps them on a masked PATCH and signs with them', async () => {
    const entity = 'orders_secret';
    const created = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({ name: 'secret hook', entity, trigger: { type: 'on_create' }, actions: [webhookAction('/a')] });
    expect(created.status).toBe(201);
    const ruleId = created.body.id as string;
    expect(created.body.actions[0].config).toEqual({
      url: `${receiver.url}/a`,
      method: 'POST',
      secret: MASK,
      headers: { Authorization: MASK, 'X-API-Key': MASK, 'X-Tenant': 'acme' },
      body: { id: '{{ data.id }}' },
    });
    expectNoPlaintext(JSON.stringify(created.body));

    // At rest: sealed in rules and rule_versions.
    const [row] = await sys.db.query(`SELECT actions FROM rules WHERE id = $1`, [ruleId]);
    const stored = row.actions[0].config;
    expect(stored.secret).toMatch(SEALED);
    expect(stored.headers.Authorization).toMatch(SEALED);
    expect(stored.headers['X-API-Key']).toMatch(SEALED);
    expect(stored.headers['X-Tenant']).toBe('acme');
    expectNoPlaintext(JSON.stringify(row.actions));
    const versions = await sys.db.query(`SELECT rule::text AS rule FROM rule_versions WHERE rule_id = $1`, [ruleId]);
    expect(versions).toHaveLength(1);
    expect(versions[0].rule).toContain('enc:v1:');
    expectNoPlaintext(versions[0].rule);

    // Responses: get, list, versions, dry run.
    const got = await sys.http.get(`/v1/rules/${ruleId}`).set(sys.auth);
    expect(got.body.actions[0].config.secret).toBe(MASK);
    expectNoPlaintext(JSON.stringify(got.body));
    expect(JSON.stringify(got.body)).not.toContain('enc:v1:');
    const list = await sys.http.get('/v1/rules').set(sys.auth);
    const listed = (list.body.items as Array<{ id: string }>).find((r) => r.id === ruleId) as any;
    expect(listed.actions[0].config.headers.Authorization).toBe(MASK);
    expectNoPlaintext(JSON.stringify(list.body));
    const dry = await sys.http
      .post(`/v1/rules/${ruleId}/test`)
      .set(sys.auth)
      .send({ data: { id: 'x' } });
    expect(dry.status).toBe(200);
    expect(dry.body.actions[0].config).toMatchObject({
      secret: MASK,
      headers: { Authorization: MASK },
      body: { id: 'x' },
    });
    expectNoPlaintext(JSON.stringify(dry.body));

    // GET → PATCH round trip with the masks: the stored secrets stay.
    const patched = await sys.http
      .patch(`/v1/rules/${ruleId}`)
      .set(sys.auth)
      .send({ name: 'secret hook v2', actions: got.body.actions });
    expect(patched.status).toBe(200);
    expect(patched.body.version).toBe(2);
    expect(patched.body.actions[0].config.secret).toBe(MASK);
    const versionsPage = await sys.http.get(`/v1/rules/${ruleId}/versions`).set(sys.auth);
    expect(versionsPage.body.items).toHaveLength(2);
    for (const v of versionsPage.body.items) expect(v.rule.actions[0].config.secret).toBe(MASK);
    expectNoPlaintext(JSON.stringify(versionsPage.body));

    const { executionId, workflowId, execution } = await fire(entity, 'evt-secret-1');
    expect(execution.status).toBe('success');
    expectNoPlaintext(JSON.stringify(execution));
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(verifyStandardWebhook(SECRET, req)).toEqual({ id: 'evt-secret-1' });
    expect(() => verifyStandardWebhook(NEW_SECRET, req)).toThrow();
    expect(req.headers.authorization).toBe(TOKEN);
    expect(req.headers['x-api-key']).toBe(API_KEY);

    // The execution's snapshot and the Temporal history carry only the sealed values.
    const [exec] = await sys.db.query(`SELECT input::text AS input FROM executions WHERE id = $1`, [executionId]);
    expect(exec.input).toContain('enc:v1:');
    expectNoPlaintext(exec.input);
    const history = historyText(await sys.temporal.workflow.getHandle(workflowId).fetchHistory());
    expect(history).toContain('enc:v1:'); // payloads are decoded: the check below can fail
    expect(history).toContain('evt-secret-1');
    expectNoPlaintext(history);

    // A new plaintext value replaces the stored one.
    const current = (await sys.http.get(`/v1/rules/${ruleId}`).set(sys.auth)).body;
    const rotated = structuredClone(current.actions);
    rotated[0].config.secret = NEW_SECRET;
    const replaced = await sys.http.patch(`/v1/rules/${ruleId}`).set(sys.auth).send({ actions: rotated });
    expect(replaced.status).toBe(200);
    receiver.requests.length = 0;
    const second = await fire(entity, 'evt-secret-2');
    expect(second.execution.status).toBe('success');
    expect(verifyStandardWebhook(NEW_SECRET, receiver.requests[0]!)).toEqual({ id: 'evt-secret-2' });
    expect(() => verifyStandardWebhook(SECRET, receiver.requests[0]!)).toThrow();
    expect(receiver.requests[0]!.headers.authorization).toBe(TOKEN);
  });

  it('refuses the mask where no secret is stored, and never echoes a secret in a 400', async () => {
    const masked = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({ name: 'm', entity: 'x', trigger: { type: 'on_create' }, actions: [webhookAction('/m', MASK)] });
    expect(masked.status).toBe(400);
    expect(masked.body.message).toMatch(/actions\[0\]\.config\.secret: is the mask/);

    const maskedHeader = webhookAction('/m');
    maskedHeader.config.headers['X-API-Key'] = MASK;
    const res = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({ name: 'm2', entity: 'x', trigger: { type: 'on_create' }, actions: [maskedHeader] });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/headers\["X-API-Key"\]: is the mask/);

    const broken = webhookAction('/b');
    broken.config.headers.Authorization = 'Bearer {{ tok_live_9f8e7d6c5b4a39281706 x }}';
    const bad = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({ name: 'b', entity: 'x', trigger: { type: 'on_create' }, actions: [broken] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/actions\[0\]\.config\.headers\.Authorization/);
    expect(JSON.stringify(bad.body)).not.toContain('tok_live_9f8e7d6c5b4a39281706');

    const badSecret = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: 'c',
        entity: 'x',
        trigger: { type: 'on_create' },
        actions: [webhookAction('/c', 'not-a-secret-value')],
      });
    expect(badSecret.status).toBe(400);
    expect(badSecret.body.message).toMatch(/actions\[0\]\.config\.secret/);
    expect(JSON.stringify(badSecret.body)).not.toContain('not-a-secret-value');
  });

  it('seals action template secrets, masks them, and merges them into rules sealed', async () => {
    const created = await sys.http
      .post('/v1/action-templates')
      .set(sys.auth)
      .send({
        name: 'signed-erp',
        actionType: 'webhook',
        defaultConfig: { url: `${receiver.url}/tpl`, secret: SECRET, headers: { Authorization: TOKEN } },
      });
    expect(created.status).toBe(201);
    expect(created.body.defaultConfig).toMatchObject({ secret: MASK, headers: { Authorization: MASK } });
    expectNoPlaintext(JSON.stringify(created.body));
    const [tpl] = await sys.db.query(`SELECT default_config FROM action_templates WHERE id = $1`, [created.body.id]);
    expect(tpl.default_config.secret).toMatch(SEALED);
    expect(tpl.default_config.headers.Authorization).toMatch(SEALED);

    // PATCH with the mask keeps it (the delivery below verifies with the original).
    const patched = await sys.http
      .patch(`/v1/action-templates/${created.body.id}`)
      .set(sys.auth)
      .send({ defaultConfig: { ...created.body.defaultConfig, body: { via: 'template' } } });
    expect(patched.status).toBe(200);
    expect(patched.body.defaultConfig.secret).toBe(MASK);
    const listed = await sys.http.get('/v1/action-templates').set(sys.auth);
    expectNoPlaintext(JSON.stringify(listed.body));

    const entity = 'orders_tpl_secret';
    const rule = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: 'from template',
        entity,
        trigger: { type: 'on_create' },
        actions: [{ templateId: created.body.id }],
      });
    expect(rule.status).toBe(201);
    expect(rule.body.actions[0].config.secret).toBe(MASK);
    const [row] = await sys.db.query(`SELECT actions FROM rules WHERE id = $1`, [rule.body.id]);
    expect(row.actions[0].config.secret).toMatch(SEALED);
    expectNoPlaintext(JSON.stringify(row.actions));

    const { execution } = await fire(entity, 'evt-tpl-1');
    expect(execution.status).toBe('success');
    expect(verifyStandardWebhook(SECRET, receiver.requests[0]!)).toEqual({ via: 'template' });
    expect(receiver.requests[0]!.headers.authorization).toBe(TOKEN);
  });

  it('keeps rules stored before encryption working (plaintext passes through) and masks them too', async () => {
    const entity = 'orders_legacy';
    const created = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({ name: 'legacy', entity, trigger: { type: 'on_create' }, actions: [webhookAction('/legacy')] });
    expect(created.status).toBe(201);
    // As an old release stored it: plaintext in the jsonb.
    await sys.db.query(
      `UPDATE rules SET actions = jsonb_set(jsonb_set(actions, '{0,config,secret}', to_jsonb($2::text)),
         '{0,config,headers,Authorization}', to_jsonb($3::text)) WHERE id = $1`,
      [created.body.id, SECRET, TOKEN],
    );
    const got = await sys.http.get(`/v1/rules/${created.body.id}`).set(sys.auth);
    expect(got.body.actions[0].config).toMatchObject({ secret: MASK, headers: { Authorization: MASK } });
    expectNoPlaintext(JSON.stringify(got.body));

    // The gateway caches rules for matching: tell it, as a write through the API would.
    await sys.db.query(`SELECT pg_notify('ruleflow_rules_changed', tenant_id::text) FROM rules WHERE id = $1`, [
      created.body.id,
    ]);
    // Until the notification lands a run may still snapshot the sealed rule: fire until one carries the plaintext.
    const { execution } = await eventually(async () => {
      receiver.requests.length = 0;
      const run = await fire(entity, `evt-legacy-${Date.now()}`);
      const [exec] = await sys.db.query(`SELECT input::text AS input FROM executions WHERE id = $1`, [run.executionId]);
      return (exec.input as string).includes(SECRET) ? run : undefined;
    });
    expect(execution.status).toBe('success');
    expect(verifyStandardWebhook(SECRET, receiver.requests[0]!)).toEqual({ id: expect.stringMatching(/^evt-legacy-/) });
    expect(receiver.requests[0]!.headers.authorization).toBe(TOKEN);

    // Saving it again (masks round-tripped) seals what was plaintext.
    const resaved = await sys.http
      .patch(`/v1/rules/${created.body.id}`)
      .set(sys.auth)
      .send({ actions: got.body.actions });
    expect(resaved.status).toBe(200);
    const [row] = await sys.db.query(`SELECT actions FROM rules WHERE id = $1`, [created.body.id]);
    expect(row.actions[0].config.secret).toMatch(SEALED);
    expectNoPlaintext(JSON.stringify(row.actions));
  });
});
