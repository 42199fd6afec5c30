/**
 * Delivery benchmark: webhook deliveries per second to a local receiver, end to end through the real
 * system (event ingested over HTTP → endpoint delivery recorded in the same transaction → workflow
 * `delivery-<id>` started → signed attempt by the worker → attempt logged), beside a plain HTTP
 * client posting the same bodies to the same receiver. The gap is the price of durability.
 *
 *   npm run bench -- deliveries      (or node dist/scripts/bench/deliveries.bench.js)
 */
import http from 'node:http';
import { createDataSource } from '@ruleflow/entities';
import { NativeConnection } from '@temporalio/worker';
import { createGatewayApp } from '../../apps/gateway/src/app.factory';
import { createRuleflowWorker } from '../../apps/worker/src/worker';
import { startBenchStack } from './bench-stack';
import type { Receiver } from './bench-http';
import { pool, quantile, startReceiver } from './bench-http';

const HOOK = '/hook';

export interface DeliveryBenchResult {
  path: string;
  deliveries: number;
  concurrency: number;
  deliveriesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const envelope = (benchId: string, i: number) => ({
  type: 'orders.on_create',
  timestamp: new Date().toISOString(),
  data: { benchId, id: i, total: 150, customer: { email: `c${i}@example.test` } },
});

function summarise(
  name: string,
  count: number,
  concurrency: number,
  elapsedMs: number,
  latencies: number[],
): DeliveryBenchResult {
  latencies.sort((a, b) => a - b);
  const at = (q: number) => quantile(latencies, q);
  return {
    path: name,
    deliveries: count,
    concurrency,
    deliveriesPerSecond: Math.round(count / (elapsedMs / 1000)),
    p50Ms: at(0.5),
    p99Ms: at(0.99),
  };
}

/** Plain HTTP client: the same bodies straight to the receiver, no signing, no durability. */
async function plainClient(receiver: Receiver, count: number, concurrency: number): Promise<DeliveryBenchResult> {
  receiver.reset();
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const started = performance.now();
  await pool(count, concurrency, async (i) => {
    const body = JSON.stringify(envelope(`plain-${i}`, i));
    const t0 = performance.now();
    await new Promise<void>((resolve, reject) => {
      const req = http.request(
        `${receiver.base}${HOOK}`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length } },
        (res) => {
          res.resume();
          res.on('end', resolve);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    latencies.push(performance.now() - t0);
  });
  const elapsed = performance.now() - started;
  agent.destroy();
  return summarise('plain HTTP client (same bodies)', count, concurrency, elapsed, latencies);
}

/**
 * Runs on a throw-away PostgreSQL and Temporal dev server with the gateway and a worker in this
 * process: `count` events, each delivered to one subscribed endpoint.
 */
export async function runDeliveriesBench(count = 300, concurrency = 8): Promise<DeliveryBenchResult[]> {
  const stack = await startBenchStack({
    TEMPORAL_TASK_QUEUE: 'bench-deliveries',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    OUTBOX_POLL_MS: '200',
  });
  const { config, port } = stack;
  const receiver = await startReceiver();
  const { key } = await stack.seedTenant('bench');

  const workerDb = createDataSource({ url: config.database.url!, poolSize: 10, applicationName: 'bench-worker' });
  await workerDb.initialize();
  const connection = await NativeConnection.connect({ address: config.temporal.address! });
  const worker = await createRuleflowWorker({ config, dataSource: workerDb, connection });
  const workerRun = worker.run();
  const app = await createGatewayApp(config);
  await app.listen(port, '127.0.0.1');
  const api = `http://127.0.0.1:${port}`;
  const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
  try {
    const created = await fetch(`${api}/v1/webhooks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'bench receiver', url: `${receiver.base}${HOOK}`, events: ['orders.*'] }),
    });
    if (created.status !== 201) throw new Error(`creating the endpoint: ${created.status} ${await created.text()}`);

    const ingest = async (prefix: string, n: number, sentAt: Map<string, number>) =>
      pool(n, concurrency, async (i) => {
        const benchId = `${prefix}-${i}`;
        sentAt.set(benchId, performance.now());
        const res = await fetch(`${api}/v1/events`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ id: benchId, entity: 'orders', type: 'on_create', data: envelope(benchId, i).data }),
        });
        if (res.status !== 202) throw new Error(`event ${benchId}: ${res.status} ${await res.text()}`);
      });

    // Warm-up: JIT, pools, the workflow cache.
    receiver.reset();
    await ingest('warm', 30, new Map());
    await receiver.waitFor(HOOK, 30, 120_000);

    receiver.reset();
    const sentAt = new Map<string, number>();
    const started = performance.now();
    await ingest('run', count, sentAt);
    await receiver.waitFor(HOOK, count, 600_000);
    const elapsed = performance.now() - started;
    const latencies = [...receiver.arrivals(HOOK)].map(([id, at]) => at - (sentAt.get(id) ?? at));
    const ruleflow = summarise('Ruleflow (event → durable signed delivery)', count, concurrency, elapsed, latencies);
    const plain = await plainClient(receiver, count, concurrency);
    return [ruleflow, plain];
  } finally {
    await app.close();
    worker.shutdown();
    await workerRun.catch(() => undefined);
    await workerDb.destroy();
    await connection.close();
    await receiver.close();
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const results = await runDeliveriesBench();
  console.table(results);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
