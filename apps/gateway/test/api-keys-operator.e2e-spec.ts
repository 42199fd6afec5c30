import type { TestSystem } from './test-system';
import { startTestSystem } from './test-system';

type Auth = { Authorization: string };
interface CreatedKey {
  id: string;
  key: string;
  auth: Auth;
}

/**
 * Key management by the operator (an admin key of `default`) and by tenants: PATCH, hourly usage,
 * listing another tenant's keys, revoking them, GET /v1/tenants, and the guard against locking the
 * operator out.
 */
describe('API keys: operator management, PATCH, usage', () => {
  let sys: TestSystem;
  let acmeId: string;
  let acmeAdmin: CreatedKey;
  let defaultId: string;

  const as = (key: string): Auth => ({ Authorization: `Bearer ${key}` });
  async function createKey(body: object, auth: Auth = sys.auth): Promise<CreatedKey> {
    const res = await sys.http.post('/v1/api-keys').set(auth).send(body);
    expect(res.status).toBe(201);
    return { id: res.body.id, key: res.body.key, auth: as(res.body.key) };
  }
  const row = async (id: string) =>
    ((await sys.db.query(`SELECT * FROM api_keys WHERE id = $1`, [id])) as Array<Record<string, unknown>>)[0]!;

  beforeAll(async () => {
    sys = await startTestSystem({ withoutWorker: true });
    const tenant = await sys.http.post('/v1/tenants').set(sys.auth).send({ name: 'acme-keys' });
    expect(tenant.status).toBe(201);
    acmeId = tenant.body.id;
    acmeAdmin = await createKey({ name: 'acme admin', tenantId: acmeId, scopes: ['admin'] });
    defaultId = ((await sys.db.query(`SELECT id FROM tenants WHERE name = 'default'`)) as Array<{ id: string }>)[0]!.id;
  });
  afterAll(async () => {
    await sys?.close();
  });

  it('the operator revokes a key it created for another tenant (a leaked key is revoked over the API)', async () => {
    const leaked = await createKey({ name: 'leaked', tenantId: acmeId, scopes: ['rules:read'] });
    expect((await sys.http.get('/v1/rules').set(leaked.auth)).status).toBe(200);
    expect((await sys.http.delete(`/v1/api-keys/${leaked.id}`).set(sys.auth)).status).toBe(204);
    expect((await sys.http.get('/v1/rules').set(leaked.auth)).status).toBe(401);
    // Again is harmless; the revocation is recorded.
    expect((await sys.http.delete(`/v1/api-keys/${leaked.id}`).set(sys.auth)).status).toBe(204);
    expect(await row(leaked.id)).toMatchObject({ enabled: false, revoked_at: expect.any(Date) });
    // A revoked key is not brought back.
    const back = await sys.http.patch(`/v1/api-keys/${leaked.id}`).set(sys.auth).send({ enabled: true });
    expect(back.status).toBe(409);
    expect(back.body.message).toMatch(/revoked/);
    expect((await sys.http.get('/v1/rules').set(leaked.auth)).status).toBe(401);
  });

  it("lists any tenant's keys for the operator; other admins see only their own", async () => {
    const listed = await sys.http.get(`/v1/api-keys?tenantId=${acmeId}`).set(sys.auth);
    expect(listed.status).toBe(200);
    expect(listed.body.items.length).toBeGreaterThanOrEqual(2);
    for (const k of listed.body.items) {
      expect(k.tenantId).toBe(acmeId);
      expect(k).not.toHaveProperty('key');
      expect(k).toMatchObject({ enabled: expect.any(Boolean), usageCount: expect.any(Number) });
    }
    const own = await sys.http.get('/v1/api-keys').set(sys.auth);
    expect(own.body.items.every((k: { tenantId: string }) => k.tenantId === defaultId)).toBe(true);

    const mine = await sys.http.get(`/v1/api-keys?tenantId=${acmeId}`).set(acmeAdmin.auth);
    expect(mine.status).toBe(200);
    expect((await sys.http.get(`/v1/api-keys?tenantId=${defaultId}`).set(acmeAdmin.auth)).status).toBe(403);
    expect(
      (await sys.http.get('/v1/api-keys?tenantId=3f1c1f8e-9d55-4a55-9a3c-000000000000').set(sys.auth)).status,
    ).toBe(404);
    const bad = await sys.http.get('/v1/api-keys?tenantId=acme').set(sys.auth);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toMatch(/tenantId/);
  });

  it('GET /v1/tenants lists every tenant for the operator only', async () => {
    const res = await sys.http.get('/v1/tenants').set(sys.auth);
    expect(res.status).toBe(200);
    expect(res.body.nextCursor).toBeNull();
    expect(res.body.items).toEqual(
      expect.arrayContaining([
        { id: defaultId, name: 'default', createdAt: expect.any(String) },
        { id: acmeId, name: 'acme-keys', createdAt: expect.any(String) },
      ]),
    );
    expect((await sys.http.get('/v1/tenants').set(acmeAdmin.auth)).status).toBe(403);
    const reader = await createKey({ name: 'reader', scopes: ['rules:read'] });
    expect((await sys.http.get('/v1/tenants').set(reader.auth)).status).toBe(403);
  });

  it('PATCH renames, sets and removes limits, disables (401 at once) and enables again; never shows the key', async () => {
    const k = await createKey({ name: 'ci', tenantId: acmeId, scopes: ['rules:read'], rateLimitPerHour: 5 });
    const renamed = await sys.http
      .patch(`/v1/api-keys/${k.id}`)
      .set(sys.auth)
      .send({ name: 'ci pipeline', usageQuota: 1000, rateLimitPerHour: null });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({
      id: k.id,
      tenantId: acmeId,
      name: 'ci pipeline',
      usageQuota: 1000,
      rateLimitPerHour: null,
      enabled: true,
      revokedAt: null,
    });
    expect(renamed.body).not.toHaveProperty('key');
    expect(JSON.stringify(renamed.body)).not.toContain(k.key);

    expect((await sys.http.get('/v1/rules').set(k.auth)).status).toBe(200);
    const off = await sys.http.patch(`/v1/api-keys/${k.id}`).set(acmeAdmin.auth).send({ enabled: false });
    expect(off.status).toBe(200);
    expect(off.body.enabled).toBe(false);
    expect((await sys.http.get('/v1/rules').set(k.auth)).status).toBe(401);
    const on = await sys.http.patch(`/v1/api-keys/${k.id}`).set(acmeAdmin.auth).send({ enabled: true });
    expect(on.body.enabled).toBe(true);
    expect((await sys.http.get('/v1/rules').set(k.auth)).status).toBe(200);

    // The tenant's admin cannot reach the operator's keys, nor revoke them: 404, nothing changed.
    const operatorKey = await createKey({ name: 'operator spare', scopes: ['rules:read'] });
    expect(
      (await sys.http.patch(`/v1/api-keys/${operatorKey.id}`).set(acmeAdmin.auth).send({ name: 'x' })).status,
    ).toBe(404);
    expect((await sys.http.delete(`/v1/api-keys/${operatorKey.id}`).set(acmeAdmin.auth)).status).toBe(404);
    expect((await sys.http.get(`/v1/api-keys/${operatorKey.id}/usage`).set(acmeAdmin.auth)).status).toBe(404);
    expect(await row(operatorKey.id)).toMatchObject({ name: 'operator spare', enabled: true, revoked_at: null });
    expect((await sys.http.patch('/v1/api-keys/not-a-uuid').set(sys.auth).send({ name: 'x' })).status).toBe(404);
  });

  it.each([
    [{ name: null }, /name/],
    [{ name: '' }, /name/],
    [{ rateLimitPerHour: 0 }, /rateLimitPerHour/],
    [{ usageQuota: 1.5 }, /usageQuota/],
    [{ enabled: 'no' }, /enabled/],
    [{ enabled: null }, /enabled/],
    [{ scopes: ['admin'] }, /scopes/],
    [{ key: 'rf_mine' }, /key/],
  ])('PATCH %j is a 400 naming the field, and changes nothing', async (body, field) => {
    const res = await sys.http.patch(`/v1/api-keys/${acmeAdmin.id}`).set(sys.auth).send(body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toMatch(field);
    expect(await row(acmeAdmin.id)).toMatchObject({ name: 'acme admin', enabled: true, scopes: ['admin'] });
  });

  it('GET /v1/api-keys/:id/usage counts requests per hour', async () => {
    const k = await createKey({ name: 'counted', tenantId: acmeId, scopes: ['rules:read'] });
    for (let i = 0; i < 3; i++) expect((await sys.http.get('/v1/rules').set(k.auth)).status).toBe(200);
    // An earlier hour, as a past request would have left it.
    await sys.db.query(
      `INSERT INTO api_key_usage (api_key_id, window_start, count) VALUES ($1, date_trunc('hour', now()) - interval '2 hours', 7)`,
      [k.id],
    );
    const hour = new Date();
    hour.setUTCMinutes(0, 0, 0);
    const earlier = new Date(hour.getTime() - 2 * 3_600_000);

    const usage = await sys.http.get(`/v1/api-keys/${k.id}/usage`).set(acmeAdmin.auth);
    expect(usage.status).toBe(200);
    expect(usage.body).toEqual({
      items: [
        { hour: earlier.toISOString(), count: 7 },
        { hour: hour.toISOString(), count: 3 },
      ],
    });
    // The operator reads it too; `since` bounds it.
    const recent = await sys.http
      .get(`/v1/api-keys/${k.id}/usage?since=${encodeURIComponent(new Date(hour.getTime() - 60_000).toISOString())}`)
      .set(sys.auth);
    expect(recent.body).toEqual({ items: [{ hour: hour.toISOString(), count: 3 }] });
    const bad = await sys.http.get(`/v1/api-keys/${k.id}/usage?since=last-week`).set(sys.auth);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toMatch(/since/);
  });

  // Last: it turns off the operator's spare keys.
  it('refuses to disable or revoke the last enabled admin key of the default tenant (409)', async () => {
    const operatorIds = (
      (await sys.db.query(`SELECT id FROM api_keys WHERE tenant_id = $1 AND 'admin' = ANY(scopes) AND enabled`, [
        defaultId,
      ])) as Array<{ id: string }>
    ).map((r) => r.id);
    expect(operatorIds).toHaveLength(1);
    const [main] = operatorIds as [string];

    const revoke = await sys.http.delete(`/v1/api-keys/${main}`).set(sys.auth);
    expect(revoke.status).toBe(409);
    expect(revoke.body.message).toMatch(/last enabled admin key of the default tenant/);
    expect((await sys.http.patch(`/v1/api-keys/${main}`).set(sys.auth).send({ enabled: false })).status).toBe(409);
    // Renaming it is fine.
    expect((await sys.http.patch(`/v1/api-keys/${main}`).set(sys.auth).send({ name: 'operator' })).status).toBe(200);
    expect((await sys.http.get('/v1/tenants').set(sys.auth)).status).toBe(200);

    // With a second operator key, either may go, but never both: each of two concurrent requests turns off
    // the other's key; one gets through, the other is refused (409, or 401 if its own key went first).
    const spare = await createKey({ name: 'second operator', scopes: ['admin'] });
    const third = await createKey({ name: 'third operator', scopes: ['admin'] });
    expect((await sys.http.delete(`/v1/api-keys/${third.id}`).set(spare.auth)).status).toBe(204);
    const both = await Promise.all([
      sys.http.patch(`/v1/api-keys/${main}`).set(spare.auth).send({ enabled: false }),
      sys.http.delete(`/v1/api-keys/${spare.id}`).set(sys.auth),
    ]);
    const statuses = both.map((r) => r.status);
    expect(statuses.filter((s) => s === 200 || s === 204)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409 || s === 401)).toHaveLength(1);
    const left = (await sys.db.query(
      `SELECT count(*)::int AS n FROM api_keys WHERE tenant_id = $1 AND 'admin' = ANY(scopes) AND enabled`,
      [defaultId],
    )) as Array<{ n: number }>;
    expect(left[0]!.n).toBe(1);
  });
});
