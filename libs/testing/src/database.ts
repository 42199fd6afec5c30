import { randomBytes } from 'node:crypto';
import { createDataSource, runMigrations } from '@ruleflow/entities';
import type { DataSource } from 'typeorm';
import { Client } from 'pg';
import { APP_DB_ROLE, appRoleUrl, ensureAppRole } from '@ruleflow/local-stack';

/** A migrated database of its own for one test file. */
export interface TestDatabase {
  url: string;
  name: string;
  /** Terminate its connections and drop it. */
  drop(): Promise<void>;
}

function serverUrl(): string {
  const url = process.env.RULEFLOW_TEST_PG_URL;
  if (!url)
    throw new Error(
      'RULEFLOW_TEST_PG_URL is not set: run integration tests through jest (libs/testing/src/global-setup.ts)',
    );
  return url;
}

async function withAdmin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl(), application_name: 'ruleflow-test-admin' });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

let counter = 0;

/** Create a fresh, uniquely named database on the test server and apply the migrations to it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `rf_test_${process.pid}_${++counter}_${randomBytes(4).toString('hex')}`;
  // Owned by the application role, as with `npm start`, so row-level security applies in every test.
  await ensureAppRole(serverUrl());
  await withAdmin((c) =>
    c.query(`CREATE DATABASE ${c.escapeIdentifier(name)} OWNER ${c.escapeIdentifier(APP_DB_ROLE)}`),
  );
  const url = new URL(appRoleUrl(serverUrl(), name));
  const drop = () =>
    withAdmin(async (c) => {
      const { rows } = await c.query<{ v: number }>("SELECT current_setting('server_version_num')::int AS v");
      if ((rows[0]?.v ?? 0) >= 130000) {
        // FORCE terminates the connections a pool may still be reopening.
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)} WITH (FORCE)`);
      } else {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
        await c.query(`DROP DATABASE IF EXISTS ${c.escapeIdentifier(name)}`);
      }
    });
  try {
    await runMigrations(url.toString());
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
  return { url: url.toString(), name, drop };
}

/** A fresh migrated database with an initialised TypeORM DataSource on it; `close()` destroys and drops both. */
export async function openTestDataSource(
  applicationName = 'ruleflow-test',
): Promise<{ database: TestDatabase; db: DataSource; close(): Promise<void> }> {
  const database = await createTestDatabase();
  // A fixture: it arranges and inspects every tenant's rows (the system under test scopes its own).
  const db = createDataSource({ url: database.url, poolSize: 4, applicationName, systemByDefault: true });
  await db.initialize();
  return {
    database,
    db,
    async close() {
      await db.destroy();
      await database.drop();
    },
  };
}

/** Insert tenants with unique names; returns their ids in order. */
export async function insertTenants(db: DataSource, count = 1): Promise<string[]> {
  const names = Array.from({ length: count }, () => `t-${randomBytes(6).toString('hex')}`);
  const rows: Array<{ id: string }> = await db.query(
    `INSERT INTO tenants (name) SELECT unnest($1::text[]) RETURNING id`,
    [names],
  );
  return rows.map((r) => r.id);
}
