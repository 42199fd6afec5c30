import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver } from '@ruleflow/testing';
import { Client } from 'pg';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

type Auth = { Authorization: string };

/** The application's own tables, created by this test; every other table in the database is Ruleflow's. */
const APP_TABLES = ['shop_orders', 'big_orders', 'shared_orders', 'alert_feed'];

/** Registered entities with capture: row changes in the application database fire rules with no /v1/events call. */
describe('entity capture (end to end)', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;
  /** The application writing to its own tables over its own connection (it declares no Ruleflow scope). */
  let app: Client;
  /** Tenant B: an admin key and a key with only rules:write. */
  let tenantB: { id: string; admin: Auth; writer: Auth };
  beforeAll(async () => {
    sys = await startTestSystem();
    receiver = await startHttpReceiver();
    app = new Client({ connectionString: sys.databaseUrl, application_name: 'the-application' });
    await app.connect();
    await app.query(`CREATE TABLE shop_orders (id serial PRIMARY KEY, status text NOT NULL, total int NOT NULL)`);
    await app.query(`CREATE VIEW big_orders AS SELECT * FROM shop_orders WHERE total > 100`);
    await app.query(`CREATE TABLE shared_orders (id serial PRIMARY KEY, secret text)`);
    const tenant = await sys.http.post('/v1/tenants').set(sys.auth).send({ name: 'capture-b' });
    expect(tenant.status).toBe(201);
    const key = async (scopes: string[]): Promise<Auth> => {
      const res = await sys.http
        .post('/v1/api-keys')
        .set(sys.auth)
        .send({ name: scopes.join(','), tenantId: tenant.body.id, scopes });
      expect(res.status).toBe(201);
      return { Authorization: `Bearer ${res.body.key}` };
    };
    tenantB = { id: tenant.body.id, admin: await key(['admin']), writer: await key(['rules:write', 'rules:read']) };
  });
  afterAll(async () => {
    await app?.end();
    await receiver?.close();
    await sys?.close();
  });

  const register = (body: object, auth: Auth = sys.auth) => sys.http.post('/v1/entities').set(auth).send(body);
  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number(((await sys.db.query(sql, params)) as Array<{ n: string }>)[0]!.n);

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

    const inserted = await app.query<{ id: number }>(
      `INSERT INTO shop_orders (status, total) VALUES ('new', 150) RETURNING id`,
    );
    const id = inserted.rows[0]!.id;
    await app.query(`UPDATE shop_orders SET total = 160 WHERE id = $1`, [id]); // no status change: no match
    await app.query(`UPDATE shop_orders SET status = 'shipped' WHERE id = $1`, [id]);
    await app.query(`DELETE FROM shop_orders WHERE id = $1`, [id]);

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
    await app.query(`INSERT INTO shop_orders (status, total) VALUES ('new', 1)`);
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

  it('refuses every table Ruleflow owns, in every spelling, for capture and for plain registration', async () => {
    // Every table and view of the migrated database that this test did not create is Ruleflow's.
    const own: Array<{ schema: string; name: string }> = await sys.db.query(
      `SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND c.relname <> ALL($1::text[])
          AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\_%'
        ORDER BY 1, 2`,
      [APP_TABLES],
    );
    expect(own.map((t) => t.name)).toEqual(
      expect.arrayContaining(['audit_logs', 'webhooks', 'inventory_items', 'alerts', 'captured_changes']),
    );
    expect(own.map((t) => t.name)).toContain('ruleflow_migrations');
    const triggersBefore = await count(`SELECT count(*)::text AS n FROM pg_trigger WHERE NOT tgisinternal`);
    const failures: string[] = [];
    for (const { schema, name } of own) {
      const spellings: Array<[object, RegExp]> = [
        [{ name, type: 'table', capture: true }, /Ruleflow's own/],
        [{ name, schema, type: 'table', capture: true }, /Ruleflow's own/],
        [{ name, schema, type: 'table' }, /Ruleflow's own/],
        [{ name: name.toUpperCase(), schema, type: 'table', capture: true }, /no table or view/],
        [{ name, schema: schema.toUpperCase(), type: 'table', capture: true }, /no table or view/],
        [{ name: `${schema}.${name}`, type: 'table', capture: true }, /name/],
        [{ name: `"${name}"`, type: 'table', capture: true }, /name/],
        [{ name: `${name} `, type: 'table', capture: true }, /name/],
      ];
      for (const auth of [tenantB.admin, sys.auth]) {
        for (const [body, message] of spellings) {
          const res = await register(body, auth);
          if (res.status !== 400 || !message.test(JSON.stringify(res.body.message))) {
            failures.push(`${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body.message)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    // Nothing was written: no registration, no trigger.
    expect(await count(`SELECT count(*)::text AS n FROM registered_entities WHERE tenant_id = $1`, [tenantB.id])).toBe(
      0,
    );
    expect(await count(`SELECT count(*)::text AS n FROM pg_trigger WHERE NOT tgisinternal`)).toBe(triggersBefore);
  });

  it.each([
    ['pg_catalog', 'pg_class', 'table'],
    ['pg_catalog', 'pg_authid', 'table'],
    ['information_schema', 'tables', 'view'],
    ['pg_toast', 'pg_toast_1262', 'table'],
    ['pg_temp', 'anything', 'table'],
    ['pg_temp_1', 'anything', 'table'],
    ['PG_CATALOG', 'pg_class', 'table'],
  ])('refuses the system schema %s (%s) with a 400, with or without capture', async (schema, name, type) => {
    for (const capture of [false, true]) {
      const res = await register({ name, schema, type, capture }, tenantB.admin);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(/system schema/);
    }
  });

  it('needs the admin scope to register a capture (rules:write still registers without one)', async () => {
    const denied = await register({ name: 'shared_orders', type: 'table', capture: true }, tenantB.writer);
    expect(denied.status).toBe(403);
    expect(JSON.stringify(denied.body.message)).toMatch(/admin/);
    expect(await count(`SELECT count(*)::text AS n FROM registered_entities WHERE tenant_id = $1`, [tenantB.id])).toBe(
      0,
    );
    const plain = await register({ name: 'shared_orders', type: 'table' }, tenantB.writer);
    expect(plain.status).toBe(201);
    expect((await sys.http.delete(`/v1/entities/${plain.body.id}`).set(tenantB.writer)).status).toBe(204);
  });

  it('answers 409 when another tenant already captures the table, and captures once it is free', async () => {
    const triggers = () =>
      count(
        `SELECT count(*)::text AS n FROM pg_trigger WHERE tgrelid = 'shared_orders'::regclass AND NOT tgisinternal`,
      );
    const first = await register({ name: 'shared_orders', type: 'table', capture: true });
    expect(first.status).toBe(201);
    const second = await register({ name: 'shared_orders', type: 'table', capture: true }, tenantB.admin);
    expect(second.status).toBe(409);
    expect(JSON.stringify(second.body.message)).toMatch(/already captured/);
    expect(await triggers()).toBe(1);
    expect(await count(`SELECT count(*)::text AS n FROM registered_entities WHERE tenant_id = $1`, [tenantB.id])).toBe(
      0,
    );
    // B's rows never see A's writes.
    await app.query(`INSERT INTO shared_orders (secret) VALUES ('a-only')`);
    await eventually(async () => (await count(`SELECT count(*)::text AS n FROM captured_changes`)) === 0 || undefined);
    expect(await count(`SELECT count(*)::text AS n FROM events WHERE tenant_id = $1`, [tenantB.id])).toBe(0);

    expect((await sys.http.delete(`/v1/entities/${first.body.id}`).set(sys.auth)).status).toBe(204);
    const free = await register({ name: 'shared_orders', type: 'table', capture: true }, tenantB.admin);
    expect(free.status).toBe(201);
    expect(await triggers()).toBe(1);
    expect((await sys.http.delete(`/v1/entities/${free.body.id}`).set(tenantB.admin)).status).toBe(204);
  });

  it('ends the self-feeding loop: alerts cannot be captured, and a run whose own writes reach a captured table fires once', async () => {
    // The loop of the issue cannot start: capture on alerts is refused.
    const alerts = await register({ name: 'alerts', type: 'table', capture: true });
    expect(alerts.status).toBe(400);

    // The same loop by the back door: the application copies every new alert into a table it captures.
    await app.query(`CREATE TABLE alert_feed (id serial PRIMARY KEY, title text NOT NULL)`);
    await app.query(`
      CREATE FUNCTION app_copy_alert() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN INSERT INTO alert_feed (title) VALUES (NEW.title); RETURN NULL; END $fn$`);
    await app.query(
      `CREATE TRIGGER app_copy_alert AFTER INSERT ON alerts FOR EACH ROW EXECUTE FUNCTION app_copy_alert()`,
    );
    expect((await register({ name: 'alert_feed', type: 'table', capture: true })).status).toBe(201);
    const rule = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: 'alert on every feed row',
        entity: 'alert_feed',
        trigger: { type: 'on_create' },
        actions: [
          {
            name: 'raise',
            type: 'create_alert',
            config: {
              alertType: 'feed',
              severity: 'low',
              title: 'feed {{data.id}}',
              message: 'row {{data.id}}',
              recipients: [{ type: 'role', id: 'ops' }],
            },
          },
        ],
      });
    expect(rule.status).toBe(201);

    await app.query(`INSERT INTO alert_feed (title) VALUES ('from the application')`);
    const ended = async () => {
      const res = await sys.http.get(`/v1/executions?ruleId=${rule.body.id}`).set(sys.auth);
      const items = res.body.items as Array<{ status: string }>;
      return items.length > 0 && items.every((e) => ['success', 'failed', 'partial', 'cancelled'].includes(e.status));
    };
    await eventually(async () => (await ended()) || undefined, 60_000);
    // Give a loop, if there were one, time for several more turns (capture polls every 250 ms).
    await new Promise((r) => setTimeout(r, 4000));
    await eventually(async () => (await ended()) || undefined, 60_000);
    const runs = await sys.http.get(`/v1/executions?ruleId=${rule.body.id}`).set(sys.auth);
    expect(runs.body.items.map((e: { status: string }) => e.status)).toEqual(['success']);
    expect(await count(`SELECT count(*)::text AS n FROM alerts WHERE alert_type = 'feed'`)).toBe(1);
    // The run's write reached the application's table (its trigger ran) but was not captured.
    expect(await count(`SELECT count(*)::text AS n FROM alert_feed`)).toBe(2);
    expect(await count(`SELECT count(*)::text AS n FROM events WHERE entity = 'alert_feed'`)).toBe(1);
    await app.query(`DROP TRIGGER app_copy_alert ON alerts`);
  });
});
