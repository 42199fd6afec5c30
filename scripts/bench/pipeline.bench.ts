/**
 * Pipeline benchmark: event → webhook through Ruleflow beside a hand-written Temporal workflow, in one
 * run, on the same dev server (file-backed as under `npm start`; `--temporal-db` changes that), the
 * same local receiver and the same load (`--events 400` at `--concurrency 32`):
 *
 * - hand-written: the client starts `PlainWebhookWorkflow` (one activity POSTing the body), measured
 *   before and after the Ruleflow paths (their mean is the baseline, so drift cannot favour either);
 * - Ruleflow, one-webhook rule: POST /v1/events → rule matched → run recorded → workflow → signed POST;
 * - Ruleflow, endpoint delivery: POST /v1/events → subscribed endpoint → `WebhookDeliveryWorkflow`;
 * - Ruleflow, three-action rule: webhook → create_alert → webhook (latency to the last webhook).
 *
 * Latency is from sending the event (or starting the workflow) to the receiver's first arrival of that
 * message; throughput is messages over the time from the first send to the last arrival.
 *
 *   npm run bench -- pipeline [--events 400] [--concurrency 32] [--temporal-db file|file-sqlite-defaults|memory]
 *
 * `--cluster`: on the Temporal Server `npm run cluster` runs (PostgreSQL-backed), with the Ruleflow worker as
 * separate processes like the cluster's, each path measured with 1 worker process and then with 2.
 */
import { cpuByCommand, cpuPerMessage, pool, quantile, startReceiver } from './bench-http';
import type { BenchSystem } from './bench-stack';
import { benchCluster, flagValue, intFlag, spawnBenchWorkers, startBenchStack, startBenchSystem } from './bench-stack';
import * as plainActivities from './plain-webhook.activities';

export interface PipelineBenchResult {
  path: string;
  /** Ruleflow worker processes (`--cluster`); in-process otherwise. */
  workers?: number;
  messages: number;
  concurrency: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU milliseconds per message by process (the whole machine's, so other load shows too). */
  cpuMsPerMessage: string;
}

export const PIPELINE_PATHS = ['plain', 'one', 'endpoint', 'three'] as const;
export type PipelinePath = (typeof PIPELINE_PATHS)[number];

export interface PipelineBenchOptions {
  events: number;
  concurrency: number;
  /** Which paths run, in this order (`--paths one,plain`); by default plain, one, endpoint, three, plain. */
  paths: PipelinePath[];
  /** On the Temporal Server, with 1 then 2 worker processes. */
  cluster: boolean;
}

/** `--events N` and `--concurrency N` from the command line (400 and 32 by default). */
export function pipelineBenchOptions(argv: string[] = process.argv.slice(2)): PipelineBenchOptions {
  const listed = flagValue(argv, 'paths');
  const paths: PipelinePath[] =
    listed === undefined
      ? ['plain', 'one', 'endpoint', 'three', 'plain']
      : listed.split(',').map((name) => {
          const path = PIPELINE_PATHS.find((p) => p === name);
          if (!path) throw new Error(`--paths takes a comma-separated list of ${PIPELINE_PATHS.join(', ')}`);
          return path;
        });
  return {
    events: intFlag(argv, 'events', 400, 10_000),
    concurrency: intFlag(argv, 'concurrency', 32, 256),
    paths,
    cluster: benchCluster(argv),
  };
}

const PLAIN_QUEUE = 'bench-pipeline-plain';

/** With `--cluster`: the numbers of Ruleflow worker processes each path is measured with. */
export const CLUSTER_WORKER_COUNTS = [1, 2] as const;

export async function runPipelineBench(
  { events, concurrency, paths: order, cluster }: PipelineBenchOptions = pipelineBenchOptions(),
): Promise<PipelineBenchResult[]> {
  const stack = await startBenchStack(
    { TEMPORAL_TASK_QUEUE: 'bench-pipeline', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' },
    cluster ? 'cluster' : undefined,
  );
  const receiver = await startReceiver();
  const { key } = await stack.seedTenant('bench');
  let system: BenchSystem | undefined;
  let workers: Awaited<ReturnType<typeof spawnBenchWorkers>> | undefined;
  try {
    system = await startBenchSystem(
      stack,
      key,
      {
        taskQueue: PLAIN_QUEUE,
        workflowsPath: require.resolve('./plain-webhook.workflow'),
        activities: plainActivities,
      },
      !cluster,
    );
    const measurePaths = await preparePaths(system, receiver, concurrency);
    if (!cluster) return await measurePaths(order, events);
    const results: PipelineBenchResult[] = [];
    for (const count of CLUSTER_WORKER_COUNTS) {
      await workers?.stop();
      workers = await spawnBenchWorkers(stack, system.client, count);
      const measured = await measurePaths(order, events);
      results.push(...measured.map((r) => ({ ...r, workers: count })));
    }
    return results;
  } finally {
    await workers?.stop();
    await system?.close();
    await receiver.close();
    await stack.stop();
  }
}

/** The rules and endpoint of every path on a running system; returns what measures the paths of `order` (after a warm-up of each). */
async function preparePaths(
  system: BenchSystem,
  receiver: Awaited<ReturnType<typeof startReceiver>>,
  concurrency: number,
): Promise<(order: PipelinePath[], events: number) => Promise<PipelineBenchResult[]>> {
  const { client, post } = system;
  const webhook = (name: string, path: string) => ({
    name,
    type: 'webhook',
    config: { url: `${receiver.base}${path}` },
  });
  const rule = (name: string, entity: string, actions: unknown[]) =>
    post(
      '/v1/rules',
      {
        name,
        entity,
        trigger: { type: 'on_create' },
        conditions: { all: [{ field: 'total', operator: 'greater_than', value: 100 }] },
        actions,
      },
      201,
    );

  {
    await rule('bench one webhook', 'orders', [webhook('notify', '/one')]);
    await rule('bench three actions', 'invoices', [
      webhook('erp', '/three-a'),
      {
        name: 'alert',
        type: 'create_alert',
        config: {
          alertType: 'bench',
          severity: 'low',
          title: 'Invoice {{data.id}}',
          message: 'bench',
          recipients: [{ type: 'role', id: 'ops' }],
        },
      },
      webhook('crm', '/three-c'),
    ]);
    await post(
      '/v1/webhooks',
      { name: 'bench endpoint', url: `${receiver.base}/endpoint`, events: ['shipments.on_create'] },
      201,
    );

    const data = (benchId: string, i: number) => ({ benchId, id: i, total: 150 });
    const event = (entity: string) => async (benchId: string, i: number) => {
      await post('/v1/events', { id: benchId, entity, type: 'on_create', data: data(benchId, i) }, 202);
    };
    const plainStart = async (benchId: string, i: number) => {
      const envelope = { type: 'orders.on_create', timestamp: new Date().toISOString(), data: data(benchId, i) };
      await client.workflow.start('PlainWebhookWorkflow', {
        workflowId: `plain-${benchId}`,
        taskQueue: PLAIN_QUEUE,
        args: [`${receiver.base}/plain`, envelope],
      });
    };

    let round = 0;
    /** `n` messages sent by `concurrency` senders; done when all arrived on `path`. */
    const measure = async (
      name: string,
      path: string,
      n: number,
      send: (benchId: string, i: number) => Promise<void>,
    ): Promise<PipelineBenchResult> => {
      receiver.reset();
      const prefix = `r${++round}`;
      const sentAt = new Map<string, number>();
      const cpu0 = cpuByCommand();
      const t0 = performance.now();
      await pool(n, concurrency, async (i) => {
        const benchId = `${prefix}-${i}`;
        sentAt.set(benchId, performance.now());
        await send(benchId, i);
      });
      await receiver.waitFor(path, n, 600_000);
      const cpu = cpuPerMessage(cpu0, cpuByCommand(), n);
      const arrivals = receiver.arrivals(path);
      const last = Math.max(...arrivals.values());
      const latencies = [...arrivals].map(([id, at]) => at - (sentAt.get(id) ?? at)).sort((a, b) => a - b);
      return {
        path: name,
        messages: n,
        concurrency,
        perSecond: Math.round((n / ((last - t0) / 1000)) * 10) / 10,
        p50Ms: quantile(latencies, 0.5),
        p99Ms: quantile(latencies, 0.99),
        cpuMsPerMessage: cpu,
      };
    };

    const paths = {
      plain: ['hand-written Temporal workflow (one POST activity)', '/plain', plainStart],
      one: ['Ruleflow: event → one-webhook rule', '/one', event('orders')],
      endpoint: ['Ruleflow: event → endpoint delivery', '/endpoint', event('shipments')],
      three: ['Ruleflow: event → webhook, create_alert, webhook', '/three-c', event('invoices')],
    } as const;
    return async (order, events) => {
      // Warm-up: JIT, pools, the workflow bundles and caches.
      for (const which of new Set(order)) {
        const [name, path, send] = paths[which];
        await measure(`warm-up ${name}`, path, 20, send);
      }
      const results: PipelineBenchResult[] = [];
      for (const which of order) {
        const [name, path, send] = paths[which];
        results.push(await measure(name, path, events, send));
      }
      return results;
    };
  }
}

/**
 * `--cluster`: how each Ruleflow path's throughput changed from 1 to 2 worker processes, one line each
 * (the hand-written workflow runs on its own in-process worker either way: it is the reference).
 */
export function workerScaling(results: readonly PipelineBenchResult[]): string[] {
  const [few, many] = CLUSTER_WORKER_COUNTS;
  const ruleflow = results.filter((r) => r.workers === few && !r.path.startsWith('hand-written'));
  const names = [...new Set(ruleflow.map((r) => r.path))];
  return names.map((name) => {
    const rate = (workers: number) => {
      const runs = results.filter((r) => r.path === name && r.workers === workers);
      return runs.reduce((sum, r) => sum + r.perSecond, 0) / runs.length;
    };
    const [a, b] = [rate(few), rate(many)];
    return `${name}: ${a.toFixed(1)}/s with ${few} worker → ${b.toFixed(1)}/s with ${many} workers (${(b / a).toFixed(2)}×)`;
  });
}

/** The hand-written baseline: the mean of the runs before and after the Ruleflow paths. */
export function baseline(results: readonly PipelineBenchResult[]): PipelineBenchResult {
  const plain = results.filter((r) => r.path.startsWith('hand-written'));
  const mean = (pick: (r: PipelineBenchResult) => number) =>
    Math.round((plain.reduce((sum, r) => sum + pick(r), 0) / plain.length) * 10) / 10;
  return {
    ...plain[0]!,
    perSecond: mean((r) => r.perSecond),
    p50Ms: mean((r) => r.p50Ms),
    p99Ms: mean((r) => r.p99Ms),
  };
}

async function main(): Promise<void> {
  console.table(await runPipelineBench());
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
