/**
 * Backtest benchmark: how long `POST /v1/rules/:id/backtest` takes over the real gateway (HTTP, auth,
 * validation, the cursor over PostgreSQL, the compiled predicate) with 100 000 stored events of the
 * rule's entity and trigger type in the tenant, plus events of another entity it must skip. Events are
 * inserted directly with SQL in batches: ingesting them over HTTP would measure something else.
 *
 *   npm run bench -- backtest [--events 100000]      (or node dist/scripts/bench/backtest.bench.js)
 */
import { startBenchStack } from './bench-stack';
import { createGatewayApp } from '../../apps/gateway/src/app.factory';

export interface BacktestBenchResult {
  conditions: string;
  storedEvents: number;
  evaluated: number;
  matched: number;
  /** Median over the timed calls. */
  medianMs: number;
  maxMs: number;
  eventsPerSecond: number;
}

const BATCH = 10_000;
const RULE_CONDITIONS = {
  all: [
    { field: 'total', operator: 'greater_than', value: 100 },
    {
      any: [
        { field: 'customer.tier', operator: 'in', value: ['gold', 'platinum'] },
        { field: 'lines.0.qty', operator: 'greater_than_or_equal', value: 3 },
      ],
    },
  ],
};
const DRAFT_CONDITIONS = {
  all: [
    { field: 'status', operator: 'equals', value: 'paid' },
    { field: 'customer.email', operator: 'matches', value: '^[a-z0-9.]+@example\\.(com|org)$' },
  ],
};

/** `--events N` from the command line (default 100 000). */
export function backtestBenchEvents(argv: string[] = process.argv.slice(2)): number {
  const at = argv.indexOf('--events');
  const n = at >= 0 ? Number(argv[at + 1]) : 100_000;
  if (!Number.isInteger(n) || n < 1) throw new Error(`--events must be a positive integer, got ${argv[at + 1]}`);
  return n;
}

/**
 * Runs the backtest benchmark on a throw-away PostgreSQL and Temporal dev server: `events` stored
 * `orders.on_create` events (and a fifth as many `customers.on_create` ones), then `calls` timed
 * backtests of the rule's own conditions and of a draft with a regular expression, alternating.
 */
export async function runBacktestBench(events = 100_000, calls = 5): Promise<BacktestBenchResult[]> {
  const stack = await startBenchStack({ TEMPORAL_TASK_QUEUE: 'bench-no-worker' });
  const app = await createGatewayApp(stack.config);
  await app.listen(stack.port, '127.0.0.1');
  const url = `http://127.0.0.1:${stack.port}`;
  const { db } = stack;
  try {
    const { tenantId, key } = await stack.seedTenant('backtest');
    const post = async (path: string, body: unknown) => {
      const res = await fetch(`${url}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status >= 300) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const rule = await post('/v1/rules', {
      name: 'big orders of good customers',
      entity: 'orders',
      trigger: { type: 'on_create' },
      conditions: RULE_CONDITIONS,
      actions: [{ type: 'delay', config: { duration: '1s' } }],
    });

    const insert = async (entity: string, count: number) => {
      for (let from = 0; from < count; from += BATCH) {
        // Spread over the last week, one event every few seconds, newest last.
        await db.query(
          `INSERT INTO events (tenant_id, event_key, entity, type, data, occurred_at, received_at, response, source)
           SELECT $1, $2 || '-' || g, $2, 'on_create',
                  jsonb_build_object(
                    'id', g,
                    'total', (g * 37) % 500,
                    'status', (ARRAY['new','paid','shipped'])[1 + g % 3],
                    'customer', jsonb_build_object(
                      'tier', (ARRAY['basic','silver','gold','platinum'])[1 + g % 4],
                      'email', 'buyer' || (g % 1000) || '@example.' || (ARRAY['com','org','net'])[1 + g % 3]),
                    'lines', jsonb_build_array(jsonb_build_object('sku', 'SKU-' || (g % 50), 'qty', 1 + g % 5))),
                  now() - make_interval(secs => ($4::int - g) * 6), now() - make_interval(secs => ($4::int - g) * 6),
                  '{}', 'api'
             FROM generate_series($3::int, LEAST($3::int + ${BATCH} - 1, $4::int - 1)) AS g`,
          [tenantId, entity, from, count],
        );
      }
    };
    const seeding = performance.now();
    await insert('orders', events);
    await insert('customers', Math.floor(events / 5));
    await db.query('ANALYZE events');
    console.log(`seeded ${events} + ${Math.floor(events / 5)} events in ${Math.round(performance.now() - seeding)} ms`);

    const path = `/v1/rules/${String(rule.id)}/backtest`;
    const scenarios = [
      { conditions: "the rule's (3 leaves, nested any)", body: {} },
      { conditions: 'a draft (equals + matches, RE2)', body: { rule: { conditions: DRAFT_CONDITIONS } } },
    ];
    await post(path, {}); // warm-up
    const samples = scenarios.map(() => ({ ms: [] as number[], evaluated: 0, matched: 0 }));
    for (let i = 0; i < calls; i++) {
      for (const [s, scenario] of scenarios.entries()) {
        const started = performance.now();
        const answer = (await post(path, scenario.body)) as { evaluated: number; matched: number };
        samples[s]!.ms.push(performance.now() - started);
        samples[s]!.evaluated = answer.evaluated;
        samples[s]!.matched = answer.matched;
      }
    }
    return scenarios.map((scenario, s) => {
      const { ms, evaluated, matched } = samples[s]!;
      const sorted = [...ms].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      return {
        conditions: scenario.conditions,
        storedEvents: events,
        evaluated,
        matched,
        medianMs: Math.round(median),
        maxMs: Math.round(sorted[sorted.length - 1]!),
        eventsPerSecond: Math.round(evaluated / (median / 1000)),
      };
    });
  } finally {
    await app.close();
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const results = await runBacktestBench(backtestBenchEvents());
  console.table(results);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
