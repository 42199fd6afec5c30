import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RuleflowActivities } from '@ruleflow/activities';
import type { RuleSnapshot } from '@ruleflow/rules';
import { DEFAULT_RETRY } from '@ruleflow/rules';
import type { TestWorker } from '@ruleflow/testing';
import { startTestWorker } from '@ruleflow/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { RuleExecutionInput } from '../contract';
import {
  APPROVAL_NOT_AN_APPROVER,
  APPROVAL_NOTHING_WAITING,
  approvalDecisionUpdate,
  pendingApprovalQuery,
  RULE_EXECUTION_WORKFLOW,
} from '../contract';

/**
 * The wait_for_approval action in RuleExecutionWorkflow on the real dev server, with in-memory
 * activities: the run records the action `waiting`, an Update decides it (validated first: nothing
 * waiting, not an approver), and is answered after the result is recorded; rejections and timeouts
 * fail the action, `onTimeout: "continue"` goes on; a cancel while waiting ends the run cancelled.
 */
describe('RuleExecutionWorkflow: wait_for_approval', () => {
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  const record = (name: string) => async (input: unknown) => {
    calls.push({ name, input: input as Record<string, unknown> });
  };
  const activities: Partial<RuleflowActivities> = {
    markExecutionRunning: async () => ({ status: 'running' as const }),
    recordActionStarted: record('recordActionStarted'),
    recordActionWaiting: record('recordActionWaiting'),
    recordActionResult: record('recordActionResult'),
    completeExecution: record('completeExecution'),
    prepareChildRuns: async () => ({ runs: [], skipped: [] }),
    deliverWebhook: async (input) => {
      calls.push({ name: 'deliverWebhook', input: input as unknown as Record<string, unknown> });
      return { statusCode: 200, body: null, attempts: 1, deliveryId: 'd' };
    },
  };
  let worker: TestWorker;

  beforeAll(async () => {
    worker = await startTestWorker(activities, 'wf-approval');
  });
  afterAll(async () => {
    await worker?.close();
  });
  beforeEach(() => {
    calls.length = 0;
  });

  const retry = { ...DEFAULT_RETRY, maximumAttempts: 1 };
  const approval = (config: Record<string, unknown>, name = 'approve') => ({
    name,
    type: 'wait_for_approval' as const,
    config,
    retry,
  });
  const notify = {
    name: 'notify',
    type: 'webhook' as const,
    config: { url: 'http://127.0.0.1:9/notify', body: { by: '{{ steps.approve.by }}', ok: '{{ steps.approve }}' } },
    retry,
  };
  const start = async (actions: RuleSnapshot['actions'], onFailure?: RuleSnapshot['actions']) => {
    const eventId = `evt-${Math.random().toString(36).slice(2)}`;
    const input: RuleExecutionInput = {
      executionId: '33333333-3333-4333-8333-333333333333',
      rule: {
        id: '11111111-1111-4111-8111-111111111111',
        tenantId: '22222222-2222-4222-8222-222222222222',
        name: 'refunds',
        version: 1,
        entity: 'orders',
        triggerType: 'on_update',
        conditions: { all: [] },
        actions,
        ...(onFailure ? { onFailure } : {}),
      },
      event: {
        id: eventId,
        entity: 'orders',
        type: 'on_update',
        data: { id: 42, manager: 'carol' },
        previous: null,
        occurredAt: '2026-11-22T00:00:00.000Z',
      },
      parent: null,
    };
    return worker.client.workflow.start(RULE_EXECUTION_WORKFLOW, {
      workflowId: `wf-approval-${eventId}`,
      taskQueue: worker.taskQueue,
      args: [input],
    });
  };
  const until = async (check: () => boolean) => {
    for (let k = 0; k < 200 && !check(); k++) await new Promise((r) => setTimeout(r, 50));
    expect(check()).toBe(true);
  };
  const waitingFor = (name: string) => () =>
    calls.some((c) => c.name === 'recordActionWaiting' && c.input.actionName === name);
  const decide = (handle: WorkflowHandle, approved: boolean, by: string, comment?: string) =>
    handle.executeUpdate(approvalDecisionUpdate, { args: [{ approved, by, ...(comment ? { comment } : {}) }] });
  /** The failure type an Update was refused with. */
  const refusal = async (update: Promise<unknown>) => {
    const err: unknown = await update.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
    const cause = (err as WorkflowUpdateFailedError).cause;
    return cause instanceof ApplicationFailure ? cause.type : String(cause);
  };
  const keepHistory = async (handle: WorkflowHandle, name: string) => {
    if (process.env.RECORD_HISTORIES !== '1') return;
    const file = path.join(__dirname, `../../test/histories/rule-execution.${name}.json`);
    writeFileSync(file, historyToJSON(await handle.fetchHistory()));
  };
  const results = () => calls.filter((c) => c.name === 'recordActionResult').map((c) => c.input);

  it('approved: answered after the result is recorded; output {approved, by, comment, at} seen by later steps', async () => {
    const handle = await start([
      approval({ message: 'Refund order {{ data.id }}?', approvers: ['alice', '{{ data.manager }}'], timeout: '1h' }),
      notify,
    ]);
    await until(waitingFor('approve'));
    await expect(handle.query(pendingApprovalQuery)).resolves.toMatchObject({
      actionName: 'approve',
      message: 'Refund order 42?',
      approvers: ['alice', 'carol'],
    });
    // Not an approver: refused by the validator, and the run goes on waiting.
    await expect(refusal(decide(handle, true, 'mallory'))).resolves.toBe(APPROVAL_NOT_AN_APPROVER);

    const outcome = await decide(handle, true, 'carol', 'fine');
    expect(outcome).toMatchObject({ approved: true, by: 'carol', comment: 'fine' });
    expect(typeof outcome.at).toBe('string');
    // Answered once the run recorded it: the result is already written.
    expect(results()[0]).toMatchObject({ actionName: 'approve', status: 'success', attempts: 1, output: outcome });

    const result = await handle.result();
    expect(result.status).toBe('success');
    expect(result.steps.approve).toEqual(outcome);
    const sent = calls.find((c) => c.name === 'deliverWebhook')!.input;
    expect(sent.body).toEqual({ by: 'carol', ok: outcome });
    expect(calls.map((c) => c.name)).toEqual([
      'recordActionStarted',
      'recordActionWaiting',
      'recordActionResult',
      'recordActionStarted',
      'deliverWebhook',
      'recordActionResult',
      'completeExecution',
    ]);
    await keepHistory(handle, 'approval-approved.run-journal');
  });

  it('rejected: the action fails without retry, the run fails, later actions do not run', async () => {
    const handle = await start([approval({ timeout: '1h' }), notify]);
    await until(waitingFor('approve'));
    await expect(decide(handle, false, 'bob', 'too much')).resolves.toMatchObject({ approved: false, by: 'bob' });
    expect(results()[0]).toMatchObject({
      actionName: 'approve',
      status: 'failed',
      attempts: 1,
      error: 'rejected by bob: too much',
    });
    await expect(handle.result()).rejects.toThrow();
    expect(calls.at(-1)!.input).toMatchObject({ status: 'failed', errorAction: 'approve' });
    expect(calls.some((c) => c.name === 'deliverWebhook')).toBe(false);
    await keepHistory(handle, 'approval-rejected.run-journal');
  });

  it("a rejection runs the rule's onFailure actions with the rejection as error", async () => {
    const opsHook = {
      name: 'tell_ops',
      type: 'webhook' as const,
      config: { url: 'http://127.0.0.1:9/ops', body: { error: '{{ error }}', action: '{{ errorAction }}' } },
      retry,
    };
    const handle = await start([approval({ timeout: '1h' })], [opsHook]);
    await until(waitingFor('approve'));
    await decide(handle, false, 'bob');
    await expect(handle.result()).rejects.toThrow();
    const sent = calls.filter((c) => c.name === 'deliverWebhook').map((c) => c.input.body);
    expect(sent).toEqual([{ error: 'rejected by bob', action: 'approve' }]);
  });

  it('timed out: fails with "approval timed out" by default', async () => {
    const handle = await start([approval({ timeout: '1s' }), notify]);
    await expect(handle.result()).rejects.toThrow();
    expect(results()).toEqual([expect.objectContaining({ status: 'failed', error: 'approval timed out' })]);
    expect(calls.at(-1)!.input).toMatchObject({ status: 'failed', errorAction: 'approve' });
    await keepHistory(handle, 'approval-timed-out.run-journal');
  });

  it('timed out with onTimeout "continue": outputs {approved:false, timedOut:true} and goes on', async () => {
    const handle = await start([approval({ timeout: '1s', onTimeout: 'continue' }), notify]);
    const result = await handle.result();
    expect(result.status).toBe('success');
    expect(result.steps.approve).toEqual({ approved: false, timedOut: true });
    expect(calls.filter((c) => c.name === 'deliverWebhook')).toHaveLength(1);
  });

  const pause = (duration: string) => ({ name: 'pause', type: 'delay' as const, config: { duration }, retry });
  const started = (name: string) => () =>
    calls.some((c) => c.name === 'recordActionStarted' && c.input.actionName === name);

  it('refuses a decision while the run is not at an approval, then takes one at the second of two', async () => {
    const handle = await start([
      pause('2s'),
      approval({ timeout: '1h' }, 'first_ok'),
      approval({ timeout: '1h', approvers: ['alice'] }, 'second_ok'),
    ]);
    await until(started('pause'));
    // Running, but at a delay: nothing waits.
    await expect(refusal(decide(handle, true, 'alice'))).resolves.toBe(APPROVAL_NOTHING_WAITING);
    await expect(handle.query(pendingApprovalQuery)).resolves.toBeNull();
    await until(waitingFor('first_ok'));
    await expect(decide(handle, true, 'bob')).resolves.toMatchObject({ by: 'bob' });
    await until(waitingFor('second_ok'));
    await expect(handle.query(pendingApprovalQuery)).resolves.toMatchObject({ actionName: 'second_ok' });
    await expect(decide(handle, true, 'alice')).resolves.toMatchObject({ by: 'alice' });
    await expect(handle.result()).resolves.toMatchObject({
      status: 'success',
      steps: { first_ok: { by: 'bob' }, second_ok: { by: 'alice' } },
    });
  });

  it('a rule without an approval action has no handler: the Update is refused', async () => {
    const handle = await start([pause('2s')]);
    await until(started('pause'));
    await expect(refusal(decide(handle, true, 'alice'))).resolves.not.toBe(APPROVAL_NOT_AN_APPROVER);
    await expect(handle.result()).resolves.toMatchObject({ status: 'success' });
  });

  it('cancelled while waiting: the run ends cancelled and nothing waits any more', async () => {
    const handle = await start([approval({ timeout: '1h' }), notify]);
    await until(waitingFor('approve'));
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    expect(calls.at(-1)).toMatchObject({ name: 'completeExecution', input: { status: 'cancelled' } });
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(calls.some((c) => c.name === 'deliverWebhook')).toBe(false);
  });
});
