import type { MetricMeter, MetricTags } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterCommit, countDelivery, countRun, observeAction } from './run-metrics';

/** A meter that keeps what is recorded: name, value and labels. */
function recordingMeter(samples: Array<{ name: string; value: number; tags: MetricTags }>): MetricMeter {
  const instrument = (name: string) => {
    const keep = (value: number, tags: MetricTags = {}) => void samples.push({ name, value, tags });
    return { name, unit: undefined, description: undefined, kind: 'counter', add: keep, record: keep, set: keep };
  };
  const meter = {
    createCounter: instrument,
    createHistogram: instrument,
    createGauge: instrument,
    withTags: () => meter,
  };
  return meter as unknown as MetricMeter;
}

describe('run metrics', () => {
  it('record nothing and never throw outside an activity (unit tests call activities directly)', () => {
    expect(() => countRun('success')).not.toThrow();
    expect(() => countDelivery('failed')).not.toThrow();
    expect(() =>
      observeAction({ type: 'webhook', status: 'success', startedAt: 'x', completedAt: new Date().toISOString() }),
    ).not.toThrow();
  });

  it('label only with values from fixed lists: anything else is "other"', async () => {
    const samples: Array<{ name: string; value: number; tags: MetricTags }> = [];
    const env = new MockActivityEnvironment(undefined, { metricMeter: recordingMeter(samples) });
    await env.run(async () => {
      countRun('partial');
      countRun('Tenant Status');
      observeAction({
        type: 'webhook',
        status: 'failed',
        startedAt: '2026-11-29T10:00:00.000Z',
        completedAt: '2026-11-29T10:00:01.500Z',
      });
      observeAction({
        type: 'my tenant action',
        status: 'success',
        startedAt: '2026-11-29T10:00:00.000Z',
        completedAt: '2026-11-29T10:00:00.250Z',
      });
      observeAction({ type: 'webhook', status: 'success', startedAt: null, completedAt: null });
      countDelivery('success');
      countDelivery('retrying');
    });
    // The activity's own tags (activityType, namespace, taskQueue) come with the meter: all operator-chosen.
    const ours = samples.map(({ name, value, tags: { activityType: _a, namespace: _n, taskQueue: _t, ...tags } }) => ({
      name,
      value,
      tags,
    }));
    expect(ours).toEqual([
      { name: 'ruleflow_runs_total', value: 1, tags: { status: 'partial' } },
      { name: 'ruleflow_runs_total', value: 1, tags: { status: 'other' } },
      { name: 'ruleflow_action_duration_seconds', value: 1.5, tags: { type: 'webhook', status: 'failed' } },
      { name: 'ruleflow_action_duration_seconds', value: 0.25, tags: { type: 'other', status: 'success' } },
      { name: 'ruleflow_deliveries_total', value: 1, tags: { status: 'success' } },
    ]);
  });

  it('inside afterCommit, record only once the transaction resolves, and nothing when it fails (a retry redoes it)', async () => {
    const samples: Array<{ name: string; value: number; tags: MetricTags }> = [];
    const env = new MockActivityEnvironment(undefined, { metricMeter: recordingMeter(samples) });
    await env.run(async () => {
      await expect(
        afterCommit(async () => {
          countRun('success');
          throw new Error('commit failed');
        }),
      ).rejects.toThrow('commit failed');
      expect(samples).toEqual([]);
      const value = await afterCommit(async () => {
        countRun('failed');
        await Promise.resolve();
        countDelivery('success');
        expect(samples).toEqual([]);
        return 7;
      });
      expect(value).toBe(7);
    });
    expect(samples.map((s) => [s.name, s.tags.status])).toEqual([
      ['ruleflow_runs_total', 'failed'],
      ['ruleflow_deliveries_total', 'success'],
    ]);
  });
});
