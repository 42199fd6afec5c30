/**
 * `npm run bench [-- conditions|ingest|deliveries|ivr|pipeline|memory|backtest] [options]`: the benchmarks behind the speed targets. Speed is checked
 * here, never in timed tests. Prints a table per benchmark and each target with its verdict.
 */
import { backtestBenchEvents, runBacktestBench } from './backtest.bench';
import { runConditionsBench } from './conditions.bench';
import type { DeliveryBenchResult } from './deliveries.bench';
import { runDeliveriesBench } from './deliveries.bench';
import type { IngestResult } from './ingest.bench';
import { runIngestBench } from './ingest.bench';
import type { IvrBenchResult } from './ivr.bench';
import { ivrBenchCalls, ivrBenchThink, runIvrBench } from './ivr.bench';
import { benchTemporalDb } from './bench-stack';
import { memoryBenchRuns, runMemoryBench } from './memory.bench';
import type { PipelineBenchResult } from './pipeline.bench';
import {
  baseline,
  CLUSTER_WORKER_COUNTS,
  pipelineBenchOptions,
  runPipelineBench,
  workerScaling,
} from './pipeline.bench';
import { TEMPORAL_SERVER_VERSION } from '@ruleflow/local-stack';
import os from 'node:os';

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

async function ivr(): Promise<void> {
  const calls = ivrBenchCalls();
  const think = ivrBenchThink();
  const pauses = think.maxMs > 0 ? `callers pausing ${think.minMs}-${think.maxMs} ms before each press` : 'no pauses';
  console.log(
    `\n## IVR: ${calls} concurrent calls walking a menu tree (digit → answer), ${pauses}, beside a plain Update; Temporal dev server: ${benchTemporalDb()}`,
  );
  const results = await runIvrBench(calls, think, process.argv.includes('--trace'));
  console.table(results);
  if (results.length < 3) return; // one --path only: no comparison
  const [http, direct, plain] = results as [IvrBenchResult, IvrBenchResult, IvrBenchResult];
  const ok = http.errors === 0 && http.digitP99Ms <= 150;
  const by =
    http.digitP99Ms > 150
      ? ` (${Math.round(http.digitP99Ms - 150)} ms over, ${(http.digitP99Ms / 150).toFixed(1)}×)`
      : '';
  console.log(
    `target p99 ≤ 150 ms at ${calls} concurrent calls: ${http.digitP99Ms} ms${by}${http.errors ? `, ${http.errors} errors` : ''} — ${verdict(ok)}${calls === 200 ? '' : ' (not at 200 calls)'}`,
  );
  console.log(
    `p99 split: plain Update ${plain.digitP99Ms} ms; the session workflow with its mirror activity ${direct.digitP99Ms} ms; with HTTP and auth ${http.digitP99Ms} ms`,
  );
}

async function pipeline(): Promise<void> {
  const options = pipelineBenchOptions();
  const temporal = options.cluster
    ? `Temporal Server ${TEMPORAL_SERVER_VERSION} on PostgreSQL (npm run cluster's), Ruleflow worker processes: ${CLUSTER_WORKER_COUNTS.join(', then ')}`
    : `Temporal dev server: ${benchTemporalDb()}`;
  console.log(
    `\n## Event → webhook: Ruleflow beside a hand-written Temporal workflow (${options.events} messages, ${options.concurrency} at a time; ${temporal})`,
  );
  const results = await runPipelineBench(options);
  console.table(results);
  if (options.cluster) {
    console.log(
      `machine load (1, 5, 15 min): ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')} on ${os.cpus().length} cores`,
    );
    for (const change of workerScaling(results)) console.log(change);
    return;
  }
  const line = (ours: PipelineBenchResult, plain: PipelineBenchResult, target: boolean) => {
    const ratio = ours.perSecond / plain.perSecond;
    const p99 = ours.p99Ms / plain.p99Ms;
    const verdicts = target
      ? ` — throughput ≥ 0.85×: ${verdict(ratio >= 0.85)}; p99 ≤ 1.5×: ${verdict(p99 <= 1.5)}`
      : '';
    console.log(
      `${ours.path}: ${ratio.toFixed(2)}× the hand-written throughput (${ours.perSecond} vs ${plain.perSecond}/s), p99 ${p99.toFixed(2)}× (${ours.p99Ms} vs ${plain.p99Ms} ms)${verdicts}`,
    );
  };
  if (!results.some((r) => r.path.startsWith('hand-written'))) return;
  const plain = baseline(results);
  for (const [i, which] of options.paths.entries()) {
    if (which === 'one' || which === 'endpoint') line(results[i]!, plain, true);
    if (which === 'three') line(results[i]!, plain, false);
  }
}

async function memory(): Promise<void> {
  const runs = memoryBenchRuns();
  console.log(`\n## Worker memory with ${runs} rule runs open at once (each waiting in a delay)`);
  const result = await runMemoryBench(runs);
  console.table([result]);
  const gib = result.rssWithRunsOpenMiB / 1024;
  console.log(`target worker RSS ≤ 1 GiB at ${runs} open runs: ${gib.toFixed(2)} GiB — ${verdict(gib <= 1)}`);
}

async function backtest(): Promise<void> {
  const events = backtestBenchEvents();
  console.log(`\n## Backtest over ${events} stored events through the gateway (POST /v1/rules/:id/backtest)`);
  const results = await runBacktestBench(events);
  console.table(results);
  const slowest = Math.max(...results.map((r) => r.medianMs));
  console.log(`target: ${events} events answered within seconds: ${slowest} ms — ${verdict(slowest <= 5000)}`);
}

const BENCHES: Record<string, () => Promise<void>> = {
  conditions,
  ingest,
  deliveries,
  ivr,
  pipeline,
  memory,
  backtest,
};

async function main(): Promise<void> {
  // Options and their values (`--calls 200`) are not benchmark names.
  const wanted = process.argv
    .slice(2)
    .filter((a, i, all) => !a.startsWith('-') && !(all[i - 1] ?? '').match(/^--[a-z-]+$/));
  const unknown = wanted.filter((name) => !BENCHES[name]);
  if (unknown.length)
    throw new Error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHES).join(', ')}`);
  for (const name of wanted.length ? wanted : Object.keys(BENCHES)) await BENCHES[name]!();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
