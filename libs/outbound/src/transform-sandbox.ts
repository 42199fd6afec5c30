/**
 * The sandbox for endpoint transforms: a small pool of child processes, each with a hard V8 heap
 * limit (`--max-old-space-size`) and a wall-clock limit after which it is killed. JSONata's own
 * guardrails are checked only between evaluation steps, so one native step (`$pad("", 500000000)`)
 * could exhaust the whole worker; here it exhausts a sandbox process, which fails that one
 * evaluation with a TransformError naming the limit and is replaced on the next task.
 *
 * Processes, not `worker_threads`: a thread's `resourceLimits` are best effort, and a single large
 * allocation in a thread still aborts the whole process (seen with these very bombs; nodejs/node#47224).
 * A bounded queue keeps a burst of bombs from holding work back without end: past the limit a
 * caller gets a TransformSandboxUnavailableError (transient: the activity is retried later).
 * The processes get an empty environment: no secret of the worker's reaches them.
 *
 * A process runs transform.child.ts from source (tests, the swc hook) or the compiled
 * transform.child.js beside this file (dist/, what `npm run build` and the Dockerfile ship).
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { TransformLimits } from './transform';
import { TRANSFORM_LIMITS, TransformError, validateTransform } from './transform';
import type { TransformReply, TransformTask } from './transform.child';

/** The sandbox's limits (config `transforms`, env TRANSFORM_*). */
export interface TransformSandboxOptions {
  /** Sandbox processes evaluating at once. */
  poolSize: number;
  /** Per evaluation: JSONata's step-checked time limit; the process is killed a little after it. */
  timeoutMs: number;
  /** Per process: V8 heap (old generation) limit in MB; over it the process dies and the evaluation fails. */
  memoryMb: number;
  /** Evaluations waiting for a process; past it, new ones are refused as busy (and retried later). */
  queueLimit: number;
}

export const DEFAULT_TRANSFORM_SANDBOX: TransformSandboxOptions = {
  poolSize: 2,
  timeoutMs: TRANSFORM_LIMITS.timeoutMs,
  memoryMb: 64,
  queueLimit: 100,
};

/** The sandbox cannot take the evaluation now (busy, closed, or a process would not start): not the transform's fault. */
export class TransformSandboxUnavailableError extends Error {
  constructor(message: string) {
    super(`transform sandbox unavailable: ${message}`);
    this.name = 'TransformSandboxUnavailableError';
  }
}

/** How long a new process may take to load JSONata before the sandbox gives up on it. */
const START_TIMEOUT_MS = 30_000;

/** Loads the entry; from TypeScript source it first installs the swc hook, as jest does. */
const BOOTSTRAP = `
const { RULEFLOW_TRANSFORM_ENTRY: entry, RULEFLOW_TRANSFORM_SWC: swc } = process.env;
try {
  if (swc) {
    const fs = require('node:fs');
    const { transformSync } = require(swc);
    require.extensions['.ts'] = (module, filename) => module._compile(transformSync(fs.readFileSync(filename, 'utf8'), {
      filename, jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' },
    }).code, filename);
  }
  require(entry);
} catch (err) {
  process.send({ kind: 'broken', message: String((err && err.message) || err) }, () => process.exit(1));
}
`;

function childEnv(): Record<string, string> {
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `transform.child${ext}`);
  return ext === '.ts'
    ? { RULEFLOW_TRANSFORM_ENTRY: entry, RULEFLOW_TRANSFORM_SWC: require.resolve('@swc/core') }
    : { RULEFLOW_TRANSFORM_ENTRY: entry };
}

interface Job {
  expression: string;
  data: unknown;
  resolve(json: string): void;
  reject(err: Error): void;
}

/** One process: evaluates one task at a time; once it dies it stays dead and the pool starts another. */
class SandboxProcess {
  dead = false;
  readonly ready: Promise<void>;
  onIdle?: () => void;
  private readonly child: ChildProcess;
  private readonly exited: Promise<void>;
  private started!: () => void;
  private startFailed!: (err: Error) => void;
  private current: { id: number; job: Job; timer: NodeJS.Timeout } | undefined;
  private nextId = 1;

  constructor(private readonly options: TransformSandboxOptions) {
    this.ready = new Promise<void>((resolve, reject) => {
      this.started = resolve;
      this.startFailed = reject;
    });
    const semiSpaceMb = Math.max(1, Math.min(16, Math.floor(options.memoryMb / 8)));
    this.child = spawn(
      process.execPath,
      [`--max-old-space-size=${options.memoryMb}`, `--max-semi-space-size=${semiSpaceMb}`, '-e', BOOTSTRAP],
      { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: childEnv(), windowsHide: true },
    );
    const startTimer = setTimeout(
      () => this.die(new TransformSandboxUnavailableError('a sandbox process did not start in time')),
      START_TIMEOUT_MS,
    ).unref();
    const stopTimer = () => clearTimeout(startTimer);
    this.ready.then(stopTimer, stopTimer);
    this.child.on('message', (reply: TransformReply | { kind: 'broken'; message: string }) => this.onReply(reply));
    this.child.on('error', (err) => this.die(new TransformSandboxUnavailableError(err.message)));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.die(this.exitReason(code, signal));
        resolve();
      }),
    );
  }

  /** Kills the process (the task in flight fails with `reason`) and waits until it is gone. */
  stop(reason: Error): Promise<void> {
    this.die(reason);
    this.child.ref(); // so the caller's await sees the exit
    return this.child.exitCode !== null || this.child.signalCode !== null ? Promise.resolve() : this.exited;
  }

  /** Posts the job; its promise settles with the JSON text or a TransformError naming what stopped it. */
  evaluate(job: Job, limits: TransformLimits, killAfterMs: number): void {
    const id = this.nextId++;
    const timer = setTimeout(
      () =>
        this.die(
          new TransformError(`transform failed: ran longer than ${limits.timeoutMs} ms and was stopped`, 'time'),
        ),
      killAfterMs,
    );
    this.current = { id, job, timer };
    this.child.ref();
    this.child.channel?.ref();
    this.child.send({ id, expression: job.expression, data: job.data, limits } satisfies TransformTask);
  }

  /** Ends the process: the task in flight fails with `reason`; a process that never started fails as unavailable. */
  die(reason: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.startFailed(
      reason instanceof TransformSandboxUnavailableError
        ? reason
        : new TransformSandboxUnavailableError(`a sandbox process failed to start (${reason.message})`),
    );
    const current = this.current;
    this.child.kill('SIGKILL');
    this.settle();
    current?.job.reject(reason);
  }

  private onReply(reply: TransformReply | { kind: 'broken'; message: string }): void {
    if (reply.kind === 'ready') {
      this.started();
      this.idle();
      return;
    }
    if (reply.kind === 'broken') {
      this.die(new TransformSandboxUnavailableError(`a sandbox process failed to start (${reply.message})`));
      return;
    }
    const current = this.current;
    if (!current || current.id !== reply.id) return;
    // An evaluation stopped at a limit may leave its garbage near the heap limit (a time limit hit while
    // growing an object): retire the process so the next evaluation starts clean instead of dying for it.
    if (reply.kind === 'failed' && reply.limit) this.retire();
    this.settle();
    if (reply.kind === 'result') current.job.resolve(reply.json);
    else current.job.reject(new TransformError(reply.message, reply.limit));
  }

  /** Ends an idle process on purpose: nothing fails; the pool starts a fresh one for the next task. */
  private retire(): void {
    if (this.dead) return;
    this.dead = true;
    this.child.kill('SIGKILL');
  }

  private exitReason(code: number | null, signal: NodeJS.Signals | null): Error {
    // V8 aborts (SIGABRT, or SIGTRAP for its size checks) when the heap limit is reached.
    if (signal === 'SIGABRT' || signal === 'SIGTRAP' || code === 134) {
      return new TransformError(
        `transform failed: exceeded the memory limit of ${this.options.memoryMb} MB and was stopped`,
        'memory',
      );
    }
    return new TransformError(`transform failed: the sandbox process ended (${signal ?? `exit code ${code}`})`);
  }

  /** Frees the process for the next task. */
  private settle(): void {
    if (this.current) clearTimeout(this.current.timer);
    this.current = undefined;
    this.idle();
    this.onIdle?.();
  }

  /** An idle process does not keep the parent alive. */
  private idle(): void {
    this.child.unref();
    this.child.channel?.unref();
  }
}

/** A pool of sandbox processes; share one per worker process and close it on shutdown. */
export class TransformSandbox {
  private readonly options: TransformSandboxOptions;
  private readonly limits: TransformLimits;
  private readonly killAfterMs: number;
  private readonly slots: { proc?: SandboxProcess; busy: boolean }[];
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(options: Partial<TransformSandboxOptions> = {}) {
    this.options = { ...DEFAULT_TRANSFORM_SANDBOX, ...options };
    this.limits = { ...TRANSFORM_LIMITS, timeoutMs: this.options.timeoutMs };
    // JSONata's own timeout answers first when it can; the kill is for a single step that never returns.
    this.killAfterMs = this.options.timeoutMs + Math.max(250, Math.round(this.options.timeoutMs / 2));
    this.slots = Array.from({ length: this.options.poolSize }, () => ({ busy: false }));
  }

  /** `expression` over `data` in a sandbox process: the result as JSON text. */
  run(expression: string, data: unknown): Promise<string> {
    if (this.closed) return Promise.reject(new TransformSandboxUnavailableError('the sandbox is closed'));
    if (this.queue.length >= this.options.queueLimit) {
      return Promise.reject(
        new TransformSandboxUnavailableError(`busy: ${this.options.queueLimit} transforms are already waiting`),
      );
    }
    return new Promise<string>((resolve, reject) => {
      this.queue.push({ expression, data, resolve, reject });
      this.pump();
    });
  }

  /** Stops every process; waiting and running evaluations fail as unavailable. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new TransformSandboxUnavailableError('the sandbox is closed'));
    const closing = new TransformSandboxUnavailableError('the sandbox is closed');
    await Promise.all(this.slots.map((slot) => slot.proc?.stop(closing) ?? Promise.resolve()));
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.closed || this.queue.length === 0) return;
      if (slot.busy) continue;
      const job = this.queue.shift()!;
      slot.busy = true;
      void this.serve(slot, job);
    }
  }

  private async serve(slot: { proc?: SandboxProcess; busy: boolean }, job: Job): Promise<void> {
    if (!slot.proc || slot.proc.dead) slot.proc = new SandboxProcess(this.options);
    const proc = slot.proc;
    const free = () => {
      proc.onIdle = undefined;
      slot.busy = false;
      this.pump();
    };
    try {
      await proc.ready;
    } catch (err) {
      job.reject(err as Error);
      free();
      return;
    }
    proc.onIdle = free;
    proc.evaluate(job, this.limits, this.killAfterMs);
  }
}

let shared: TransformSandbox | undefined;

/** The process's shared sandbox, for callers not given one (the gateway's save check, tests); the first call's options win. */
export function sharedTransformSandbox(options?: Partial<TransformSandboxOptions>): TransformSandbox {
  shared ??= new TransformSandbox(options);
  return shared;
}

/** `expression` over `data` in the sandbox, within every limit; `undefined` results become `null`. */
export async function applyTransform(
  expression: string,
  data: unknown,
  sandbox: TransformSandbox = sharedTransformSandbox(),
): Promise<unknown> {
  return JSON.parse(await sandbox.run(expression, data)) as unknown;
}

/**
 * For saving an endpoint: the syntax, then a trial run on an empty object in the sandbox. Throws a
 * TransformError when the expression is invalid or the trial hits a limit (a bomb that needs no
 * data); an ordinary error of the expression on `{}` is no reason to refuse it, nor a busy sandbox.
 */
export async function checkTransform(
  expression: string,
  sandbox: TransformSandbox = sharedTransformSandbox(),
): Promise<void> {
  validateTransform(expression);
  try {
    await sandbox.run(expression, {});
  } catch (err) {
    if (err instanceof TransformError && err.limit) {
      throw new TransformError(
        `${err.message.replace(/^transform failed: /, '')} (tried on an empty object)`,
        err.limit,
      );
    }
  }
}
