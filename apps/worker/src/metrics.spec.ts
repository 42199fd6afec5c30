import { ACTION_DURATION_BUCKETS } from '@ruleflow/activities';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Runtime } from '@temporalio/worker';
import { installWorkerRuntime, metricsBindAddress, workerTelemetryOptions } from './metrics';

describe('worker metrics settings', () => {
  it('serves Prometheus on HOST:WORKER_METRICS_PORT with seconds and the action duration buckets', () => {
    expect(workerTelemetryOptions({ host: '0.0.0.0', port: 9464 })).toEqual({
      metrics: {
        attachServiceName: false,
        prometheus: {
          bindAddress: '0.0.0.0:9464',
          useSecondsForDurations: true,
          histogramBucketOverrides: { ruleflow_action_duration_seconds: ACTION_DURATION_BUCKETS },
        },
      },
    });
  });

  it('has no exporter with port 0', () => {
    expect(workerTelemetryOptions({ host: '0.0.0.0', port: 0 })).toBeUndefined();
  });

  it('brackets IPv6 hosts', () => {
    expect(metricsBindAddress({ host: '::', port: 9464 })).toBe('[::]:9464');
    expect(metricsBindAddress({ host: '[::1]', port: 1 })).toBe('[::1]:1');
    expect(metricsBindAddress({ host: '', port: 1 })).toBe('0.0.0.0:1');
  });

  it('a busy port costs the metrics, not the worker: the runtime is installed without the exporter', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as AddressInfo;
    try {
      const result = installWorkerRuntime({}, { host: '127.0.0.1', port });
      expect(result.metricsError).toMatch(/address already in use/i);
      expect(Runtime._instance).toBeDefined();
    } finally {
      await Runtime._instance?.shutdown();
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
