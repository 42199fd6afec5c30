import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

/** True when a process with this pid exists (EPERM means it exists but belongs to someone else). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a running process, or undefined when it is gone or cannot be read. */
export function processCommandLine(pid: number): string | undefined {
  if (!isProcessAlive(pid)) return undefined;
  try {
    // Linux: NUL-separated argv. Zombies have an empty cmdline, which we treat as "gone".
    const raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return raw.split('\0').filter(Boolean).join(' ') || undefined;
  } catch {
    // No /proc (macOS): ask ps.
    try {
      const out = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', timeout: 5000 });
      return out.trim() || undefined;
    } catch {
      return undefined;
    }
  }
}

/** Resolve when the pid no longer exists; false when it is still alive after timeoutMs. */
export async function waitForPidExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isProcessAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

/** Signal a pid, then SIGKILL it when it has not exited within timeoutMs. Resolves once it is gone. */
export async function terminatePid(
  pid: number,
  options: { signal?: NodeJS.Signals; timeoutMs?: number } = {},
): Promise<void> {
  if (!signalPid(pid, options.signal ?? 'SIGTERM')) return;
  if (await waitForPidExit(pid, options.timeoutMs ?? 10_000)) return;
  signalPid(pid, 'SIGKILL');
  await waitForPidExit(pid, 5_000);
}

/** Send a signal, ignoring "no such process". Returns false when the process was already gone. */
export function signalPid(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Promise-based sleep. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

let setprivPath: string | null | undefined;

/**
 * `setpriv --pdeathsig` (util-linux) makes the kernel signal a child when its parent dies, even by
 * `kill -9`. Node cannot set PR_SET_PDEATHSIG itself, so on Linux we exec through setpriv when present.
 */
function findSetpriv(): string | undefined {
  if (setprivPath !== undefined) return setprivPath ?? undefined;
  setprivPath = null;
  if (process.platform === 'linux') {
    for (const dir of (process.env.PATH ?? '').split(path.delimiter).concat(['/usr/bin', '/bin'])) {
      const candidate = path.join(dir, 'setpriv');
      if (dir && existsSync(candidate)) {
        try {
          const help = execFileSync(candidate, ['--help'], { encoding: 'utf8', timeout: 5000 });
          if (help.includes('--pdeathsig')) setprivPath = candidate;
        } catch {
          // An old setpriv without --pdeathsig: fall back to pid files and exit handlers.
        }
        break;
      }
    }
  }
  return setprivPath ?? undefined;
}

/** Options for {@link spawnService}. */
export interface ServiceSpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Signal the kernel sends the service when this process dies (Linux with setpriv only). */
  parentDeathSignal?: NodeJS.Signals;
  /** Each line of stdout and stderr, as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/**
 * Spawn a long-running service in its own process group (so a terminal Ctrl-C reaches only the
 * launcher, which then stops services in order) that dies with this process where the OS allows.
 */
export function spawnService(command: string, args: string[], options: ServiceSpawnOptions = {}): ChildProcess {
  const setpriv = options.parentDeathSignal ? findSetpriv() : undefined;
  const [file, argv] = setpriv
    ? [setpriv, ['--pdeathsig', options.parentDeathSignal!.replace(/^SIG/, ''), '--', command, ...args]]
    : [command, args];
  const spawnOptions: SpawnOptions = {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    uid: options.uid,
    gid: options.gid,
  };
  const child = spawn(file, argv, spawnOptions);
  const onLine = options.onLine;
  if (child.stdout) forEachLine(child.stdout, (line) => onLine?.(line, 'stdout'));
  if (child.stderr) forEachLine(child.stderr, (line) => onLine?.(line, 'stderr'));
  return child;
}

/**
 * A promise that rejects when the child fails to spawn or exits, for racing against a readiness check.
 * It is marked handled, so an exit after start-up (a normal stop) is not an unhandled rejection.
 */
export function failureDuringStartup(
  child: ChildProcess,
  describe: (exit: { code: number | null; signal: NodeJS.Signals | null } | Error) => Error,
): Promise<never> {
  const failure = new Promise<never>((_, reject) => {
    child.once('error', (err) => reject(describe(err)));
    void waitForExit(child).then((exit) => reject(describe(exit)));
  });
  failure.catch(() => undefined);
  return failure;
}

/** Call fn for each line of a readable stream. */
export function forEachLine(stream: NodeJS.ReadableStream, fn: (line: string) => void): void {
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  rl.on('line', fn);
}

/** Resolve with the exit code (or signal) of a child; immediately when it has already exited. */
export function waitForExit(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/**
 * Stop a child spawned by {@link spawnService}: signal it, wait, then SIGKILL its whole process group
 * so no grandchild survives.
 */
export async function stopService(
  child: ChildProcess,
  options: { signal?: NodeJS.Signals; timeoutMs?: number } = {},
): Promise<void> {
  const exited = waitForExit(child);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  signalPid(pid, options.signal ?? 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), options.timeoutMs ?? 10_000))),
  ]);
  // A pending timer would keep the event loop (a jest run, the launcher) alive for the whole timeout.
  clearTimeout(timer);
  if (timedOut) {
    if (!signalPid(-pid, 'SIGKILL')) signalPid(pid, 'SIGKILL');
    await exited;
  } else {
    // The leader is gone; leftovers in its group would be orphans.
    signalPid(-pid, 'SIGKILL');
  }
}

/** Path of the compiled preload that makes a child node process exit when its parent dies (undefined from sources). */
export function parentWatchPreloadPath(): string | undefined {
  const compiled = path.join(__dirname, 'parent-watch.js');
  return existsSync(compiled) ? compiled : undefined;
}
