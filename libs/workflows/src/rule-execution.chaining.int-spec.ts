import type { ChildRun } from '@ruleflow/contract';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { PreparedChildRuns, PrepareChildRunsInput, RuleflowActivities } from '@ruleflow/activities';
import type { RuleSnapshot } from '@ruleflow/rules';
import { DEFAULT_RETRY } from '@ruleflow/rules';
import type { TestWorker } from '@ruleflow/testing';
import { startTestWorker } from '@ruleflow/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { chainedRuleWorkflowId } from './contract';
import { RULE_CHAINING_PATCH } from './rule-execution.workflow';
import { RULE_RUN_JOURNAL_PATCH } from './run-records';
import { RUN_STATUS_PATCH } from './run-status';
import { EventIdKey, RuleIdKey, RuleNameKey, TenantIdKey, TriggerTypeKey } from './contract';
import type { RuleExecutionInput } from './contract';
import { RULE_EXECUTION_WORKFLOW } from './contract';

const TENANT = '22222222-2222-4222-8222-222222222222';

/**
 * Chaining on the real dev server, with in-memory activities: after a success the dependents start
 * as child workflows (parent link, search attributes, `parent` in their templates) that outlive the
 * parent and cannot change its outcome; a failed run starts none.
 */
describe('RuleExecutionWorkflow chaining', () => {
  const calls: Array<{ name: string; input: Record<string, unknown> }> = [];
  /** parent rule id → its dependents, standing in for the rule DAG the real activity reads. */
  const graph = new Map<string, RuleSnapshot[]>();
  /** Every child run the fake activity recorded. */
  const recorded: ChildRun[] = [];
  let failUrl = '';
  const record = (name: string) => async (input: Record<string, unknown>) => {
    calls.push({ name, input });
  };
  const activities: Partial<RuleflowActivities> = {
    markExecutionRunning: async (input) => {
      await record('markExecutionRunning')(input);
      return { status: 'running' as const };
    },
    recordActionStarted: record('recordActionStarted'),
    recordActionResult: record('recordActionResult'),
    completeExecution: record('completeExecution'),
    deliverWebhook: async (input) => {
      calls.push({ name: 'deliverWebhook', input: input as unknown as Record<string, unknown> });
      if (input.url === failUrl)
        throw ApplicationFailure.create({ type: 'WebhookRejectedError', nonRetryable: true, message: 'answered 400' });
      return { statusCode: 200, body: { echo: input.body, n: 7 }, attempts: 1, deliveryId: input.deliveryId };
    },
    prepareChildRuns: async (input: PrepareChildRunsInput): Promise<PreparedChildRuns> => {
      calls.push({ name: 'prepareChildRuns', input: input as unknown as Record<string, unknown> });
      const runs: ChildRun[] = (graph.get(input.parentRuleId) ?? []).map((rule) => {
        const executionId = randomUUID();
        return {
          executionId,
          workflowId: chainedRuleWorkflowId(rule.id, input.event.id, input.parentExecutionId),
          rule,
        };
      });
      recorded.push(...runs);
      return { runs, skipped: [] };
    },
  };

  let worker: TestWorker;

  beforeAll(async () => {
    worker = await startTestWorker(activities, 'wf-chain');
  });
  afterAll(async () => {
    await worker?.close();
  });
  beforeEach(() => {
    calls.length = 0;
    graph.clear();
    recorded.length = 0;
    failUrl = '';
  });

  const snapshot = (
    name: string,
    actions: RuleSnapshot['actions'],
    triggerType: RuleSnapshot['triggerType'] = 'manual',
  ) =>
    ({
      id: randomUUID(),
      tenantId: TENANT,
      name,
      version: 2,
      entity: `${name}_entity`,
      triggerType,
      conditions: { all: [] },
      actions,
    }) satisfies RuleSnapshot;
  const webhook = (name: string, url: string, body?: unknown): RuleSnapshot['actions'][number] => ({
    name,
    type: 'webhook',
    config: body === undefined ? { url } : { url, body },
    retry: DEFAULT_RETRY,
  });
  const start = (rule: RuleSnapshot) => {
    const input: RuleExecutionInput = {
      executionId: randomUUID(),
      rule,
      event: {
        id: `evt-${randomUUID()}`,
        entity: 'orders',
        type: 'on_update',
        data: { id: 42 },
        previous: { id: 41 },
        occurredAt: '2026-11-22T00:00:00.000Z',
      },
      parent: null,
    };
    return {
      input,
      handle: worker.client.workflow.start(RULE_EXECUTION_WORKFLOW, {
        workflowId: `wf-chain-${input.executionId}`,
        taskQueue: worker.taskQueue,
        args: [input],
      }),
    };
  };
  const callsOf = (name: string, executionId: string) =>
    calls.filter((c) => c.name === name && c.input.executionId === executionId);
  const childHandle = (ruleId: string, eventId: string, parentExecutionId: string) =>
    worker.client.workflow.getHandle(chainedRuleWorkflowId(ruleId, eventId, parentExecutionId));
  /** Polls until the workflow exists (its parent may not have started it yet). */
  const describeWhenStarted = async (handle: WorkflowHandle) => {
    for (let i = 0; ; i++) {
      try {
        return await handle.describe();
      } catch (err) {
        if (i > 100) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  /** With RECORD_HISTORIES=1, keep this run's history for the replay test (standard JSON history format). */
  const recordHistory = async (handle: WorkflowHandle, name: string) => {
    if (process.env.RECORD_HISTORIES !== '1') return;
    const file = path.join(__dirname, `../test/histories/rule-execution.${name}.json`);
    writeFileSync(file, historyToJSON(await handle.fetchHistory()));
  };

  it('starts each dependent as a child workflow that outlives the parent, with `parent` in its templates', async () => {
    const child = snapshot('child', [
      webhook('notify', 'http://h/child', {
        fromParent: '{{parent.steps.lookup.body.n}}',
        id: '{{data.id}}',
        parentRun: '{{parent.executionId}}',
        parentRule: '{{parent.ruleName}}',
      }),
      // Still running after the parent has completed: ABANDON, not the default TERMINATE.
      { name: 'linger', type: 'delay', config: { duration: '2s' }, retry: DEFAULT_RETRY },
    ]);
    const parentRule = snapshot('parent', [webhook('lookup', 'http://h/parent')], 'on_update');
    graph.set(parentRule.id, [child]);

    const { input, handle: started } = start(parentRule);
    const handle = await started;
    const result = await handle.result();
    expect(result.status).toBe('success');

    const prepared = calls.filter((c) => c.name === 'prepareChildRuns');
    expect(prepared).toHaveLength(1);
    expect(prepared[0]!.input).toEqual({
      parentExecutionId: input.executionId,
      parentRuleId: parentRule.id,
      tenantId: TENANT,
      event: input.event,
      parent: {
        executionId: input.executionId,
        ruleId: parentRule.id,
        ruleName: 'parent',
        steps: { lookup: { statusCode: 200, body: { echo: expect.any(Object), n: 7 } } },
      },
    });

    const childRun = childHandle(child.id, input.event.id, input.executionId);
    const described = await describeWhenStarted(childRun);
    expect(described.status.name).toBe('RUNNING');
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(described.parentExecution).toEqual({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId });
    expect(described.typedSearchAttributes.get(RuleIdKey)).toBe(child.id);
    expect(described.typedSearchAttributes.get(RuleNameKey)).toBe('child');
    expect(described.typedSearchAttributes.get(TriggerTypeKey)).toBe('manual');
    expect(described.typedSearchAttributes.get(TenantIdKey)).toBe(TENANT);
    expect(described.typedSearchAttributes.get(EventIdKey)).toBe(input.event.id);
    // Plain text: the parent's timeline shows it as is.
    expect(await described.staticSummary()).toBe('Rule child v2 after parent on orders.on_update');

    const childResult = await childRun.result();
    expect(childResult.status).toBe('success');
    const childExecutionId = childResult.executionId;
    expect(childExecutionId).toBe(recorded[0]!.executionId);
    expect(
      await childRun
        .fetchHistory()
        .then((h) => h.events![0]!.workflowExecutionStartedEventAttributes!.parentWorkflowExecution?.workflowId),
    ).toBe(handle.workflowId);
    const sent = callsOf('deliverWebhook', childExecutionId)[0]!.input;
    expect(sent.body).toEqual({ fromParent: 7, id: 42, parentRun: input.executionId, parentRule: 'parent' });
    expect(sent.url).toBe('http://h/child');

    await recordHistory(handle, 'chained.run-journal');
  });

  it('a failed run starts no dependents', async () => {
    failUrl = 'http://h/broken';
    const parentRule = snapshot('failing parent', [webhook('broken', failUrl)]);
    graph.set(parentRule.id, [snapshot('never', [webhook('x', 'http://h/never')])]);
    const { handle: started } = start(parentRule);
    const handle = await started;
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(calls.map((c) => c.name)).not.toContain('prepareChildRuns');
    expect(calls.filter((c) => c.name === 'deliverWebhook').map((c) => c.input.url)).toEqual([failUrl]);
    const history = await handle.fetchHistory();
    expect(history.events!.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false);
  });

  it("a dependent's failure leaves the parent's success untouched", async () => {
    failUrl = 'http://h/child-fails';
    const child = snapshot('failing child', [webhook('bad', failUrl)]);
    const parentRule = snapshot('steady parent', [webhook('ok', 'http://h/ok')]);
    graph.set(parentRule.id, [child]);
    const { input, handle: started } = start(parentRule);
    const handle = await started;
    await expect(handle.result()).resolves.toMatchObject({ status: 'success' });
    const childRun = childHandle(child.id, input.event.id, input.executionId);
    await describeWhenStarted(childRun);
    await expect(childRun.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(calls.filter((c) => c.name === 'completeExecution').map((c) => c.input.status)).toEqual([
      'success',
      'failed',
    ]);
  });

  it('chains a grandchild: A → B → C run in order, each with its own parent', async () => {
    const c = snapshot('C', [
      webhook('c', 'http://h/c', { via: '{{parent.ruleName}}', got: '{{parent.steps.b.body.echo}}' }),
    ]);
    const b = snapshot('B', [webhook('b', 'http://h/b', { via: '{{parent.ruleName}}' })]);
    const a = snapshot('A', [webhook('a', 'http://h/a')]);
    graph.set(a.id, [b]);
    graph.set(b.id, [c]);
    const { input, handle: started } = start(a);
    await (await started).result();
    const bRun = childHandle(b.id, input.event.id, input.executionId);
    await describeWhenStarted(bRun);
    const bResult = await bRun.result();
    const cRun = childHandle(c.id, input.event.id, bResult.executionId);
    const cDescribed = await describeWhenStarted(cRun);
    expect(cDescribed.parentExecution?.workflowId).toBe(bRun.workflowId);
    await cRun.result();
    const delivered = calls.filter((x) => x.name === 'deliverWebhook').map((x) => [x.input.url, x.input.body]);
    expect(delivered).toEqual([
      ['http://h/a', expect.anything()],
      ['http://h/b', { via: 'A' }],
      ['http://h/c', { via: 'B', got: { via: 'A' } }],
    ]);
  });

  it('marks new runs with the run-journal, chaining and run-status patches, so older histories replay without them', async () => {
    const { handle: started } = start(snapshot('lonely', [webhook('x', 'http://h/lonely')]));
    const handle = await started;
    await handle.result();
    const history = await handle.fetchHistory();
    const patches = history
      .events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_patch')
      .map((e) => {
        const payload = e.markerRecordedEventAttributes!.details!['patch-data']!.payloads![0]!;
        return (JSON.parse(Buffer.from(payload.data!).toString('utf8')) as { id: string }).id;
      });
    expect(patches).toEqual([RULE_RUN_JOURNAL_PATCH, RULE_CHAINING_PATCH, RUN_STATUS_PATCH]);
  });
});
