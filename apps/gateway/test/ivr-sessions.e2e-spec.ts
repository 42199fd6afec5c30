/**
 * IVR call sessions over HTTP (API.md "IVR (phone menus)"): each session is the workflow
 * `ivr-<sessionId>` on the real Temporal dev server and worker, mirrored into PostgreSQL. Start, digits,
 * back, hang-up, 409 for a second start of the same call and for input to an ended session, list
 * filters, validation (400 naming the field, nothing written), scopes and tenant isolation.
 */
import { CallIdKey, ivrSessionWorkflowId, RuleflowKindKey, TenantIdKey } from '@ruleflow/contract';
import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver, verifyStandardWebhook } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { startTestSystem } from './test-system';

type Auth = { Authorization: string };

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('IVR sessions API', () => {
  let sys: TestSystem;
  let a: Auth;
  let b: Auth;
  let aTenant: string;
  let readOnly: Auth;
  let root: string;
  let billing: string;
  let seq = 0;

  async function tenantWithKey(name: string, scopes: string[] = ['admin']): Promise<{ tenantId: string; auth: Auth }> {
    const tenant = await sys.http.post('/v1/tenants').set(sys.auth).send({ name });
    expect(tenant.status).toBe(201);
    const key = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: `${name} key`, tenantId: tenant.body.id, scopes });
    expect(key.status).toBe(201);
    return { tenantId: tenant.body.id, auth: { Authorization: `Bearer ${key.body.key}` } };
  }

  /** A menu row of tenant a, as the menus API stores it (this spec does not depend on that API). */
  async function menu(m: { name: string; prompt: string; items: unknown[]; invalidPrompt?: string }): Promise<string> {
    const rows: Array<{ id: string }> = await sys.db.query(
      `INSERT INTO ivr_menus (tenant_id, name, prompt, items, invalid_prompt) VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING id`,
      [aTenant, m.name, m.prompt, JSON.stringify(m.items), m.invalidPrompt ?? null],
    );
    return rows[0]!.id;
  }

  beforeAll(async () => {
    sys = await startTestSystem();
    const ta = await tenantWithKey('ivr-sessions-a');
    a = ta.auth;
    aTenant = ta.tenantId;
    b = (await tenantWithKey('ivr-sessions-b')).auth;
    readOnly = (await tenantWithKey('ivr-sessions-ro', ['ivr:read'])).auth;
    billing = await menu({
      name: 'Billing',
      prompt: 'Press 1 for a transfer, star to go back.',
      items: [
        { digit: '1', label: 'Transfer', action: 'transfer', target: '+15550001' },
        { digit: '*', label: 'Back', action: 'back' },
      ],
    });
    root = await menu({
      name: 'Main',
      prompt: 'Press 1 for billing, 0 for an agent.',
      invalidPrompt: 'Not a choice.',
      items: [
        { digit: '1', label: 'Billing', action: 'submenu', target: billing },
        { digit: '9', label: 'Repeat', action: 'repeat' },
        { digit: '0', label: 'Agent', action: 'agent', target: 'queue-a' },
      ],
    });
  });
  afterAll(async () => {
    await sys?.close();
  });

  async function start(auth: Auth = a, body: Record<string, unknown> = {}) {
    const callId = `CA-e2e-${++seq}-${Date.now()}`;
    const res = await sys.http
      .post('/v1/ivr/sessions')
      .set(auth)
      .send({ menuId: root, callId, caller: '+15551234', ...body });
    return { res, callId, id: res.body.sessionId as string };
  }

  async function sessionRows(): Promise<number> {
    const [row] = await sys.db.query(`SELECT count(*)::int AS n FROM ivr_sessions`);
    return (row as { n: number }).n;
  }

  const input = (id: string, digit: unknown, auth: Auth = a) =>
    sys.http.post(`/v1/ivr/sessions/${id}/input`).set(auth).send({ digit });

  it('walks a call: start, submenu, back, invalid digit, agent; then 409 for more input; GET shows it all', async () => {
    const { res, callId, id } = await start();
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      sessionId: id,
      workflowId: ivrSessionWorkflowId(id),
      state: 'awaiting_input',
      menuId: root,
      prompt: 'Press 1 for billing, 0 for an agent.',
    });

    const sub = await input(id, '1');
    expect(sub.status).toBe(200);
    expect(sub.body).toEqual({
      state: 'awaiting_input',
      menuId: billing,
      prompt: 'Press 1 for a transfer, star to go back.',
      action: 'submenu',
      target: billing,
      outcome: null,
    });
    const live = await sys.http.get(`/v1/ivr/sessions/${id}`).set(a);
    expect(live.status).toBe(200);
    expect(live.body).toMatchObject({
      sessionId: id,
      callId,
      state: 'awaiting_input',
      menuId: billing,
      menuStack: [root],
    });

    const back = await sys.http.post(`/v1/ivr/sessions/${id}/back`).set(a);
    expect(back.status).toBe(200);
    expect(back.body).toMatchObject({ state: 'awaiting_input', menuId: root, action: 'back' });

    const invalid = await input(id, '5');
    expect(invalid.status).toBe(200);
    expect(invalid.body).toMatchObject({ menuId: root, prompt: 'Not a choice.', action: null, outcome: null });

    const agent = await input(id, '0');
    expect(agent.status).toBe(200);
    expect(agent.body).toEqual({
      state: 'ended',
      menuId: root,
      prompt: null,
      action: 'agent',
      target: 'queue-a',
      outcome: { type: 'agent', target: 'queue-a' },
    });

    for (const late of [
      await input(id, '1'),
      await sys.http.post(`/v1/ivr/sessions/${id}/back`).set(a),
      await sys.http.delete(`/v1/ivr/sessions/${id}`).set(a),
    ]) {
      expect(late.status).toBe(409);
    }

    const ended = await sys.http.get(`/v1/ivr/sessions/${id}`).set(a);
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({
      sessionId: id,
      callId,
      state: 'ended',
      menuId: root,
      menuStack: [],
      retryCount: 0,
      outcome: { type: 'agent', target: 'queue-a' },
    });
    expect(ended.body.endedAt).toEqual(expect.any(String));
    expect(ended.body.startedAt).toEqual(expect.any(String));
    expect(ended.body.lastActivityAt).toEqual(expect.any(String));
    expect(ended.body.history.map((h: { input: string | null; result: string }) => [h.input, h.result])).toEqual([
      ['1', 'submenu'],
      [null, 'back'],
      ['5', 'invalid'],
      ['0', 'agent'],
    ]);

    // The workflow carries the call id as a search attribute.
    const described = await sys.temporal.workflow.getHandle(ivrSessionWorkflowId(id)).describe();
    expect(described.typedSearchAttributes.get(CallIdKey)).toBe(callId);
    expect(described.typedSearchAttributes.get(TenantIdKey)).toBe(aTenant);
    expect(described.typedSearchAttributes.get(RuleflowKindKey)).toBe('ivr_session');
    // The Temporal UI tells the story: the caller and the menu in the summary.
    expect(await described.staticSummary()).toBe('Call from **+15551234** on menu **Main**');
  });

  it('offers call.started and call.ended (the session as GET shows it) to subscribed endpoints, signed', async () => {
    const receiver: HttpReceiver = await startHttpReceiver();
    try {
      const endpoint = await sys.http
        .post('/v1/webhooks')
        .set(a)
        .send({ name: 'calls', url: `${receiver.url}/calls`, events: ['call.*'] });
      expect(endpoint.status).toBe(201);
      const { id, callId } = await start();
      await input(id, '1');
      await sys.http.delete(`/v1/ivr/sessions/${id}`).set(a);
      const got = await receiver.waitFor(2, 30_000);
      const bodies = got.map((req) => {
        verifyStandardWebhook(endpoint.body.secret as string, req);
        return JSON.parse(req.body) as { type: string; data: Record<string, unknown> };
      });
      const byType = Object.fromEntries(bodies.map((body) => [body.type, body.data]));
      expect(Object.keys(byType).sort()).toEqual(['call.ended', 'call.started']);
      expect(byType['call.started']).toMatchObject({ sessionId: id, callId, state: 'awaiting_input', menuId: root });
      expect(byType['call.ended']).toMatchObject({
        sessionId: id,
        callId,
        state: 'ended',
        menuId: billing,
        menuStack: [root],
        outcome: { type: 'hangup' },
      });
    } finally {
      await sys.http
        .get('/v1/webhooks')
        .set(a)
        .then(async (list) => {
          for (const w of list.body.items as Array<{ id: string }>)
            await sys.http.delete(`/v1/webhooks/${w.id}`).set(a);
        });
      await receiver.close();
    }
  });

  it('DELETE hangs up a live session (outcome hangup)', async () => {
    const { id } = await start();
    const res = await sys.http.delete(`/v1/ivr/sessions/${id}`).set(a);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'ended', outcome: { type: 'hangup' } });
    const got = await sys.http.get(`/v1/ivr/sessions/${id}`).set(a);
    expect(got.body).toMatchObject({ state: 'ended', outcome: { type: 'hangup' } });
  });

  it('the same callId twice is a 409 and writes nothing', async () => {
    const first = await start();
    expect(first.res.status).toBe(201);
    const before = await sessionRows();
    const again = await sys.http.post('/v1/ivr/sessions').set(a).send({ menuId: root, callId: first.callId });
    expect(again.status).toBe(409);
    expect(await sessionRows()).toBe(before);
    // Another tenant may have its own call with the same id (ids are per tenant).
    await sys.http.delete(`/v1/ivr/sessions/${first.id}`).set(a);
  });

  it('bad input is a 400 naming the field, and writes nothing', async () => {
    const before = await sessionRows();
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ menuId: UNKNOWN, callId: 'c-unknown-menu' }, /menuId/],
      [{ menuId: 'nope', callId: 'c-bad-menu' }, /menuId/],
      [{ menuId: root }, /callId/],
      [{ menuId: root, callId: '' }, /callId/],
      [{ menuId: root, callId: 'x'.repeat(201) }, /callId/],
      [{ menuId: root, callId: 'c-caller', caller: 'x'.repeat(201) }, /caller/],
      [{ menuId: root, callId: 'c-extra', extra: 1 }, /extra/],
    ];
    for (const [body, field] of cases) {
      const res = await sys.http.post('/v1/ivr/sessions').set(a).send(body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(field);
    }
    expect(await sessionRows()).toBe(before);

    const { id } = await start();
    for (const digit of ['x', '12', '', 5, null]) {
      const res = await input(id, digit);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(/digit/);
    }
    const view = await sys.http.get(`/v1/ivr/sessions/${id}`).set(a);
    expect(view.body.history).toEqual([]);
    expect((await sys.http.get('/v1/ivr/sessions?state=open').set(a)).status).toBe(400);
    expect((await sys.http.get('/v1/ivr/sessions?menuId=nope').set(a)).status).toBe(400);
    expect((await sys.http.get('/v1/ivr/sessions/not-a-uuid').set(a)).status).toBe(404);
    expect((await input(UNKNOWN, '1')).status).toBe(404);
    await sys.http.delete(`/v1/ivr/sessions/${id}`).set(a);
  });

  it('lists newest first, filtered by state, menuId (the current menu) and callId', async () => {
    const s1 = await start();
    const s2 = await start();
    const s3 = await start();
    await input(s2.id, '1'); // s2 now in billing
    await sys.http.delete(`/v1/ivr/sessions/${s3.id}`).set(a); // s3 ended

    const all = await sys.http.get('/v1/ivr/sessions?limit=200').set(a);
    expect(all.status).toBe(200);
    const ids = all.body.items.map((s: { sessionId: string }) => s.sessionId);
    expect(ids.indexOf(s3.id)).toBeLessThan(ids.indexOf(s2.id));
    expect(ids.indexOf(s2.id)).toBeLessThan(ids.indexOf(s1.id));

    const ended = await sys.http.get('/v1/ivr/sessions?state=ended&limit=200').set(a);
    const endedIds = ended.body.items.map((s: { sessionId: string }) => s.sessionId);
    expect(endedIds).toContain(s3.id);
    expect(endedIds).not.toContain(s1.id);
    expect(ended.body.items.every((s: { state: string }) => s.state === 'ended')).toBe(true);

    const inBilling = await sys.http.get(`/v1/ivr/sessions?menuId=${billing}&state=awaiting_input`).set(a);
    expect(inBilling.body.items.map((s: { sessionId: string }) => s.sessionId)).toEqual([s2.id]);

    const byCall = await sys.http.get(`/v1/ivr/sessions?callId=${encodeURIComponent(s1.callId)}`).set(a);
    expect(byCall.body.items).toHaveLength(1);
    expect(byCall.body.items[0]).toMatchObject({ sessionId: s1.id, callId: s1.callId, state: 'awaiting_input' });

    const page = await sys.http.get('/v1/ivr/sessions?limit=1').set(a);
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).toEqual(expect.any(String));

    for (const s of [s1, s2]) await sys.http.delete(`/v1/ivr/sessions/${s.id}`).set(a);
  });

  it('keeps tenants apart (404 for another tenant), and needs ivr:write to act', async () => {
    const { id, callId } = await start();
    expect((await sys.http.get(`/v1/ivr/sessions/${id}`).set(b)).status).toBe(404);
    expect((await input(id, '1', b)).status).toBe(404);
    expect((await sys.http.post(`/v1/ivr/sessions/${id}/back`).set(b)).status).toBe(404);
    expect((await sys.http.delete(`/v1/ivr/sessions/${id}`).set(b)).status).toBe(404);
    const listed = await sys.http.get(`/v1/ivr/sessions?callId=${encodeURIComponent(callId)}`).set(b);
    expect(listed.body.items).toEqual([]);
    // Tenant b cannot start a session on a's menu.
    const foreign = await sys.http.post('/v1/ivr/sessions').set(b).send({ menuId: root, callId: 'c-foreign' });
    expect(foreign.status).toBe(400);
    // The same call id in another tenant is its own call.
    expect((await sys.http.get(`/v1/ivr/sessions/${id}`).set(a)).body.state).toBe('awaiting_input');

    expect((await sys.http.post('/v1/ivr/sessions').set(readOnly).send({ menuId: root, callId: 'c-ro' })).status).toBe(
      403,
    );
    expect((await input(id, '1', readOnly)).status).toBe(403);
    expect((await sys.http.get('/v1/ivr/sessions').set(readOnly)).status).toBe(200);
    const [row] = await sys.db.query(`SELECT tenant_id FROM ivr_sessions WHERE id = $1`, [id]);
    expect((row as { tenant_id: string }).tenant_id).toBe(aTenant);
    await sys.http.delete(`/v1/ivr/sessions/${id}`).set(a);
  });
});
