import 'reflect-metadata';
import {
  encryptionKeyId,
  loadConfig,
  maskConfig,
  resolveEncryptionKeys,
  temporalConnectionOptions,
} from '@ruleflow/config';
import { TransformSandbox } from '@ruleflow/outbound';
import { createDataSource, rowLevelSecurityBypass } from '@ruleflow/entities';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { installWorkerRuntime, metricsBindAddress } from './metrics';
import { ensureRetentionSchedule, retentionScheduleOptions } from './retention-schedule';
import { createRuleflowWorker, ensureSearchAttributes } from './worker';

/** The worker process: no HTTP server; runs rule workflows and their activities until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = pino({ level: config.logLevel, base: { service: 'ruleflow-worker' } });
  if (!config.database.url) throw new Error('DATABASE_URL is not set (npm start sets it for the embedded database)');
  log.info({ config: maskConfig(config) }, 'starting worker');
  // Fail fast (production without RULEFLOW_ENCRYPTION_KEY) before connecting anywhere.
  const encryption = resolveEncryptionKeys(config);
  log.info({ keyId: encryptionKeyId(encryption.current), source: encryption.source }, 'secrets encryption key');

  // Once per process, before any connection: the runtime carries the Prometheus exporter (metrics.ts).
  const runtime = installWorkerRuntime(
    {
      logger: new DefaultLogger(config.logLevel === 'debug' ? 'DEBUG' : 'INFO', (entry) => {
        const level = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : 'debug';
        log[level]({ ...entry.meta, component: 'temporal' }, entry.message);
      }),
    },
    config.workerMetrics,
  );
  const metricsAddress = metricsBindAddress(config.workerMetrics);
  if (runtime.metricsError) {
    log.warn(
      { address: metricsAddress, error: runtime.metricsError },
      'no worker metrics: the exporter could not start (set WORKER_METRICS_PORT to a free port, or 0)',
    );
  } else if (config.workerMetrics.port) {
    log.info({ address: metricsAddress }, 'worker metrics at GET /metrics');
  }

  const dataSource = createDataSource({
    url: config.database.url,
    poolSize: config.database.poolSize,
    applicationName: 'ruleflow-worker',
  });
  await dataSource.initialize();
  const bypass = await rowLevelSecurityBypass(dataSource);
  if (bypass) log.warn(`${bypass}: tenant isolation rests on the application's queries alone`);

  const connectionOptions = temporalConnectionOptions(config);
  const client = await Connection.connect(connectionOptions);
  const registered = await ensureSearchAttributes(client, config.temporal.namespace);
  if (registered.error) log.warn({ error: registered.error }, 'could not register search attributes');
  else if (registered.added.length) log.info({ added: registered.added }, 'registered search attributes');
  const retention = await ensureRetentionSchedule(
    new Client({ connection: client, namespace: config.temporal.namespace }),
    retentionScheduleOptions(config),
  );
  if ('error' in retention) log.warn({ error: retention.error }, 'could not create or update the retention schedule');
  else log.info({ outcome: retention.outcome, ...config.retention }, 'retention schedule in place');
  await client.close();

  const connection = await NativeConnection.connect(connectionOptions);
  // Endpoint transforms run in sandbox processes: a hostile one fails its delivery, not this process.
  const transforms = new TransformSandbox(config.transforms);
  const worker = await createRuleflowWorker({ config, dataSource, connection, transforms });
  log.info({ taskQueue: config.temporal.taskQueue, namespace: config.temporal.namespace }, 'worker running');
  try {
    await worker.run(); // resolves after SIGINT/SIGTERM once in-flight tasks are handed back
  } finally {
    await transforms.close();
    await connection.close();
    await dataSource.destroy();
    log.info('worker stopped');
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : err);
  process.exit(1);
});
