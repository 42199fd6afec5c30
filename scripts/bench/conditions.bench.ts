/**
 * Condition evaluation benchmark: our compile-once closures against compiling per event and
 * against json-rules-engine (the usual off-the-shelf choice), on the same rules and events.
 * Every engine must agree on how many events match, or the run fails: a fast wrong answer is no
 * result.
 *
 *   npx tsc -p tsconfig.build.json && npx tsc-alias -p tsconfig.build.json && node dist/scripts/bench/conditions.bench.js [--json] [--events=N]
 */
import { Engine } from 'json-rules-engine';
import type { NestedCondition, TopLevelCondition } from 'json-rules-engine';
import type { Conditions, EvaluationInput } from '@ruleflow/rules';
import { compileConditions } from '@ruleflow/rules';

export interface BenchResult {
  scenario: string;
  engine: string;
  events: number;
  matched: number;
  nsPerEvent: number;
  eventsPerSecond: number;
}

interface Scenario {
  name: string;
  conditions: Conditions;
  /** The same rule for json-rules-engine, over facts `data` and `previous`. */
  jre: TopLevelCondition;
}

const TIERS = ['bronze', 'silver', 'gold', 'platinum'];
const STATUSES = ['new', 'paid', 'packed', 'shipped', 'delivered'];

/** Deterministic events, so runs are comparable. */
function makeEvents(count: number, seed = 42): EvaluationInput[] {
  let state = seed;
  const next = (n: number): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return (state >>> 8) % n;
  };
  return Array.from({ length: count }, (_, i) => {
    const before = STATUSES[next(STATUSES.length)] as string;
    const after = next(3) === 0 ? before : (STATUSES[next(STATUSES.length)] as string);
    return {
      data: {
        id: `o-${i}`,
        status: after,
        total: next(300),
        customer: { tier: TIERS[next(TIERS.length)], email: `c${i}@example.com` },
        lines: [{ sku: `SKU-${next(2000)}`, qty: 1 + next(5) }],
      },
      previous: { id: `o-${i}`, status: before },
    };
  });
}

const fact = (name: 'data' | 'previous', path: string): { fact: string; path: string } => ({
  fact: name,
  path: `$.${path}`,
});

function scenarios(): Scenario[] {
  const skus = Array.from({ length: 1000 }, (_, i) => `SKU-${i * 2}`);
  const wide = Array.from({ length: 50 }, (_, i) => i);
  return [
    {
      // The contract's example rule.
      name: 'contract example (changed_to + any)',
      conditions: {
        all: [
          { field: 'status', operator: 'changed_to', value: 'shipped' },
          {
            any: [
              { field: 'total', operator: 'greater_than', value: 100 },
              { field: 'customer.tier', operator: 'in', value: ['gold', 'platinum'] },
            ],
          },
        ],
      },
      jre: {
        all: [
          { ...fact('data', 'status'), operator: 'equal', value: 'shipped' },
          { ...fact('previous', 'status'), operator: 'notEqual', value: 'shipped' },
          {
            any: [
              { ...fact('data', 'total'), operator: 'greaterThan', value: 100 },
              { ...fact('data', 'customer.tier'), operator: 'in', value: ['gold', 'platinum'] },
            ],
          },
        ],
      },
    },
    {
      name: 'in over 1,000 SKUs (lines.0.sku)',
      conditions: { all: [{ field: 'lines.0.sku', operator: 'in', value: skus }] },
      jre: { all: [{ ...fact('data', 'lines[0].sku'), operator: 'in', value: skus }] },
    },
    {
      name: '50 leaves, all must hold',
      conditions: { all: wide.map(() => ({ field: 'total', operator: 'greater_than_or_equal', value: 0 })) },
      jre: {
        all: wide.map((): NestedCondition => ({
          ...fact('data', 'total'),
          operator: 'greaterThanInclusive',
          value: 0,
        })),
      },
    },
  ];
}

/**
 * Warm up for ~150 ms (the JIT optimises only hot code), then time whole passes for ~400 ms and keep
 * the median pass: one short pass is mostly noise on a 2-core machine.
 */
function measure(run: () => number, events: number): { matched: number; ns: number } {
  const warmUntil = Date.now() + 150;
  let matched = run();
  while (Date.now() < warmUntil) matched = run();
  const passes: number[] = [];
  const stopAt = Date.now() + 400;
  do {
    const started = process.hrtime.bigint();
    matched = run();
    passes.push(Number(process.hrtime.bigint() - started) / events);
  } while (Date.now() < stopAt || passes.length < 3);
  passes.sort((a, b) => a - b);
  return { matched, ns: passes[Math.floor(passes.length / 2)]! };
}

async function measureAsync(run: () => Promise<number>, events: number): Promise<{ matched: number; ns: number }> {
  await run();
  const started = process.hrtime.bigint();
  const matched = await run();
  return { matched, ns: Number(process.hrtime.bigint() - started) / events };
}

/** Runs every scenario on every engine; throws when the engines disagree on the match count. */
export async function runConditionsBench(eventCount = 20_000): Promise<BenchResult[]> {
  const events = makeEvents(eventCount);
  const results: BenchResult[] = [];
  const record = (scenario: string, engine: string, count: number, m: { matched: number; ns: number }): void => {
    results.push({
      scenario,
      engine,
      events: count,
      matched: m.matched,
      nsPerEvent: Math.round(m.ns),
      eventsPerSecond: Math.round(1e9 / m.ns),
    });
  };

  for (const scenario of scenarios()) {
    const predicate = compileConditions(scenario.conditions);
    const compiled = measure(() => events.reduce((n, e) => n + (predicate(e) ? 1 : 0), 0), events.length);
    record(scenario.name, '@ruleflow/rules (compiled once)', events.length, compiled);

    const perEvent = measure(
      () => events.reduce((n, e) => n + (compileConditions(scenario.conditions)(e) ? 1 : 0), 0),
      events.length,
    );
    record(scenario.name, '@ruleflow/rules (compiled per event)', events.length, perEvent);

    // json-rules-engine is far slower; a tenth of the events keeps the run short.
    const jreEvents = events.slice(0, Math.max(1, Math.floor(events.length / 10)));
    const engine = new Engine([{ conditions: scenario.jre, event: { type: 'match' } }], { allowUndefinedFacts: true });
    const jre = await measureAsync(async () => {
      let n = 0;
      for (const e of jreEvents) {
        const { events: fired } = await engine.run({ data: e.data, previous: e.previous ?? {} });
        if (fired.length > 0) n += 1;
      }
      return n;
    }, jreEvents.length);
    record(scenario.name, 'json-rules-engine 7', jreEvents.length, jre);

    const ours = jreEvents.reduce((n, e) => n + (predicate(e) ? 1 : 0), 0);
    if (ours !== jre.matched || compiled.matched !== perEvent.matched) {
      throw new Error(
        `${scenario.name}: engines disagree (compiled ${compiled.matched}, per event ${perEvent.matched}; ` +
          `on the json-rules-engine slice ours ${ours}, theirs ${jre.matched})`,
      );
    }
  }
  return results;
}

async function main(): Promise<void> {
  const eventsArg = process.argv.find((a) => a.startsWith('--events='));
  const results = await runConditionsBench(eventsArg ? Number(eventsArg.slice('--events='.length)) : undefined);
  if (process.argv.includes('--json')) {
    process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    console.table(results);
  }
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
