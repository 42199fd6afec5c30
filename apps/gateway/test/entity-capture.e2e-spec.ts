import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

/** Registered entities with capture: row changes in the application database fire rules with no /v1/events call. */
describe('entity capture (end to end)', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;
  beforeAll(async () => {
    sys = await startTestSystem();
    receiver = await startHttpReceiver();
    await sys.db.query(`CREATE TABLE shop_orders (id serial PRIMARY KEY, status text NOT NULL, total int NOT NULL)`);
    await sys.db.query(`CREATE VIEW big_orders AS SELECT * FROM shop_orders WHERE total > 100`);
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.close();
  });

  const register = (body: object) => sys.http.post('/v1/entities').set(sys.auth).send(body);

  it('registers a table with capture; INSERT, UPDATE and DELETE fire on_create, on_update and on_delete rules', async () => {
    const reg = await register({ name: 'shop_orders', type: 'table', capture: true });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ name: 'shop_orders', schema: 'public', type: 'table', capture: true });
    for (const [type, path, conditions] of [
      ['on_create', '/created', undefined],
      ['on_update', '/shipped', { all: [{ field: 'status', operator: 'changed_to', value: 'shipped' }] }],
      ['on_delete', '/deleted', undefined],
    ] as const) {
      const rule = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({
          name: `capture ${type}`,
          entity: 'shop_orders',
          trigger: { type },
          conditions,
          actions: [
            {
              type: 'webhook',
              config: {
                url: `${receiver.url}${path}`,
                body: { id: '{{data.id}}', status: '{{data.status}}', before: '{{previous.status}}' },
              },
            },
          ],
        });
      expect(rule.status).toBe(201);
    }

    const inserted: Array<{ id: number }> = await sys.db.query(
      `INSERT INTO shop_orders (status, total) VALUES ('new', 150) RETURNING id`,
    );
    const id = inserted[0]!.id;
    await sys.db.query(`UPDATE shop_orders SET total = 160 WHERE id = $1`, [id]); // no status change: no match
    await sys.db.query(`UPDATE shop_orders SET status = 'shipped' WHERE id = $1`, [id]);
    await sys.db.query(`DELETE FROM shop_orders WHERE id = $1`, [id]);

    await eventually(async () => receiver.requests.length >= 3 || undefined, 30_000);
    const byPath = Object.fromEntries(receiver.requests.map((r) => [r.path, JSON.parse(r.body)]));
    expect(byPath['/created']).toEqual({ id, status: 'new', before: null });
    expect(byPath['/shipped']).toEqual({ id, status: 'shipped', before: 'new' });
    expect(byPath['/deleted']).toEqual({ id, status: 'shipped', before: null });
    expect(receiver.requests).toHaveLength(3);

    const events: Array<{ event_key: string; type: string }> = await sys.db.query(
      `SELECT event_key, type FROM events WHERE entity = 'shop_orders' ORDER BY received_at`,
    );
    expect(events.map((e) => e.type)).toEqual(['on_create', 'on_update', 'on_update', 'on_delete']);
    expect(events.every((e) => e.event_key.startsWith('capture-'))).toBe(true);
    const left: Array<{ n: string }> = await sys.db.query(`SELECT count(*)::text AS n FROM captured_changes`);
    expect(left[0]!.n).toBe('0');

    // Unregistering removes the trigger: later changes emit nothing.
    expect((await sys.http.delete(`/v1/entities/${reg.body.id}`).set(sys.auth)).status).toBe(204);
    await sys.db.query(`INSERT INTO shop_orders (status, total) VALUES ('new', 1)`);
    const after: Array<{ n: string }> = await sys.db.query(`SELECT count(*)::text AS n FROM captured_changes`);
    expect(after[0]!.n).toBe('0');
  });

  it('registers a view without capture and lists registrations', async () => {
    const view = await register({ name: 'big_orders', type: 'view' });
    expect(view.status).toBe(201);
    const list = await sys.http.get('/v1/entities').set(sys.auth);
    expect(list.body.items.map((e: { name: string }) => e.name)).toContain('big_orders');
    expect((await sys.http.get(`/v1/entities/${view.body.id}`).set(sys.auth)).body).toMatchObject({
      type: 'view',
      capture: false,
    });
    expect((await register({ name: 'big_orders', type: 'view' })).status).toBe(409);
  });

  it.each([
    [{ name: 'no_such_table', type: 'table' }, /no table or view/],
    [{ name: 'big_orders', type: 'view', capture: true }, /capture/],
    [{ name: 'shop_orders', type: 'view' }, /type/],
    [{ name: 'rules', type: 'table', capture: true }, /own tables/],
    [{ name: 'orders; DROP TABLE rules', type: 'table' }, /name/],
    [{ name: 'shop_orders', type: 'table', schema: 'pg catalog' }, /schema/],
  ])('refuses %j with a 400', async (body, pattern) => {
    const res = await register(body);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toMatch(pattern);
  });
});
