import type { TestSystem } from './test-system';
import { startTestSystem } from './test-system';

/**
 * Hostile and malformed input never gets a 500 and never writes anything: wrong types, missing
 * fields, oversized values, unicode, SQL-looking strings and prototype-pollution keys, across routes.
 */
describe('hostile input', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem({ withoutWorker: true });
  });
  afterAll(async () => {
    await sys?.close();
  });

  const rule = {
    name: 'r',
    entity: 'orders',
    trigger: { type: 'on_create' },
    actions: [{ type: 'webhook', config: { url: 'http://127.0.0.1:9/x' } }],
  };
  const deep = (n: number): object => (n === 0 ? { field: 'a', operator: 'exists' } : { all: [deep(n - 1)] });

  /** A cursor as the API mints them (base64url JSON), carrying any offset. */
  const cursor = (o: unknown): string => Buffer.from(JSON.stringify({ o }), 'utf8').toString('base64url');
  const event = { entity: 'orders', type: 'on_create', data: {} };

  /** [name, method, path, body, what the 400 must say (optional)] */
  const cases: Array<[string, string, string, unknown, RegExp?]> = [
    ['rule: name is an object', 'POST', '/v1/rules', { ...rule, name: { $ne: 1 } }],
    ['rule: name is 10k chars', 'POST', '/v1/rules', { ...rule, name: 'x'.repeat(10_000) }],
    ['rule: SQL-looking entity', 'POST', '/v1/rules', { ...rule, entity: "orders'; DROP TABLE rules;--" }],
    ['rule: unicode entity', 'POST', '/v1/rules', { ...rule, entity: 'заказы' }],
    [
      'rule: __proto__ key at the top',
      'POST',
      '/v1/rules',
      JSON.parse(
        `{"__proto__":{"isAdmin":true},"name":"r","entity":"orders","trigger":{"type":"on_create"},"actions":[]}`,
      ),
    ],
    [
      'rule: constructor key in conditions',
      'POST',
      '/v1/rules',
      { ...rule, conditions: { constructor: { prototype: { x: 1 } } } },
    ],
    [
      'rule: __proto__ field path',
      'POST',
      '/v1/rules',
      { ...rule, conditions: [{ field: '__proto__.polluted', operator: 'exists' }] },
    ],
    ['rule: conditions nested 50 deep', 'POST', '/v1/rules', { ...rule, conditions: deep(50) }],
    [
      'rule: 5000 leaves',
      'POST',
      '/v1/rules',
      { ...rule, conditions: { all: Array.from({ length: 5000 }, () => ({ field: 'a', operator: 'exists' })) } },
    ],
    ['rule: actions is a string', 'POST', '/v1/rules', { ...rule, actions: 'webhook' }],
    ['rule: action config is an array', 'POST', '/v1/rules', { ...rule, actions: [{ type: 'webhook', config: [] }] }],
    [
      'rule: unbalanced template',
      'POST',
      '/v1/rules',
      { ...rule, actions: [{ type: 'webhook', config: { url: 'http://127.0.0.1:9/x', body: '{{ data.id' } }] },
    ],
    [
      'rule: retry attempts negative',
      'POST',
      '/v1/rules',
      {
        ...rule,
        actions: [{ type: 'webhook', config: { url: 'http://127.0.0.1:9/x' }, retry: { maximumAttempts: -1 } }],
      },
    ],
    ['rule: priority is a float', 'POST', '/v1/rules', { ...rule, priority: 1.5 }],
    ['rule: priority is huge', 'POST', '/v1/rules', { ...rule, priority: 1e308 }],
    ['rule: isActive is a string', 'POST', '/v1/rules', { ...rule, isActive: 'yes' }],
    ['rule: body is an array', 'POST', '/v1/rules', [rule]],
    ['rule: body is null', 'POST', '/v1/rules', null],
    [
      'rule: metadata url',
      'POST',
      '/v1/rules',
      { ...rule, actions: [{ type: 'webhook', config: { url: 'http://169.254.169.254/latest' } }] },
    ],
    [
      'rule: file url',
      'POST',
      '/v1/rules',
      { ...rule, actions: [{ type: 'webhook', config: { url: 'file:///etc/passwd' } }] },
    ],
    ['event: data is a string', 'POST', '/v1/events', { entity: 'orders', type: 'on_create', data: 'x' }],
    [
      'event: id with a slash',
      'POST',
      '/v1/events',
      { id: '../../etc', entity: 'orders', type: 'on_create', data: {} },
    ],
    [
      'event: id of 1000 chars',
      'POST',
      '/v1/events',
      { id: 'a'.repeat(1000), entity: 'orders', type: 'on_create', data: {} },
    ],
    [
      'event: occurredAt nonsense',
      'POST',
      '/v1/events',
      { entity: 'orders', type: 'on_create', data: {}, occurredAt: 'yesterday' },
    ],
    ['event: unknown field', 'POST', '/v1/events', { entity: 'orders', type: 'on_create', data: {}, tenantId: 'x' }],
    ['event: NUL in entity', 'POST', '/v1/events', { entity: 'ord\u0000ers', type: 'on_create', data: {} }],
    ['executions: limit 0', 'GET', '/v1/executions?limit=0', undefined],
    ['executions: limit abc', 'GET', '/v1/executions?limit=abc', undefined],
    ['executions: bad cursor', 'GET', '/v1/executions?cursor=%7B%7D', undefined],
    ['executions: status unknown', 'GET', '/v1/executions?status=exploded', undefined],
    ['executions: ruleId SQL', 'GET', "/v1/executions?ruleId=1'%20OR%201=1", undefined],
    ['rules: id with SQL', 'GET', "/v1/rules/1'%20OR%20'1'='1", undefined],
    [
      'rules: reorder with duplicates',
      'POST',
      '/v1/rules/reorder',
      { ruleIds: ['3f1c1f8e-9d55-4a55-9a3c-000000000000', '3f1c1f8e-9d55-4a55-9a3c-000000000000'] },
    ],
    [
      'templates: defaultConfig null',
      'POST',
      '/v1/action-templates',
      { name: 'x', actionType: 'webhook', defaultConfig: null },
    ],
    ['entities: name with quotes', 'POST', '/v1/entities', { name: 'a"b', type: 'table' }],
    ['hooks: token of 10k chars', 'POST', `/v1/hooks/${'a'.repeat(10_000)}`, {}],
    [
      'event: __proto__ inside data',
      'POST',
      '/v1/events',
      JSON.parse('{"entity":"orders","type":"on_create","data":{"__proto__":{"isAdmin":true}}}'),
    ],
    [
      'event: data nested 500 deep',
      'POST',
      '/v1/events',
      { entity: 'orders', type: 'on_create', data: JSON.parse('{"a":'.repeat(500) + '1' + '}'.repeat(500)) },
    ],
    // PostgreSQL refuses NUL in text and jsonb and unpaired surrogates in jsonb: a 400 at the edge, naming the field.
    [
      'event: NUL in a nested data value',
      'POST',
      '/v1/events',
      { ...event, data: { customer: { name: 'a\u0000b' } } },
      /body\.data\.customer\.name: contains a NUL byte or an unpaired surrogate/,
    ],
    [
      'event: NUL in a data key',
      'POST',
      '/v1/events',
      { ...event, data: { ok: 1, ['x\u0000']: 1 } },
      /body\.data: a key contains a NUL byte or an unpaired surrogate/,
    ],
    [
      'event: lone high surrogate in data',
      'POST',
      '/v1/events',
      { ...event, data: { note: 'x\ud800y' } },
      /body\.data\.note: contains/,
    ],
    [
      'event: lone low surrogate in an array',
      'POST',
      '/v1/events',
      { ...event, data: { tags: ['ok', '\udc00'] } },
      /body\.data\.tags\[1\]: contains/,
    ],
    [
      'event: surrogate pair reversed in previous',
      'POST',
      '/v1/events',
      { ...event, type: 'on_update', previous: { s: '\udc00\ud800' } },
      /body\.previous\.s: contains/,
    ],
    [
      'rule: NUL in description',
      'POST',
      '/v1/rules',
      { ...rule, description: 'd\u0000' },
      /body\.description: contains/,
    ],
    [
      'rule: surrogate in a condition value',
      'POST',
      '/v1/rules',
      { ...rule, conditions: [{ field: 'a', operator: 'equals', value: '\ud83d' }] },
      /body\.conditions\[0\]\.value: contains/,
    ],
    [
      'rule: NUL in an action header',
      'POST',
      '/v1/rules',
      {
        ...rule,
        actions: [{ type: 'webhook', config: { url: 'http://127.0.0.1:9/x', headers: { 'X-A': '\u0000' } } }],
      },
      /body\.actions\[0\]\.config\.headers\.X-A: contains/,
    ],
    ['hooks: NUL in the body', 'POST', `/v1/hooks/${'a'.repeat(40)}`, { a: 'b\u0000' }, /body\.a: contains/],
    ['inventory: NUL in a sku (path)', 'GET', '/v1/inventory/items/a%00b', undefined, /path segment 4: contains/],
    ['inventory: NUL in a sku (PUT)', 'PUT', '/v1/inventory/items/a%00b', { quantityOnHand: 1 }, /path segment 4/],
    ['rules: %00 in a query filter', 'GET', '/v1/rules?entity=a%00b', undefined, /query\.entity: contains/],
    ['executions: %00 in a query name', 'GET', '/v1/executions?st%00atus=x', undefined, /query: a parameter name/],
    [
      'audit: %00 in resourceType',
      'GET',
      '/v1/audit-logs?resourceType=%00',
      undefined,
      /query\.resourceType: contains/,
    ],
    [
      'rules: percent-encoded surrogate in a query',
      'GET',
      '/v1/rules?entity=%ED%A0%80',
      undefined,
      /query\.entity: is not valid percent-encoded UTF-8/,
    ],
    [
      'rules: percent-encoded surrogate in the path',
      'GET',
      '/v1/rules/%ED%A0%80',
      undefined,
      /path segment 3: is not valid percent-encoded UTF-8/,
    ],
    ['rules: %00 in the path', 'DELETE', '/v1/rules/%00', undefined, /path segment 3: contains/],
    ['hooks: %00 in the token', 'POST', '/v1/hooks/abc%00def', {}, /path segment 3: contains/],
    // A cursor is opaque, but a forged one must still be a 400 naming it, never a database error.
    ['rules: cursor offset 1e20', 'GET', `/v1/rules?cursor=${cursor(1e20)}`, undefined, /cursor/],
    ['executions: cursor offset 2^63', 'GET', `/v1/executions?cursor=${cursor(2 ** 63)}`, undefined, /cursor/],
    ['alerts: cursor offset negative', 'GET', `/v1/alerts?cursor=${cursor(-1)}`, undefined, /cursor/],
    ['webhooks: cursor offset 1.5', 'GET', `/v1/webhooks?cursor=${cursor(1.5)}`, undefined, /cursor/],
    ['notifications: cursor offset a string', 'GET', `/v1/notifications?cursor=${cursor('5')}`, undefined, /cursor/],
    ['action-templates: cursor not base64 JSON', 'GET', '/v1/action-templates?cursor=%%%', undefined, /cursor/],
    [
      'audit: cursor of JSON null',
      'GET',
      `/v1/audit-logs?cursor=${Buffer.from('null').toString('base64url')}`,
      undefined,
      /cursor/,
    ],
  ];

  it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  const COUNTS = `SELECT (SELECT count(*) FROM rules)::text AS r, (SELECT count(*) FROM events)::text AS e,
    (SELECT count(*) FROM executions)::text AS x, (SELECT count(*) FROM inventory_items)::text AS i,
    (SELECT count(*) FROM webhooks)::text AS w, (SELECT count(*) FROM action_templates)::text AS t`;

  // Every row gets all five columns: with a shorter row Jest would pass its `done` callback as `says`.
  const rows = cases.map(([name, method, path, body, says]) => [name, method, path, body, says ?? null] as const);
  it.each(rows)('%s → 4xx, nothing written', async (_name, method, path, body, says) => {
    const before: unknown = await sys.db.query(COUNTS);
    const req = sys.http[method.toLowerCase() as 'get' | 'post' | 'put' | 'delete'](path).set(sys.auth);
    const res =
      body === undefined ? await req : await req.set('Content-Type', 'application/json').send(JSON.stringify(body));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body).toMatchObject({ statusCode: res.status });
    if (says) {
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(says);
    }
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack traces
    expect(await sys.db.query(COUNTS)).toEqual(before);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });

  it('a JSON body that is not valid UTF-8 is a 400, not silently mangled', async () => {
    const raw = Buffer.concat([
      Buffer.from('{"entity":"orders","type":"on_create","data":{"n":"'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('"}}'),
    ]);
    const before: unknown = await sys.db.query(COUNTS);
    const res = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .set('Content-Type', 'application/json')
      .serialize((b: Buffer) => b as unknown as string) // as is: superagent would JSON-encode a Buffer
      .send(raw);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/body: is not valid UTF-8/);
    expect(await sys.db.query(COUNTS)).toEqual(before);
  });

  describe('a NUL byte or an unpaired surrogate, on every route of the OpenAPI document', () => {
    interface Route {
      method: 'get' | 'post' | 'put' | 'patch' | 'delete';
      path: string;
      query: string[];
    }
    let routes: Route[];
    beforeAll(async () => {
      const docs = await sys.http.get('/docs-json');
      expect(docs.status).toBe(200);
      const paths = (
        docs.body as { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> }
      ).paths;
      routes = Object.entries(paths).flatMap(([path, ops]) =>
        (['get', 'post', 'put', 'patch', 'delete'] as const)
          .filter((m) => ops[m])
          .map((method) => ({
            method,
            path,
            query: (ops[method]!.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
          })),
      );
    });
    const ID = '3f1c1f8e-9d55-4a55-9a3c-000000000001';
    /** The route with its path parameters filled: `hostile` goes into parameter number `at`, an id into the rest. */
    const fill = (path: string, hostile?: { at: number; value: string }): string => {
      let i = 0;
      return path.replace(/\{[^}]+\}/g, () => (hostile && i++ === hostile.at ? hostile.value : ID));
    };
    const segmentOf = (path: string, at: number): number =>
      path
        .split('/')
        .findIndex(
          (s, i, all) => s.startsWith('{') && all.slice(0, i + 1).filter((x) => x.startsWith('{')).length === at + 1,
        );

    /** Every request of the walk: [label, method, url, body, what the 400 must say]. */
    function requests(): Array<[string, Route['method'], string, unknown, RegExp]> {
      const out: Array<[string, Route['method'], string, unknown, RegExp]> = [];
      for (const r of routes) {
        const key = `${r.method.toUpperCase()} ${r.path}`;
        const params = [...r.path.matchAll(/\{[^}]+\}/g)];
        params.forEach((_, at) => {
          const segment = segmentOf(r.path, at);
          out.push([
            `${key} path param ${at} with %00`,
            r.method,
            fill(r.path, { at, value: 'a%00b' }),
            undefined,
            new RegExp(`path segment ${segment}: contains`),
          ]);
          out.push([
            `${key} path param ${at} with %ED%A0%80`,
            r.method,
            fill(r.path, { at, value: '%ED%A0%80' }),
            undefined,
            new RegExp(`path segment ${segment}: is not valid`),
          ]);
        });
        const q = r.query[0] ?? 'q';
        out.push([
          `${key} ?${q}=%00`,
          r.method,
          `${fill(r.path)}?${q}=a%00b`,
          undefined,
          new RegExp(`query\\.${q}: contains`),
        ]);
        out.push([
          `${key} ?${q}=%ED%A0%80`,
          r.method,
          `${fill(r.path)}?${q}=%ED%A0%80`,
          undefined,
          new RegExp(`query\\.${q}: is not valid`),
        ]);
        if (r.method === 'post' || r.method === 'put' || r.method === 'patch') {
          out.push([
            `${key} NUL in a nested body value`,
            r.method,
            fill(r.path),
            { data: { name: 'a\u0000' } },
            /body\.data\.name: contains/,
          ]);
          out.push([
            `${key} \\ud800 in a body array`,
            r.method,
            fill(r.path),
            { list: ['\ud800'] },
            /body\.list\[0\]: contains/,
          ]);
          out.push([`${key} NUL in a body key`, r.method, fill(r.path), { ['k\u0000']: 1 }, /body: a key contains/]);
        }
      }
      return out;
    }

    it('the walk covers the API (sanity)', () => {
      expect(routes.length).toBeGreaterThan(30);
      expect(requests().length).toBeGreaterThan(150);
    });

    it('every route answers 400 naming the field, never a 500, and writes nothing', async () => {
      const before: unknown = await sys.db.query(COUNTS);
      const failures: string[] = [];
      for (const [label, method, url, body, says] of requests()) {
        const req = sys.http[method](url).set(sys.auth);
        const res =
          body === undefined ? await req : await req.set('Content-Type', 'application/json').send(JSON.stringify(body));
        if (res.status !== 400 || !says.test(JSON.stringify(res.body.message))) {
          failures.push(`${label}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        }
      }
      expect(failures).toEqual([]);
      expect(await sys.db.query(COUNTS)).toEqual(before);
    });
  });
});
