import { existsSync } from 'node:fs';
import { createActivities } from '@ruleflow/activities';
import type { RuleflowConfig } from '@ruleflow/config';
import { resolveEncryptionKeys } from '@ruleflow/config';
import { SEARCH_ATTRIBUTE_NAMES } from '@ruleflow/contract';
import {
  AlertRepository,
  ChildRunRepository,
  DeliveryRepository,
  EndpointDeliveryRepository,
  ExecutionRepository,
  InventoryRepository,
  IvrCallRepository,
  IvrLineRepository,
  IvrSessionRepository,
  NotificationRepository,
  RetentionRepository,
  ScheduledRunRepository,
  WebhookEndpointRepository,
  inOneTransaction,
} from '@ruleflow/entities';
import type { TransformSandbox } from '@ruleflow/outbound';
import { createSecretBox } from '@ruleflow/rules/node/secret-box';
import { Connection } from '@temporalio/client';
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { DataSource } from 'typeorm';
import {
  prebuiltBundlePath,
  repoRoot,
  workflowBundlerOptions,
  workflowsPath,
} from '@ruleflow/workflows/bundler-options';
import { relativeStackInterceptors } from './failure-stacks';

export interface RuleflowWorkerOptions {
  config: RuleflowConfig;
  dataSource: DataSource;
  connection: NativeConnection;
  taskQueue?: string;
  /** A prebuilt workflow bundle; defaults to dist/workflow-bundle.js when built, else bundles from source. */
  workflowBundlePath?: string;
  /** The process's transform sandbox (main.ts closes it on shutdown); else the shared one with default limits. */
  transforms?: TransformSandbox;
}

/** Where the worker's workflow code comes from: the prebuilt bundle when there is one. */
export function workflowSource(
  bundlePath?: string,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath' | 'bundlerOptions'> {
  const codePath = bundlePath ?? prebuiltBundlePath();
  if (existsSync(codePath)) return { workflowBundle: { codePath } };
  return { workflowsPath: workflowsPath(), bundlerOptions: workflowBundlerOptions() };
}

/** The Ruleflow worker: rule workflows plus every activity, wired to PostgreSQL. */
export async function createRuleflowWorker(options: RuleflowWorkerOptions): Promise<Worker> {
  const { config, dataSource, connection } = options;
  // Throws (the worker refuses to start) in production without RULEFLOW_ENCRYPTION_KEY.
  const keys = resolveEncryptionKeys(config);
  const secrets = createSecretBox(keys);
  const activities = createActivities({
    executions: new ExecutionRepository(dataSource),
    deliveries: new DeliveryRepository(dataSource),
    childRuns: new ChildRunRepository(dataSource),
    inventory: new InventoryRepository(dataSource),
    alerts: new AlertRepository(dataSource),
    ivrSessions: new IvrSessionRepository(dataSource),
    scheduledRuns: new ScheduledRunRepository(dataSource),
    retention: new RetentionRepository(dataSource),
    webhooks: config.webhooks,
    secrets,
    notifications: new NotificationRepository(dataSource),
    notify: config.notifications,
    webhookEndpoints: new WebhookEndpointRepository(dataSource),
    endpointDeliveries: new EndpointDeliveryRepository(dataSource),
    transforms: options.transforms,
    oneTransaction: (fn) => inOneTransaction(dataSource, fn),
    telephony: {
      lines: new IvrLineRepository(dataSource),
      calls: new IvrCallRepository(dataSource),
      secrets,
      keys: { current: keys.current, previous: keys.previous },
      publicUrl: config.http.publicUrl,
      twilioApiUrl: config.telephony.twilioApiUrl,
      allowPrivateNetworks: config.webhooks.allowPrivateNetworks,
    },
  });
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: options.taskQueue ?? config.temporal.taskQueue,
    activities,
    // The Temporal UI shows an activity failure's stack: no absolute paths of this machine in it.
    interceptors: { activity: [relativeStackInterceptors(repoRoot())] },
    ...workflowSource(options.workflowBundlePath),
  });
}

/**
 * Registers our Keyword search attributes on the namespace when missing. On a managed cluster
 * this may need operator rights; a refusal is reported and start-up goes on.
 */
export async function ensureSearchAttributes(
  connection: Connection,
  namespace: string,
): Promise<{ added: string[]; error?: string }> {
  try {
    const existing = await connection.operatorService.listSearchAttributes({ namespace });
    const known = new Set(Object.keys({ ...existing.customAttributes, ...existing.systemAttributes }));
    const missing = SEARCH_ATTRIBUTE_NAMES.filter((name) => !known.has(name));
    if (missing.length === 0) return { added: [] };
    const KEYWORD = temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
    await connection.operatorService.addSearchAttributes({
      namespace,
      searchAttributes: Object.fromEntries(missing.map((name) => [name, KEYWORD])),
    });
    return { added: missing };
  } catch (err) {
    return { added: [], error: (err as Error).message };
  }
}

export { Connection };
