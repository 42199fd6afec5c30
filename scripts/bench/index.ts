/**
 * `npm run bench [-- conditions|ingest|deliveries]`: the benchmarks behind the speed targets. Speed is checked
 * here, never in timed tests. Prints a table per benchmark and each target with its verdict.
 */
import { runConditionsBench } from './conditions.bench';
import type { DeliveryBenchResult } from './deliveries.bench';
import { runDeliveriesBench } from './deliveries.bench';
import type { IngestResult } from './ingest.bench';
import { runIngestBench } from './ingest.bench';

const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');

async function conditions(): Promise<void> {
  console.log('\n## Condition evaluation (events per second, one rule)');
  const results = await runConditionsBench();
  console.table(results);
  const contract = results.filter((r) => r.scenario.startsWith('contract example'));
  const ours = contract.find((r) => r.engine.includes('compiled once'))!;
  const jre = contract.find((r) => r.engine.startsWith('json-rules-engine'))!;
  const ratio = ours.eventsPerSecond / jre.eventsPerSecond;
  console.log(
    `target ≥ 10 M evaluations/s: ${(ours.eventsPerSecond / 1e6).toFixed(1)} M/s — ${verdict(ours.eventsPerSecond >= 10e6)}`,
  );
  console.log(`target ≥ 100× json-rules-engine: ${Math.round(ratio)}× — ${verdict(ratio >= 100)}`);
}

async function ingest(): Promise<void> {
  console.log('\n## Event ingest through the gateway (10 vs 10 000 rules in the tenant)');
  const results = await runIngestBench();
  console.table(results);
  const [small, large] = results as [IngestResult, IngestResult];
  const diff = ((large.eventsPerSecond - small.eventsPerSecond) / small.eventsPerSecond) * 100;
  console.log(`target: within 5% — ${diff >= 0 ? '+' : ''}${diff.toFixed(1)}% — ${verdict(Math.abs(diff) <= 5)}`);
}

async function deliveries(): Promise<void> {
  console.log('\n## Webhook deliveries to a local receiver (durable, signed) beside a plain HTTP client');
  const results = await runDeliveriesBench();
  console.table(results);
  const [ours, plain] = results as [DeliveryBenchResult, DeliveryBenchResult];
  console.log(
    `Ruleflow delivers ${ours.deliveriesPerSecond}/s end to end, ${Math.round((ours.deliveriesPerSecond / plain.deliveriesPerSecond) * 1000) / 10}% of a plain client's ${plain.deliveriesPerSecond}/s`,
  );
}

const BENCHES: Record<string, () => Promise<void>> = { conditions, ingest, deliveries };

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const unknown = wanted.filter((name) => !BENCHES[name]);
  if (unknown.length)
    throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  for (const name of wanted.length ? wanted : Object.keys(BENCHES)) await BENCHES[name]!();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
