/**
 * Row-level security as defence in depth: a query that forgets `WHERE tenant_id = …` still sees
 * only the rows of the tenant its transaction declared, and nothing at all without a declaration.
 */
import { insertTenants, openTestDataSource } from '@ruleflow/testing';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, rowLevelSecurityBypass } from './data-source';
import { asSystem, inTenantScope } from './db-scope';
import { RuleEntity } from './rule.entity';
import { inOneTransaction } from './scoped-query-runner';

const RULE_COLUMNS = `(tenant_id, name, entity, trigger_type, trigger, conditions, actions)`;
const ruleValues = (tenant: string, name: string) =>
  [tenant, name, 'orders', 'on_create', '{"type":"on_create"}', '[]', '[]'] as const;

describe('row-level security', () => {
  let fixture: Awaited<ReturnType<typeof openTestDataSource>>;
  let app: DataSource;
  let raw: Client;
  let tenantA: string;
  let tenantB: string;
  let ruleB: string;

  beforeAll(async () => {
    fixture = await openTestDataSource('rls-spec-fixture');
    [tenantA, tenantB] = (await insertTenants(fixture.db, 2)) as [string, string];
    for (const [tenant, name] of [
      [tenantA, 'a-1'],
      [tenantA, 'a-2'],
      [tenantB, 'b-1'],
    ] as const) {
      await fixture.db.query(`INSERT INTO rules ${RULE_COLUMNS} VALUES ($1,$2,$3,$4,$5,$6,$7)`, [
        ...ruleValues(tenant, name),
      ]);
    }
    const [b] = (await fixture.db.query(`SELECT id FROM rules WHERE name = 'b-1'`)) as Array<{ id: string }>;
    ruleB = b!.id;
    const [alert] = (await fixture.db.query(
      `INSERT INTO alerts (tenant_id, alert_type, severity, title, message) VALUES ($1,'t','low','t','m') RETURNING id`,
      [tenantB],
    )) as Array<{ id: string }>;
    await fixture.db.query(
      `INSERT INTO alert_recipients (alert_id, recipient_type, recipient_id) VALUES ($1,'user','u1')`,
      [alert!.id],
    );
    // The application's own DataSource: no fallback scope, as in the gateway and worker.
    app = createDataSource({ url: fixture.database.url, poolSize: 2, applicationName: 'rls-spec-app' });
    await app.initialize();
    raw = new Client({ connectionString: fixture.database.url });
    await raw.connect();
  });

  afterAll(async () => {
    await raw?.end();
    await app?.destroy();
    await fixture?.close();
  });

  it('connects as a role that row-level security applies to', async () => {
    await expect(rowLevelSecurityBypass(app)).resolves.toBeNull();
  });

  it('shows no tenant rows to a session that declared no tenant', async () => {
    const { rows } = await raw.query(`SELECT id FROM rules`);
    expect(rows).toEqual([]);
    expect((await raw.query(`SELECT id FROM tenants`)).rows).toEqual([]);
    expect((await raw.query(`SELECT * FROM alert_recipients`)).rows).toEqual([]);
  });

  it("limits a deliberately unscoped query to the declared tenant's rows, for that transaction only", async () => {
    await raw.query('BEGIN');
    await raw.query(`SELECT set_config('ruleflow.scope', 'tenant', true), set_config('ruleflow.tenant_id', $1, true)`, [
      tenantA,
    ]);
    const { rows } = await raw.query<{ name: string }>(`SELECT name FROM rules ORDER BY name`);
    expect(rows.map((r) => r.name)).toEqual(['a-1', 'a-2']);
    // Children follow their parent: B's alert recipients stay hidden.
    expect((await raw.query(`SELECT * FROM alert_recipients`)).rows).toEqual([]);
    const updated = await raw.query(`UPDATE rules SET priority = 9 WHERE id = $1`, [ruleB]);
    expect(updated.rowCount).toBe(0);
    await raw.query('COMMIT');
    // set_config(…, true) ended with the transaction: a pooled connection carries nothing over.
    expect((await raw.query(`SELECT id FROM rules`)).rows).toEqual([]);
    const [b] = (await fixture.db.query(`SELECT priority FROM rules WHERE id = $1`, [ruleB])) as Array<{
      priority: number;
    }>;
    expect(b!.priority).toBe(0);
  });

  it("refuses to write a row into another tenant's scope", async () => {
    await raw.query('BEGIN');
    try {
      await raw.query(
        `SELECT set_config('ruleflow.scope', 'tenant', true), set_config('ruleflow.tenant_id', $1, true)`,
        [tenantA],
      );
      await expect(
        raw.query(`INSERT INTO rules ${RULE_COLUMNS} VALUES ($1,$2,$3,$4,$5,$6,$7)`, [...ruleValues(tenantB, 'x')]),
      ).rejects.toThrow(/row-level security/);
    } finally {
      await raw.query('ROLLBACK');
    }
  });

  it('scopes every TypeORM query by the code scope, failing closed without one', async () => {
    const rules = app.getRepository(RuleEntity);
    await expect(rules.find()).resolves.toEqual([]);
    const mine = await inTenantScope(tenantA, () => rules.find({ order: { name: 'ASC' } }));
    expect(mine.map((r) => r.name)).toEqual(['a-1', 'a-2']);
    const inTransaction = await inTenantScope(tenantB, () =>
      app.transaction((tx) => tx.getRepository(RuleEntity).find()),
    );
    expect(inTransaction.map((r) => r.name)).toEqual(['b-1']);
    const all = await asSystem(() => rules.count());
    expect(all).toBe(3);
    const result = await inTenantScope(tenantA, () => rules.update({ id: ruleB }, { priority: 5 }));
    expect(result.affected).toBe(0);
  });

  it('keeps scopes apart across concurrent work on one pool', async () => {
    const rules = app.getRepository(RuleEntity);
    const seen = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const tenant = i % 2 ? tenantA : tenantB;
        return inTenantScope(tenant, async () => ({
          tenant,
          tenants: new Set((await rules.find()).map((r) => r.tenantId)),
        }));
      }),
    );
    for (const { tenant, tenants } of seen) expect([...tenants]).toEqual([tenant]);
  });

  it('runs every query of inOneTransaction in one scoped transaction on one connection: all of it or nothing', async () => {
    const rules = app.getRepository(RuleEntity);
    const backends = new Set<number>();
    const pid = async () => {
      const [row] = (await app.query(`SELECT pg_backend_pid() AS pid, txid_current() AS tx`)) as Array<{
        pid: number;
        tx: string;
      }>;
      backends.add(row!.pid);
      return row!.tx;
    };
    const txids = await inTenantScope(tenantA, () =>
      inOneTransaction(app, async () => {
        const first = await pid();
        await rules.update({ name: 'a-1' }, { priority: 41 });
        // A transaction inside is a savepoint of the same one.
        await app.transaction((tx) => tx.getRepository(RuleEntity).update({ name: 'a-2' }, { priority: 42 }));
        // Still the tenant's scope: B's rule is neither seen nor changed.
        expect((await rules.find()).map((r) => r.name).sort()).toEqual(['a-1', 'a-2']);
        return [first, await pid()];
      }),
    );
    expect(new Set(txids).size).toBe(1);
    expect(backends.size).toBe(1);
    const priorities = await asSystem(() => rules.find({ order: { name: 'ASC' } }));
    expect(priorities.map((r) => [r.name, r.priority])).toEqual([
      ['a-1', 41],
      ['a-2', 42],
      ['b-1', expect.any(Number)],
    ]);

    // A failure rolls back every write made in it, and the connection goes back to the pool.
    await expect(
      inTenantScope(tenantA, () =>
        inOneTransaction(app, async () => {
          await rules.update({ name: 'a-1' }, { priority: 7 });
          throw new Error('boom');
        }),
      ),
    ).rejects.toThrow('boom');
    const [a1] = await asSystem(() => rules.findBy({ name: 'a-1' }));
    expect(a1!.priority).toBe(41);
    // The pool (2 connections) still serves concurrent work after both transactions.
    await expect(Promise.all([1, 2, 3].map(() => inTenantScope(tenantA, () => rules.count())))).resolves.toEqual([
      2, 2, 2,
    ]);
  });

  it('lets change capture write the captured tenant while the writer declared none', async () => {
    await fixture.db.query(`CREATE TABLE rls_orders (id int PRIMARY KEY, status text)`);
    await fixture.db.query(
      `CREATE TRIGGER rls_orders_capture AFTER INSERT OR UPDATE OR DELETE ON rls_orders
       FOR EACH ROW EXECUTE FUNCTION ruleflow_capture_row('${tenantA}', 'rls_orders')`,
    );
    await raw.query('BEGIN');
    await raw.query(`INSERT INTO rls_orders VALUES (1, 'new')`);
    // The trigger's scope ended with it: the writer still sees no tenant rows.
    const { rows } = await raw.query<{ scope: string | null }>(
      `SELECT current_setting('ruleflow.scope', true) AS scope`,
    );
    expect(rows[0]!.scope ?? '').toBe('');
    expect((await raw.query(`SELECT * FROM captured_changes`)).rows).toEqual([]);
    await raw.query('COMMIT');
    const captured = (await fixture.db.query(`SELECT tenant_id, entity, type FROM captured_changes`)) as unknown[];
    expect(captured).toEqual([{ tenant_id: tenantA, entity: 'rls_orders', type: 'on_create' }]);
  });
});
