import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RuleflowActivities } from '@ruleflow/activities';
import type { RuleSnapshot } from '@ruleflow/rules';
import { DEFAULT_RETRY } from '@ruleflow/rules';
import type { TestWorker } from '@ruleflow/testing';
import { startTestWorker } from '@ruleflow/testing';
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { RuleExecutionInput } from './contract';
import { RULE_EXECUTION_WORKFLOW, RunStatusKey } from './contract';

/**
 * The workflow on the real dev server, with in-memory activities: ordering, templates over earlier
 * steps, durable delays, failure classification, and what it records.
 */
describe('RuleExecutionWorkflow', () => {
  const calls: Array<{ name: string; input: unknown }> = [];
  let webhookBehaviour: (input: {
    actionName: string | null;
    body: unknown;
  }) => Promise<{ statusCode: number; body: unknown; attempts: number; deliveryId: string }>;
  const record = (name: string) => async (input: unknown) => {
    calls.push({ name, input });
  };
  /** What the execution record says when the run starts (`cancelled`: cancelled before it started). */
  let startStatus: 'running' | 'cancelled' = 'running';
  const activities: Partial<RuleflowActivities> = {
    markExecutionRunning: async (input) => {
      calls.push({ name: 'markExecutionRunning', input });
      return { status: startStatus };
    },
    recordActionStarted: record('recordActionStarted'),
    recordActionResult: record('recordActionResult'),
    completeExecution: record('completeExecution'),
    // A successful run then looks for dependent rules to chain (covered in rule-execution.chaining.int-spec.ts).
    prepareChildRuns: async () => ({ runs: [], skipped: [] }),
    deliverWebhook: async (input) => {
      calls.push({ name: 'deliverWebhook', input });
      return webhookBehaviour(input);
    },
  };

  /** A webhook's permanent failure (a 4xx on the first attempt) and a plain 200, as deliverWebhook reports them. */
  const rejected400 = () =>
    ApplicationFailure.create({
      type: 'WebhookRejectedError',
      nonRetryable: true,
      message: 'webhook answered 400',
      details: [{ attempt: 1, statusCode: 400 }],
    });
  const answered200 = () => ({ statusCode: 200, body: null, attempts: 1, deliveryId: 'd' });

  let worker: TestWorker;

  beforeAll(async () => {
    worker = await startTestWorker(activities, 'wf');
  });
  afterAll(async () => {
    await worker?.close();
  });
  beforeEach(() => {
    startStatus = 'running';
    calls.length = 0;
    webhookBehaviour = async ({ body }) => ({ statusCode: 200, body: { echo: body }, attempts: 1, deliveryId: 'd' });
  });

  const snapshot = (actions: RuleSnapshot['actions']): RuleSnapshot => ({
    id: '11111111-1111-4111-8111-111111111111',
    tenantId: '22222222-2222-4222-8222-222222222222',
    name: 'test rule',
    version: 3,
    entity: 'orders',
    triggerType: 'on_update',
    conditions: { all: [] },
    actions,
  });
  const input = (actions: RuleSnapshot['actions'], id = Math.random().toString(36).slice(2)): RuleExecutionInput => ({
    executionId: '33333333-3333-4333-8333-333333333333',
    rule: snapshot(actions),
    event: {
      id,
      entity: 'orders',
      type: 'on_update',
      data: { id: 42, customer: { email: 'a@b.c' } },
      previous: { id: 42 },
      occurredAt: '2026-11-22T00:00:00.000Z',
    },
    parent: null,
  });
  /** With RECORD_HISTORIES=1, keep this run's history for the replay test (standard JSON history format). */
  const recordHistory = async (handle: WorkflowHandle, name: string) => {
    if (process.env.RECORD_HISTORIES !== '1') return;
    const file = path.join(__dirname, `../test/histories/rule-execution.${name}.json`);
    writeFileSync(file, historyToJSON(await handle.fetchHistory()));
  };
  const start = (i: RuleExecutionInput) =>
    worker.client.workflow.start(RULE_EXECUTION_WORKFLOW, {
      workflowId: `wf-test-${i.event.id}`,
      taskQueue: worker.taskQueue,
      args: [i],
    });

  it('runs actions in order, renders templates over earlier steps, sleeps durably', async () => {
    const i = input([
      {
        name: 'first',
        type: 'webhook',
        config: { url: 'http://h/1', body: { id: '{{data.id}}' } },
        retry: DEFAULT_RETRY,
      },
      { name: 'pause', type: 'delay', config: { duration: '1s' }, retry: DEFAULT_RETRY },
      {
        name: 'second',
        type: 'webhook',
        config: {
          url: 'http://h/2',
          body: { fromFirst: '{{steps.first.body.echo.id}}', email: 'to {{data.customer.email}}' },
        },
        retry: DEFAULT_RETRY,
      },
    ]);
    const started = Date.now();
    const handle = await start(i);
    const result = await handle.result();
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(result.status).toBe('success');
    expect(result.steps).toEqual({
      first: { statusCode: 200, body: { echo: { id: 42 } } },
      pause: { delayedMs: 1000 },
      second: { statusCode: 200, body: { echo: { fromFirst: 42, email: 'to a@b.c' } } },
    });
    expect(calls.map((c) => c.name)).toEqual([
      'markExecutionRunning',
      'recordActionStarted',
      'deliverWebhook',
      'recordActionResult',
      'recordActionStarted',
      'recordActionResult',
      'recordActionStarted',
      'deliverWebhook',
      'recordActionResult',
      'completeExecution',
    ]);
    expect(calls.at(-1)!.input).toEqual({
      tenantId: i.rule.tenantId,
      executionId: i.executionId,
      status: 'success',
      error: null,
      errorAction: null,
    });
    const firstDelivery = calls.find((c) => c.name === 'deliverWebhook')!.input as Record<string, unknown>;
    expect(firstDelivery).toMatchObject({
      eventType: 'orders.on_update',
      method: 'POST',
      secrets: [],
      maximumAttempts: 5,
      url: 'http://h/1',
    });
    expect(firstDelivery.deliveryId).toMatch(/^[0-9a-f-]{36}$/);

    await recordHistory(handle, 'success.run-journal');
  });

  it('a permanent failure after a success is partial: the run fails in Temporal and records the action', async () => {
    let n = 0;
    webhookBehaviour = async () => {
      if (++n === 2) throw rejected400();
      return answered200();
    };
    const i = input([
      { name: 'ok', type: 'webhook', config: { url: 'http://h/1' }, retry: DEFAULT_RETRY },
      { name: 'bad', type: 'webhook', config: { url: 'http://h/2' }, retry: DEFAULT_RETRY },
      { name: 'never', type: 'delay', config: { duration: '1s' }, retry: DEFAULT_RETRY },
    ]);
    const handle = await start(i);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    await recordHistory(handle, 'partial.run-journal');
    const results = calls.filter((c) => c.name === 'recordActionResult').map((c) => c.input);
    expect(results).toEqual([
      expect.objectContaining({ actionName: 'ok', status: 'success' }),
      expect.objectContaining({ actionName: 'bad', status: 'failed', attempts: 1, error: 'webhook answered 400' }),
    ]);
    expect(calls.at(-1)!.input).toEqual({
      tenantId: i.rule.tenantId,
      executionId: i.executionId,
      status: 'partial',
      error: 'webhook answered 400',
      errorAction: 'bad',
    });
  });

  it('skips an action whose when does not hold and runs one whose when holds over steps', async () => {
    const i = input([
      { name: 'check', type: 'webhook', config: { url: 'http://h/check' }, retry: DEFAULT_RETRY },
      {
        name: 'big_only',
        type: 'webhook',
        config: { url: 'http://h/big' },
        retry: DEFAULT_RETRY,
        when: { all: [{ field: 'data.id', operator: 'greater_than', value: 100 }] },
      },
      {
        name: 'after_check',
        type: 'webhook',
        config: { url: 'http://h/after' },
        retry: DEFAULT_RETRY,
        when: {
          any: [
            { field: 'steps.check.statusCode', operator: 'equals', value: 200 },
            { field: 'steps.big_only', operator: 'exists' },
          ],
        },
      },
    ]);
    const handle = await start(i);
    const result = await handle.result();
    await recordHistory(handle, 'skipped-action.run-journal');
    expect(result.status).toBe('success');
    expect(Object.keys(result.steps)).toEqual(['check', 'after_check']);
    const urls = calls.filter((c) => c.name === 'deliverWebhook').map((c) => (c.input as { url: string }).url);
    expect(urls).toEqual(['http://h/check', 'http://h/after']);
    // A skipped action is recorded without a start.
    expect(calls.filter((c) => c.name === 'recordActionStarted').map((c) => c.input)).toEqual([
      expect.objectContaining({ actionName: 'check' }),
      expect.objectContaining({ actionName: 'after_check' }),
    ]);
    expect(calls.filter((c) => c.name === 'recordActionResult').map((c) => c.input)).toEqual([
      expect.objectContaining({ actionName: 'check', status: 'success' }),
      { tenantId: i.rule.tenantId, executionId: i.executionId, actionName: 'big_only', status: 'skipped', attempts: 0 },
      expect.objectContaining({ actionName: 'after_check', status: 'success' }),
    ]);
  });

  it('a run whose every action is skipped succeeds, or ends cancelled when cancelled before it started', async () => {
    const never = { all: [{ field: 'data.id', operator: 'less_than' as const, value: 0 }] };
    const actions = [
      { name: 'never', type: 'webhook' as const, config: { url: 'http://h/1' }, retry: DEFAULT_RETRY, when: never },
    ];
    await expect((await start(input(actions))).result()).resolves.toMatchObject({ status: 'success', steps: {} });
    expect(calls.map((c) => c.name)).toEqual(['markExecutionRunning', 'recordActionResult', 'completeExecution']);

    calls.length = 0;
    startStatus = 'cancelled';
    await expect((await start(input(actions))).result()).resolves.toMatchObject({ status: 'cancelled' });
    expect(calls.map((c) => c.name)).toEqual(['markExecutionRunning']);
  });

  it('continueOnError records the failure, runs the next actions and ends partial', async () => {
    webhookBehaviour = async ({ actionName }) => {
      if (actionName === 'flaky') throw rejected400();
      return answered200();
    };
    const i = input([
      {
        name: 'flaky',
        type: 'webhook',
        config: { url: 'http://h/1' },
        retry: DEFAULT_RETRY,
        continueOnError: true,
      },
      { name: 'next', type: 'webhook', config: { url: 'http://h/2' }, retry: DEFAULT_RETRY },
    ]);
    const handle = await start(i);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    await recordHistory(handle, 'continue-on-error.run-journal');
    expect(calls.filter((c) => c.name === 'recordActionResult').map((c) => c.input)).toEqual([
      expect.objectContaining({ actionName: 'flaky', status: 'failed', attempts: 1, error: 'webhook answered 400' }),
      expect.objectContaining({ actionName: 'next', status: 'success' }),
    ]);
    expect(calls.at(-1)!.input).toEqual({
      tenantId: i.rule.tenantId,
      executionId: i.executionId,
      status: 'partial',
      error: 'webhook answered 400',
      errorAction: 'flaky',
    });
  });

  it('continueOnError on every failed action and no success ends failed after running them all', async () => {
    webhookBehaviour = async () => {
      throw ApplicationFailure.create({ type: 'WebhookRejectedError', nonRetryable: true, message: 'answered 400' });
    };
    const retry = { ...DEFAULT_RETRY, maximumAttempts: 1 };
    const i = input([
      { name: 'a', type: 'webhook', config: { url: 'http://h/1' }, retry, continueOnError: true },
      { name: 'b', type: 'webhook', config: { url: 'http://h/2' }, retry, continueOnError: true },
    ]);
    const handle = await start(i);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(calls.filter((c) => c.name === 'recordActionResult').map((c) => c.input)).toEqual([
      expect.objectContaining({ actionName: 'a', status: 'failed' }),
      expect.objectContaining({ actionName: 'b', status: 'failed' }),
    ]);
    expect(calls.at(-1)!.input).toMatchObject({ status: 'failed', errorAction: 'a' });
  });

  it('a template that renders past its size bound fails that action, not the workflow task', async () => {
    const i = input([
      { name: 'ok', type: 'webhook', config: { url: 'http://h/1' }, retry: DEFAULT_RETRY },
      // 150 copies of a 60 000-character value: 9 MB of text, over the 8 MiB bound.
      {
        name: 'huge',
        type: 'webhook',
        config: { url: 'http://h/2', body: '{{data.big}}'.repeat(150) },
        retry: DEFAULT_RETRY,
      },
    ]);
    i.event.data = { ...i.event.data, big: 'x'.repeat(60_000) };
    const handle = await start(i);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const results = calls.filter((c) => c.name === 'recordActionResult').map((c) => c.input);
    expect(results).toEqual([
      expect.objectContaining({ actionName: 'ok', status: 'success' }),
      expect.objectContaining({
        actionName: 'huge',
        status: 'failed',
        attempts: 0,
        error: expect.stringMatching(/body: renders to more than 8 MiB/),
      }),
    ]);
    expect(calls.filter((c) => c.name === 'deliverWebhook')).toHaveLength(1);
    expect(calls.at(-1)!.input).toMatchObject({ status: 'partial', errorAction: 'huge' });
  });

  /** The webhook answers 503 twice, then 200; returns how many attempts were made. */
  function failTwiceThenAnswer(): () => number {
    let n = 0;
    webhookBehaviour = async () => {
      n++;
      if (n < 3)
        throw ApplicationFailure.create({
          type: 'WebhookRetryableError',
          message: 'webhook answered 503',
          details: [{ attempt: n, statusCode: 503 }],
        });
      return { statusCode: 200, body: 'ok', attempts: n, deliveryId: 'd' };
    };
    return () => n;
  }

  it('retries a transient failure under the action retry policy and reports the attempts', async () => {
    const attempts = failTwiceThenAnswer();
    const i = input([
      {
        name: 'flaky',
        type: 'webhook',
        config: { url: 'http://h/1' },
        retry: { maximumAttempts: 2, initialInterval: '50ms', backoffCoefficient: 1, maximumInterval: '50ms' },
      },
    ]);
    const handle = await start(i);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(attempts()).toBe(2); // maximumAttempts honoured
    expect(calls.at(-1)!.input).toMatchObject({
      status: 'failed',
      errorAction: 'flaky',
      error: 'webhook answered 503',
    });
    expect(calls.find((c) => c.name === 'recordActionResult')!.input).toMatchObject({ attempts: 2 });
  });

  it('sends the first attempt as a local activity and the retries as a regular one, numbered on, same delivery id', async () => {
    failTwiceThenAnswer();
    const i = input([
      {
        name: 'flaky',
        type: 'webhook',
        config: { url: 'http://h/1' },
        retry: { maximumAttempts: 5, initialInterval: '50ms', backoffCoefficient: 2, maximumInterval: '1s' },
      },
    ]);
    const handle = await start(i);
    await expect(handle.result()).resolves.toMatchObject({ status: 'success' });
    const sent = calls.filter((c) => c.name === 'deliverWebhook').map((c) => c.input as Record<string, unknown>);
    expect(sent).toHaveLength(3);
    expect(sent[0]!.firstAttempt).toBeUndefined();
    expect(sent[1]!.firstAttempt).toBe(2);
    expect(new Set(sent.map((x) => x.deliveryId)).size).toBe(1);
    const history = await handle.fetchHistory();
    const scheduled = history.events!.filter(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deliverWebhook',
    );
    expect(scheduled).toHaveLength(1); // the retries: one regular activity (attempts 2 and 3)
    const policy = scheduled[0]!.activityTaskScheduledEventAttributes!.retryPolicy!;
    expect(policy.maximumAttempts).toBe(4); // 5 in all, one already made locally
    const markers = history.events!.filter(
      (e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
    );
    // The run journal before the action, the first attempt, the journal with the result and the end.
    expect(markers).toHaveLength(3);
    await recordHistory(handle, 'webhook-retried.run-journal');
  });

  it('a run with an answered webhook takes no regular activity at all', async () => {
    const handle = await start(
      input([{ name: 'ok', type: 'webhook', config: { url: 'http://h/1' }, retry: DEFAULT_RETRY }]),
    );
    await expect(handle.result()).resolves.toMatchObject({ status: 'success' });
    const history = await handle.fetchHistory();
    expect(history.events!.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
    expect(history.events!.filter((e) => e.workflowTaskCompletedEventAttributes)).toHaveLength(1);
  });

  it('a run cancelled through the API before it started runs no action', async () => {
    startStatus = 'cancelled';
    const i = input([{ name: 'never', type: 'webhook', config: { url: 'http://h/1' }, retry: DEFAULT_RETRY }]);
    const result = await (await start(i)).result();
    expect(result).toMatchObject({ status: 'cancelled', steps: {} });
    expect(calls.map((c) => c.name)).toEqual(['markExecutionRunning']);
  });

  it('a cancelled run records cancelled, even mid-delay', async () => {
    const i = input([{ name: 'long', type: 'delay', config: { duration: '1h' }, retry: DEFAULT_RETRY }]);
    const handle = await start(i);
    for (let k = 0; k < 50 && !calls.some((c) => c.name === 'recordActionStarted'); k++)
      await new Promise((r) => setTimeout(r, 100));
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    expect(calls.at(-1)).toEqual({
      name: 'completeExecution',
      input: {
        tenantId: i.rule.tenantId,
        executionId: i.executionId,
        status: 'cancelled',
        error: 'cancelled',
        errorAction: null,
      },
    });
    const description = await handle.describe();
    expect(description.status.name).toBe('CANCELLED');
    await recordHistory(handle, 'cancelled.run-journal');
  });

  describe('onFailure', () => {
    const withHandlers = (actions: RuleSnapshot['actions'], onFailure: RuleSnapshot['actions']) => {
      const i = input(actions);
      return { ...i, rule: { ...i.rule, onFailure } };
    };
    const handlers: RuleSnapshot['actions'] = [
      {
        name: 'notify_ops',
        type: 'webhook',
        config: { url: 'http://h/ops', body: { why: '{{error}}', where: '{{errorAction}}', id: '{{data.id}}' } },
        retry: DEFAULT_RETRY,
      },
      {
        name: 'page',
        type: 'webhook',
        config: { url: 'http://h/page', body: { text: 'rule {{rule.name}}: {{errorAction}} failed' } },
        retry: DEFAULT_RETRY,
      },
    ];
    const bodiesTo = (url: string) =>
      calls
        .filter((c) => c.name === 'deliverWebhook' && (c.input as { url: string }).url === url)
        .map((c) => (c.input as { body: unknown }).body);

    it('runs after a failed run, in order, with error and errorAction, after compensation; the run stays failed', async () => {
      webhookBehaviour = async ({ actionName }) => {
        if (actionName === 'bad') throw rejected400();
        return answered200();
      };
      const i = withHandlers(
        [{ name: 'bad', type: 'webhook', config: { url: 'http://h/bad' }, retry: DEFAULT_RETRY }],
        handlers,
      );
      const handle = await start(i);
      const failure = await handle.result().catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(WorkflowFailedError);
      await recordHistory(handle, 'on-failure.run-journal');
      expect(bodiesTo('http://h/ops')).toEqual([{ why: 'webhook answered 400', where: 'bad', id: 42 }]);
      expect(bodiesTo('http://h/page')).toEqual([{ text: 'rule test rule: bad failed' }]);
      expect(calls.filter((c) => c.name === 'recordActionResult').map((c) => c.input)).toEqual([
        expect.objectContaining({ actionName: 'bad', status: 'failed' }),
        expect.objectContaining({ actionName: 'notify_ops', status: 'success' }),
        expect.objectContaining({ actionName: 'page', status: 'success' }),
      ]);
      expect(calls.at(-1)).toEqual({
        name: 'completeExecution',
        input: {
          tenantId: i.rule.tenantId,
          executionId: i.executionId,
          status: 'failed',
          error: 'webhook answered 400',
          errorAction: 'bad',
        },
      });
    });

    it('a failing handler is recorded failed and the next still runs; a partial run stays partial', async () => {
      webhookBehaviour = async ({ actionName }) => {
        if (actionName === 'bad' || actionName === 'notify_ops') throw rejected400();
        return answered200();
      };
      const i = withHandlers(
        [
          { name: 'ok', type: 'webhook', config: { url: 'http://h/ok' }, retry: DEFAULT_RETRY },
          { name: 'bad', type: 'webhook', config: { url: 'http://h/bad' }, retry: DEFAULT_RETRY },
        ],
        handlers,
      );
      await expect((await start(i)).result()).rejects.toBeInstanceOf(WorkflowFailedError);
      expect(calls.filter((c) => c.name === 'recordActionResult').map((c) => c.input)).toEqual([
        expect.objectContaining({ actionName: 'ok', status: 'success' }),
        expect.objectContaining({ actionName: 'bad', status: 'failed' }),
        expect.objectContaining({ actionName: 'notify_ops', status: 'failed', error: 'webhook answered 400' }),
        expect.objectContaining({ actionName: 'page', status: 'success' }),
      ]);
      expect(calls.at(-1)!.input).toMatchObject({
        status: 'partial',
        error: 'webhook answered 400',
        errorAction: 'bad',
      });
    });

    it('cancelled while a handler runs: the rest are skipped and the run keeps its failed record', async () => {
      webhookBehaviour = async () => {
        throw rejected400();
      };
      const i = withHandlers(
        [{ name: 'bad', type: 'webhook', config: { url: 'http://h/bad' }, retry: DEFAULT_RETRY }],
        [{ name: 'wait', type: 'delay', config: { duration: '1h' }, retry: DEFAULT_RETRY }, ...handlers],
      );
      const handle = await start(i);
      const waiting = () => calls.some((c) => (c.input as { actionName?: string }).actionName === 'wait');
      for (let k = 0; k < 50 && !waiting(); k++) await new Promise((r) => setTimeout(r, 100));
      await handle.cancel();
      await expect(handle.result()).rejects.toThrow();
      expect(bodiesTo('http://h/ops')).toEqual([]);
      expect(calls.filter((c) => c.name === 'recordActionResult').map((c) => c.input)).toEqual([
        expect.objectContaining({ actionName: 'bad', status: 'failed' }),
        expect.objectContaining({ actionName: 'wait', status: 'skipped', error: 'cancelled' }),
        expect.objectContaining({ actionName: 'notify_ops', status: 'skipped' }),
        expect.objectContaining({ actionName: 'page', status: 'skipped' }),
      ]);
      expect(calls.at(-1)!.input).toMatchObject({ status: 'failed', errorAction: 'bad' });
      // RunStatus says how the run ended, as recorded (Temporal says CANCELLED).
      expect((await handle.describe()).typedSearchAttributes.get(RunStatusKey)).toBe('failed');
    });

    it('does not run after a success: the handlers are recorded skipped', async () => {
      const i = withHandlers(
        [{ name: 'ok', type: 'webhook', config: { url: 'http://h/ok' }, retry: DEFAULT_RETRY }],
        handlers,
      );
      await expect((await start(i)).result()).resolves.toMatchObject({ status: 'success', steps: { ok: {} } });
      expect(bodiesTo('http://h/ops')).toEqual([]);
      expect(bodiesTo('http://h/page')).toEqual([]);
      expect(calls.filter((c) => c.name === 'recordActionResult').map((c) => c.input)).toEqual([
        expect.objectContaining({ actionName: 'ok', status: 'success' }),
        expect.objectContaining({ actionName: 'notify_ops', status: 'skipped', attempts: 0 }),
        expect.objectContaining({ actionName: 'page', status: 'skipped', attempts: 0 }),
      ]);
      expect(calls.at(-1)!.input).toMatchObject({ status: 'success' });
    });
  });
});
