/**
 * The `ivr_call` rule action against a fake Twilio (a local HTTP server): the run asks Calls.json to
 * dial once, the test then drives the voice webhook as Twilio would (signed), and the run ends with
 * the session's outcome; no session end in time fails the action; a cancelled run ends the call.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { HttpReceiver, ReceivedRequest } from '@ruleflow/testing';
import { startHttpReceiver } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

const PUBLIC_URL = 'https://rf.example.com';
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = '5f4dcc3b5aa765d61d8327deb882cf99';
const AGENT = '+15550001111';
const LINE_NUMBER = '+15551230000';
const CALLEE = '+15557654321';

function sign(url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', AUTH_TOKEN).update(data).digest('base64');
}

describe('ivr_call action', () => {
  let sys: TestSystem;
  let twilio: HttpReceiver;
  let auth: { Authorization: string };
  let lineId: string;
  let menuId: string;
  let tenantId: string;
  const sids: string[] = [];

  beforeAll(async () => {
    twilio = await startHttpReceiver((req) => {
      if (/\/Calls\.json$/.test(req.url ?? '')) {
        const sid = `CA${randomBytes(16).toString('hex')}`;
        sids.push(sid);
        return { status: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sid }) };
      }
      return { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' };
    });
    sys = await startTestSystem({ env: { PUBLIC_URL, TWILIO_API_URL: twilio.url } });
    ({ tenantId, auth, menuId, lineId } = await tenantWithLine('ivr-call', [
      { digit: '2', label: 'Agent', action: 'agent', target: AGENT },
    ]));
  });
  afterAll(async () => {
    await sys?.close();
    await twilio?.close();
  });

  /** A tenant with an admin key, a menu (`Press 2 to talk to us`, one retry) and a phone line on it. */
  async function tenantWithLine(name: string, items: unknown[]) {
    const tenant = await sys.http.post('/v1/tenants').set(sys.auth).send({ name });
    const key = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: 'k', tenantId: tenant.body.id, scopes: ['admin'] });
    const tenantAuth = { Authorization: `Bearer ${key.body.key}` };
    const [menu] = (await sys.db.query(
      `INSERT INTO ivr_menus (tenant_id, name, prompt, items, timeout_ms, max_retries)
       VALUES ($1, 'Survey', 'Press 2 to talk to us', $2, 60000, 1) RETURNING id`,
      [tenant.body.id, JSON.stringify(items)],
    )) as Array<{ id: string }>;
    return {
      tenantId: tenant.body.id as string,
      auth: tenantAuth,
      menuId: menu!.id,
      lineId: await createLine(tenantAuth, menu!.id, 'Outbound'),
    };
  }

  async function createLine(as: { Authorization: string }, menu: string, name: string): Promise<string> {
    const line = await sys.http.post('/v1/ivr/lines').set(as).send({
      name,
      menuId: menu,
      provider: 'twilio',
      accountSid: ACCOUNT,
      authToken: AUTH_TOKEN,
      phoneNumber: LINE_NUMBER,
    });
    expect(line.status).toBe(201);
    return line.body.id as string;
  }

  const callRequests = () => twilio.requests.filter((r) => r.path.endsWith('/Calls.json'));

  /** Saves a manual rule of the main tenant with these actions. */
  const saveRule = (actions: unknown[]) =>
    sys.http
      .post('/v1/rules')
      .set(auth)
      .send({ name: `call ${Math.random()}`, entity: 'customers', trigger: { type: 'manual' }, actions });

  async function runRule(config: Record<string, unknown>): Promise<string> {
    const rule = await saveRule([{ name: 'call', type: 'ivr_call', config: { lineId, to: CALLEE, ...config } }]);
    expect(rule.status).toBe(201);
    const run = await sys.http.post(`/v1/rules/${rule.body.id}/run`).set(auth).send({ data: {} });
    expect(run.status).toBe(202);
    return run.body.executionId as string;
  }

  async function finished(id: string) {
    return eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${id}`).set(auth);
      return ['success', 'failed', 'partial', 'cancelled'].includes(res.body.status) ? res.body : undefined;
    });
  }

  /** Twilio's side: post to the voice URL the call was placed with, signed. */
  async function drive(call: ReceivedRequest, extra: Record<string, string> = {}) {
    const form = new URLSearchParams(call.body);
    const url = form.get('Url')!;
    // The receiver records a request before its handler made the sid: wait for the sid.
    const callSid = await eventually(async () => sids[callRequests().indexOf(call)]);
    const params = { CallSid: callSid, From: LINE_NUMBER, To: CALLEE, ...extra };
    return sys.http
      .post(url.slice(PUBLIC_URL.length))
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('X-Twilio-Signature', sign(url, params))
      .send(new URLSearchParams(params).toString());
  }

  it('validates the config at rule save, naming the field', async () => {
    const res = await sys.http
      .post('/v1/rules')
      .set(auth)
      .send({
        name: 'bad call',
        entity: 'customers',
        trigger: { type: 'manual' },
        actions: [{ name: 'call', type: 'ivr_call', config: { lineId, to: '555' } }],
      });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain('config.to');
  });

  it("refuses at save a lineId or menuId that is not one of the tenant's, and writes nothing", async () => {
    // Another tenant with its own menu and line.
    const other = await tenantWithLine('ivr-call-other', [{ digit: '1', label: 'Bye', action: 'hangup' }]);

    const count = async () => {
      const [row] = (await sys.db.query(`SELECT count(*)::int AS n FROM rules WHERE tenant_id = $1`, [tenantId])) as [
        { n: number },
      ];
      return row.n;
    };
    const before = await count();
    const save = (config: Record<string, unknown>) =>
      saveRule([
        { name: 'wait', type: 'delay', config: { duration: '1s' } },
        { name: 'call', type: 'ivr_call', config: { to: CALLEE, ...config } },
      ]);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ lineId: other.lineId }, 'actions[1].config.lineId'],
      [{ lineId: '00000000-0000-4000-8000-000000000000' }, 'actions[1].config.lineId'],
      [{ lineId, menuId: other.menuId }, 'actions[1].config.menuId'],
      [{ lineId, menuId: '00000000-0000-4000-8000-000000000000' }, 'actions[1].config.menuId'],
    ];
    for (const [config, place] of cases) {
      const res = await save(config);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(place);
    }
    // An update is checked the same way.
    const ok = await save({ lineId, menuId });
    expect(ok.status).toBe(201);
    const patch = await sys.http
      .patch(`/v1/rules/${ok.body.id}`)
      .set(auth)
      .send({ actions: [{ name: 'call', type: 'ivr_call', config: { lineId: other.lineId, to: CALLEE } }] });
    expect(patch.status).toBe(400);
    expect(JSON.stringify(patch.body.message)).toContain('actions[0].config.lineId');
    expect((await sys.http.get(`/v1/rules/${ok.body.id}`).set(auth)).body.actions[1].config.lineId).toBe(lineId);
    // Templates are rendered per run and checked then.
    const templated = await save({ lineId: '{{data.lineId}}', menuId: '{{data.menuId}}' });
    expect(templated.status).toBe(201);
    expect(await count()).toBe(before + 2);
  });

  it('a rule whose line was deleted fails its run clearly (the delete is not refused)', async () => {
    const shortLived = await createLine(auth, menuId, 'Short-lived');
    const rule = await saveRule([{ name: 'call', type: 'ivr_call', config: { lineId: shortLived, to: CALLEE } }]);
    expect(rule.status).toBe(201);
    expect((await sys.http.delete(`/v1/ivr/lines/${shortLived}`).set(auth)).status).toBe(204);
    const before = callRequests().length;
    const run = await sys.http.post(`/v1/rules/${rule.body.id}/run`).set(auth).send({ data: {} });
    expect(run.status).toBe(202);
    const execution = await finished(run.body.executionId);
    expect(execution.status).toBe('failed');
    expect(execution.error).toContain(`phone line ${shortLived} not found`);
    expect(callRequests().length).toBe(before);
  });

  it('dials once, waits for the session and outputs its outcome', async () => {
    const before = callRequests().length;
    const executionId = await runRule({});
    const [call] = (await twilio.waitFor(before + 1)).filter((r) => r.path.endsWith('/Calls.json')).slice(before);
    expect(call!.path).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Calls.json`);
    expect(call!.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT}:${AUTH_TOKEN}`).toString('base64')}`);
    const form = new URLSearchParams(call!.body);
    expect(form.get('To')).toBe(CALLEE);
    expect(form.get('From')).toBe(LINE_NUMBER);
    expect(form.get('Url')).toMatch(/^https:\/\/rf\.example\.com\/v1\/ivr\/voice\/[A-Za-z0-9_-]{43}\?run=rule-/);
    expect(form.get('StatusCallback')).toMatch(/^https:\/\/rf\.example\.com\/v1\/ivr\/status\//);

    const greeting = await drive(call!);
    expect(greeting.status).toBe(200);
    expect(greeting.text).toContain('<Say>Press 2 to talk to us</Say>');
    const agent = await drive(call!, { Digits: '2' });
    expect(agent.text).toContain(`<Dial>${AGENT}</Dial>`);

    const execution = await finished(executionId);
    expect(execution.status).toBe('success');
    const sid = sids[callRequests().indexOf(call!)];
    expect(execution.actions[0].output).toMatchObject({
      callId: sid,
      outcome: { type: 'agent', target: AGENT },
      digits: ['2'],
    });
    expect(typeof execution.actions[0].output.sessionId).toBe('string');
    expect(callRequests().length).toBe(before + 1);
  });

  it('fails the action when no session ends within the timeout', async () => {
    const executionId = await runRule({ timeout: '2s' });
    const execution = await finished(executionId);
    expect(execution.status).toBe('failed');
    expect(execution.error).toContain('did not end');
  });

  it('ends the call when the run is cancelled', async () => {
    const before = callRequests().length;
    const executionId = await runRule({ timeout: '30m' });
    await twilio.waitFor(twilio.requests.length + 1);
    await eventually(async () => callRequests().length === before + 1);
    const cancel = await sys.http.post(`/v1/executions/${executionId}/cancel`).set(auth);
    expect(cancel.status).toBe(202);
    const sid = await eventually(async () => sids[before]);
    const hangup = await eventually(async () => twilio.requests.find((r) => r.path.endsWith(`/Calls/${sid}.json`)));
    expect(hangup.body).toBe('Status=completed');
    expect((await finished(executionId)).status).toBe('cancelled');
  });
});
