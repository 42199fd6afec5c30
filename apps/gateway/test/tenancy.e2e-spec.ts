import request from 'supertest';
import type { TestSystem } from './test-system';
import { startTestSystem } from './test-system';

/** Tenants and API keys: shown once, stored hashed, scoped, revocable at once, invisible across tenants. */
describe('tenants and API keys', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ withoutWorker: true });
  });
  afterAll(async () => {
    await sys?.close();
  });

  const as = (key: string) => ({ Authorization: `Bearer ${key}` });

  it('creates a tenant and a key for it; the key sees only its own tenant', async () => {
    const tenant = await sys.http.post('/v1/tenants').set(sys.auth).send({ name: 'acme' });
    expect(tenant.status).toBe(201);
    expect(tenant.body).toEqual({ id: expect.any(String), name: 'acme', createdAt: expect.any(String) });
    expect((await sys.http.post('/v1/tenants').set(sys.auth).send({ name: 'acme' })).status).toBe(409);

    const created = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({
        name: 'acme admin',
        tenantId: tenant.body.id,
        scopes: ['admin'],
        expiresInDays: 30,
        rateLimitPerHour: 100,
      });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      name: 'acme admin',
      tenantId: tenant.body.id,
      scopes: ['admin'],
      rateLimitPerHour: 100,
      usageQuota: null,
    });
    expect(created.body.key).toMatch(/^rf_[A-Za-z0-9_-]{40,}$/);
    expect(created.body.prefix).toBe(created.body.key.slice(0, 10));
    expect(new Date(created.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    const stored: Array<{ key_hash: string }> = await sys.db.query(`SELECT key_hash FROM api_keys WHERE id = $1`, [
      created.body.id,
    ]);
    expect(stored[0]!.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(created.body.key);

    const acme = created.body.key as string;
    const rule = await sys.http
      .post('/v1/rules')
      .set(as(acme))
      .send({
        name: 'acme rule',
        entity: 'orders',
        trigger: { type: 'on_create' },
        actions: [{ type: 'delay', config: { duration: '1s' } }],
      });
    expect(rule.status).toBe(201);
    // The default tenant cannot see it, and acme cannot see the default tenant's keys.
    expect((await sys.http.get(`/v1/rules/${rule.body.id}`).set(sys.auth)).status).toBe(404);
    const acmeKeys = await sys.http.get('/v1/api-keys').set(as(acme));
    expect(acmeKeys.body.items.map((k: { id: string }) => k.id)).toEqual([created.body.id]);
    expect(acmeKeys.body.items[0]).not.toHaveProperty('key');
    expect(acmeKeys.body.items[0]).toMatchObject({ usageCount: expect.any(Number), enabled: true });
    expect(acmeKeys.body.items[0].lastUsedAt).toEqual(expect.any(String));

    // Only the operator (admin of `default`) works across tenants.
    expect((await sys.http.post('/v1/tenants').set(as(acme)).send({ name: 'other' })).status).toBe(403);
    const defaultTenant: Array<{ id: string }> = await sys.db.query(`SELECT id FROM tenants WHERE name = 'default'`);
    const cross = await sys.http
      .post('/v1/api-keys')
      .set(as(acme))
      .send({ name: 'x', tenantId: defaultTenant[0]!.id, scopes: ['admin'] });
    expect(cross.status).toBe(403);
  });

  it('a key of its own tenant with narrow scopes; revocation is immediate', async () => {
    const created = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: 'reader', scopes: ['rules:read'] });
    expect(created.status).toBe(201);
    const key = created.body.key as string;
    expect((await sys.http.get('/v1/rules').set(as(key))).status).toBe(200);
    expect((await sys.http.get('/v1/api-keys').set(as(key))).status).toBe(403);
    expect((await sys.http.delete(`/v1/api-keys/${created.body.id}`).set(sys.auth)).status).toBe(204);
    expect((await sys.http.get('/v1/rules').set(as(key))).status).toBe(401);
    expect((await sys.http.delete('/v1/api-keys/3f1c1f8e-9d55-4a55-9a3c-000000000000').set(sys.auth)).status).toBe(404);
  });

  it('rateLimitPerHour holds across two gateway processes (counted in PostgreSQL), with Retry-After', async () => {
    const created = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: 'limited', scopes: ['rules:read'], rateLimitPerHour: 3 });
    const key = created.body.key as string;
    const other = await sys.startGateway();
    const gateways = [request(sys.app.getHttpServer()), request(other.getHttpServer())];
    const statuses: number[] = [];
    let last: request.Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await gateways[i % 2]!.get('/v1/rules').set(as(key));
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(last!.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(last!.headers['retry-after'])).toBeLessThanOrEqual(3600);
    expect(last!.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    await other.close();
  });

  it('usageQuota: requests beyond it get 429 and are not counted', async () => {
    const created = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: 'quota', scopes: ['rules:read'], usageQuota: 2 });
    const key = created.body.key as string;
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await sys.http.get('/v1/rules').set(as(key))).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    const listed = await sys.http.get('/v1/api-keys').set(sys.auth);
    expect(listed.body.items.find((k: { id: string }) => k.id === created.body.id).usageCount).toBe(2);
  });

  it.each([
    [{ name: 'x', scopes: ['rules:fly'] }, /scopes/],
    [{ name: 'x', scopes: [] }, /scopes/],
    [{ name: 'x', scopes: ['admin'], expiresInDays: 0 }, /expiresInDays/],
    [{ name: 'x', scopes: ['admin'], tenantId: 'nope' }, /tenantId/],
    [{ name: 'x', scopes: ['admin'], key: 'rf_mine' }, /key/],
  ])('refuses %j', async (body, pattern) => {
    const res = await sys.http.post('/v1/api-keys').set(sys.auth).send(body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toMatch(pattern);
  });
});
