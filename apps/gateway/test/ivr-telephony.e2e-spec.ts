/**
 * Twilio driving an IVR menu through a phone line's webhooks, as the provider would: form-encoded
 * posts signed with X-Twilio-Signature (computed here independently), answered with TwiML. Real
 * worker, real Temporal: each call is an IvrSessionWorkflow.
 */
import { createHmac } from 'node:crypto';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

const PUBLIC_URL = 'https://rf.example.com';
const AUTH_TOKEN = '5f4dcc3b5aa765d61d8327deb882cf99';
const AGENT = '+15550001111';
const SALES = 'sip:sales@example.com';

/** Twilio's scheme, written out here: base64(HMAC-SHA1(token, url + sorted key+value pairs)). */
function sign(url: string, params: Record<string, string>, token = AUTH_TOKEN): string {
  const data = Object.keys(params)
    .sort()
    .reduce((acc, key) => acc + key + params[key], url);
  return createHmac('sha1', token).update(data).digest('base64');
}

function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

let callCounter = 0;
function newCallSid(): string {
  callCounter += 1;
  return `CA${Date.now().toString(16).padStart(16, '0')}${callCounter.toString(16).padStart(16, '0')}`;
}

describe('IVR over Twilio webhooks', () => {
  let sys: TestSystem;
  let tenantId: string;
  let voiceUrl: string;
  let statusUrl: string;

  beforeAll(async () => {
    sys = await startTestSystem({ env: { PUBLIC_URL } });
    const tenant = await sys.http.post('/v1/tenants').set(sys.auth).send({ name: 'telephony' });
    tenantId = tenant.body.id;
    const key = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: 'k', tenantId, scopes: ['admin'] });
    const auth = { Authorization: `Bearer ${key.body.key}` };
    const [sub] = (await sys.db.query(
      `INSERT INTO ivr_menus (tenant_id, name, prompt, items, timeout_ms, max_retries)
       VALUES ($1, 'Sales', 'Sales: press 1 for the team, star to go back', $2, 60000, 1) RETURNING id`,
      [
        tenantId,
        JSON.stringify([
          { digit: '1', label: 'Team', action: 'transfer', target: SALES },
          { digit: '*', label: 'Back', action: 'back', target: null },
        ]),
      ],
    )) as Array<{ id: string }>;
    const [main] = (await sys.db.query(
      `INSERT INTO ivr_menus (tenant_id, name, prompt, items, timeout_ms, max_retries, timeout_prompt)
       VALUES ($1, 'Main', 'Welcome & hello: press 1 for sales, 2 for an agent', $2, 60000, 1, 'Still there?')
       RETURNING id`,
      [
        tenantId,
        JSON.stringify([
          { digit: '1', label: 'Sales', action: 'submenu', target: sub!.id },
          { digit: '2', label: 'Agent', action: 'agent', target: AGENT },
        ]),
      ],
    )) as Array<{ id: string }>;
    const line = await sys.http.post('/v1/ivr/lines').set(auth).send({
      name: 'Main line',
      menuId: main!.id,
      provider: 'twilio',
      accountSid: 'AC0123456789abcdef0123456789abcdef',
      authToken: AUTH_TOKEN,
      phoneNumber: '+15551230000',
    });
    expect(line.status).toBe(201);
    voiceUrl = line.body.voiceUrl;
    statusUrl = line.body.statusCallbackUrl;
  });
  afterAll(async () => {
    await sys?.close();
  });

  const pathOf = (url: string) => url.slice(PUBLIC_URL.length);

  function post(url: string, params: Record<string, string>, signature = sign(url, params)) {
    return sys.http
      .post(pathOf(url))
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .set('X-Twilio-Signature', signature)
      .send(form(params));
  }

  const call = (callSid: string, extra: Record<string, string> = {}) => ({
    CallSid: callSid,
    From: '+15559998888',
    To: '+15551230000',
    CallStatus: 'in-progress',
    ...extra,
  });

  async function session(callSid: string): Promise<Record<string, any> | undefined> {
    const rows = (await sys.db.query(`SELECT * FROM ivr_sessions WHERE call_id = $1`, [callSid])) as Array<
      Record<string, any>
    >;
    return rows[0];
  }

  /** Waits for the session's mirror to show it ended. */
  const ended = (callSid: string) => eventually(async () => (await session(callSid))?.state === 'ended');

  async function sessionCount(): Promise<number> {
    const rows = (await sys.db.query(`SELECT count(*)::int AS n FROM ivr_sessions`)) as Array<{ n: number }>;
    return rows[0]!.n;
  }

  it('walks a call from the greeting through a submenu to a transfer, as TwiML', async () => {
    const sid = newCallSid();
    const first = await post(voiceUrl, call(sid));
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toMatch(/^text\/xml/);
    const action = voiceUrl.replace(/&/g, '&amp;');
    expect(first.text).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response>' +
        `<Gather input="dtmf" numDigits="1" timeout="60" action="${action}" method="POST">` +
        '<Say>Welcome &amp; hello: press 1 for sales, 2 for an agent</Say></Gather>' +
        `<Redirect method="POST">${action}</Redirect></Response>`,
    );
    const row = await session(sid);
    expect(row).toMatchObject({ tenant_id: tenantId, caller: '+15559998888', state: 'awaiting_input' });

    const sales = await post(voiceUrl, call(sid, { Digits: '1' }));
    expect(sales.status).toBe(200);
    expect(sales.text).toContain('<Say>Sales: press 1 for the team, star to go back</Say>');

    const back = await post(voiceUrl, call(sid, { Digits: '*' }));
    expect(back.text).toContain('<Say>Welcome &amp; hello');
    await post(voiceUrl, call(sid, { Digits: '1' }));

    const transfer = await post(voiceUrl, call(sid, { Digits: '1' }));
    expect(transfer.status).toBe(200);
    expect(transfer.text).toBe(`<?xml version="1.0" encoding="UTF-8"?><Response><Dial>${SALES}</Dial></Response>`);
    await ended(sid);
    expect(await session(sid)).toMatchObject({ state: 'ended', outcome: { type: 'transfer', target: SALES } });
    // A late retry of the provider on the ended call: hang up, nothing else.
    const late = await post(voiceUrl, call(sid, { Digits: '2' }));
    expect(late.text).toContain('<Hangup/>');
  });

  it('dials the agent for the agent item', async () => {
    const sid = newCallSid();
    await post(voiceUrl, call(sid));
    const agent = await post(voiceUrl, call(sid, { Digits: '2' }));
    expect(agent.text).toContain(`<Dial>${AGENT}</Dial>`);
  });

  it('counts a request without Digits as a timeout and hangs up past maxRetries', async () => {
    const sid = newCallSid();
    await post(voiceUrl, call(sid));
    const again = await post(voiceUrl, call(sid));
    expect(again.text).toContain('<Say>Still there?</Say>');
    expect((await session(sid))?.retry_count).toBe(1);
    const end = await post(voiceUrl, call(sid));
    expect(end.text).toContain('<Hangup/>');
    await ended(sid);
    expect(await session(sid)).toMatchObject({ state: 'ended', outcome: { type: 'max_retries' } });
  });

  it("leaves timeouts to Twilio's Gather: the session's own timer does not count the same silence", async () => {
    await sys.db.query(`UPDATE ivr_menus SET timeout_ms = 1000 WHERE tenant_id = $1`, [tenantId]);
    try {
      const sid = newCallSid();
      const first = await post(voiceUrl, call(sid));
      expect(first.text).toContain('timeout="1"');
      // Past the menu's 1 s: Twilio would now redirect; the workflow counted nothing by itself.
      await new Promise((r) => setTimeout(r, 2500));
      expect(await session(sid)).toMatchObject({ state: 'awaiting_input', retry_count: 0 });
      await post(voiceUrl, call(sid));
      expect((await session(sid))?.retry_count).toBe(1);
    } finally {
      await sys.db.query(`UPDATE ivr_menus SET timeout_ms = 60000 WHERE tenant_id = $1`, [tenantId]);
    }
  });

  it('ends a live session with a hangup when the status callback says the call is over', async () => {
    const sid = newCallSid();
    await post(voiceUrl, call(sid));
    const ringing = await post(statusUrl, call(sid, { CallStatus: 'ringing' }));
    expect(ringing.status).toBe(204);
    expect((await session(sid))?.state).toBe('awaiting_input');
    const over = await post(statusUrl, call(sid, { CallStatus: 'completed' }));
    expect(over.status).toBe(204);
    await ended(sid);
    expect(await session(sid)).toMatchObject({ state: 'ended', outcome: { type: 'hangup' } });
    // Said twice (Twilio retries): still fine.
    expect((await post(statusUrl, call(sid, { CallStatus: 'completed' }))).status).toBe(204);
  });

  it('answers 403 to a bad signature and writes nothing', async () => {
    const before = await sessionCount();
    const params = call(newCallSid());
    const cases = [
      sign(voiceUrl, params, 'ffffffffffffffffffffffffffffffff'),
      sign(`${voiceUrl}?x=1`, params),
      sign(voiceUrl, { ...params, From: '+10000000000' }),
      '',
    ];
    for (const signature of cases) {
      const res = await post(voiceUrl, params, signature);
      expect(res.status).toBe(403);
      expect(res.text).not.toContain(AUTH_TOKEN);
    }
    const unsigned = await sys.http
      .post(pathOf(voiceUrl))
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send(form(params));
    expect(unsigned.status).toBe(403);
    expect((await post(statusUrl, { ...params, CallStatus: 'completed' }, 'bad')).status).toBe(403);
    expect(await sessionCount()).toBe(before);
  });

  it('refuses a run or a menu of another tenant in the signed voice URL, writing nothing', async () => {
    const other = await sys.http.post('/v1/tenants').set(sys.auth).send({ name: 'telephony-other' });
    const key = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: 'k', tenantId: other.body.id, scopes: ['admin'] });
    const otherAuth = { Authorization: `Bearer ${key.body.key}` };
    const rule = await sys.http
      .post('/v1/rules')
      .set(otherAuth)
      .send({
        name: 'other',
        entity: 'x',
        trigger: { type: 'manual' },
        actions: [{ type: 'delay', config: { duration: '1ms' } }],
      });
    const run = await sys.http.post(`/v1/rules/${rule.body.id}/run`).set(otherAuth).send({ data: {} });
    expect(run.status).toBe(202);
    const [menu] = (await sys.db.query(
      `INSERT INTO ivr_menus (tenant_id, name, prompt) VALUES ($1, 'theirs', 'not yours') RETURNING id`,
      [other.body.id],
    )) as Array<{ id: string }>;
    const before = await sessionCount();
    const foreignRun = await post(`${voiceUrl}?run=${encodeURIComponent(run.body.workflowId)}`, call(newCallSid()));
    expect(foreignRun.status).toBe(400);
    expect(foreignRun.body.message).toContain('run');
    const foreignMenu = await post(`${voiceUrl}?menu=${menu!.id}`, call(newCallSid()));
    expect(foreignMenu.status).toBe(400);
    expect(foreignMenu.text).not.toContain('not yours');
    expect(await sessionCount()).toBe(before);
  });

  it('answers 400 to a malformed form and 404 to an unknown token, writing nothing', async () => {
    const before = await sessionCount();
    const raw = (body: string, type = 'application/x-www-form-urlencoded') =>
      sys.http.post(pathOf(voiceUrl)).set('Content-Type', type).set('X-Twilio-Signature', 'x').send(body);
    expect((await raw('CallSid=CA1&CallSid=CA2')).status).toBe(400);
    const nul = await raw('CallSid=a%00b');
    expect(nul.status).toBe(400);
    expect(nul.body.message).toContain('body.CallSid');
    expect((await raw('From=%E0%A4')).status).toBe(400);
    expect((await raw('{"CallSid":"x"}', 'application/json')).status).toBe(415);
    // Signed, but the fields are wrong.
    const noSid = await post(voiceUrl, { From: '+1555' });
    expect(noSid.status).toBe(400);
    expect(noSid.body.message).toContain('CallSid');
    const badDigits = await post(voiceUrl, call(newCallSid(), { Digits: '12' }));
    expect(badDigits.status).toBe(400);
    expect(badDigits.body.message).toContain('Digits');
    const runUrl = `${voiceUrl}?run=rule-not-a-run`;
    const notARun = await post(runUrl, call(newCallSid()));
    expect(notARun.status).toBe(400);
    expect(notARun.body.message).toContain('run');
    const unknown = await sys.http
      .post(`/v1/ivr/voice/${'A'.repeat(43)}`)
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send(form(call(newCallSid())));
    expect(unknown.status).toBe(404);
    expect(await sessionCount()).toBe(before);
  });
});
