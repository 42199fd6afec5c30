/**
 * Memory benchmark: the worker's resident memory with many rule runs open at once. The worker runs as
 * its own process (`dist/apps/worker/src/main.js`, as `npm start` runs it); the gateway here takes
 * `--runs 1000` events for a rule whose first action is a 10-minute `delay`, so every run is open,
 * waiting on its timer, when the worker's RSS is read (from /proc, Linux). Reported: RSS before the
 * load, with every run open, and the workflow cache the worker kept.
 *
 *   npm run bench -- memory [--runs 1000]
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createGatewayApp } from '../../apps/gateway/src/app.factory';
import { pool } from './bench-http';
import { intFlag, startBenchStack } from './bench-stack';

export interface MemoryBenchResult {
  openRuns: number;
  rssBeforeMiB: number;
  rssWithRunsOpenMiB: number;
  /** Seconds from the first event until every run was waiting in its delay. */
  secondsToOpenAll: number;
}

/** `--runs N` from the command line (1000 by default). */
export function memoryBenchRuns(argv: string[] = process.argv.slice(2)): number {
  return intFlag(argv, 'runs', 1000, 20_000);
}

/** Resident memory of a process in MiB (VmRSS), or NaN when it cannot be read. */
function rssMiB(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 102.4) / 10 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runMemoryBench(runs = memoryBenchRuns()): Promise<MemoryBenchResult> {
  const stack = await startBenchStack({ TEMPORAL_TASK_QUEUE: 'bench-memory' });
  const { config, port, db } = stack;
  const { key } = await stack.seedTenant('bench');
  const root = path.resolve(__dirname, '../../..');
  const worker = spawn(process.execPath, [path.join(root, 'dist/apps/worker/src/main.js')], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: config.database.url!,
      TEMPORAL_ADDRESS: config.temporal.address!,
      TEMPORAL_TASK_QUEUE: 'bench-memory',
      WORKER_METRICS_PORT: '0',
      RULEFLOW_ENCRYPTION_KEY: config.encryption.key!.toString('base64'),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const app = await createGatewayApp(config);
  await app.listen(port, '127.0.0.1');
  const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
  const post = async (route: string, body: unknown, expected: number) => {
    const res = await fetch(`http://127.0.0.1:${port}${route}`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    });
    if (res.status !== expected) throw new Error(`POST ${route}: ${res.status} ${(await res.text()).slice(0, 300)}`);
  };
  const waiting = async (): Promise<number> => {
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM executions WHERE status = 'running' AND actions->0->>'status' = 'running'`,
    );
    return rows[0]!.n;
  };
  try {
    await post(
      '/v1/rules',
      {
        name: 'bench memory',
        entity: 'orders',
        trigger: { type: 'on_create' },
        conditions: { all: [] },
        actions: [
          { name: 'wait', type: 'delay', config: { duration: '10m' } },
          {
            name: 'never',
            type: 'create_alert',
            config: {
              alertType: 'x',
              severity: 'low',
              title: 't',
              message: 'm',
              recipients: [{ type: 'role', id: 'ops' }],
            },
          },
        ],
      },
      201,
    );
    await sleep(5000); // the worker's start-up (bundle, connections)
    const rssBeforeMiB = rssMiB(worker.pid!);
    const t0 = performance.now();
    await pool(runs, 16, async (i) => {
      await post('/v1/events', { id: `memory-${i}`, entity: 'orders', type: 'on_create', data: { id: i } }, 202);
    });
    for (let tries = 0; (await waiting()) < runs; tries++) {
      if (tries > 600) throw new Error(`only ${await waiting()} of ${runs} runs open after 10 minutes`);
      await sleep(1000);
    }
    const secondsToOpenAll = Math.round((performance.now() - t0) / 100) / 10;
    await sleep(3000); // settled
    return { openRuns: runs, rssBeforeMiB, rssWithRunsOpenMiB: rssMiB(worker.pid!), secondsToOpenAll };
  } finally {
    await app.close();
    worker.kill('SIGTERM');
    await new Promise((resolve) => worker.once('exit', resolve));
    await stack.stop();
  }
}

async function main(): Promise<void> {
  console.table([await runMemoryBench()]);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
