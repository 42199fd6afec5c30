import { AsyncLocalStorage } from 'node:async_hooks';
import { ACTION_TYPES } from '@ruleflow/rules';
import { Context } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';

/*
 * Ruleflow's own worker metrics, recorded through the Temporal SDK's metric meter (the activity
 * context's), so the SDK's Prometheus exporter serves them on the worker's `/metrics` beside its
 * own (apps/worker/src/metrics.ts). Outside a worker with metrics they go nowhere.
 *
 * Every label is a value from a fixed list chosen here, never what a tenant wrote: an unknown
 * value is counted as `other`, so no tenant can grow the number of series.
 */

export const RUNS_TOTAL = 'ruleflow_runs_total';
export const ACTION_DURATION_SECONDS = 'ruleflow_action_duration_seconds';
export const DELIVERIES_TOTAL = 'ruleflow_deliveries_total';

/** Bucket bounds of the action duration histogram (seconds): from a quick webhook to an hour-long delay. */
export const ACTION_DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400];

const RUN_STATUSES: readonly string[] = ['success', 'failed', 'partial', 'cancelled'];
const ACTION_STATUSES: readonly string[] = ['success', 'failed'];
const DELIVERY_STATUSES: readonly string[] = ['success', 'failed'];

const bounded = (value: string, known: readonly string[]) => (known.includes(value) ? value : 'other');

/** Samples held back until the surrounding transaction has committed (`afterCommit`). */
const heldBack = new AsyncLocalStorage<Array<() => void>>();

/**
 * Runs `work` (a database transaction) and records the metrics it produced only once it has resolved:
 * a transaction that fails is retried as a whole, and its samples must not count twice.
 */
export async function afterCommit<T>(work: () => Promise<T>): Promise<T> {
  const samples: Array<() => void> = [];
  const result = await heldBack.run(samples, work);
  for (const sample of samples) sample();
  return result;
}

/** Run `record` with the current activity's meter; a metric never fails (or slows with errors) an activity. */
function withMeter(record: (meter: MetricMeter) => void): void {
  const held = heldBack.getStore();
  if (held) {
    held.push(() => recordNow(record));
    return;
  }
  recordNow(record);
}

function recordNow(record: (meter: MetricMeter) => void): void {
  let meter: MetricMeter;
  try {
    meter = Context.current().metricMeter;
  } catch {
    return; // not in an activity (a unit test calling the function directly)
  }
  try {
    record(meter);
  } catch {
    // The runtime is shutting down: the sample is lost, the activity's work is not.
  }
}

/** A run recorded its final status (`completeExecution`). */
export function countRun(status: string): void {
  withMeter((meter) =>
    meter
      .createCounter(RUNS_TOTAL, undefined, 'Rule runs ended, by final status')
      .add(1, { status: bounded(status, RUN_STATUSES) }),
  );
}

/** An action recorded its result (`recordActionResult`): how long it took from its start, by action type. */
export function observeAction(action: {
  type: string;
  status: string;
  startedAt: string | null;
  completedAt: string | null;
}): void {
  if (!action.startedAt || !action.completedAt) return;
  const seconds = (Date.parse(action.completedAt) - Date.parse(action.startedAt)) / 1000;
  if (!Number.isFinite(seconds) || seconds < 0) return;
  withMeter((meter) =>
    meter
      .createHistogram(ACTION_DURATION_SECONDS, 'float', 's', 'Rule action durations from start to result, by type')
      .record(seconds, {
        type: bounded(action.type, ACTION_TYPES),
        status: bounded(action.status, ACTION_STATUSES),
      }),
  );
}

/** An endpoint delivery ended (`success`, or `failed` for good); a `retrying` status is not an end. */
export function countDelivery(status: string): void {
  if (status !== 'success' && status !== 'failed') return;
  withMeter((meter) =>
    meter
      .createCounter(DELIVERIES_TOTAL, undefined, 'Endpoint deliveries ended, by final status')
      .add(1, { status: bounded(status, DELIVERY_STATUSES) }),
  );
}
