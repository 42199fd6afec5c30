import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RuleflowActivities } from '@ruleflow/activities';
import type { RuleSnapshot, RunResume } from '@ruleflow/rules';
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
    reacquireAllocation: async (input) => {
      calls.push({ name: 'reacquireAllocation', input: input as unknown as Record<string, unknown> });
      return reacquire(input.idempotencyKey);
    },
  };
  /** An allocation of 2 units of sku S (the stock as the original reserved it). */
  const held = (idempotencyKey: string, allocated = 2): AllocationView => ({
    id: `alloc-${idempotencyKey}`,
    idempotencyKey,
    orderId: '42',
    status: allocated === 2 ? 'allocated' : allocated > 0 ? 'partial' : 'rejected',
    lines: [{ sku: 'S', requested: 2, allocated }],
    createdAt: '2026-11-22T00:00:00.000Z',
  });
  /** What reacquireAllocation answers: held again by default; `gone` keys fail as the activity does. */
  let gone = new Set<string>();
  let reacquire = async (key: string): Promise<{ allocation: AllocationView; attempt: number }> => {
    if (!gone.has(key)) return { allocation: held(key), attempt: 1 };
    throw ApplicationFailure.create({
      type: 'InventoryUnavailable',
      nonRetryable: true,
      message: 'not enough stock for order 42: S (requested 2)',
      details: [{ attempt: 1, allocation: held(key, 0) }],
    });
  };

  let worker: TestWorker;
  beforeAll(async () => {
    worker = await startTestWorker(activities, 'wf-resume');
  });
  afterAll(async () => {
    await worker?.close();
  });
  const defaultReacquire = reacquire;
  beforeEach(() => {
    calls.length = 0;
    webhook = answered200;
    gone = new Set();
    reacquire = defaultReacquire;
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
    // Under the original's key, and a `rejected` allocation stored under it is tried again.
    expect(inputsOf('allocateInventory')[0]).toMatchObject({ idempotencyKey: `${base}/d`, retryUnheld: true });

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

  it('an allocation the original had rejected is tried again under its key (retryUnheld) and the run ends success', async () => {
    const i = resumeInput(Math.random().toString(36).slice(2));
    i.resume!.reused = { ...i.resume!.reused, b: { statusCode: 200, body: null }, c: { alertId: 'alert-1' } };
    const handle = await start(i);
    const result = await handle.result();
    expect(result.status).toBe('success');
    expect(inputsOf('deliverWebhook')).toHaveLength(0);
    expect(inputsOf('allocateInventory')).toEqual([
      {
        tenantId: snapshot.tenantId,
        idempotencyKey: `rule-original-${i.event.id}/d`,
        orderId: '42',
        lines: [{ sku: 'S', quantity: 1 }],
        retryUnheld: true,
      },
    ]);
    expect(inputsOf('recordActionResult').map((r) => [r.actionName, r.status])).toEqual([['d', 'success']]);
    await recordHistory(handle, 'resume-retries-rejected.run-journal');
  });

  describe("reused allocations (the original's compensation released them)", () => {
    type Action = RuleSnapshot['actions'][number];
    const allocate = (name: string, extra: Partial<Action> = {}): Action => ({
      name,
      type: 'allocate_inventory',
      config: { orderId: '{{data.id}}', lines: [{ sku: 'S', quantity: 2 }] },
      retry,
      ...extra,
    });
    /** d1, d2 (allocations) and e (a webhook) succeeded before f failed; the resume reuses the first three. */
    const allocationsInput = (
      id: string,
      rule: Partial<RuleSnapshot> = {},
      reused: Record<string, unknown> = {},
    ): RuleExecutionInput & { resume: RunResume } => {
      const base = resumeInput(id);
      const key = (name: string) => `rule-original-${id}/${name}`;
      return {
        ...base,
        rule: {
          ...snapshot,
          actions: [
            allocate('d1'),
            allocate('d2'),
            { name: 'e', type: 'webhook', config: { url: 'http://h/e' }, retry },
            { name: 'f', type: 'webhook', config: { url: 'http://h/f', body: { d1: '{{steps.d1.status}}' } }, retry },
          ],
          ...rule,
        },
        resume: {
          ...base.resume!,
          reused: { d1: held(key('d1')), d2: held(key('d2')), e: { statusCode: 200, body: null }, ...reused },
          webhookDeliveries: {},
        },
      };
    };

    it('holds each reused allocation again under its key before the run goes on, and ends success', async () => {
      const id = Math.random().toString(36).slice(2);
      const handle = await start(allocationsInput(id));
      const result = await handle.result();
      expect(result.status).toBe('success');
      const keys = [`rule-original-${id}/d1`, `rule-original-${id}/d2`];
      expect(inputsOf('reacquireAllocation')).toEqual(
        keys.map((idempotencyKey) => ({ tenantId: snapshot.tenantId, idempotencyKey })),
      );
      expect(result.steps.d1).toEqual(held(keys[0]!));
      expect(inputsOf('allocateInventory')).toHaveLength(0);
      expect(inputsOf('releaseAllocation')).toHaveLength(0);
      // Held as the original held them: still reused, nothing written for them; f saw d1.
      expect(inputsOf('recordActionResult').map((r) => r.actionName)).toEqual(['f']);
      expect(inputsOf('deliverWebhook').map((w) => w.body)).toEqual([{ d1: 'allocated' }]);
      await recordHistory(handle, 'resumed-run-reacquires.run-journal');
    });

    it('stock gone: the allocation is recorded failed as it now is, and what the resume holds is released', async () => {
      const id = Math.random().toString(36).slice(2);
      gone = new Set([`rule-original-${id}/d2`]);
      const handle = await start(allocationsInput(id));
      await expect(handle.result()).rejects.toThrow();
      const d2 = inputsOf('recordActionResult').find((r) => r.actionName === 'd2');
      expect(d2).toMatchObject({
        status: 'failed',
        attempts: 1,
        error: 'not enough stock for order 42: S (requested 2)',
        output: held(`rule-original-${id}/d2`, 0),
      });
      expect(inputsOf('completeExecution')[0]).toMatchObject({ status: 'partial', errorAction: 'd2' });
      expect(inputsOf('deliverWebhook')).toHaveLength(0);
      // Compensation returns d1 (held again by the resume); d2 holds nothing.
      expect(inputsOf('releaseAllocation').map((r) => r.idempotencyKey)).toEqual([`rule-original-${id}/d1`]);
    });

    it('stock gone with continueOnError: the run goes on and ends partial', async () => {
      const id = Math.random().toString(36).slice(2);
      gone = new Set([`rule-original-${id}/d1`]);
      const i = allocationsInput(id);
      i.rule.actions[0] = allocate('d1', { continueOnError: true });
      const handle = await start(i);
      await expect(handle.result()).rejects.toThrow();
      expect(inputsOf('completeExecution')[0]).toMatchObject({ status: 'partial', errorAction: 'd1' });
      // f ran without d1 in its steps; compensation returns d2.
      expect(inputsOf('deliverWebhook').map((w) => w.body)).toEqual([{ d1: null }]);
      expect(inputsOf('releaseAllocation').map((r) => r.idempotencyKey)).toEqual([`rule-original-${id}/d2`]);
    });

    it('a partial hold is recorded as it now ends (success, not reused) with the allocation as it is now', async () => {
      const id = Math.random().toString(36).slice(2);
      reacquire = async (key) => ({ allocation: held(key, 1), attempt: 1 });
      const i = allocationsInput(id, { actions: [allocate('d1')] });
      delete i.resume.reused.d2;
      delete i.resume.reused.e;
      const result = await (await start(i)).result();
      expect(result.status).toBe('success');
      expect(result.steps.d1).toEqual(held(`rule-original-${id}/d1`, 1));
      expect(inputsOf('recordActionResult')).toEqual([
        expect.objectContaining({
          actionName: 'd1',
          status: 'success',
          attempts: 1,
          output: held(`rule-original-${id}/d1`, 1),
        }),
      ]);
    });

    it('an allocation a reused release_inventory of the run released is not held again', async () => {
      const id = Math.random().toString(36).slice(2);
      const key = `rule-original-${id}/d1`;
      const i = allocationsInput(
        id,
        { actions: [allocate('d1'), { name: 'r', type: 'release_inventory', config: {}, retry }] },
        { r: { released: [{ ...held(key), status: 'released' }] } },
      );
      delete i.resume.reused.d2;
      delete i.resume.reused.e;
      const result = await (await start(i)).result();
      expect(result.status).toBe('success');
      expect(inputsOf('reacquireAllocation')).toHaveLength(0);
    });
  });
});
