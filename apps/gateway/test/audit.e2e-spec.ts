import request from 'supertest';
import type { TestSystem } from './test-system';
import { ADMIN_KEY, startTestSystem } from './test-system';

interface AuditRow {
  id: string;
  action: string;
  resourceType: string;
  resourceId: string | null;
  apiKeyId: string | null;
  details: Record<string, unknown>;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
}

/** The audit log: one row per successful change made with an API key, readable per tenant with `audit:read`. */
describe('audit logs', () => {
  let sys: TestSystem;
  let tenantA: string;
  let keyA: string;
  let keyAId: string;
  let keyB: string;
  beforeAll(async () => {
    sys = await startTestSystem({ withoutWorker: true });
    const key = async (tenantId: string, name: string) => {
      const res = await sys.http
        .post('/v1/api-keys')
        .set(sys.auth)
        .send({ name, tenantId, scopes: ['admin'] });
      expect(res.status).toBe(201);
      return res.body as { id: string; key: string };
    };
    const a = await sys.http.post('/v1/tenants').set(sys.auth).send({ name: 'audit-a' });
    const b = await sys.http.post('/v1/tenants').set(sys.auth).send({ name: 'audit-b' });
    tenantA = a.body.id as string;
    const ka = await key(tenantA, 'a admin');
    keyA = ka.key;
    keyAId = ka.id;
    keyB = (await key(b.body.id as string, 'b admin')).key;
  });
  afterAll(async () => {
    await sys?.close();
  });

  const as = (key: string) => ({ Authorization: `Bearer ${key}` });
  async function logs(key: string, query: Record<string, string | number> = {}): Promise<AuditRow[]> {
    const res = await sys.http.get('/v1/audit-logs').query(query).set(as(key));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: expect.any(Array), nextCursor: null });
    return res.body.items as AuditRow[];
  }
  async function createRule(key: string, name: string): Promise<string> {
    const res = await sys.http
      .post('/v1/rules')
      .set(as(key))
      .send({
        name,
        entity: 'orders',
        trigger: { type: 'on_create' },
        actions: [{ type: 'delay', config: { duration: '1s' } }],
      });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }
  async function rowCount(tenantId: string): Promise<number> {
    const rows: Array<{ n: number }> = await sys.db.query(
      `SELECT count(*)::int AS n FROM audit_logs WHERE tenant_id = $1`,
      [tenantId],
    );
    return rows[0]!.n;
  }

  it('records create, update, deactivate, activate and delete of a rule, newest first', async () => {
    const id = await createRule(keyA, 'audited rule');
    expect((await sys.http.patch(`/v1/rules/${id}`).set(as(keyA)).send({ name: 'renamed', priority: 3 })).status).toBe(
      200,
    );
    expect((await sys.http.post(`/v1/rules/${id}/deactivate`).set(as(keyA))).status).toBe(200);
    expect((await sys.http.post(`/v1/rules/${id}/activate`).set(as(keyA))).status).toBe(200);
    expect((await sys.http.delete(`/v1/rules/${id}`).set(as(keyA))).status).toBe(204);

    const items = await logs(keyA, { resourceType: 'rule', resourceId: id });
    expect(items.map((r) => r.action)).toEqual(['delete', 'activate', 'deactivate', 'update', 'create']);
    for (const row of items) {
      expect(row).toMatchObject({ resourceType: 'rule', resourceId: id, apiKeyId: keyAId });
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Date(row.createdAt).toISOString()).toBe(row.createdAt);
      expect(row.details.requestId).toEqual(expect.any(String));
    }
    const [del, activate, , update, create] = items;
    expect(create!.details).toMatchObject({ method: 'POST', path: '/v1/rules', name: 'audited rule' });
    expect(create!.details.fields).toEqual(expect.arrayContaining(['name', 'entity', 'trigger', 'actions']));
    expect(update!.details).toEqual({
      method: 'PATCH',
      path: '/v1/rules/:id',
      requestId: expect.any(String),
      params: { id },
      fields: ['name', 'priority'],
      name: 'renamed',
    });
    expect(activate!.details).toMatchObject({ method: 'POST', path: '/v1/rules/:id/activate' });
    expect(del!.details).toMatchObject({ method: 'DELETE', path: '/v1/rules/:id' });
    // Summaries only: no body values beyond the name.
    expect(JSON.stringify(create!.details)).not.toContain('orders');
  });

  it("records the caller's ip (X-Forwarded-For, as the gateway trusts its proxy) and a bounded userAgent", async () => {
    const res = await sys.http
      .post('/v1/rules')
      .set(as(keyA))
      .set('X-Forwarded-For', '203.0.113.7, 10.0.0.2')
      .set('User-Agent', 'ruleflow-audit-test/1.0')
      .send({
        name: 'from afar',
        entity: 'orders',
        trigger: { type: 'on_create' },
        actions: [{ type: 'delay', config: { duration: '1s' } }],
      });
    expect(res.status).toBe(201);
    const [row] = await logs(keyA, { resourceId: res.body.id });
    expect(row).toMatchObject({ ip: '203.0.113.7', userAgent: 'ruleflow-audit-test/1.0' });

    const long = await sys.http
      .patch(`/v1/rules/${res.body.id}`)
      .set(as(keyA))
      .set('User-Agent', `agent-${'x'.repeat(3000)}`)
      .send({ priority: 2 });
    expect(long.status).toBe(200);
    const [update] = await logs(keyA, { resourceId: res.body.id, action: 'update' });
    expect(update!.userAgent).toHaveLength(512);
    expect(update!.ip).toEqual(expect.any(String));
  });

  it('believes X-Forwarded-For only from the proxies TRUST_PROXY names (false: none, the socket address is recorded)', async () => {
    const strict = await sys.startGateway({ TRUST_PROXY: 'false' });
    const res = await request(strict.getHttpServer())
      .post('/v1/rules')
      .set(as(keyA))
      .set('X-Forwarded-For', '203.0.113.9')
      .send({
        name: 'direct caller',
        entity: 'orders',
        trigger: { type: 'on_create' },
        actions: [{ type: 'delay', config: { duration: '1s' } }],
      });
    expect(res.status).toBe(201);
    const [row] = await logs(keyA, { resourceId: res.body.id });
    expect(row!.ip).not.toBe('203.0.113.9');
    expect(row!.ip).toMatch(/127\.0\.0\.1|::1/);
  });

  it('the request id of the call is the one recorded', async () => {
    const res = await sys.http
      .post('/v1/rules')
      .set(as(keyA))
      .set('X-Request-Id', 'audit-req-42')
      .send({
        name: 'traced',
        entity: 'orders',
        trigger: { type: 'on_create' },
        actions: [{ type: 'delay', config: { duration: '1s' } }],
      });
    expect(res.status).toBe(201);
    const [row] = await logs(keyA, { resourceId: res.body.id as string });
    expect(row!.details.requestId).toBe('audit-req-42');
  });

  it('records API key creation without the plaintext key, and its revocation', async () => {
    const created = await sys.http
      .post('/v1/api-keys')
      .set(as(keyA))
      .send({ name: 'reader', scopes: ['rules:read'] });
    expect(created.status).toBe(201);
    const plaintext = created.body.key as string;
    const [row] = await logs(keyA, { resourceType: 'api_key', resourceId: created.body.id as string });
    expect(row).toMatchObject({
      action: 'create',
      apiKeyId: keyAId,
      details: { name: 'reader', path: '/v1/api-keys' },
    });
    expect(row!.details).not.toHaveProperty('key');
    const stored: Array<{ details: string }> = await sys.db.query(
      `SELECT details::text AS details FROM audit_logs WHERE tenant_id = $1`,
      [tenantA],
    );
    expect(stored.length).toBeGreaterThan(0);
    for (const s of stored) {
      expect(s.details).not.toContain(plaintext);
      expect(s.details).not.toContain(created.body.prefix as string);
    }

    // A key without audit:read cannot read the log; one with only audit:read can.
    expect((await sys.http.get('/v1/audit-logs').set(as(plaintext))).status).toBe(403);
    const auditor = await sys.http
      .post('/v1/api-keys')
      .set(as(keyA))
      .send({ name: 'auditor', scopes: ['audit:read'] });
    expect((await sys.http.get('/v1/audit-logs').set(as(auditor.body.key as string))).status).toBe(200);

    expect((await sys.http.delete(`/v1/api-keys/${created.body.id}`).set(as(keyA))).status).toBe(204);
    const after = await logs(keyA, { resourceType: 'api_key', resourceId: created.body.id as string });
    expect(after.map((r) => r.action)).toEqual(['delete', 'create']);
  });

  it('the operator sees the tenants and keys it made, in its own tenant', async () => {
    const tenants = await logs(ADMIN_KEY, {
      resourceType: 'tenant',
      resourceId: tenantA,
    });
    expect(tenants).toHaveLength(1);
    expect(tenants[0]).toMatchObject({ action: 'create', details: { name: 'audit-a', path: '/v1/tenants' } });
    const keys = await logs(ADMIN_KEY, {
      resourceType: 'api_key',
      resourceId: keyAId,
    });
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({
      action: 'create',
      details: { name: 'a admin', fields: ['name', 'tenantId', 'scopes'] },
    });
  });

  it('filters by resourceType, resourceId, action, apiKeyId and time; pages with a cursor', async () => {
    const one = await createRule(keyA, 'filter one');
    const two = await createRule(keyA, 'filter two');
    await sys.http.patch(`/v1/rules/${two}`).set(as(keyA)).send({ name: 'filter two b' }).expect(200);

    expect((await logs(keyA, { resourceId: one })).map((r) => r.action)).toEqual(['create']);
    expect((await logs(keyA, { resourceId: two })).map((r) => r.action)).toEqual(['update', 'create']);
    const rules = await logs(keyA, { resourceType: 'rule', limit: 200 });
    expect(rules.length).toBeGreaterThanOrEqual(3);
    expect(rules.every((r) => r.resourceType === 'rule')).toBe(true);
    const updates = await logs(keyA, { resourceType: 'rule', action: 'update', limit: 200 });
    expect(updates.length).toBeGreaterThan(0);
    expect(updates.every((r) => r.action === 'update')).toBe(true);
    expect(updates.map((r) => r.resourceId)).toContain(two);
    expect((await logs(keyA, { apiKeyId: keyAId, limit: 200 })).length).toBeGreaterThanOrEqual(3);
    expect(await logs(keyA, { apiKeyId: '3f1c1f8e-9d55-4a55-9a3c-000000000000' })).toEqual([]);

    const [newest] = await logs(keyA, { resourceId: two });
    expect(await logs(keyA, { since: new Date(Date.now() + 60_000).toISOString() })).toEqual([]);
    expect(await logs(keyA, { until: '2000-01-01T00:00:00Z' })).toEqual([]);
    expect((await logs(keyA, { resourceId: two, since: newest!.createdAt })).map((r) => r.action)).toEqual(['update']);

    // Pages: newest first, no row twice, the last page without a cursor.
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 20; i++) {
      const res = await sys.http
        .get('/v1/audit-logs')
        .query({ resourceType: 'rule', limit: 2, ...(cursor ? { cursor } : {}) })
        .set(as(keyA));
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((r: AuditRow) => r.id));
      cursor = res.body.nextCursor as string | null;
      if (!cursor) break;
    }
    expect(cursor).toBeNull();
    expect(seen).toEqual(rules.map((r) => r.id));
  });

  it('answers 400 naming the bad query parameter', async () => {
    const bad = async (query: Record<string, string>, name: string) => {
      const res = await sys.http.get('/v1/audit-logs').query(query).set(as(keyA));
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(name);
    };
    await bad({ limit: '0' }, 'limit');
    await bad({ limit: '201' }, 'limit');
    await bad({ limit: 'ten' }, 'limit');
    await bad({ cursor: 'not-a-cursor' }, 'cursor');
    await bad({ since: 'yesterday' }, 'since');
    await bad({ until: '2025-13-45' }, 'until');
    await bad({ apiKeyId: 'nope' }, 'apiKeyId');
    await bad({ bogus: '1' }, 'bogus');
  });

  it('tenant B sees none of tenant A rows, and A none of B', async () => {
    const ruleA = await createRule(keyA, 'a only');
    expect(await logs(keyB)).toEqual([]);
    expect(await logs(keyB, { resourceId: ruleA })).toEqual([]);
    const ruleB = await createRule(keyB, 'b only');
    const bRows = await logs(keyB);
    expect(bRows.map((r) => r.resourceId)).toEqual([ruleB]);
    expect(await logs(keyA, { resourceId: ruleB })).toEqual([]);
  });

  it('writes nothing for rejected requests, events, or dry runs', async () => {
    const id = await createRule(keyA, 'quiet');
    const before = await rowCount(tenantA);

    const invalid = await sys.http.post('/v1/rules').set(as(keyA)).send({ name: 'x', bogus: true });
    expect(invalid.status).toBe(400);
    const missing = await sys.http
      .patch('/v1/rules/3f1c1f8e-9d55-4a55-9a3c-000000000000')
      .set(as(keyA))
      .send({ name: 'y' });
    expect(missing.status).toBe(404);
    const reader = await sys.http
      .post('/v1/api-keys')
      .set(as(keyA))
      .send({ name: 'r2', scopes: ['rules:read'] });
    expect(reader.status).toBe(201);
    const afterKey = await rowCount(tenantA);
    expect(afterKey).toBe(before + 1);
    expect((await sys.http.delete(`/v1/rules/${id}`).set(as(reader.body.key as string))).status).toBe(403);

    const event = await sys.http
      .post('/v1/events')
      .set(as(keyA))
      .send({ entity: 'nomatch', type: 'on_create', data: { secret: 'x' } });
    expect(event.status).toBe(202);
    const dry = await sys.http
      .post(`/v1/rules/${id}/test`)
      .set(as(keyA))
      .send({ data: { total: 1 } });
    expect(dry.status).toBe(200);

    expect(await rowCount(tenantA)).toBe(afterKey);
    expect(await logs(keyA, { resourceType: 'event' })).toEqual([]);
    expect(await logs(keyA, { action: 'test' })).toEqual([]);
  });
});
