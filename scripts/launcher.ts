/**
 * What the launchers share (`npm start`: scripts/start.ts; `npm run cluster`: scripts/cluster.ts): the
 * admin key, the child apps, waiting for a gateway, and stopping everything in order on Ctrl-C/SIGTERM:
 * gateways, workers, Temporal, PostgreSQL.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { DataDirLock, EmbeddedPostgres, LabelColor } from '@ruleflow/local-stack';
import { labelled, parentWatchPreloadPath, signalPid, sleep, spawnService, stopService } from '@ruleflow/local-stack';

export const say = labelled('ruleflow', 'green');
export const sayError = (line: string) => say(line, 'stderr');

/** The repository root (the folder holding package.json), from source or from dist. */
export { repoRoot } from '@ruleflow/workflows/bundler-options';

/**
 * The admin key the gateway guarantees at start: `configured` (RULEFLOW_ADMIN_KEY) when set, else one
 * generated on the first start and kept in `<dir>/admin.key` so it stays the same across restarts.
 */
export function adminKey(configured: string | undefined, dir: string): { key: string; source: string } {
  if (configured) return { key: configured, source: 'from RULEFLOW_ADMIN_KEY' };
  const file = path.join(dir, 'admin.key');
  const shown = path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file);
  const source = `kept in ${shown}; set RULEFLOW_ADMIN_KEY to choose your own`;
  try {
    const key = readFileSync(file, 'utf8').trim();
    if (key) return { key, source };
  } catch {
    // First start: create it below.
  }
  const key = `rf_${randomBytes(24).toString('base64url')}`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, source };
}

/** A Temporal server the launcher started (the dev server or the real one). */
export interface StartedTemporal {
  address: string;
  pid: number;
  stop(): Promise<void>;
}

export interface App {
  name: 'worker' | 'gateway';
  /** Output label, e.g. `gateway` or `gateway-2`. */
  label: string;
  child: ChildProcess;
}

/** Everything started so far, stopped in reverse dependency order. */
export class Stack {
  postgres?: EmbeddedPostgres;
  temporal?: StartedTemporal;
  lock?: DataDirLock;
  apps: App[] = [];
  stopping = false;
  /** Services still starting: stop() waits for them so none is left running. */
  starting: Promise<unknown> = Promise.resolve();
  private exiting = false;

  /** Stop in order: gateways (no new work), workers (hand back in-flight tasks), Temporal, PostgreSQL. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.starting;
    for (const name of ['gateway', 'worker'] as const) {
      const apps = this.apps.filter((a) => a.name === name);
      await Promise.all(apps.map((app) => stopService(app.child, { signal: 'SIGTERM', timeoutMs: 20_000 })));
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

  get isExiting(): boolean {
    return this.exiting;
  }

  /** Stop everything once (later calls wait forever) and exit with `code`. */
  async shutdown(code: number, reason?: string): Promise<never> {
    if (this.exiting) return new Promise<never>(() => undefined);
    this.exiting = true;
    if (reason) say(reason, code === 0 ? 'stdout' : 'stderr');
    try {
      await this.stop();
    } catch (err) {
      sayError(`error while stopping: ${(err as Error).message}`);
      code = code || 1;
    }
    say(code === 0 ? 'stopped' : `stopped (exit code ${code})`);
    process.exit(code);
  }

  /** Ctrl-C, SIGTERM and SIGHUP stop everything; so do uncaught errors; a crash of this process signals the rest. */
  handleSignals(): void {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      // npm, the bootstrap and the terminal may each deliver the same Ctrl-C: the first one counts.
      process.on(signal, () => void this.shutdown(0, `${signal} received, stopping`));
    }
    process.on('exit', () => this.signalAllSync());
    process.on('uncaughtException', (err) => void this.shutdown(1, `unexpected error: ${err.stack ?? err.message}`));
    process.on(
      'unhandledRejection',
      (err) => void this.shutdown(1, `unexpected error: ${(err as Error)?.stack ?? String(err)}`),
    );
  }

  /** Start `dist/apps/<name>/src/main.js` as a child; its exit (unless we are stopping) stops everything. */
  spawnApp(name: App['name'], root: string, env: NodeJS.ProcessEnv, label: string = name): App {
    const entry = path.join(root, 'dist', 'apps', name, 'src', 'main.js');
    if (!existsSync(entry)) {
      throw new Error(`${entry} does not exist: run \`npm run build\` (npm start does it for you)`);
    }
    const preload = parentWatchPreloadPath();
    const args = ['--enable-source-maps', ...(preload ? ['--require', preload] : []), entry];
    const color: LabelColor = name === 'worker' ? 'cyan' : 'magenta';
    const child = spawnService(process.execPath, args, {
      cwd: root,
      env,
      parentDeathSignal: 'SIGTERM',
      onLine: labelled(label, color),
    });
    child.once('error', (err) => void this.shutdown(1, `could not start the ${label}: ${err.message}`));
    child.once('exit', (code, signal) => this.onAppExit(label, code, signal));
    const app = { name, label, child };
    this.apps.push(app);
    return app;
  }

  /**
   * An app that exits stops everything, unless `survivable` (the cluster) and another app of its kind
   * still runs: then the others carry its work on.
   */
  survivable = false;

  private onAppExit(label: string, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping) return;
    const how = signal ?? `code ${code}`;
    const app = this.apps.find((a) => a.label === label);
    const alive = this.apps.filter(
      (a) => a.name === app?.name && a.child.exitCode === null && a.child.signalCode === null,
    );
    if (this.survivable && alive.length > 0) {
      sayError(`the ${label} exited unexpectedly (${how}); ${alive.map((a) => a.label).join(', ')} carry on`);
      return;
    }
    void this.shutdown(1, `the ${label} exited unexpectedly (${how}); stopping everything`);
  }

  /** Resolve when `<base>/health` says 200 (or, for a gateway without /health, when it answers at all). */
  async waitForGateway(base: string): Promise<void> {
    const url = `${base}/health`;
    const started = Date.now();
    let warned = false;
    for (;;) {
      if (this.stopping) return new Promise(() => undefined);
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
}

/** The URL a local client reaches a gateway on, for `host` (the listen address) and `port`. */
export function localGatewayUrl(host: string, port: number): string {
  const h = ['0.0.0.0', '::', ''].includes(host) ? '127.0.0.1' : host;
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}
