/**
 * `npm start`: the whole system on one machine. Starts what is not configured (embedded PostgreSQL
 * without DATABASE_URL, a Temporal dev server without TEMPORAL_ADDRESS), applies migrations, runs
 * the worker and the gateway as child processes, and stops everything in order on Ctrl-C/SIGTERM:
 * gateway, worker, Temporal, PostgreSQL.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { EncryptionKeys, RuleflowConfig } from '@ruleflow/config';
import { ConfigError, encryptionKeyId, loadConfig, resolveEncryptionKeys } from '@ruleflow/config';
import { SEARCH_ATTRIBUTE_NAMES } from '@ruleflow/contract';
import { runMigrations } from '@ruleflow/entities';
import type { DataDirLock, EmbeddedPostgres, TemporalDevServer } from '@ruleflow/local-stack';
import {
  acquireDataDirLock,
  assertPortFree,
  findTemporalCli,
  labelled,
  parentWatchPreloadPath,
  signalPid,
  sleep,
  spawnService,
  startEmbeddedPostgres,
  startTemporalDevServer,
  FILE_BACKED_SQLITE_PRAGMAS,
  stopService,
  temporalCliHelp,
} from '@ruleflow/local-stack';

const say = labelled('ruleflow', 'green');
const sayError = (line: string) => say(line, 'stderr');

/** The folder holding package.json: from dist/scripts/start.js that is two levels up. */
function repoRoot(): string {
  let dir = __dirname;
  while (!existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the repository root above ${__dirname}`);
    dir = up;
  }
  return dir;
}

/**
 * The admin key the gateway guarantees at start: RULEFLOW_ADMIN_KEY when set, else one generated on
 * the first start and kept in `<dataDir>/admin.key` so it stays the same across restarts.
 */
function adminKey(config: RuleflowConfig): { key: string; source: string } {
  if (config.adminKey) return { key: config.adminKey, source: 'from RULEFLOW_ADMIN_KEY' };
  const file = path.join(config.dataDir, 'admin.key');
  const shown = path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file);
  const source = `kept in ${shown}; set RULEFLOW_ADMIN_KEY to choose your own`;
  try {
    const key = readFileSync(file, 'utf8').trim();
    if (key) return { key, source };
  } catch {
    // First start: create it below.
  }
  const key = `rf_${randomBytes(24).toString('base64url')}`;
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, source };
}

interface App {
  name: 'worker' | 'gateway';
  child: ChildProcess;
}

/** Everything started so far, stopped in reverse dependency order. */
class Stack {
  postgres?: EmbeddedPostgres;
  temporal?: TemporalDevServer;
  lock?: DataDirLock;
  apps: App[] = [];
  stopping = false;
  /** Services still starting: stop() waits for them so none is left running. */
  starting: Promise<unknown> = Promise.resolve();

  /** Stop in order: gateway (no new work), worker (hands back in-flight tasks), Temporal, PostgreSQL. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.starting;
    for (const name of ['gateway', 'worker'] as const) {
      const app = this.apps.find((a) => a.name === name);
      if (app) await stopService(app.child, { signal: 'SIGTERM', timeoutMs: 20_000 });
    }
    if (this.temporal) {
      say('stopping Temporal');
      await this.temporal.stop();
      this.temporal = undefined;
    }
    if (this.postgres) {
      say('stopping PostgreSQL');
      await this.postgres.stop();
      this.postgres = undefined;
    }
    this.lock?.release();
  }

  /** Last resort when this process exits without stop() (a crash): the detached services stop themselves. */
  signalAllSync(): void {
    for (const app of this.apps) if (app.child.pid && app.child.exitCode === null) signalPid(app.child.pid, 'SIGTERM');
    if (this.temporal) signalPid(this.temporal.pid, 'SIGTERM');
    if (this.postgres) signalPid(this.postgres.pid, 'SIGINT');
  }
}

const stack = new Stack();
let exiting = false;

async function shutdown(code: number, reason?: string): Promise<never> {
  if (exiting) return new Promise<never>(() => undefined);
  exiting = true;
  if (reason) say(reason, code === 0 ? 'stdout' : 'stderr');
  try {
    await stack.stop();
  } catch (err) {
    sayError(`error while stopping: ${(err as Error).message}`);
    code = code || 1;
  }
  say(code === 0 ? 'stopped' : `stopped (exit code ${code})`);
  process.exit(code);
}

function spawnApp(name: App['name'], root: string, env: NodeJS.ProcessEnv): App {
  const entry = path.join(root, 'dist', 'apps', name, 'src', 'main.js');
  if (!existsSync(entry)) throw new Error(`${entry} does not exist: run \`npm run build\` (npm start does it for you)`);
  const preload = parentWatchPreloadPath();
  const args = ['--enable-source-maps', ...(preload ? ['--require', preload] : []), entry];
  const out = labelled(name, name === 'worker' ? 'cyan' : 'magenta');
  const child = spawnService(process.execPath, args, { cwd: root, env, parentDeathSignal: 'SIGTERM', onLine: out });
  child.once('error', (err) => void shutdown(1, `could not start the ${name}: ${err.message}`));
  child.once('exit', (code, signal) => {
    if (!stack.stopping)
      void shutdown(1, `the ${name} exited unexpectedly (${signal ?? `code ${code}`}); stopping everything`);
  });
  return { name, child };
}

/** Resolve when the gateway's /health says 200 (or, for a gateway without /health, when it answers at all). */
async function waitForGateway(config: RuleflowConfig): Promise<void> {
  const host = ['0.0.0.0', '::', ''].includes(config.http.host) ? '127.0.0.1' : config.http.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}/health`;
  const started = Date.now();
  let warned = false;
  for (;;) {
    if (stack.stopping) return new Promise(() => undefined);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
      if (res.status === 200 || res.status === 404) return;
    } catch {
      // Not listening yet.
    }
    if (!warned && Date.now() - started > 60_000) {
      warned = true;
      sayError(`still waiting for ${url} to answer 200 (PostgreSQL or Temporal unreachable?)`);
    }
    await sleep(300);
  }
}

async function main(): Promise<void> {
  let config: RuleflowConfig;
  let encryption: EncryptionKeys;
  try {
    config = loadConfig();
    // Resolved once, before anything starts (generated into <dataDir>/encryption.key on the first
    // start), and handed to both children so the worker opens exactly what the gateway seals.
    encryption = resolveEncryptionKeys(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      sayError(err.message);
      process.exit(1);
    }
    throw err;
  }
  const root = repoRoot();
  const started = Date.now();

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // npm, the bootstrap and the terminal may each deliver the same Ctrl-C: the first one counts.
    process.on(signal, () => void shutdown(0, `${signal} received, stopping`));
  }
  process.on('exit', () => stack.signalAllSync());
  process.on('uncaughtException', (err) => void shutdown(1, `unexpected error: ${err.stack ?? err.message}`));
  process.on(
    'unhandledRejection',
    (err) => void shutdown(1, `unexpected error: ${(err as Error)?.stack ?? String(err)}`),
  );

  const embeddedPg = !config.database.url;
  const devTemporal = !config.temporal.address;
  const cliPath = devTemporal ? findTemporalCli(config.temporal.cliPath) : undefined;
  if (devTemporal && !cliPath) {
    sayError(temporalCliHelp(config.temporal.cliPath));
    process.exit(1);
  }
  if (embeddedPg || devTemporal) stack.lock = acquireDataDirLock(config.dataDir, 'start');
  await assertPortFree(config.http.port, 'PORT', 'gateway HTTP', config.http.host || '0.0.0.0');

  // PostgreSQL and Temporal are independent: start them side by side.
  const services = Promise.allSettled([
    embeddedPg
      ? startEmbeddedPostgres({
          dataDir: config.dataDir,
          port: config.database.embeddedPort,
          log: labelled('postgres', 'blue'),
        }).then((p) => (stack.postgres = p))
      : undefined,
    devTemporal
      ? startTemporalDevServer({
          cliPath: cliPath!,
          dbFile: path.join(config.dataDir, 'temporal.db'),
          sqlitePragmas: FILE_BACKED_SQLITE_PRAGMAS,
          port: config.temporal.devPort,
          uiPort: config.temporal.uiPort,
          namespace: config.temporal.namespace,
          searchAttributes: SEARCH_ATTRIBUTE_NAMES,
          log: labelled('temporal', 'yellow'),
        }).then((t) => (stack.temporal = t))
      : undefined,
  ]);
  stack.starting = services;
  const [pg, temporal] = await services;
  if (exiting) return;
  if (pg.status === 'rejected') return void shutdown(1, `PostgreSQL: ${(pg.reason as Error).message}`);
  if (temporal.status === 'rejected') return void shutdown(1, `Temporal: ${(temporal.reason as Error).message}`);

  const databaseUrl = stack.postgres?.url ?? config.database.url!;
  const temporalAddress = stack.temporal?.address ?? config.temporal.address!;
  if (stack.postgres) {
    stack.lock?.update({ databaseUrl });
    say(
      `PostgreSQL ready on 127.0.0.1:${config.database.embeddedPort} (data in ${path.join(config.dataDir, 'postgres')})`,
    );
  }
  if (stack.temporal)
    say(`Temporal dev server ready on ${temporalAddress} (state in ${path.join(config.dataDir, 'temporal.db')})`);

  const applied = await runMigrations(databaseUrl);
  say(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
  if (exiting) return;

  const admin = adminKey(config);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RULEFLOW_ADMIN_KEY: admin.key,
    RULEFLOW_ENCRYPTION_KEY: encryption.current.toString('base64'),
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    RULEFLOW_DATA_DIR: config.dataDir,
    // The children write to pipes; keep colours when we are on a terminal.
    ...(process.stdout.isTTY && !process.env.NO_COLOR && !process.env.FORCE_COLOR ? { FORCE_COLOR: '1' } : {}),
  };
  stack.apps.push(spawnApp('worker', root, env));
  stack.apps.push(spawnApp('gateway', root, env));

  await waitForGateway(config);
  if (exiting) return;
  const api = config.http.publicUrl.replace(/\/+$/, '');
  say(`Ruleflow is up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  say(`  API          ${api}`);
  say(`  API docs     ${api}/docs`);
  say(`  Temporal UI  ${config.temporal.uiUrl}`);
  say(`  Admin key    ${admin.key.slice(0, 7)}…   (${admin.source})`);
  say(`  Secrets key  id ${encryptionKeyId(encryption.current)}   (${encryption.source})`);
  say('  Stop with Ctrl-C.');
}

main().catch((err: unknown) => void shutdown(1, err instanceof Error ? err.message : String(err)));
