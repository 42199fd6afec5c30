/**
 * Ingest benchmark: events per second through the real gateway (HTTP, auth, validation, the
 * transactional insert, matching, workflow start on a real Temporal dev server) with 10 rules and
 * with 10 000 rules in the tenant. Matching is indexed and cached, so the two rates should agree
 * within a few percent.
 *
 *   npm run bench -- ingest      (or node dist/scripts/bench/ingest.bench.js)
 */
import type { BenchStack } from './bench-stack';
import { startBenchStack } from './bench-stack';
import { createGatewayApp } from '../../apps/gateway/src/app.factory';

export interface IngestResult {
  rules: number;
  events: number;
  concurrency: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
}

async function fire(url: string, key: string, count: number, concurrency: number, prefix: string): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      const started = performance.now();
      const res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          id: `${prefix}-${i}`,
          entity: 'orders',
          type: 'on_create',
          data: { id: i, total: 150 },
        }),
      });
      const body = (await res.json()) as { executions?: unknown[] };
      if (res.status !== 202 || body.executions?.length !== 1) {
        throw new Error(`unexpected answer ${res.status}: ${JSON.stringify(body)}`);
      }
      latencies.push(performance.now() - started);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** A tenant with an admin key, one rule every event matches, and `fillers` rules of other entities. */
async function seedTenant(stack: BenchStack, name: string, fillers: number): Promise<string> {
  const { db } = stack;
  const { tenantId, key } = await stack.seedTenant(name);
  const retry = '"retry":{"maximumAttempts":5,"initialInterval":"1s","backoffCoefficient":2,"maximumInterval":"1m"}';
  // The rule every event matches; its runs wait in Temporal (no worker polls the bench queue).
  await db.query(
    `INSERT INTO rules (tenant_id, name, entity, trigger_type, trigger, conditions, actions, priority)
     VALUES ($1, 'orders over 100', 'orders', 'on_create', '{"type":"on_create"}',
             '{"all":[{"field":"total","operator":"greater_than","value":100}]}',
             '[{"name":"wait","type":"delay","config":{"duration":"1s"},${retry}}]', 0)`,
    [tenantId],
  );
  // Rules of other entities, inserted directly: creating 10 000 over HTTP would measure something else.
  await db.query(
    `INSERT INTO rules (tenant_id, name, entity, trigger_type, trigger, conditions, actions, priority)
     SELECT $1, 'filler ' || g, 'entity_' || (g % 200), 'on_create', '{"type":"on_create"}',
            '{"all":[{"field":"total","operator":"greater_than","value":10}]}',
            '[{"name":"wait","type":"delay","config":{"duration":"1s"},${retry}}]', g % 100
       FROM generate_series(1, $2::int) AS g`,
    [tenantId, fillers],
  );
  return key;
}

/**
 * Runs the ingest benchmark on a throw-away PostgreSQL and Temporal dev server: two tenants (10 and
 * 10 000 rules) measured in alternating rounds, so drift on a busy machine hits both alike.
 */
export async function runIngestBench(eventsPerRound = 400, rounds = 3, concurrency = 8): Promise<IngestResult[]> {
  const stack = await startBenchStack({ TEMPORAL_TASK_QUEUE: 'bench-no-worker' });
  const app = await createGatewayApp(stack.config);
  await app.listen(stack.port, '127.0.0.1');
  const url = `http://127.0.0.1:${stack.port}`;
  const { db } = stack;
  try {
    const tenants = [
      { rules: 10, key: await seedTenant(stack, 'small', 9) },
      { rules: 10_000, key: await seedTenant(stack, 'large', 9_999) },
    ];
    await db.query('ANALYZE rules');
    const samples = new Map<number, { eps: number[]; latencies: number[] }>(
      tenants.map((t) => [t.rules, { eps: [], latencies: [] }]),
    );
    for (const t of tenants) await fire(url, t.key, 100, concurrency, `warm-${t.rules}`);
    for (let round = 0; round < rounds; round++) {
      for (const t of tenants) {
        const started = performance.now();
        const latencies = await fire(url, t.key, eventsPerRound, concurrency, `r${round}-${t.rules}`);
        const sample = samples.get(t.rules)!;
        sample.eps.push(eventsPerRound / ((performance.now() - started) / 1000));
        sample.latencies.push(...latencies);
      }
    }
    return tenants.map((t) => {
      const { eps, latencies } = samples.get(t.rules)!;
      latencies.sort((a, b) => a - b);
      const at = (q: number) =>
        Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]! * 10) / 10;
      return {
        rules: t.rules,
        events: eventsPerRound * rounds,
        concurrency,
        eventsPerSecond: Math.round(median(eps)),
        p50Ms: at(0.5),
        p99Ms: at(0.99),
      };
    });
  } finally {
    await app.close();
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const results = await runIngestBench();
  console.table(results);
  const [small, large] = results as [IngestResult, IngestResult];
  const diff = ((large.eventsPerSecond - small.eventsPerSecond) / small.eventsPerSecond) * 100;
  console.log(`10 000 rules vs 10 rules: ${diff >= 0 ? '+' : ''}${diff.toFixed(1)}% (target: within ±5%)`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
