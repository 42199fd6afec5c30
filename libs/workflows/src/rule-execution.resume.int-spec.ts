import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RuleflowActivities } from '@ruleflow/activities';
import type { RuleSnapshot } from '@ruleflow/rules';
import type { TestWorker } from '@ruleflow/testing';
import { startTestWorker } from '@ruleflow/testing';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { AllocationView, RuleExecutionInput } from './contract';
import { RULE_EXECUTION_WORKFLOW } from './contract';

const retry = { maximumAttempts: 3, initialInterval: '100ms', backoffCoefficient: 1, maximumInterval: '100ms' };

/**
 * A resumed run (`input.resume`) on the real dev server, with in-memory activities: reused actions
 * are not run and their outputs reach later templates; the rest keep the original's keys.
 */
describe('RuleExecutionWorkflow resume', () => {
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  const record = (name: string) => async (input: unknown) => {
    calls.push({ name, input: input as Record<string, unknown> });
  };
  /** 200, with the attempt number the activity reports (numbered on from `firstAttempt`). */
  const answered200 = async (input: { firstAttempt?: number }): Promise<unknown> => ({
    statusCode: 200,
    body: null,
    attempts: input.firstAttempt ?? 1,
    deliveryId: 'x',
  });
  let webhook = answered200;
  const allocation = (idempotencyKey: string): AllocationView =>
    ({ id: 'alloc-1', idempotencyKey, orderId: '42', status: 'allocated', lines: [] }) as unknown as AllocationView;
  const activities: Partial<RuleflowActivities> = {
    markExecutionRunning: async () => ({ status: 'running' }),
    recordActionStarted: record('recordActionStarted'),
    recordActionResult: record('recordActionResult'),
    completeExecution: record('completeExecution'),
    prepareChildRuns: async () => ({ runs: [], skipped: [] }),
    deliverWebhook: async (input) => {
      calls.push({ name: 'deliverWebhook', input: input as unknown as Record<string, unknown> });
      return webhook(input) as ReturnType<RuleflowActivities['deliverWebhook']>;
    },
    createAlert: async (input) => {
      calls.push({ name: 'createAlert', input: input as unknown as Record<string, unknown> });
      return { alertId: 'alert-1', attempt: 1 } as Awaited<ReturnType<RuleflowActivities['createAlert']>>;
    },
    allocateInventory: async (input) => {
      calls.push({ name: 'allocateInventory', input: input as unknown as Record<string, unknown> });
      return { allocation: allocation(input.idempotencyKey), attempt: 1 };
    },
    releaseAllocation: async (input) => {
      calls.push({ name: 'releaseAllocation', input: input as unknown as Record<string, unknown> });
      return allocation(input.idempotencyKey);
    },
  };

  let worker: TestWorker;
  beforeAll(async () => {
    worker = await startTestWorker(activities, 'wf-resume');
  });
  afterAll(async () => {
    await worker?.close();
  });
  beforeEach(() => {
    calls.length = 0;
    webhook = answered200;
  });

  const snapshot: RuleSnapshot = {
    id: '11111111-1111-4111-8111-111111111111',
    tenantId: '22222222-2222-4222-8222-222222222222',
    name: 'resumed rule',
    version: 2,
    entity: 'orders',
    triggerType: 'on_update',
    conditions: { all: [] },
    actions: [
      { name: 'a', type: 'webhook', config: { url: 'http://h/a' }, retry },
      { name: 'b', type: 'webhook', config: { url: 'http://h/b', body: { token: '{{steps.a.body.token}}' } }, retry },
      { name: 'c', type: 'create_alert', config: { alertType: 'x', title: 'from {{steps.a.body.token}}' }, retry },
      {
        name: 'd',
        type: 'allocate_inventory',
        config: { orderId: '{{data.id}}', lines: [{ sku: 'S', quantity: 1 }] },
        retry,
      },
    ],
  };
  const resumeInput = (id: string): RuleExecutionInput => ({
    executionId: '33333333-3333-4333-8333-333333333333',
    rule: snapshot,
    event: {
      id,
      entity: 'orders',
      type: 'on_update',
      data: { id: 42 },
      previous: null,
      occurredAt: '2026-11-22T00:00:00.000Z',
    },
    parent: null,
    resume: {
      idempotencyBase: `rule-original-${id}`,
      reused: { a: { statusCode: 200, body: { token: 'tok-1' } } },
      webhookDeliveries: { b: { deliveryId: 'original-b-delivery', attempts: 1 } },
    },
  });
  const recordHistory = async (handle: WorkflowHandle, name: string) => {
    if (process.env.RECORD_HISTORIES !== '1') return;
    const file = path.join(__dirname, `../test/histories/rule-execution.${name}.json`);
    writeFileSync(file, historyToJSON(await handle.fetchHistory()));
  };
  const start = (i: RuleExecutionInput) =>
    worker.client.workflow.start(RULE_EXECUTION_WORKFLOW, {
      workflowId: `wf-resume-${i.event.id}`,
      taskQueue: worker.taskQueue,
      args: [i],
    });
  const inputsOf = (name: string) => calls.filter((c) => c.name === name).map((c) => c.input);

  it('reuses what succeeded (templates see its output) and keeps the original keys for the rest', async () => {
    const i = resumeInput(Math.random().toString(36).slice(2));
    const handle = await start(i);
    const result = await handle.result();
    expect(result.status).toBe('success');
    expect(result.steps.a).toEqual({ statusCode: 200, body: { token: 'tok-1' } });

    // Only b is sent: under the original's webhook-id, its attempts numbered on from the original's one.
    const sent = inputsOf('deliverWebhook');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      actionName: 'b',
      deliveryId: 'original-b-delivery',
      firstAttempt: 2,
      maximumAttempts: 1 + retry.maximumAttempts,
      body: { token: 'tok-1' },
    });
    const base = `rule-original-${i.event.id}`;
    expect(inputsOf('createAlert')[0]).toMatchObject({ idempotencyKey: `${base}/c`, title: 'from tok-1' });
    expect(inputsOf('allocateInventory')[0]).toMatchObject({ idempotencyKey: `${base}/d` });

    // a is recorded reused when the execution is created: the run writes nothing for it.
    const results = inputsOf('recordActionResult');
    expect(results.map((r) => [r.actionName, r.status, r.attempts])).toEqual([
      ['b', 'success', 1],
      ['c', 'success', 1],
      ['d', 'success', 1],
    ]);
    expect(inputsOf('recordActionStarted').map((r) => r.actionName)).toEqual(['b', 'c', 'd']);
    await recordHistory(handle, 'resumed-run.run-journal');
  });

  it("a resumed webhook that fails again reports this run's attempts; the run is partial after a reuse", async () => {
    webhook = async (input) => {
      throw ApplicationFailure.create({
        type: 'WebhookRejectedError',
        nonRetryable: true,
        message: 'webhook answered 400',
        details: [{ attempt: input.firstAttempt ?? 1, statusCode: 400 }],
      });
    };
    const handle = await start(resumeInput(Math.random().toString(36).slice(2)));
    await expect(handle.result()).rejects.toThrow();
    const failed = inputsOf('recordActionResult').find((r) => r.actionName === 'b');
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(inputsOf('completeExecution')[0]).toMatchObject({ status: 'partial', errorAction: 'b' });
    expect(inputsOf('createAlert')).toHaveLength(0);
  });
});
