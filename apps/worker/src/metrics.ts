import { ACTION_DURATION_BUCKETS, ACTION_DURATION_SECONDS } from '@ruleflow/activities';
import type { RuntimeOptions } from '@temporalio/worker';
import { Runtime } from '@temporalio/worker';

/** Where the worker serves Prometheus metrics (config `workerMetrics`: HOST and WORKER_METRICS_PORT). */
export interface WorkerMetricsSettings {
  host: string;
  /** 0: no metrics endpoint. */
  port: number;
}

/** `host:port` for the exporter to bind (IPv6 hosts in brackets). */
export function metricsBindAddress({ host, port }: WorkerMetricsSettings): string {
  const bare = host.replace(/^\[|\]$/g, '') || '0.0.0.0';
  return bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/**
 * The Temporal runtime's telemetry for the worker process: with a port, the SDK's Prometheus
 * exporter serves `GET /metrics` there, holding the SDK's own worker metrics (`temporal_*`, durations
 * in seconds) and Ruleflow's run, action and delivery metrics, recorded through the SDK's metric
 * meter (libs/activities/src/metrics). `Runtime.install` takes these once per process, before any
 * connection is made.
 */
export function workerTelemetryOptions(settings: WorkerMetricsSettings): RuntimeOptions['telemetryOptions'] {
  if (!settings.port) return undefined;
  return {
    metrics: {
      // The service name is the same on every series: no label for it.
      attachServiceName: false,
      prometheus: {
        bindAddress: metricsBindAddress(settings),
        useSecondsForDurations: true,
        histogramBucketOverrides: { [ACTION_DURATION_SECONDS]: ACTION_DURATION_BUCKETS },
      },
    },
  };
}

/**
 * Install the process's Temporal runtime with the metrics exporter. A port another process holds
 * makes the exporter fail: the runtime is then installed without it and the error returned, so a
 * busy metrics port costs the metrics, never the worker (two `npm start` stacks on one machine).
 */
export function installWorkerRuntime(
  options: Omit<RuntimeOptions, 'telemetryOptions'>,
  settings: WorkerMetricsSettings,
): { metricsError?: string } {
  const telemetryOptions = workerTelemetryOptions(settings);
  if (!telemetryOptions) {
    Runtime.install(options);
    return {};
  }
  try {
    Runtime.install({ ...options, telemetryOptions });
    return {};
  } catch (err) {
    Runtime.install(options);
    return { metricsError: (err as Error).message };
  }
}
