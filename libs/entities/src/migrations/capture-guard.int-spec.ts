/**
 * Migration 1764374400000 on a database where the capture exploit already happened: registrations
 * of Ruleflow's own tables and of system schemas go (with their triggers and queued changes), a table
 * captured by two tenants keeps only its first capture, and the one-capture-per-table index holds after.
 */
import { insertTenants, openTestDataSource } from '@ruleflow/testing';
import { asSystem } from '../db-scope';
import { CaptureGuard1764374400000 } from './1764374400000-capture-guard';

describe('migration CaptureGuard1764374400000', () => {
  let fixture: Awaited<ReturnType<typeof openTestDataSource>>;
  beforeAll(async () => {
    fixture = await openTestDataSource('capture-guard-spec');
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number(((await fixture.db.query(sql, params)) as Array<{ n: string }>)[0]!.n);

  it('removes captures of own tables and system schemas, keeps the first capture of a shared table', async () => {
    const db = fixture.db;
    const [a, b] = (await insertTenants(db, 2)) as [string, string];
    await db.query(`CREATE TABLE shared (id int PRIMARY KEY)`);
    // The state before the migration: no one-capture-per-table index, and the old registrations.
    await db.query(`DROP INDEX uq_registered_entities_captured_table`);
    const registrations: Array<[tenant: string, schema: string, name: string, capture: boolean]> = [
      [a, 'public', 'shared', true],
      [b, 'public', 'shared', true],
      [b, 'public', 'audit_logs', true],
      [b, 'public', 'webhooks', true],
      [b, 'public', 'ruleflow_migrations', false],
      [b, 'pg_catalog', 'pg_class', false],
    ];
    const ids: string[] = [];
    for (const [i, [tenant, schema, name, capture]] of registrations.entries()) {
      const [row] = (await db.query(
        `INSERT INTO registered_entities (tenant_id, schema_name, name, type, capture, created_at)
         VALUES ($1, $2, $3, 'table', $4, now() + make_interval(secs => $5)) RETURNING id`,
        [tenant, schema, name, capture, i],
      )) as Array<{ id: string }>;
      ids.push(row!.id);
      if (capture) {
        await db.query(
          `CREATE TRIGGER ruleflow_capture_${row!.id.replace(/-/g, '')} AFTER INSERT OR UPDATE OR DELETE
             ON "${schema}"."${name}" FOR EACH ROW EXECUTE FUNCTION ruleflow_capture_row('${tenant}', '${name}')`,
        );
      }
    }
    await db.query(
      `INSERT INTO captured_changes (tenant_id, entity, type, data) VALUES ($1, 'audit_logs', 'on_create', '{}')`,
      [b],
    );

    const runner = db.createQueryRunner();
    try {
      await asSystem(() => new CaptureGuard1764374400000().up(runner));
    } finally {
      await runner.release();
    }

    const left: Array<{ id: string; capture: boolean }> = await db.query(
      `SELECT id, capture FROM registered_entities ORDER BY created_at`,
    );
    expect(left).toEqual([
      { id: ids[0], capture: true },
      { id: ids[1], capture: false },
    ]);
    const triggers: Array<{ tgname: string; rel: string }> = await db.query(
      `SELECT tgname, tgrelid::regclass::text AS rel FROM pg_trigger WHERE tgname LIKE 'ruleflow_capture_%'`,
    );
    expect(triggers).toEqual([{ tgname: `ruleflow_capture_${ids[0]!.replace(/-/g, '')}`, rel: 'shared' }]);
    expect(await count(`SELECT count(*)::text AS n FROM captured_changes`)).toBe(0);
    await expect(
      db.query(`UPDATE registered_entities SET capture = true WHERE id = $1`, [ids[1]]),
    ).rejects.toMatchObject({ code: '23505', constraint: 'uq_registered_entities_captured_table' });
  });
});
