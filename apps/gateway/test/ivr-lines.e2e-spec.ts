/**
 * Phone lines over HTTP (no worker): validation naming the field, the menu of the same tenant, the
 * sealed auth token (never returned), the URL token stored only as its hash, tenancy.
 */
import { createHash } from 'node:crypto';
import type { TestSystem } from './test-system';
import { startTestSystem } from './test-system';

type Auth = { Authorization: string };

const LINE = {
  name: 'Support',
  provider: 'twilio',
  accountSid: 'AC0123456789abcdef0123456789abcdef',
  authToken: '5f4dcc3b5aa765d61d8327deb882cf99',
  phoneNumber: '+15551230000',
};

describe('IVR phone lines API', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await startTestSystem({ withoutWorker: true, env: { PUBLIC_URL: 'https://rf.example.com' } });
  });
  afterAll(async () => {
    await sys?.close();
  });

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

  async function menu(tenantId: string): Promise<string> {
    const rows: Array<{ id: string }> = await sys.db.query(
      `INSERT INTO ivr_menus (tenant_id, name, prompt, items) VALUES ($1, 'Main', 'Press 1', '[]') RETURNING id`,
      [tenantId],
    );
    return rows[0]!.id;
  }

  async function lineCount(): Promise<number> {
    const rows: Array<{ n: number }> = await sys.db.query(`SELECT count(*)::int AS n FROM ivr_lines`);
    return rows[0]!.n;
  }

  it('creates, shows, changes and deletes a line; the auth token is sealed and never returned', async () => {
    const { tenantId, auth } = await tenantWithKey('lines-a');
    const menuId = await menu(tenantId);
    const created = await sys.http
      .post('/v1/ivr/lines')
      .set(auth)
      .send({ ...LINE, menuId });
    expect(created.status).toBe(201);
    const line = created.body as Record<string, string>;
    expect(line).toMatchObject({ name: 'Support', menuId, provider: 'twilio', accountSid: LINE.accountSid });
    expect(line).not.toHaveProperty('authToken');
    expect(JSON.stringify(line)).not.toContain(LINE.authToken);
    const token = /^https:\/\/rf\.example\.com\/v1\/ivr\/voice\/([A-Za-z0-9_-]{43})$/.exec(line.voiceUrl!)?.[1];
    expect(token).toBeDefined();
    expect(line.statusCallbackUrl).toBe(`https://rf.example.com/v1/ivr/status/${token}`);

    const [row] = (await sys.db.query(`SELECT * FROM ivr_lines WHERE id = $1`, [line.id])) as Array<
      Record<string, string>
    >;
    expect(row!.auth_token).toMatch(/^enc:v1:/);
    expect(row!.token_hash).toBe(createHash('sha256').update(token!).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(token);
    expect(JSON.stringify(row)).not.toContain(LINE.authToken);

    const got = await sys.http.get(`/v1/ivr/lines/${line.id}`).set(auth);
    expect(got.status).toBe(200);
    expect(got.body.voiceUrl).toBe(line.voiceUrl);

    const listed = await sys.http.get('/v1/ivr/lines').set(auth);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain(line.id);
    expect(JSON.stringify(listed.body)).not.toContain(LINE.authToken);

    const patched = await sys.http
      .patch(`/v1/ivr/lines/${line.id}`)
      .set(auth)
      .send({ name: 'Sales', authToken: 'fedcba9876543210fedcba9876543210' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: 'Sales', voiceUrl: line.voiceUrl });
    const [changed] = (await sys.db.query(`SELECT auth_token FROM ivr_lines WHERE id = $1`, [line.id])) as Array<
      Record<string, string>
    >;
    expect(changed!.auth_token).not.toBe(row!.auth_token);

    expect((await sys.http.delete(`/v1/ivr/lines/${line.id}`).set(auth)).status).toBe(204);
    expect((await sys.http.get(`/v1/ivr/lines/${line.id}`).set(auth)).status).toBe(404);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a missing name', { name: undefined }, 'name'],
    ['a menuId that is no uuid', { menuId: 'x' }, 'menuId'],
    ['another provider', { provider: 'vonage' }, 'provider'],
    ['a malformed accountSid', { accountSid: 'AC12' }, 'accountSid'],
    ['a short authToken', { authToken: 'abc' }, 'authToken'],
    ['a phone number that is not E.164', { phoneNumber: '555-1234' }, 'phoneNumber'],
    ['an unknown field', { voiceUrl: 'https://evil.example.com' }, 'voiceUrl'],
  ])('refuses %s with a 400 naming the field, writing nothing', async (_name, change, field) => {
    const { tenantId, auth } = await tenantWithKey(`lines-bad-${field}`);
    const menuId = await menu(tenantId);
    const before = await lineCount();
    const res = await sys.http
      .post('/v1/ivr/lines')
      .set(auth)
      .send({ ...LINE, menuId, ...change });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toContain(field);
    expect(JSON.stringify(res.body)).not.toContain(LINE.authToken);
    expect(await lineCount()).toBe(before);
  });

  it("refuses another tenant's menu and hides another tenant's lines", async () => {
    const a = await tenantWithKey('lines-ten-a');
    const b = await tenantWithKey('lines-ten-b');
    const menuOfA = await menu(a.tenantId);
    const refused = await sys.http
      .post('/v1/ivr/lines')
      .set(b.auth)
      .send({ ...LINE, menuId: menuOfA });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.body.message)).toContain('menuId');

    const lineOfA = await sys.http
      .post('/v1/ivr/lines')
      .set(a.auth)
      .send({ ...LINE, menuId: menuOfA });
    expect(lineOfA.status).toBe(201);
    expect((await sys.http.get(`/v1/ivr/lines/${lineOfA.body.id}`).set(b.auth)).status).toBe(404);
    expect((await sys.http.patch(`/v1/ivr/lines/${lineOfA.body.id}`).set(b.auth).send({ name: 'x' })).status).toBe(404);
    expect((await sys.http.delete(`/v1/ivr/lines/${lineOfA.body.id}`).set(b.auth)).status).toBe(404);
    const patchedMenu = await sys.http
      .patch(`/v1/ivr/lines/${lineOfA.body.id}`)
      .set(a.auth)
      .send({ menuId: await menu(b.tenantId) });
    expect(patchedMenu.status).toBe(400);
  });

  it('needs ivr:read to read and ivr:write to write', async () => {
    const { tenantId, auth } = await tenantWithKey('lines-scopes', ['ivr:read']);
    const menuId = await menu(tenantId);
    expect((await sys.http.get('/v1/ivr/lines').set(auth)).status).toBe(200);
    expect(
      (
        await sys.http
          .post('/v1/ivr/lines')
          .set(auth)
          .send({ ...LINE, menuId })
      ).status,
    ).toBe(403);
  });
});
