/**
 * IVR benchmark: N concurrent calls (default 200, `--calls N`) walk a menu tree (root → submenu, repeat,
 * back, agent) through the real system: session started over HTTP (row + workflow `ivr-<id>`), then each
 * digit as POST /v1/ivr/sessions/:id/input (or /back), answered after the workflow took it and mirrored
 * it into PostgreSQL. Digit→answer latency is the HTTP round trip of each input. Side by side, in the
 * same run on the same dev server: the same Updates sent to the same session workflows through the
 * Temporal client directly (no HTTP, no auth: what is left is the workflow and its mirror activity), and
 * a hand-written workflow with one Update handler that answers at once (scripts/bench/plain-update.workflow.ts)
 * driven the same way, so the cost of each layer is visible.
 *
 * Callers behave like callers (`--think-ms 2000-6000`, the default): each listens to its prompt for a random
 * 2–6 s before pressing, and the calls arrive spread over the first 6 s, so all N are on the line at once;
 * `--think-ms 0` instead presses back to back as fast as answers come (a saturation test: its latency is
 * queueing, N callers / throughput). Random draws are seeded, so every path gets the same schedule.
 * The dev server is file-backed as under `npm start` (`--temporal-db` changes that: see bench-stack.ts).
 *
 * `--trace` prints where each press's time went, stage by stage (ivr-trace.ts).
 *
 *   npm run bench -- ivr [--calls 200] [--think-ms 2000-6000] [--trace] [--path http|client|plain]
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { ivrBackUpdate, ivrInputUpdate, ivrSessionWorkflowId } from '@ruleflow/contract';
import { cpuByCommand, cpuPerMessage, quantile } from './bench-http';
import { flagValue, intFlag, startBenchStack, startBenchSystem } from './bench-stack';
import { IvrTracer } from './ivr-trace';
import { plainPress } from './plain-update.workflow';

export interface IvrBenchResult {
  path: string;
  calls: number;
  /** The pause before each press, e.g. `2000-6000 ms` or `none`. */
  think: string;
  /** The most calls in progress at once. */
  peakCalls: number;
  startsPerSecond: number;
  startP50Ms: number;
  startP99Ms: number;
  /** Presses answered or refused (a refused press counts with the time until its error). */
  inputs: number;
  digitP50Ms: number;
  digitP95Ms: number;
  digitP99Ms: number;
  errors: number;
  wallSeconds: number;
  /** How long callbacks of this process waited (the gateway and worker share it here). */
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
  /** CPU ms per press (starts included) by process: `bench` is the gateway, worker and callers. */
  cpuPerPress: string;
  /**
   * The `bench` process's share by thread: `main` (gateway, activities, callers), `js-thread` (the busiest
   * other Node thread: a worker's workflow thread), `js-others`, and the Temporal core's threads by name.
   */
  threadCpuPerPress: string;
}

/** CPU seconds of each thread of this process so far (Linux; empty elsewhere), by thread id. */
function threadCpu(): Map<string, { comm: string; seconds: number }> {
  const out = new Map<string, { comm: string; seconds: number }>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        const close = stat.lastIndexOf(')');
        const fields = stat.slice(close + 2).split(' ');
        out.set(tid, {
          comm: stat.slice(stat.indexOf('(') + 1, close),
          seconds: (Number(fields[11]) + Number(fields[12])) / 100,
        });
      } catch {
        // the thread ended meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return out;
}

function threadCpuPerPress(before: Map<string, { comm: string; seconds: number }>, presses: number): string {
  const used = new Map<string, number>();
  const others: number[] = [];
  for (const [tid, { comm, seconds }] of threadCpu()) {
    const delta = seconds - (before.get(tid)?.seconds ?? 0);
    if (tid === String(process.pid)) used.set('main', delta);
    else if (comm === 'node') others.push(delta);
    else used.set(comm, (used.get(comm) ?? 0) + delta);
  }
  others.sort((a, b) => b - a);
  used.set('js-thread', others[0] ?? 0);
  used.set(
    'js-others',
    others.slice(1).reduce((a, b) => a + b, 0),
  );
  return [...used]
    .filter(([, seconds]) => seconds >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([name, seconds]) => `${name} ${((seconds / presses) * 1000).toFixed(1)}`)
    .join(', ');
}

/** Each call's presses after the start: repeat, into the submenu, back (POST /back), in again, back (item), agent. */
export const IVR_BENCH_PRESSES = ['9', '1', 'back', '1', '*', '0'] as const;

type Press = (typeof IVR_BENCH_PRESSES)[number];

interface Driver {
  name: string;
  /** Starts one call; returns its handle (a session id or a workflow id). */
  start(i: number): Promise<string>;
  press(handle: string, key: Press): Promise<void>;
  /** The workflow a handle drives (for `--trace`). */
  workflowId(handle: string): string;
}

/** The pause before each press: a uniform draw from [min, max] ms (0–0: none). */
export interface ThinkTime {
  minMs: number;
  maxMs: number;
}

/** `--think-ms MIN-MAX` (or one number, or 0) from the command line; 2000-6000 by default. */
export function ivrBenchThink(argv: string[] = process.argv.slice(2)): ThinkTime {
  const raw = flagValue(argv, 'think-ms') ?? '2000-6000';
  const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(raw);
  const minMs = Number(match?.[1]);
  const maxMs = Number(match?.[2] ?? match?.[1]);
  if (!match || maxMs < minMs) throw new Error('--think-ms must be MIN-MAX in ms (e.g. 2000-6000), or one number');
  return { minMs, maxMs };
}

/** A small seeded generator (mulberry32): every path is driven with the same pauses. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pause = (ms: number) => (ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms)) : Promise.resolve());

/**
 * `calls` callers, each starting its call and pressing the keys one after the other, pausing `think`
 * before each press; with a think time the calls arrive spread over the longest pause.
 */
async function drive(driver: Driver, calls: number, think: ThinkTime, tracer?: IvrTracer): Promise<IvrBenchResult> {
  const starts: number[] = [];
  const digits: number[] = [];
  let errors = 0;
  let lastStartAt = 0;
  let live = 0;
  let peakCalls = 0;
  const random = seeded(calls);
  const draw = () => think.minMs + random() * (think.maxMs - think.minMs);
  // How long this process (gateway, worker and callers alike) kept callbacks waiting.
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpu0 = cpuByCommand();
  const threads0 = threadCpu();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: calls }, async (_, i) => {
      const arrival = random() * think.maxMs;
      const pauses = IVR_BENCH_PRESSES.map(draw);
      await pause(arrival);
      let handle: string;
      const s0 = performance.now();
      live++;
      peakCalls = Math.max(peakCalls, live);
      try {
        handle = await driver.start(i);
      } catch (err) {
        errors++;
        live--;
        if (errors === 1) console.error(`${driver.name}: start failed: ${(err as Error).message}`);
        return;
      }
      const s1 = performance.now();
      starts.push(s1 - s0);
      lastStartAt = Math.max(lastStartAt, s1);
      for (const [n, key] of IVR_BENCH_PRESSES.entries()) {
        await pause(pauses[n]!);
        const d0 = performance.now();
        const sentAt = Date.now();
        try {
          await driver.press(handle, key);
          tracer?.presses.push({ workflowId: driver.workflowId(handle), n, sentAt, answeredAt: Date.now() });
        } catch (err) {
          // A refused press (the gateway's 503 after its 15 s deadline) is an answer the caller waited
          // for: its time counts, so failures cannot flatter the percentiles; the call stops there.
          digits.push(performance.now() - d0);
          errors++;
          live--;
          if (errors === 1) console.error(`${driver.name}: press ${key} failed: ${(err as Error).message}`);
          return;
        }
        digits.push(performance.now() - d0);
      }
      live--;
    }),
  );
  const wall = performance.now() - t0;
  const cpuPerPress = cpuPerMessage(cpu0, cpuByCommand(), Math.max(1, digits.length));
  const threadsPerPress = threadCpuPerPress(threads0, Math.max(1, digits.length));
  loop.disable();
  starts.sort((a, b) => a - b);
  digits.sort((a, b) => a - b);
  return {
    path: driver.name,
    calls,
    think: think.maxMs > 0 ? `${think.minMs}-${think.maxMs} ms` : 'none',
    peakCalls,
    startsPerSecond: Math.round((starts.length / ((lastStartAt - t0) / 1000)) * 10) / 10,
    startP50Ms: quantile(starts, 0.5),
    startP99Ms: quantile(starts, 0.99),
    inputs: digits.length,
    digitP50Ms: quantile(digits, 0.5),
    digitP95Ms: quantile(digits, 0.95),
    digitP99Ms: quantile(digits, 0.99),
    errors,
    wallSeconds: Math.round(wall / 100) / 10,
    eventLoopDelayP99Ms: Math.round(loop.percentile(99) / 1e5) / 10,
    eventLoopDelayMaxMs: Math.round(loop.max / 1e5) / 10,
    cpuPerPress,
    threadCpuPerPress: threadsPerPress,
  };
}

/**
 * Runs on a throw-away PostgreSQL and Temporal dev server with the gateway and the Ruleflow worker in
 * this process (as `npm start` runs them), plus a second worker for the plain workflow.
 */
export async function runIvrBench(
  calls = 200,
  think: ThinkTime = ivrBenchThink(),
  trace = false,
): Promise<IvrBenchResult[]> {
  const stack = await startBenchStack({ TEMPORAL_TASK_QUEUE: 'bench-ivr' });
  const { key } = await stack.seedTenant('bench');

  const plainQueue = 'bench-ivr-plain';
  const system = await startBenchSystem(stack, key, {
    taskQueue: plainQueue,
    workflowsPath: require.resolve('./plain-update.workflow'),
  });
  const { client, post } = system;
  try {
    const sales = await post(
      '/v1/ivr/menus',
      {
        name: 'Sales',
        prompt: 'Press 1 for a quote, star to go back.',
        timeoutMs: 120_000,
        items: [
          { digit: '1', label: 'Quote', action: 'transfer', target: '+15550002' },
          { digit: '*', label: 'Back', action: 'back' },
        ],
      },
      201,
    );
    const root = await post(
      '/v1/ivr/menus',
      {
        name: 'Main',
        prompt: 'Press 1 for sales, 9 to hear this again, 0 for an agent.',
        timeoutMs: 120_000,
        items: [
          { digit: '1', label: 'Sales', action: 'submenu', target: sales.id },
          { digit: '9', label: 'Repeat', action: 'repeat' },
          { digit: '0', label: 'Agent', action: 'agent', target: 'queue-bench' },
        ],
      },
      201,
    );
    let seq = 0;
    const startSession = async () => {
      const started = await post('/v1/ivr/sessions', { menuId: root.id, callId: `CA-bench-${++seq}` }, 201);
      return started.sessionId as string;
    };
    const ruleflowHttp: Driver = {
      name: 'Ruleflow over HTTP (gateway → Update → mirror)',
      start: startSession,
      press: async (sessionId, k) => {
        await (k === 'back'
          ? post(`/v1/ivr/sessions/${sessionId}/back`, {}, 200)
          : post(`/v1/ivr/sessions/${sessionId}/input`, { digit: k }, 200));
      },
      workflowId: ivrSessionWorkflowId,
    };
    const ruleflowDirect: Driver = {
      name: 'same session workflow, Updates by Temporal client',
      start: startSession,
      press: async (sessionId, k) => {
        const handle = client.workflow.getHandle(ivrSessionWorkflowId(sessionId));
        await (k === 'back'
          ? handle.executeUpdate(ivrBackUpdate)
          : handle.executeUpdate(ivrInputUpdate, { args: [{ digit: k }] }));
      },
      workflowId: ivrSessionWorkflowId,
    };
    const plain: Driver = {
      name: 'plain workflow, one Update answering at once',
      start: async () => {
        const handle = await client.workflow.start('PlainUpdateWorkflow', {
          workflowId: `plain-${randomUUID()}`,
          taskQueue: plainQueue,
        });
        return handle.workflowId;
      },
      press: async (workflowId, k) => {
        await client.workflow.getHandle(workflowId).executeUpdate(plainPress, { args: [k] });
      },
      workflowId: (workflowId) => workflowId,
    };
    // `--path http|client|plain`: one path only (a CPU profile of one path, say); all three by default.
    const only = flagValue(process.argv.slice(2), 'path');
    const drivers = [
      ['http', ruleflowHttp],
      ['client', ruleflowDirect],
      ['plain', plain],
    ]
      .filter(([name]) => !only || only === name)
      .map(([, driver]) => driver as Driver);
    // Warm-up (JIT, pools, the workflow bundles and caches): 50 quick calls on every path, so the first
    // path measured starts as warm as the last.
    for (const driver of drivers) await drive(driver, Math.min(calls, 50), { minMs: 100, maxMs: 300 });
    const results: IvrBenchResult[] = [];
    const tracer = trace ? new IvrTracer() : undefined;
    tracer?.install();
    try {
      for (const driver of drivers) {
        tracer?.reset();
        results.push(await drive(driver, calls, think, tracer));
        if (tracer) {
          const sessionIdOf = (workflowId: string) => (workflowId.startsWith('ivr-') ? workflowId.slice(4) : null);
          for (const line of await tracer.report(client, sessionIdOf)) console.log(`${driver.name}: ${line}`);
        }
      }
    } finally {
      tracer?.uninstall();
    }
    return results;
  } finally {
    await system.close();
    await stack.stop();
  }
}

/** `--calls N` from the command line, else 200. */
export function ivrBenchCalls(argv: string[] = process.argv.slice(2)): number {
  return intFlag(argv, 'calls', 200, 5000);
}

async function main(): Promise<void> {
  console.table(await runIvrBench(ivrBenchCalls(), ivrBenchThink(), process.argv.includes('--trace')));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
