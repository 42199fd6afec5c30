/**
 * The real Temporal Server (not the CLI's dev server) on PostgreSQL, built from the Go module proxy:
 * the pinned `go.temporal.io/server` version's `cmd/server` and `cmd/tools/sql`, kept in
 * `~/.cache/ruleflow/temporal-server/v<version>` with the module's PostgreSQL v12 schemas beside them.
 * `npm run cluster` and the topology test run it; docker-compose.temporal.yml runs the same version's
 * images with the same config template (scripts/cluster/temporal-server.yaml) and schema steps.
 */
import os from 'node:os';
import path from 'node:path';
import type { ConnectionOptions } from '@temporalio/client';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { goInstall, runCommand } from './go-build';
import { assertPortFree, freePortInRange } from './ports';
import { failureDuringStartup, sleep, spawnService, stopService } from './processes';
import { KEYWORD_INDEXED_VALUE_TYPE } from './temporal-dev-server';

/** The Temporal Server release Ruleflow runs in production (and the compose file's image tags). */
export const TEMPORAL_SERVER_VERSION = '1.32.2';
const MODULE = 'go.temporal.io/server';

/** The built binaries and the schema folders of one server version. */
export interface TemporalServerBuild {
  dir: string;
  server: string;
  sqlTool: string;
  /** `schema/postgresql/v12` of the module: `temporal/versioned` and `visibility/versioned`. */
  schemaDir: string;
}

/** Where the build of the pinned version is kept: `~/.cache/ruleflow/temporal-server/v<version>`. */
export function temporalServerBuildDir(): string {
  return path.join(os.homedir(), '.cache', 'ruleflow', 'temporal-server', `v${TEMPORAL_SERVER_VERSION}`);
}

function buildAt(dir: string): TemporalServerBuild {
  return {
    dir,
    server: path.join(dir, 'temporal-server'),
    sqlTool: path.join(dir, 'temporal-sql-tool'),
    schemaDir: path.join(dir, 'schema', 'postgresql', 'v12'),
  };
}

/**
 * The pinned server and schema tool, built on first use (`go install`, a few minutes on two cores;
 * seconds later on, from Go's build cache) and reused after.
 */
export async function ensureTemporalServer(
  options: { dir?: string; log?: (line: string) => void } = {},
): Promise<TemporalServerBuild> {
  const dir = options.dir ?? temporalServerBuildDir();
  const build = buildAt(dir);
  await goInstall({
    dir,
    what: `Temporal Server ${TEMPORAL_SERVER_VERSION}`,
    module: MODULE,
    version: TEMPORAL_SERVER_VERSION,
    commands: { 'cmd/server': build.server, 'cmd/tools/sql': build.sqlTool },
    copies: { 'schema/postgresql/v12': build.schemaDir },
    log: options.log,
  });
  return build;
}

/** Temporal's two databases on one PostgreSQL server. */
export interface TemporalDatabases {
  /** PostgreSQL URL of a role that may create databases (or owns these two); its database is not used. */
  url: string;
  /** Default `temporal`. */
  persistence?: string;
  /** Default `temporal_visibility`. */
  visibility?: string;
}

function databaseNames(db: TemporalDatabases): { persistence: string; visibility: string } {
  return { persistence: db.persistence ?? 'temporal', visibility: db.visibility ?? 'temporal_visibility' };
}

/**
 * Create Temporal's databases when missing and bring both schemas (persistence and SQL visibility) up to
 * this server version: `script` is scripts/cluster/temporal-schema.sh, the steps docker-compose.temporal.yml
 * runs (`setup-schema -v 0.0`, which keeps a newer version, then `update-schema`). Safe to rerun.
 */
export async function setupTemporalSchemas(
  build: TemporalServerBuild,
  db: TemporalDatabases,
  options: { script: string; log?: (line: string) => void },
): Promise<void> {
  const url = new URL(db.url);
  const names = databaseNames(db);
  // The password goes through the environment, never on a command line others can read.
  const env = {
    PATH: process.env.PATH,
    SQL_TOOL: build.sqlTool,
    SCHEMA_DIR: build.schemaDir,
    SQL_HOST: url.hostname,
    SQL_PORT: url.port || '5432',
    SQL_USER: decodeURIComponent(url.username),
    SQL_PASSWORD: decodeURIComponent(url.password),
    DBNAME: names.persistence,
    VISIBILITY_DBNAME: names.visibility,
  };
  await runCommand('sh', [options.script], { env, log: options.log });
}

/** The ports of one server (all on `host`). */
export interface TemporalServerPorts {
  frontendGrpc: number;
  frontendHttp: number;
  history: number;
  matching: number;
  worker: number;
  frontendMembership: number;
  historyMembership: number;
  matchingMembership: number;
  workerMembership: number;
  /** Prometheus metrics; 0 serves none. */
  metrics: number;
}

/**
 * Free ports for one server: the frontend's gRPC on `frontendGrpc` when given, the others chosen here, all
 * below 32768 (Temporal keeps membership ports in a smallint column); `metrics: false` serves no metrics.
 */
export async function freeTemporalServerPorts(
  options: { frontendGrpc?: number; metrics?: boolean } = {},
): Promise<TemporalServerPorts> {
  const taken = new Set<number>(options.frontendGrpc ? [options.frontendGrpc] : []);
  const next = async () => {
    for (;;) {
      const port = await freePortInRange(20_000, 32_768);
      if (!taken.has(port)) {
        taken.add(port);
        return port;
      }
    }
  };
  return {
    frontendGrpc: options.frontendGrpc ?? (await next()),
    frontendHttp: await next(),
    history: await next(),
    matching: await next(),
    worker: await next(),
    frontendMembership: await next(),
    historyMembership: await next(),
    matchingMembership: await next(),
    workerMembership: await next(),
    metrics: options.metrics === false ? 0 : await next(),
  };
}

/** Options for {@link startTemporalServer}. */
export interface TemporalServerOptions {
  build: TemporalServerBuild;
  /** The config template (scripts/cluster/temporal-server.yaml) and the dynamic config file beside it. */
  configFile: string;
  dynamicConfigFile: string;
  databases: TemporalDatabases;
  ports: TemporalServerPorts;
  /** Fixed for the life of the cluster (default 4). */
  historyShards?: number;
  log?: (line: string) => void;
  /** How long to wait for the frontend (default 90 s). */
  startTimeoutMs?: number;
}

/** A running server. */
export interface TemporalServer {
  address: string;
  pid: number;
  /** Prometheus endpoint, when served. */
  metricsUrl?: string;
  stop(): Promise<void>;
}

/**
 * The environment the config template reads (the variable names of Temporal's docker template); the
 * compose file sets the same ones. Nothing else is passed: the server reads some TEMPORAL_* variables itself.
 */
export function temporalServerEnv(options: TemporalServerOptions, host = '127.0.0.1'): NodeJS.ProcessEnv {
  const url = new URL(options.databases.url);
  const names = databaseNames(options.databases);
  const p = options.ports;
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'warn',
    BIND_ON_IP: host,
    TEMPORAL_BROADCAST_ADDRESS: host,
    NUM_HISTORY_SHARDS: String(options.historyShards ?? 4),
    POSTGRES_SEEDS: url.hostname,
    DB_PORT: url.port || '5432',
    POSTGRES_USER: decodeURIComponent(url.username),
    POSTGRES_PWD: decodeURIComponent(url.password),
    DBNAME: names.persistence,
    VISIBILITY_DBNAME: names.visibility,
    FRONTEND_GRPC_PORT: String(p.frontendGrpc),
    FRONTEND_HTTP_PORT: String(p.frontendHttp),
    HISTORY_GRPC_PORT: String(p.history),
    MATCHING_GRPC_PORT: String(p.matching),
    WORKER_GRPC_PORT: String(p.worker),
    FRONTEND_MEMBERSHIP_PORT: String(p.frontendMembership),
    HISTORY_MEMBERSHIP_PORT: String(p.historyMembership),
    MATCHING_MEMBERSHIP_PORT: String(p.matchingMembership),
    WORKER_MEMBERSHIP_PORT: String(p.workerMembership),
    ...(p.metrics ? { PROMETHEUS_ENDPOINT: `${host}:${p.metrics}` } : {}),
    DYNAMIC_CONFIG_FILE_PATH: options.dynamicConfigFile,
    TEMPORAL_SERVER_CONFIG_FILE_PATH: options.configFile,
    TEMPORAL_ALLOW_NO_AUTH: 'true',
  };
}

/** Start the server (schemas must be set up) and resolve once its frontend answers. */
export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  const log = options.log ?? (() => undefined);
  const host = '127.0.0.1';
  const p = options.ports;
  await assertPortFree(p.frontendGrpc, 'TEMPORAL_DEV_PORT', 'Temporal Server (gRPC)', host);
  let stopping = false;
  const recent: string[] = [];
  const child = spawnService(options.build.server, ['start'], {
    env: temporalServerEnv(options, host),
    parentDeathSignal: 'SIGTERM',
    onLine: (line) => {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      // Shutdown makes the services warn about closed connections: noise.
      if (line.trim() && (!stopping || /"level":"fatal"/.test(line))) log(line);
    },
  });
  const failed = failureDuringStartup(child, (exit) =>
    exit instanceof Error
      ? new Error(`could not start ${options.build.server}: ${exit.message}`)
      : new Error(
          `Temporal Server exited during start-up (${exit.signal ?? `code ${exit.code}`}):\n${recent.join('\n')}`,
        ),
  );
  const pid = child.pid;
  if (pid === undefined) return failed;
  const stop = async () => {
    stopping = true;
    await stopService(child, { signal: 'SIGTERM', timeoutMs: 20_000 });
  };
  const address = `${host}:${p.frontendGrpc}`;
  const giveUp = new AbortController();
  try {
    await Promise.race([waitForFrontend(address, options.startTimeoutMs ?? 90_000, giveUp.signal), failed]);
  } catch (err) {
    giveUp.abort();
    await stop();
    throw err;
  }
  return { address, pid, metricsUrl: p.metrics ? `http://${host}:${p.metrics}/metrics` : undefined, stop };
}

async function withConnection<T>(
  target: string | ConnectionOptions,
  fn: (connection: Connection) => Promise<T>,
): Promise<T> {
  const options = typeof target === 'string' ? { address: target } : target;
  const connection = await Connection.connect({ ...options, connectTimeout: 2_000 });
  try {
    return await fn(connection);
  } finally {
    await connection.close().catch(() => undefined);
  }
}

/** Poll `fn` until it returns a value; the last error in the message after `timeoutMs`. */
async function poll<T>(
  what: string,
  timeoutMs: number,
  fn: () => Promise<T | undefined>,
  signal?: AbortSignal,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline && !signal?.aborted) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    await sleep(300);
  }
  if (signal?.aborted) return undefined;
  const reason = (lastError as Error | undefined)?.message ?? 'no answer';
  throw new Error(`${what} within ${Math.round(timeoutMs / 1000)} s: ${reason}`);
}

async function waitForFrontend(address: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  await poll(
    `Temporal Server at ${address} did not answer`,
    timeoutMs,
    () => withConnection(address, async (c) => (await c.workflowService.getSystemInfo({})) && true),
    signal,
  );
}

/**
 * Register `namespace` (when missing) and our Keyword search attributes on it (those missing), then
 * wait until every frontend sees them. Safe to rerun; the compose file's setup step runs this too.
 */
export async function ensureTemporalNamespace(options: {
  /** The frontend's `host:port`, or full connection options (TLS, API key). */
  address: string | ConnectionOptions;
  namespace: string;
  searchAttributes: readonly string[];
  /** Days closed runs are kept in Temporal (default 30). */
  retentionDays?: number;
  log?: (line: string) => void;
  timeoutMs?: number;
}): Promise<{ namespaceCreated: boolean; added: string[] }> {
  const { namespace } = options;
  const log = options.log ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 60_000;
  return withConnection(options.address, async (c) => {
    let namespaceCreated = false;
    try {
      await c.workflowService.describeNamespace({ namespace });
    } catch {
      await c.workflowService.registerNamespace({
        namespace,
        workflowExecutionRetentionPeriod: msToTs(`${options.retentionDays ?? 30} days`),
      });
      namespaceCreated = true;
      log(`namespace ${namespace} created`);
    }
    // A new namespace reaches the frontend's cache within seconds; until then it is "not found".
    const existing = await poll(`namespace ${namespace} did not become available`, timeoutMs, async () => {
      const list = await c.operatorService.listSearchAttributes({ namespace });
      return new Set(Object.keys(list.customAttributes ?? {}));
    });
    const missing = options.searchAttributes.filter((name) => !existing?.has(name));
    if (missing.length) {
      await c.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD_INDEXED_VALUE_TYPE])),
      });
      log(`search attributes added: ${missing.join(', ')}`);
    }
    await poll(`search attributes of ${namespace} were not all registered`, timeoutMs, async () => {
      const list = await c.operatorService.listSearchAttributes({ namespace });
      const gone = options.searchAttributes.filter((name) => !list.customAttributes?.[name]);
      if (gone.length) throw new Error(`missing ${gone.join(', ')}`);
      return true;
    });
    return { namespaceCreated, added: missing };
  });
}
