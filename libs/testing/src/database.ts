import { randomBytes } from 'node:crypto';
import { runMigrations } from '@ruleflow/entities';
import { Client } from 'pg';

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
  await withAdmin((c) => c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`));
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
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
