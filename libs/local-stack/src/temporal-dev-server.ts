import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { failureDuringStartup, processCommandLine, sleep, spawnService, stopService, terminatePid } from './processes';
import { assertPortFree } from './ports';

/** `IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD` in temporal/api/enums/v1/common.proto. */
export const KEYWORD_INDEXED_VALUE_TYPE = 2;

/** Options for {@link startTemporalDevServer}. */
export interface TemporalDevServerOptions {
  cliPath: string;
  /** SQLite file for persistent state; in-memory when omitted. */
  dbFile?: string;
  /** `--sqlite-pragma NAME=VALUE` settings of the SQLite file (only with `dbFile`). */
  sqlitePragmas?: Readonly<Record<string, string>>;
  port: number;
  uiPort: number;
  headless?: boolean;
  namespace: string;
  /** Registered as Keyword search attributes. */
  searchAttributes: readonly string[];
  /** Extra `--dynamic-config-value KEY=JSON` settings. */
  dynamicConfig?: Record<string, unknown>;
  /** Server output, one line at a time. */
  log?: (line: string) => void;
  /** How long to wait for the server to answer gRPC (default 60 s). */
  startTimeoutMs?: number;
}

/** A running dev server. */
export interface TemporalDevServer {
  address: string;
  uiUrl: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The SQLite settings of the file-backed dev server that `npm start` runs (and the benchmarks measure):
 * write-ahead logging, synced at checkpoints rather than at every commit. A killed process (even kill -9)
 * loses nothing, since committed transactions are in the WAL file; a power loss or OS crash can lose the
 * transactions of the last moments (never corrupts the file). About 1.3–1.4× the throughput of SQLite's
 * defaults (rollback journal, fsync on every commit) here: see README "Benchmarks".
 */
export const FILE_BACKED_SQLITE_PRAGMAS: Readonly<Record<string, string>> = {
  journal_mode: 'wal',
  synchronous: 'normal',
};

/**
 * With a persistent db file, the server pid is kept beside it: after the launcher was killed, a
 * still-running server on the same file is stopped before we start (two servers on one SQLite
 * file would corrupt it, and the old one holds the ports).
 */
async function stopOrphanedServer(pidFile: string, dbFile: string, log: (line: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number.parseInt(readFileSync(pidFile, 'utf8').trim(), 10);
  } catch {
    return;
  }
  const cmd = processCommandLine(pid);
  if (cmd && cmd.includes('start-dev') && cmd.includes(dbFile)) {
    log(`stopping a Temporal dev server left running by an earlier launcher (pid ${pid})`);
    await terminatePid(pid, { signal: 'SIGTERM', timeoutMs: 15_000 });
  }
  rmSync(pidFile, { force: true });
}

/** Start `temporal server start-dev` and resolve once it answers gRPC with the namespace and search attributes ready. */
export async function startTemporalDevServer(options: TemporalDevServerOptions): Promise<TemporalDevServer> {
  const log = options.log ?? (() => undefined);
  const host = '127.0.0.1';
  const dbFile = options.dbFile ? path.resolve(options.dbFile) : undefined;
  const pidFile = dbFile ? `${dbFile}.pid` : undefined;
  if (dbFile && pidFile) {
    mkdirSync(path.dirname(dbFile), { recursive: true });
    await stopOrphanedServer(pidFile, dbFile, log);
  }
  await assertPortFree(options.port, 'TEMPORAL_DEV_PORT', 'Temporal dev server (gRPC)', host);
  if (!options.headless) await assertPortFree(options.uiPort, 'TEMPORAL_UI_PORT', 'Temporal Web UI', host);

  const args = ['server', 'start-dev', '--ip', host, '--port', String(options.port), '--log-level', 'warn'];
  if (options.headless) args.push('--headless');
  else args.push('--ui-port', String(options.uiPort), '--ui-disable-news-fetch');
  if (dbFile) args.push('--db-filename', dbFile);
  if (dbFile)
    for (const [name, value] of Object.entries(options.sqlitePragmas ?? {})) {
      args.push('--sqlite-pragma', `${name}=${value}`);
    }
  // "default" always exists; --namespace adds others.
  if (options.namespace !== 'default') args.push('--namespace', options.namespace);
  for (const name of options.searchAttributes) args.push('--search-attribute', `${name}=Keyword`);
  for (const [key, value] of Object.entries(options.dynamicConfig ?? {})) {
    args.push('--dynamic-config-value', `${key}=${JSON.stringify(value)}`);
  }

  let stopping = false;
  const recent: string[] = [];
  const child = spawnService(options.cliPath, args, {
    // The CLI reads TEMPORAL_* variables as defaults for its own flags; ours mean something else.
    env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_'))),
    parentDeathSignal: 'SIGTERM',
    onLine: (line) => {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      // Shutdown makes the server's internal pollers warn about closed connections: noise.
      if (line.trim() && (!stopping || /level=(ERROR|FATAL)/.test(line))) log(line);
    },
  });
  const failed = failureDuringStartup(child, (exit) =>
    exit instanceof Error
      ? new Error(`could not start ${options.cliPath}: ${exit.message}`)
      : new Error(
          `the Temporal dev server exited during start-up (${exit.signal ?? `code ${exit.code}`}):\n${recent.join('\n')}`,
        ),
  );
  const pid = child.pid;
  if (pid === undefined) return failed;
  if (pidFile) writeFileSync(pidFile, `${pid}\n`);

  const stop = async () => {
    stopping = true;
    await stopService(child, { signal: 'SIGTERM', timeoutMs: 15_000 });
    if (pidFile) rmSync(pidFile, { force: true });
  };
  const address = `${host}:${options.port}`;
  const giveUp = new AbortController();
  try {
    await Promise.race([waitUntilReady(address, options, options.startTimeoutMs ?? 60_000, giveUp.signal), failed]);
  } catch (err) {
    giveUp.abort();
    await stop();
    throw err;
  }
  return { address, uiUrl: `http://localhost:${options.uiPort}`, pid, stop };
}

/** Poll until the frontend answers, the namespace exists and every search attribute is registered. */
async function waitUntilReady(
  address: string,
  { namespace, searchAttributes }: Pick<TemporalDevServerOptions, 'namespace' | 'searchAttributes'>,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline && !signal.aborted) {
    let connection: Connection | undefined;
    try {
      connection = await Connection.connect({ address, connectTimeout: 2_000 });
      await connection.workflowService.getSystemInfo({});
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const missing = searchAttributes.filter((name) => !customAttributes?.[name]);
      if (missing.length === 0) return;
      lastError = new Error(`search attributes not registered yet: ${missing.join(', ')}`);
    } catch (err) {
      lastError = err;
    } finally {
      await connection?.close().catch(() => undefined);
    }
    await sleep(200);
  }
  // Start-up failed elsewhere (the process exited): the caller already has its error.
  if (signal.aborted) return;
  throw new Error(
    `the Temporal dev server at ${address} did not become ready within ${Math.round(timeoutMs / 1000)} s: ${
      (lastError as Error | undefined)?.message ?? 'no answer'
    }`,
  );
}
