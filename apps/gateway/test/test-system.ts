/**
 * The whole system for end-to-end tests: a fresh migrated database, a real worker on a unique task
 * queue against the shared Temporal dev server, and the real gateway app over HTTP.
 */
import { randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import { loadConfig } from '@ruleflow/config';
import { createDataSource } from '@ruleflow/entities';
import { createTestDatabase, testTemporalAddress, uniqueTaskQueue, workflowBundle } from '@ruleflow/testing';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Worker } from '@temporalio/worker';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { createRuleflowWorker } from '../../worker/src/worker';
import { createGatewayApp } from '../src/app.factory';

export const ADMIN_KEY = 'rf_test_admin_key_0123456789abcdef';
/**
 * One random secrets key for the run (set by the test stack), so the gateway that seals and the
 * worker that opens agree; a fresh one per process when the stack did not set it.
 */
export const TEST_ENCRYPTION_KEY = process.env.RULEFLOW_TEST_ENCRYPTION_KEY ?? randomBytes(32).toString('base64');

export interface TestSystem {
  config: RuleflowConfig;
  app: INestApplication;
  http: ReturnType<typeof request>;
  db: DataSource;
  temporal: Client;
  databaseUrl: string;
  /** Authorization header for the admin key. */
  auth: { Authorization: string };
  startGateway(overrides?: Record<string, string>): Promise<INestApplication>;
  close(): Promise<void>;
}

export interface TestSystemOptions {
  env?: Record<string, string>;
  /** Start no worker (runs stay queued in Temporal). */
  withoutWorker?: boolean;
}

/** Build a config as the launcher would, pointed at the test services. */
export function testConfig(databaseUrl: string, taskQueue: string, env: Record<string, string> = {}): RuleflowConfig {
  return loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_SIZE: '4',
    TEMPORAL_ADDRESS: testTemporalAddress(),
    TEMPORAL_TASK_QUEUE: taskQueue,
    RULEFLOW_ADMIN_KEY: ADMIN_KEY,
    RULEFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    OUTBOX_POLL_MS: '200',
    ...env,
  });
}

export async function startTestSystem(options: TestSystemOptions = {}): Promise<TestSystem> {
  const database = await createTestDatabase();
  const taskQueue = uniqueTaskQueue('e2e');
  const config = testConfig(database.url, taskQueue, options.env);

  const db = createDataSource({ url: database.url, poolSize: 2, systemByDefault: true });
  await db.initialize();

  let worker: Worker | undefined;
  let workerRun: Promise<void> | undefined;
  let nativeConnection: NativeConnection | undefined;
  if (!options.withoutWorker) {
    const workerDb = createDataSource({ url: database.url, poolSize: 4 });
    await workerDb.initialize();
    nativeConnection = await NativeConnection.connect({ address: testTemporalAddress() });
    worker = await createRuleflowWorker({
      config,
      dataSource: workerDb,
      connection: nativeConnection,
      workflowBundlePath: workflowBundle().codePath,
    });
    workerRun = worker.run().finally(() => workerDb.destroy());
  }

  const apps: INestApplication[] = [];
  const startGateway = async (overrides: Record<string, string> = {}) => {
    const app = await createGatewayApp(testConfig(database.url, taskQueue, { ...options.env, ...overrides }));
    await app.init();
    apps.push(app);
    return app;
  };
  const app = await startGateway();
  const connection = await Connection.connect({ address: testTemporalAddress() });
  const temporal = new Client({ connection });

  return {
    config,
    app,
    http: request(app.getHttpServer()),
    db,
    temporal,
    databaseUrl: database.url,
    auth: { Authorization: `Bearer ${ADMIN_KEY}` },
    startGateway,
    async close() {
      for (const a of apps.reverse()) await a.close().catch(() => undefined);
      if (worker && worker.getState() === 'RUNNING') worker.shutdown();
      await workerRun;
      await nativeConnection?.close();
      await connection.close();
      await db.destroy();
      await database.drop();
    },
  };
}

/** Poll until `fn` returns a truthy value (or throw with the last value after the timeout). */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 30000,
  stepMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs}ms; last: ${String(last)}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
