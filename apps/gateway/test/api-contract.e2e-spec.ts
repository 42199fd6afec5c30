import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestSystem } from './test-system';
import { startTestSystem } from './test-system';
import { KeyUsageCounter } from '../src/auth/key-usage-counter';

const validRule = {
  name: 'r',
  entity: 'orders',
  trigger: { type: 'on_update' },
  conditions: { all: [{ field: 'status', operator: 'equals', value: 'x' }] },
  actions: [{ type: 'webhook', config: { url: 'http://127.0.0.1:9/hook' } }],
};

describe('gateway API contract', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ withoutWorker: true });
  });
  afterAll(async () => {
    await sys?.close();
  });

  async function keyWithScopes(scopes: string[], opts: { enabled?: boolean; expiresAt?: string } = {}) {
    const key = `rf_scoped_${scopes.join('_').replace(/:/g, '')}_${Math.random().toString(36).slice(2)}`;
    const tenant: Array<{ id: string }> = await sys.db.query(`SELECT id FROM tenants WHERE name = 'default'`);
    await sys.db.query(
      `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes, enabled, expires_at) VALUES ($1,'t',$2,$3,$4,$5,$6)`,
      [
        tenant[0]!.id,
        key.slice(0, 10),
        createHash('sha256').update(key).digest('hex'),
        scopes,
        opts.enabled ?? true,
        opts.expiresAt ?? null,
      ],
    );
    return key;
  }

  async function ruleCount() {
    const rows: Array<{ n: string }> = await sys.db.query(`SELECT count(*)::text AS n FROM rules`);
    return Number(rows[0]!.n);
  }

  describe('operations endpoints', () => {
    it('GET /health reports both checks up', async () => {
      const res = await sys.http.get('/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', checks: { database: 'up', temporal: 'up' } });
    });

    it('GET /health answers 503 naming Temporal when it is unreachable', async () => {
      const app = await sys.startGateway({ TEMPORAL_ADDRESS: '127.0.0.1:1' });
      const res = await (await import('supertest')).default(app.getHttpServer()).get('/health');
      expect(res.status).toBe(503);
      expect(res.body.checks).toEqual({ database: 'up', temporal: 'down' });
      await app.close();
    });

    it('GET /metrics is Prometheus text', async () => {
      await sys.http.get('/health');
      const res = await sys.http.get('/metrics');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toContain('text/plain');
      expect(res.text).toContain('ruleflow_http_requests_total');
      expect(res.text).toContain('ruleflow_gateway_process_cpu_seconds_total');
    });

    it('GET /docs-json is an OpenAPI 3 document with the v1 routes, /docs the UI', async () => {
      const res = await sys.http.get('/docs-json');
      expect(res.status).toBe(200);
      expect(res.body.openapi).toMatch(/^3\./);
      for (const path of [
        '/v1/rules',
        '/v1/rules/{id}',
        '/v1/events',
        '/v1/executions',
        '/v1/executions/{id}',
        '/health',
      ]) {
        expect(res.body.paths).toHaveProperty([path]);
      }
      const ui = await sys.http.get('/docs/');
      expect(ui.status).toBe(200);
      expect(ui.text).toContain('swagger');
    });

    it('serves the OpenAPI document shipped as docs/openapi.json', async () => {
      const res = await sys.http.get('/docs-json');
      const shipped: unknown = JSON.parse(readFileSync(join(__dirname, '../../..', 'docs/openapi.json'), 'utf8'));
      // One comparison, not a diff of thousands of lines: `npm run openapi` rewrites the file.
      expect(JSON.stringify(res.body) === JSON.stringify(shipped)).toBe(true);
    });

    it('carries a request id and security headers', async () => {
      const res = await sys.http.get('/health').set('X-Request-Id', 'req-123');
      expect(res.headers['x-request-id']).toBe('req-123');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-powered-by']).toBeUndefined();
    });
  });

  describe('authentication and scopes', () => {
    it.each([
      ['no key', {}],
      ['unknown bearer key', { Authorization: 'Bearer rf_nope_nope_nope_nope' }],
      ['malformed header', { Authorization: 'Basic abc' }],
      ['unknown X-API-Key', { 'X-API-Key': 'rf_unknown' }],
    ])('%s → 401', async (_name, headers) => {
      const res = await sys.http.get('/v1/rules').set(headers as Record<string, string>);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
    });

    it('accepts X-API-Key as well as Bearer', async () => {
      const res = await sys.http.get('/v1/rules').set('X-API-Key', 'rf_test_admin_key_0123456789abcdef');
      expect(res.status).toBe(200);
    });

    it('revoked and expired keys → 401', async () => {
      const revoked = await keyWithScopes(['rules:read'], { enabled: false });
      const expired = await keyWithScopes(['rules:read'], { expiresAt: '2000-01-01T00:00:00Z' });
      expect((await sys.http.get('/v1/rules').set('Authorization', `Bearer ${revoked}`)).status).toBe(401);
      expect((await sys.http.get('/v1/rules').set('Authorization', `Bearer ${expired}`)).status).toBe(401);
    });

    it('a key without the scope → 403; with it → allowed; usage is counted', async () => {
      const reader = await keyWithScopes(['rules:read']);
      expect((await sys.http.get('/v1/rules').set('Authorization', `Bearer ${reader}`)).status).toBe(200);
      const denied = await sys.http.post('/v1/rules').set('Authorization', `Bearer ${reader}`).send(validRule);
      expect(denied.status).toBe(403);
      expect(denied.body.message).toContain('rules:write');
      expect((await sys.http.post('/v1/events').set('Authorization', `Bearer ${reader}`).send({})).status).toBe(403);
      expect((await sys.http.get('/v1/executions').set('Authorization', `Bearer ${reader}`)).status).toBe(403);
      // A key without limits is counted in the background, within a second; writing now shows it.
      await sys.app.get(KeyUsageCounter).flush();
      const usage: Array<{ usage_count: number; last_used_at: Date | null }> = await sys.db.query(
        `SELECT usage_count, last_used_at FROM api_keys WHERE key_hash = $1`,
        [createHash('sha256').update(reader).digest('hex')],
      );
      expect(usage[0]!.usage_count).toBe(4);
      expect(usage[0]!.last_used_at).not.toBeNull();
    });
  });

  describe('usage of keys without limits (counted in the background)', () => {
    it('shows every request in GET /v1/api-keys and its hourly usage right after, and in the database within a second', async () => {
      const created = await sys.http
        .post('/v1/api-keys')
        .set(sys.auth)
        .send({ name: 'unlimited', scopes: ['rules:read'] });
      expect(created.status).toBe(201);
      const key = created.body.key as string;
      for (let i = 0; i < 5; i++) {
        expect((await sys.http.get('/v1/rules').set('Authorization', `Bearer ${key}`)).status).toBe(200);
      }
      const listed = await sys.http.get('/v1/api-keys').set(sys.auth);
      const mine = (listed.body.items as Array<{ id: string; usageCount: number; lastUsedAt: string | null }>).find(
        (k) => k.id === created.body.id,
      );
      expect(mine).toMatchObject({ usageCount: 5, lastUsedAt: expect.any(String) });
      const usage = await sys.http.get(`/v1/api-keys/${created.body.id}/usage`).set(sys.auth);
      expect(usage.body.items.reduce((n: number, h: { count: number }) => n + h.count, 0)).toBe(5);
      // Without a read in between: the background write lands within its interval.
      expect((await sys.http.get('/v1/rules').set('Authorization', `Bearer ${key}`)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const rows: Array<{ usage_count: number }> = await sys.db.query(
        `SELECT usage_count FROM api_keys WHERE id = $1`,
        [created.body.id],
      );
      expect(rows[0]!.usage_count).toBe(6);
    });
  });

  describe('rules CRUD', () => {
    it('creates, reads, lists, patches (version +1) and deletes a rule', async () => {
      const created = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({ ...validRule, name: 'crud', priority: 7 });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        name: 'crud',
        entity: 'orders',
        trigger: { type: 'on_update' },
        version: 1,
        priority: 7,
        isActive: true,
        executionCount: 0,
        lastExecutedAt: null,
        lastExecutionStatus: null,
      });
      expect(created.body.actions[0]).toMatchObject({
        name: 'webhook_0',
        type: 'webhook',
        retry: { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
      });
      const id = created.body.id as string;

      const got = await sys.http.get(`/v1/rules/${id}`).set(sys.auth);
      expect(got.status).toBe(200);
      expect(got.body).toEqual(created.body);

      const patched = await sys.http.patch(`/v1/rules/${id}`).set(sys.auth).send({ priority: 9, isActive: false });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ version: 2, priority: 9, isActive: false });

      const listed = await sys.http.get('/v1/rules').query({ isActive: 'false', entity: 'orders' }).set(sys.auth);
      expect(listed.body.items.map((r: { id: string }) => r.id)).toContain(id);
      expect(listed.body.nextCursor).toBeNull();

      expect((await sys.http.delete(`/v1/rules/${id}`).set(sys.auth)).status).toBe(204);
      expect((await sys.http.get(`/v1/rules/${id}`).set(sys.auth)).status).toBe(404);
      expect((await sys.http.delete(`/v1/rules/${id}`).set(sys.auth)).status).toBe(404);
    });

    it('lists by priority with cursor pagination', async () => {
      for (const p of [1, 3, 2]) {
        await sys.http
          .post('/v1/rules')
          .set(sys.auth)
          .send({ ...validRule, entity: 'paged', name: `p${p}`, priority: p });
      }
      const first = await sys.http.get('/v1/rules').query({ entity: 'paged', limit: 2 }).set(sys.auth);
      expect(first.body.items.map((r: { name: string }) => r.name)).toEqual(['p3', 'p2']);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await sys.http
        .get('/v1/rules')
        .query({ entity: 'paged', limit: 2, cursor: first.body.nextCursor })
        .set(sys.auth);
      expect(second.body.items.map((r: { name: string }) => r.name)).toEqual(['p1']);
      expect(second.body.nextCursor).toBeNull();
    });

    it('normalises the legacy condition formats to the all form', async () => {
      const bare = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({ ...validRule, conditions: [{ field: 'a', operator: 'exists' }] });
      expect(bare.status).toBe(201);
      expect(bare.body.conditions).toEqual({ all: [{ field: 'a', operator: 'exists' }] });
      const legacy = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({
          ...validRule,
          conditions: { field_conditions: [{ field_name: 'status', operator: 'equals', value: 'shipped' }] },
        });
      expect(legacy.status).toBe(201);
      expect(legacy.body.conditions).toEqual({ all: [{ field: 'status', operator: 'equals', value: 'shipped' }] });
    });

    it('unknown and non-UUID ids → 404', async () => {
      expect((await sys.http.get('/v1/rules/not-a-uuid').set(sys.auth)).status).toBe(404);
      expect((await sys.http.get('/v1/rules/3f1c1f8e-9d55-4a55-9a3c-000000000000').set(sys.auth)).status).toBe(404);
      expect((await sys.http.get('/v1/executions/nope').set(sys.auth)).status).toBe(404);
    });
  });

  describe('bad input is a 400 naming the problem, and nothing is written', () => {
    const cases: Array<[string, unknown, RegExp]> = [
      [
        'unknown operator',
        { ...validRule, conditions: { all: [{ field: 'x', operator: 'bogus', value: 1 }] } },
        /conditions\.all\[0\].*operator/,
      ],
      [
        'between without a pair',
        { ...validRule, conditions: { all: [{ field: 'x', operator: 'between', value: 3 }] } },
        /conditions\.all\[0\]/,
      ],
      [
        'in without an array',
        { ...validRule, conditions: { any: [{ field: 'x', operator: 'in', value: 'a' }] } },
        /conditions\.any\[0\]/,
      ],
      [
        'invalid regular expression',
        { ...validRule, conditions: { all: [{ field: 'x', operator: 'matches', value: '(' }] } },
        /conditions\.all\[0\]/,
      ],
      [
        'changed_to on on_create',
        {
          ...validRule,
          trigger: { type: 'on_create' },
          conditions: { all: [{ field: 'x', operator: 'changed_to', value: 1 }] },
        },
        /conditions\.all\[0\]/,
      ],
      ['unknown top-level field', { ...validRule, colour: 'red' }, /colour/],
      ['wrong type for name', { ...validRule, name: 42 }, /name/],
      ['missing entity', { ...validRule, entity: undefined }, /entity/],
      ['unknown trigger type', { ...validRule, trigger: { type: 'sometimes' } }, /trigger\.type/],
      ['no actions', { ...validRule, actions: [] }, /actions/],
      ['unknown action type', { ...validRule, actions: [{ type: 'teleport', config: {} }] }, /actions\[0\]\.type/],
      ['webhook without url', { ...validRule, actions: [{ type: 'webhook', config: {} }] }, /actions\[0\]\.config/],
      [
        'duplicate action names',
        {
          ...validRule,
          actions: [
            { name: 'a', type: 'delay', config: { duration: '1s' } },
            { name: 'a', type: 'delay', config: { duration: '1s' } },
          ],
        },
        /actions\[1\]\.name/,
      ],
      [
        'bad duration',
        { ...validRule, actions: [{ type: 'delay', config: { duration: 'soon' } }] },
        /actions\[0\]\.config\.duration/,
      ],
      [
        'bad secret',
        { ...validRule, actions: [{ type: 'webhook', config: { url: 'https://example.com/x', secret: 'plain' } }] },
        /secret/,
      ],
      [
        'non-http url',
        { ...validRule, actions: [{ type: 'webhook', config: { url: 'ftp://example.com/x' } }] },
        /actions\[0\]\.config\.url/,
      ],
    ];
    it.each(cases)('%s', async (_name, body, pattern) => {
      const before = await ruleCount();
      const res = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send(body as object);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      expect(JSON.stringify(res.body.message)).toMatch(pattern);
      expect(await ruleCount()).toBe(before);
    });

    it('malformed JSON → 400, oversized body → 413', async () => {
      const bad = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .set('Content-Type', 'application/json')
        .send('{"name": ');
      expect(bad.status).toBe(400);
      expect(bad.body.message).toMatch(/JSON/);
      const huge = await sys.http
        .post('/v1/events')
        .set(sys.auth)
        .send({ entity: 'orders', type: 'on_create', data: { blob: 'x'.repeat(1024 * 1024 + 10) } });
      expect(huge.status).toBe(413);
      expect(huge.body.statusCode).toBe(413);
    });

    it('event validation names the field', async () => {
      const res = await sys.http
        .post('/v1/events')
        .set(sys.auth)
        .send({ entity: 'orders', type: 'on_explode', data: {} });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(/type/);
      const noData = await sys.http.post('/v1/events').set(sys.auth).send({ entity: 'orders', type: 'on_create' });
      expect(noData.status).toBe(400);
      expect(JSON.stringify(noData.body.message)).toMatch(/data/);
      const events: Array<{ n: string }> = await sys.db.query(`SELECT count(*)::text AS n FROM events`);
      expect(events[0]!.n).toBe('0');
    });

    it('a PATCH that would break the rule is refused and changes nothing', async () => {
      const created = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({
          ...validRule,
          conditions: { all: [{ field: 'status', operator: 'changed_to', value: 'x' }] },
        });
      const res = await sys.http
        .patch(`/v1/rules/${created.body.id}`)
        .set(sys.auth)
        .send({ trigger: { type: 'on_create' } });
      expect(res.status).toBe(400);
      const after = await sys.http.get(`/v1/rules/${created.body.id}`).set(sys.auth);
      expect(after.body).toMatchObject({ version: 1, trigger: { type: 'on_update' } });
    });
  });
});
