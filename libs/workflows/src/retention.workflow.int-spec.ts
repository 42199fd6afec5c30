import type { RetentionPolicy, RetentionSummary } from '@ruleflow/contract';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RuleflowActivities } from '@ruleflow/activities';
import type { TestWorker } from '@ruleflow/testing';
import { startTestWorker } from '@ruleflow/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { RETENTION_CLEANUP_WORKFLOW } from './contract';

/** RetentionCleanupWorkflow on the real dev server with an in-memory cleanup activity. */
describe('RetentionCleanupWorkflow', () => {
  const calls: RetentionPolicy[] = [];
  let cleanup: (policy: RetentionPolicy) => Promise<RetentionSummary>;
  const activities: Partial<RuleflowActivities> = {
    cleanupExecutions: async (policy) => {
      calls.push(policy);
      return cleanup(policy);
    },
  };

  let worker: TestWorker;

  beforeAll(async () => {
    worker = await startTestWorker(activities, 'retention-wf');
  });
  afterAll(async () => {
    await worker?.close();
  });
  beforeEach(() => {
    calls.length = 0;
  });

  const recordHistory = async (handle: WorkflowHandle, name: string) => {
    if (process.env.RECORD_HISTORIES !== '1') return;
    const file = path.join(__dirname, `../test/histories/retention.${name}.json`);
    writeFileSync(file, historyToJSON(await handle.fetchHistory()));
  };
  const start = (policy: RetentionPolicy) =>
    worker.client.workflow.start(RETENTION_CLEANUP_WORKFLOW, {
      workflowId: `retention-test-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      taskQueue: worker.taskQueue,
      args: [policy],
    });

  it('runs the cleanup with the policy it was started with and returns its summary', async () => {
    const policy = { successDays: 30, failedDays: 7 };
    const summary: RetentionSummary = {
      policy,
      ranAt: '2026-11-22T03:15:00.000Z',
      deleted: { success: 5, failed: 2, partial: 1, cancelled: 0 },
      total: 8,
      deliveries: 11,
      endpointDeliveries: 3,
    };
    cleanup = async () => summary;
    const handle = await start(policy);
    expect(await handle.result()).toEqual(summary);
    expect(calls).toEqual([policy]);
    await recordHistory(handle, 'success');
  });

  it('returns per-table counts and describes them in its details', async () => {
    const policy = { successDays: 30, failedDays: 7, eventDays: 30, auditLogDays: 365 };
    const summary: RetentionSummary = {
      policy,
      ranAt: '2026-11-29T03:15:00.000Z',
      deleted: { success: 5, failed: 2, partial: 1, cancelled: 0 },
      total: 8,
      deliveries: 11,
      endpointDeliveries: 3,
      ivrSessions: 1,
      tables: {
        executions: 8,
        deliveries: 14,
        events: 20,
        notifications: 4,
        alerts: 2,
        audit_logs: 7,
        api_key_usage: 30,
        ivr_sessions: 1,
      },
    };
    cleanup = async () => summary;
    const handle = await start(policy);
    expect(await handle.result()).toEqual(summary);
    const metadata = (await handle.query('__temporal_workflow_metadata')) as { currentDetails?: string };
    expect(metadata.currentDetails).toBe(
      'Deleted 86 row(s): executions 8, deliveries 14, events 20, notifications 4, alerts 2, audit_logs 7, ' +
        'api_key_usage 30, ivr_sessions 1; executions by status: 5 success, 0 cancelled, 2 failed, 1 partial',
    );
    await recordHistory(handle, 'per-table');
  });

  it('fails when the cleanup fails for good (no silent success)', async () => {
    cleanup = async () => {
      throw ApplicationFailure.create({ type: 'InvalidRetentionPolicy', nonRetryable: true, message: 'bad policy' });
    };
    const handle = await start({ successDays: 0, failedDays: 7 });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ActivityFailure);
    expect((cause as ActivityFailure).cause).toMatchObject({ type: 'InvalidRetentionPolicy' });
    expect(calls).toHaveLength(1); // non-retryable: tried once
  });
});
