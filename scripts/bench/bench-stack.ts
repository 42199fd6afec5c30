/**
 * The throw-away services a benchmark runs on: an embedded PostgreSQL (migrated, fsync off) and a
 * Temporal dev server (by default file-backed with the settings `npm start` uses) or, with `--cluster`,
 * the Temporal Server `npm run cluster` runs (on the same PostgreSQL), with a production-like config
 * pointed at them, and a seeding connection in the system scope of row-level security.
 */
import type { ChildProcess } from 'node:child_process';
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
  ensureTemporalNamespace,
  ensureTemporalServer,
  FILE_BACKED_SQLITE_PRAGMAS,
  freeTemporalServerPorts,
  findTemporalCli,
  freePort,
  setupTemporalSchemas,
  sleep,
  spawnService,
  startEmbeddedPostgres,
  startTemporalDevServer,
  startTemporalServer,
  stopService,
  temporalCliHelp,
} from '@ruleflow/local-stack';
import { temporalSchemaScript, temporalServerConfigFiles } from '../cluster/config-files';
import { repoRoot } from '../launcher';
import { Client as PgClient } from 'pg';
import { flagValue } from '../flags';

export { flagValue, intFlag } from '../flags';

export interface BenchStack {
  config: RuleflowConfig;
  /** The environment `config` was read from (for worker processes). */
  env: Record<string, string>;
  /** How the dev server keeps its state, or `cluster`: the Temporal Server on PostgreSQL. */
  temporalDb: TemporalDbMode | 'cluster';
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

/** `--temporal-db file|file-sqlite-defaults|memory` from the command line; `file` (npm start's) by default. */
export function benchTemporalDb(argv: string[] = process.argv.slice(2)): TemporalDbMode {
  const raw = flagValue(argv, 'temporal-db');
  if (raw === undefined) return 'file';
  const mode = TEMPORAL_DB_MODES.find((m) => m === raw);
  if (!mode) throw new Error(`--temporal-db must be one of ${TEMPORAL_DB_MODES.join(', ')}`);
  return mode;
}

/** `--cluster`: run on the Temporal Server (`npm run cluster`'s) instead of the dev server. */
export function benchCluster(argv: string[] = process.argv.slice(2)): boolean {
  return flagValue(argv, 'cluster') !== undefined;
}

/** The Temporal Server on `pg` (superuser URL), set up as `npm run cluster` does; all ports free ones. */
async function startClusterTemporal(adminUrl: string): Promise<{ address: string; stop(): Promise<void> }> {
  const build = await ensureTemporalServer({ log: (line) => console.log(`[temporal] ${line}`) });
  const databases = { url: adminUrl };
  const root = repoRoot();
  await setupTemporalSchemas(build, databases, { script: temporalSchemaScript(root) });
  const ports = await freeTemporalServerPorts({ metrics: false });
  const server = await startTemporalServer({ build, ...temporalServerConfigFiles(root), databases, ports });
  await ensureTemporalNamespace({
    address: server.address,
    namespace: 'default',
    searchAttributes: SEARCH_ATTRIBUTE_NAMES,
  });
  return server;
}

export async function startBenchStack(
  env: Record<string, string> = {},
  temporalDb: TemporalDbMode | 'cluster' = benchCluster() ? 'cluster' : benchTemporalDb(),
): Promise<BenchStack> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'ruleflow-bench-'));
  chmodSync(tmp, 0o755);
  const cliPath = temporalDb === 'cluster' ? undefined : findTemporalCli(process.env.TEMPORAL_CLI_PATH);
  if (temporalDb !== 'cluster' && !cliPath) throw new Error(temporalCliHelp());
  const pg = await startEmbeddedPostgres({ dataDir: tmp, port: await freePort(), durable: false });
  const temporal =
    temporalDb === 'cluster'
      ? await startClusterTemporal(pg.adminUrl)
      : await startTemporalDevServer({
          cliPath: cliPath!,
          port: await freePort(),
          uiPort: await freePort(),
          headless: true,
          ...(temporalDb === 'memory' ? {} : { dbFile: path.join(tmp, 'temporal.db') }),
          ...(temporalDb === 'file' ? { sqlitePragmas: FILE_BACKED_SQLITE_PRAGMAS } : {}),
          namespace: 'default',
          searchAttributes: SEARCH_ATTRIBUTE_NAMES,
        });
  const port = await freePort();
  const rawEnv = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: pg.url,
    TEMPORAL_ADDRESS: temporal.address,
    PORT: String(port),
    RULEFLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...env,
  };
  const config = loadConfig(rawEnv);
  await runMigrations(pg.url);
  const db = new PgClient({ connectionString: pg.url });
  await db.connect();
  await db.query(`SELECT set_config('ruleflow.scope', 'system', false)`);
  return {
    temporalDb,
    config,
    env: rawEnv,
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

/**
 * `n` Ruleflow worker processes (`dist/apps/worker/src/main.js`, as `npm run cluster` runs them) on
 * `stack`; resolves once all of them poll the task queue.
 */
export async function spawnBenchWorkers(
  stack: BenchStack,
  client: Client,
  n: number,
): Promise<{ children: ChildProcess[]; stop(): Promise<void> }> {
  const entry = path.join(repoRoot(), 'dist', 'apps', 'worker', 'src', 'main.js');
  const env = { ...process.env, ...stack.env, WORKER_METRICS_PORT: '0' };
  const children = Array.from({ length: n }, () =>
    spawnService(process.execPath, [entry], {
      env,
      parentDeathSignal: 'SIGTERM',
      onLine: (line, stream) => stream === 'stderr' && console.error(`[worker] ${line}`),
    }),
  );
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: stack.config.temporal.namespace,
      taskQueue: { name: stack.config.temporal.taskQueue },
      taskQueueType: 1, // TASK_QUEUE_TYPE_WORKFLOW
    });
    if ((pollers?.length ?? 0) >= n) break;
    if (Date.now() > deadline) throw new Error(`${n} worker process(es) not polling within 60 s`);
    await sleep(500);
  }
  return {
    children,
    async stop() {
      await Promise.all(children.map((child) => stopService(child, { signal: 'SIGTERM', timeoutMs: 20_000 })));
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
  /** False: no Ruleflow worker in this process (the benchmark runs worker processes). */
  ruleflowWorker = true,
): Promise<BenchSystem> {
  const { config, port } = stack;
  const workerDb = createDataSource({ url: config.database.url!, poolSize: 10, applicationName: 'bench-worker' });
  await workerDb.initialize();
  const native = await NativeConnection.connect({ address: config.temporal.address! });
  const worker = ruleflowWorker
    ? await createRuleflowWorker({ config, dataSource: workerDb, connection: native })
    : undefined;
  const plainWorker = await Worker.create({ connection: native, ...plain });
  const runs = [worker?.run(), plainWorker.run()];
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
      worker?.shutdown();
      plainWorker.shutdown();
      await Promise.all(runs.map((r) => r?.catch(() => undefined) ?? Promise.resolve()));
      await workerDb.destroy();
      await native.close();
    },
  };
}
