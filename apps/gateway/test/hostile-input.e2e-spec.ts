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

  const cases: Array<[string, string, string, unknown]> = [
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
  ];

  it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases)('%s → 4xx, nothing written', async (_name, method, path, body) => {
    const before: Array<{ r: string; e: string; x: string }> = await sys.db.query(
      `SELECT (SELECT count(*) FROM rules)::text AS r, (SELECT count(*) FROM events)::text AS e, (SELECT count(*) FROM executions)::text AS x`,
    );
    let req = method === 'GET' ? sys.http.get(path) : sys.http.post(path);
    req = req.set(sys.auth);
    const res =
      body === undefined ? await req : await req.set('Content-Type', 'application/json').send(JSON.stringify(body));
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.body).toMatchObject({ statusCode: res.status });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.(ts|js):\d+/); // no stack traces
    const after = await sys.db.query(
      `SELECT (SELECT count(*) FROM rules)::text AS r, (SELECT count(*) FROM events)::text AS e, (SELECT count(*) FROM executions)::text AS x`,
    );
    expect(after).toEqual(before);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  });
});
