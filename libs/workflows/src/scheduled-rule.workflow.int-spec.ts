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
import { ApplicationFailure, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { ruleWorkflowId, scheduledEventId } from './contract';
import {
  EntityNameKey,
  EventIdKey,
  RuleflowKindKey,
  RuleIdKey,
  RuleNameKey,
  RunStatusKey,
  TenantIdKey,
  TriggerTypeKey,
} from './contract';
import type { RuleExecutionResult, ScheduledRuleInput } from './contract';
import { SCHEDULED_RULE_WORKFLOW } from './contract';

/**
 * ScheduledRuleWorkflow on the real dev server, fired by a real Temporal Schedule and started
 * directly, with in-memory activities; it runs the rule itself (one fire, one workflow).
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
  /** What the real activity returns: the run's event is named after the fire time; its workflow is the fire. */
  const preparedRun = (input: PrepareScheduledRunInput): PreparedScheduledRun => {
    const eventId = scheduledEventId(input.scheduledAt);
    const executionId = randomUUID();
    return {
      executionId,
      workflowId: input.runsInFire ? input.workflowId : ruleWorkflowId(input.ruleId, eventId),
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
  /** The workflows the list shows for a query, once visibility has caught up with `until`. */
  const listed = async (query: string, until: (ids: string[]) => boolean) => {
    let ids: string[] = [];
    for (let k = 0; k < 300; k++) {
      ids = [];
      for await (const run of worker.client.workflow.list({ query })) ids.push(`${run.type} ${run.workflowId}`);
      if (until(ids)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    return ids;
  };

  it('fired by a Temporal Schedule: records the fire at its scheduled time and runs the rule in the same workflow', async () => {
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
    expect(prepared).toEqual({ ruleId, tenantId, scheduledAt: nominal!.toISOString(), workflowId, runsInFire: true });
    expect(workflowId!.startsWith(`${scheduleId}-`)).toBe(true);
    expect(new Date(workflowId!.slice(scheduleId.length + 1)).getTime()).toBe(
      Math.floor(nominal!.getTime() / 1000) * 1000,
    );

    // No child: the fire is the rule's run, with the run's search attributes (its event and outcome too).
    const childId = ruleWorkflowId(ruleId, scheduledEventId(prepared.scheduledAt));
    await expect(worker.client.workflow.getHandle(childId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(result).toEqual({
      executionId: expect.any(String),
      status: 'success',
      steps: { export: { statusCode: 200, body: { ok: true } } },
      error: null,
      errorAction: null,
    });
    expect(described.type).toBe(SCHEDULED_RULE_WORKFLOW);
    expect(described.status.name).toBe('COMPLETED');
    const attributes = described.typedSearchAttributes;
    expect(attributes.get(RuleflowKindKey)).toBe('rule_run');
    expect(attributes.get(RuleIdKey)).toBe(ruleId);
    expect(attributes.get(RuleNameKey)).toBe('nightly export');
    expect(attributes.get(EntityNameKey)).toBe('reports');
    expect(attributes.get(TriggerTypeKey)).toBe('scheduled');
    expect(attributes.get(TenantIdKey)).toBe(tenantId);
    expect(attributes.get(EventIdKey)).toBe(scheduledEventId(prepared.scheduledAt));
    expect(attributes.get(RunStatusKey)).toBe('success');
    // One fire, one workflow in the list.
    const runs = await listed(`RuleId = "${ruleId}" AND RunStatus = "success"`, (ids) => ids.length > 0);
    expect(runs).toEqual([`${SCHEDULED_RULE_WORKFLOW} ${workflowId}`]);
    expect(await listed(`RuleId = "${ruleId}"`, () => true)).toEqual(runs);
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
      runId: described.runId,
    });
    await recordHistory(handle, 'fire-success');
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

  it('skips a fire the activity declines (rule gone, inactive, not scheduled): null, RunStatus skipped', async () => {
    prepare = async () => null;
    const ruleId = randomUUID();
    const handle = await startDirectly({ ruleId, tenantId });
    expect(await handle.result()).toBeNull();
    expect(calls.map((c) => c.name)).toEqual(['prepareScheduledRun']);
    const childId = ruleWorkflowId(ruleId, scheduledEventId(prepareInput().scheduledAt));
    await expect(worker.client.workflow.getHandle(childId).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect((await handle.describe()).typedSearchAttributes.get(RunStatusKey)).toBe('skipped');
    await recordHistory(handle, 'fire-skipped');
  });

  it('a failed rule run fails the fire, RunStatus failed', async () => {
    webhookStatus = 400;
    const ruleId = randomUUID();
    const handle = await startDirectly({ ruleId, tenantId });
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toMatchObject({ type: 'RuleExecutionFailed' });
    expect(calls.at(-1)).toEqual({
      name: 'completeExecution',
      input: expect.objectContaining({ status: 'failed', errorAction: 'export', error: 'webhook answered 400' }),
    });
    const described = await handle.describe();
    expect(described.status.name).toBe('FAILED');
    expect(described.typedSearchAttributes.get(RunStatusKey)).toBe('failed');
    await recordHistory(handle, 'fire-failed');
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
