/**
 * The throw-away services a benchmark runs on: an embedded PostgreSQL (migrated, fsync off) and a
 * Temporal dev server (by default file-backed with the settings `npm start` uses), with a production-like config pointed at them, and a seeding connection in the
 * system scope of row-level security.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RuleflowConfig } from '@ruleflow/config';
import { loadConfig } from '@ruleflow/config';
import { SEARCH_ATTRIBUTE_NAMES } from '@ruleflow/contract';
import { createDataSource, runMigrations } from '@ruleflow/entities';
import { Client, Connection } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import { NativeConnection, Worker } from '@temporalio/worker';
import { createGatewayApp } from '../../apps/gateway/src/app.factory';
import { createRuleflowWorker } from '../../apps/worker/src/worker';
import {
  FILE_BACKED_SQLITE_PRAGMAS,
  findTemporalCli,
  freePort,
  startEmbeddedPostgres,
  startTemporalDevServer,
  temporalCliHelp,
} from '@ruleflow/local-stack';
import { Client as PgClient } from 'pg';

export interface BenchStack {
  config: RuleflowConfig;
  /** How the dev server keeps its state. */
  temporalDb: TemporalDbMode;
  /** The gateway's port in `config`. */
  port: number;
  /** Seeding connection: writes every tenant's rows. */
  db: PgClient;
  /** A tenant named `name` with an admin key; returns the tenant id and the key. */
  seedTenant(name: string): Promise<{ tenantId: string; key: string }>;
  stop(): Promise<void>;
}

/**
 * How the benchmark's Temporal dev server keeps its state: `file` is what `npm start` runs (a SQLite file
 * with {@link FILE_BACKED_SQLITE_PRAGMAS}), `file-sqlite-defaults` the same file on SQLite's own settings
 * (rollback journal, fsync at every commit), `memory` the in-memory server (fast, loses everything on exit).
 */
export const TEMPORAL_DB_MODES = ['file', 'file-sqlite-defaults', 'memory'] as const;
export type TemporalDbMode = (typeof TEMPORAL_DB_MODES)[number];

/** The value of `--name value` or `--name=value` on the command line; undefined when the flag is absent. */
export function flagValue(argv: string[], name: string): string | undefined {
  const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (at < 0) return undefined;
  return argv[at]!.includes('=') ? argv[at]!.slice(argv[at]!.indexOf('=') + 1) : (argv[at + 1] ?? '');
}

/** `--name N` as an integer from 1 to `max`, else `fallback`; anything else is refused, naming the flag. */
export function intFlag(argv: string[], name: string, fallback: number, max: number): number {
  const raw = flagValue(argv, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer from 1 to ${max}`);
  return n;
}

/** `--temporal-db file|file-sqlite-defaults|memory` from the command line; `file` (npm start's) by default. */
export function benchTemporalDb(argv: string[] = process.argv.slice(2)): TemporalDbMode {
  const raw = flagValue(argv, 'temporal-db');
  if (raw === undefined) return 'file';
  const mode = TEMPORAL_DB_MODES.find((m) => m === raw);
  if (!mode) throw new Error(`--temporal-db must be one of ${TEMPORAL_DB_MODES.join(', ')}`);
  return mode;
}

export async function startBenchStack(
  env: Record<string, string> = {},
  temporalDb: TemporalDbMode = benchTemporalDb(),
): Promise<BenchStack> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ruleflow-bench-'));
  chmodSync(tmp, 0o755);
  const cliPath = findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  if (!cliPath) throw new Error(temporalCliHelp());
  const pg = await startEmbeddedPostgres({ dataDir: tmp, port: await freePort(), durable: false });
  const temporal = await startTemporalDevServer({
    cliPath,
    port: await freePort(),
    uiPort: await freePort(),
    headless: true,
    ...(temporalDb === 'memory' ? {} : { dbFile: path.join(tmp, 'temporal.db') }),
    ...(temporalDb === 'file' ? { sqlitePragmas: FILE_BACKED_SQLITE_PRAGMAS } : {}),
    namespace: 'default',
    searchAttributes: SEARCH_ATTRIBUTE_NAMES,
  });
  const port = await freePort();
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: temporal.address,
    PORT: String(port),
    RULEFLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...env,
  });
  await runMigrations(pg.url);
  const db = new PgClient({ connectionString: pg.url });
  await db.connect();
  await db.query(`SELECT set_config('ruleflow.scope', 'system', false)`);
  return {
    temporalDb,
    config,
    port,
    db,
    async seedTenant(name) {
      const key = `rf_bench_${name}_${randomBytes(8).toString('hex')}`;
      const tenant = await db.query<{ id: string }>(`INSERT INTO tenants (name) VALUES ($1) RETURNING id`, [name]);
      const tenantId = tenant.rows[0]!.id;
      await db.query(
        `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes)
         VALUES ($1, 'bench', $2, encode(sha256($3::bytea), 'hex'), '{admin}')`,
        [tenantId, key.slice(0, 10), key],
      );
      return { tenantId, key };
    },
    async stop() {
      await db.end();
      await temporal.stop();
      await pg.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** The system a benchmark drives: the gateway and the Ruleflow worker in this process, and a plain worker beside. */
export interface BenchSystem {
  /** A Temporal client of its own (the plain paths start and update workflows with it). */
  client: Client;
  /** POSTs JSON with the tenant's key; returns the parsed answer, or throws on another status. */
  post(path: string, body: unknown, expected: number): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * Starts the gateway and the Ruleflow worker on `stack` (as `npm start` runs them, but in this process)
 * and a worker for the hand-written alternative on `plain.taskQueue`, sharing one native connection.
 */
export async function startBenchSystem(
  stack: BenchStack,
  key: string,
  plain: Pick<WorkerOptions, 'taskQueue' | 'workflowsPath' | 'activities'>,
): Promise<BenchSystem> {
  const { config, port } = stack;
  const workerDb = createDataSource({ url: config.database.url!, poolSize: 10, applicationName: 'bench-worker' });
  await workerDb.initialize();
  const native = await NativeConnection.connect({ address: config.temporal.address! });
  const worker = await createRuleflowWorker({ config, dataSource: workerDb, connection: native });
  const plainWorker = await Worker.create({ connection: native, ...plain });
  const runs = [worker.run(), plainWorker.run()];
  const app = await createGatewayApp(config);
  await app.listen(port, '127.0.0.1');
  const connection = await Connection.connect({ address: config.temporal.address! });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
  return {
    client,
    async post(path, body, expected) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
      });
      const text = await res.text();
      if (res.status !== expected) throw new Error(`POST ${path}: ${res.status} ${text.slice(0, 300)}`);
      return JSON.parse(text) as Record<string, unknown>;
    },
    async close() {
      await app.close();
      await connection.close();
      worker.shutdown();
      plainWorker.shutdown();
      await Promise.all(runs.map((r) => r.catch(() => undefined)));
      await workerDb.destroy();
      await native.close();
    },
  };
}
