import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PrepareScheduledRunInput, PreparedScheduledRun, RuleflowActivities } from '@ruleflow/activities';
import type { RuleSnapshot } from '@ruleflow/rules';
import { DEFAULT_RETRY } from '@ruleflow/rules';
import type { TestWorker } from '@ruleflow/testing';
import { startTestWorker } from '@ruleflow/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import {
  ApplicationFailure,
  ChildWorkflowFailure,
  defineSearchAttributeKey,
  SearchAttributeType,
} from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ruleWorkflowId, scheduledEventId } from './contract';
import { EntityNameKey, RuleIdKey, RuleNameKey, TenantIdKey, TriggerTypeKey } from './contract';
import type { RuleExecutionResult, ScheduledRuleInput } from './contract';
import { SCHEDULED_RULE_WORKFLOW } from './contract';

/**
 * ScheduledRuleWorkflow on the real dev server, fired by a real Temporal Schedule and started
 * directly, with in-memory activities; the child RuleExecutionWorkflow runs for real.
 */
describe('ScheduledRuleWorkflow', () => {
  const tenantId = '22222222-2222-4222-8222-222222222222';
  const calls: Array<{ name: string; input: unknown }> = [];
  /** What prepareScheduledRun answers: a prepared run for the rule, or null (skip). */
  let prepare: (input: PrepareScheduledRunInput) => Promise<PreparedScheduledRun | null>;
  let webhookStatus: number;

  const record = (name: string) => async (input: unknown) => {
    calls.push({ name, input });
  };
  const activities: Partial<RuleflowActivities> = {
    prepareScheduledRun: async (input) => {
      calls.push({ name: 'prepareScheduledRun', input });
      return prepare(input);
    },
    markExecutionRunning: async (input) => {
      await record('markExecutionRunning')(input);
      return { status: 'running' as const };
    },
    recordActionStarted: record('recordActionStarted'),
    recordActionResult: record('recordActionResult'),
    completeExecution: record('completeExecution'),
    // The child chains dependent rules after a success; these rules have none.
    prepareChildRuns: async () => ({ runs: [], skipped: [] }),
    deliverWebhook: async (input) => {
      calls.push({ name: 'deliverWebhook', input });
      if (webhookStatus >= 400) {
        throw ApplicationFailure.create({
          type: 'WebhookRejectedError',
          nonRetryable: true,
          message: `webhook answered ${webhookStatus}`,
          details: [{ attempt: 1, statusCode: webhookStatus }],
        });
      }
      return { statusCode: webhookStatus, body: { ok: true }, attempts: 1, deliveryId: 'd' };
    },
  };

  let worker: TestWorker;
  const schedules: string[] = [];

  beforeAll(async () => {
    worker = await startTestWorker(activities, 'sched-wf');
  });
  afterAll(async () => {
    for (const id of schedules)
      await worker.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    await worker?.close();
  });
  beforeEach(() => {
    calls.length = 0;
    webhookStatus = 200;
    prepare = async (input) => preparedRun(input);
  });

  const snapshot = (ruleId: string): RuleSnapshot => ({
    id: ruleId,
    tenantId,
    name: 'nightly export',
    version: 4,
    entity: 'reports',
    triggerType: 'scheduled',
    conditions: { all: [] },
    actions: [{ name: 'export', type: 'webhook', config: { url: 'http://h/export' }, retry: DEFAULT_RETRY }],
  });
  /** What the real activity returns: the run's event is named after the fire time. */
  const preparedRun = (input: PrepareScheduledRunInput): PreparedScheduledRun => {
    const eventId = scheduledEventId(input.scheduledAt);
    const executionId = randomUUID();
    return {
      executionId,
      workflowId: ruleWorkflowId(input.ruleId, eventId),
      input: {
        executionId,
        rule: snapshot(input.ruleId),
        event: {
          id: eventId,
          entity: 'reports',
          type: 'scheduled',
          data: {},
          previous: null,
          occurredAt: input.scheduledAt,
        },
        parent: null,
      },
    };
  };
  const recordHistory = async (handle: WorkflowHandle, name: string) => {
    if (process.env.RECORD_HISTORIES !== '1') return;
    const file = path.join(__dirname, `../test/histories/scheduled-rule.${name}.json`);
    writeFileSync(file, historyToJSON(await handle.fetchHistory()));
  };
  const startDirectly = (input: ScheduledRuleInput) =>
    worker.client.workflow.start(SCHEDULED_RULE_WORKFLOW, {
      workflowId: `sched-test-${input.ruleId}`,
      taskQueue: worker.taskQueue,
      args: [input],
    });
  const prepareInput = () => calls.find((c) => c.name === 'prepareScheduledRun')!.input as PrepareScheduledRunInput;

  it('fired by a Temporal Schedule: records the fire at its scheduled time and runs the rule as a child', async () => {
    const ruleId = randomUUID();
    const scheduleId = `sched-test-${ruleId}`;
    schedules.push(scheduleId);
    const schedule = await worker.client.schedule.create({
      scheduleId,
      // Never fires on its own during the test: only trigger() starts it.
      spec: { cronExpressions: ['0 0 1 1 *'] },
      action: {
        type: 'startWorkflow',
        workflowType: SCHEDULED_RULE_WORKFLOW,
        workflowId: scheduleId,
        taskQueue: worker.taskQueue,
        args: [{ ruleId, tenantId }],
      },
    });
    await schedule.trigger();
    let workflowId: string | undefined;
    for (let i = 0; i < 100 && !workflowId; i++) {
      workflowId = (await schedule.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId) await new Promise((r) => setTimeout(r, 100));
    }
    expect(workflowId).toBeDefined();
    const handle = worker.client.workflow.getHandle(workflowId!);
    const result = (await handle.result()) as RuleExecutionResult;

    // The fire time is the schedule's nominal time (TemporalScheduledStartTime), the one Temporal
    // also appended to the workflow id, not the moment the workflow code happened to run.
    const described = await handle.describe();
    const nominal = described.typedSearchAttributes.get(
      defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME),
    );
    expect(nominal).toBeInstanceOf(Date);
    const prepared = prepareInput();
    expect(prepared).toEqual({ ruleId, tenantId, scheduledAt: nominal!.toISOString(), workflowId });
    expect(workflowId!.startsWith(`${scheduleId}-`)).toBe(true);
    expect(new Date(workflowId!.slice(scheduleId.length + 1)).getTime()).toBe(
      Math.floor(nominal!.getTime() / 1000) * 1000,
    );

    // The child: the business-key id, the prepared input, the run's search attributes.
    const childId = ruleWorkflowId(ruleId, scheduledEventId(prepared.scheduledAt));
    expect(result).toEqual({
      executionId: expect.any(String),
      status: 'success',
      steps: { export: { statusCode: 200, body: { ok: true } } },
      error: null,
      errorAction: null,
    });
    const child = await worker.client.workflow.getHandle(childId).describe();
    expect(child.type).toBe('RuleExecutionWorkflow');
    expect(child.status.name).toBe('COMPLETED');
    expect(child.parentExecution?.workflowId).toBe(workflowId);
    expect(child.typedSearchAttributes.get(RuleIdKey)).toBe(ruleId);
    expect(child.typedSearchAttributes.get(RuleNameKey)).toBe('nightly export');
    expect(child.typedSearchAttributes.get(EntityNameKey)).toBe('reports');
    expect(child.typedSearchAttributes.get(TriggerTypeKey)).toBe('scheduled');
    expect(child.typedSearchAttributes.get(TenantIdKey)).toBe(tenantId);
    expect(await child.staticSummary()).toBe(`Scheduled rule **nightly export** v4, fire of ${prepared.scheduledAt}`);
    expect(calls.map((c) => c.name)).toEqual([
      'prepareScheduledRun',
      'markExecutionRunning',
      'recordActionStarted',
      'deliverWebhook',
      'recordActionResult',
      'completeExecution',
    ]);
    expect(calls.find((c) => c.name === 'markExecutionRunning')!.input).toMatchObject({
      executionId: result.executionId,
    });
    await recordHistory(handle, 'success');
  });

  it('started outside a schedule, uses its start time as the fire time', async () => {
    const ruleId = randomUUID();
    const handle = await startDirectly({ ruleId, tenantId });
    const result = (await handle.result()) as RuleExecutionResult;
    expect(result.status).toBe('success');
    const startTime = (await handle.describe()).startTime;
    const scheduledAt = new Date(prepareInput().scheduledAt).getTime();
    expect(Math.abs(scheduledAt - startTime.getTime())).toBeLessThan(1000);
  });

  it('skips a fire the activity declines (rule gone, inactive, not scheduled): null, no child', async () => {
    prepare = async () => null;
    const ruleId = randomUUID();
    const handle = await startDirectly({ ruleId, tenantId });
    expect(await handle.result()).toBeNull();
    expect(calls.map((c) => c.name)).toEqual(['prepareScheduledRun']);
    const childId = ruleWorkflowId(ruleId, scheduledEventId(prepareInput().scheduledAt));
    await expect(worker.client.workflow.getHandle(childId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    await recordHistory(handle, 'skipped');
  });

  it('a failed child fails the scheduled run too', async () => {
    webhookStatus = 400;
    const ruleId = randomUUID();
    const handle = await startDirectly({ ruleId, tenantId });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(ChildWorkflowFailure);
    expect(calls.at(-1)).toEqual({
      name: 'completeExecution',
      input: expect.objectContaining({ status: 'failed', errorAction: 'export', error: 'webhook answered 400' }),
    });
    expect((await handle.describe()).status.name).toBe('FAILED');
    await recordHistory(handle, 'child-failed');
  });

  it('a permanent failure of the activity fails the run without a child', async () => {
    prepare = async () => {
      throw ApplicationFailure.create({ type: 'InvalidScheduledRun', nonRetryable: true, message: 'bad fire' });
    };
    const handle = await startDirectly({ ruleId: randomUUID(), tenantId });
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(calls.map((c) => c.name)).toEqual(['prepareScheduledRun']);
  });
});
