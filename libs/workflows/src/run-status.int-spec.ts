import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RuleflowActivities } from '@ruleflow/activities';
import type { RuleSnapshot } from '@ruleflow/rules';
import { DEFAULT_RETRY } from '@ruleflow/rules';
import type { TestWorker } from '@ruleflow/testing';
import { startTestWorker } from '@ruleflow/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { RuleExecutionInput, RuleExecutionResult } from './contract';
import {
  EventIdKey,
  RULE_EXECUTION_WORKFLOW,
  RuleflowKindKey,
  RuleNameKey,
  ruleRunSearchAttributes,
  RunStatusKey,
} from './contract';

/**
 * What an operator reads from the Temporal UI's workflow list and run page: a rule run started as the
 * gateway starts it carries its rule, event and kind; it ends with `RunStatus` (success, partial,
 * failed, cancelled); its delay timer is labelled; its failure carries no stack of the worker's files.
 */
describe('RuleExecutionWorkflow in the Temporal UI', () => {
  let webhookStatus: (actionName: string | null) => number;
  let startStatus: 'running' | 'cancelled';
  let actionStarted = false;
  const activities: Partial<RuleflowActivities> = {
    markExecutionRunning: async () => ({ status: startStatus }),
    recordActionStarted: async () => {
      actionStarted = true;
    },
    recordActionResult: async () => undefined,
    completeExecution: async () => undefined,
    prepareChildRuns: async () => ({ runs: [], skipped: [] }),
    deliverWebhook: async ({ actionName }) => {
      const status = webhookStatus(actionName);
      if (status >= 400) {
        throw ApplicationFailure.create({
          type: 'WebhookRejectedError',
          nonRetryable: true,
          message: `webhook answered ${status}`,
          details: [{ attempt: 1, statusCode: status }],
        });
      }
      return { statusCode: status, body: null, attempts: 1, deliveryId: 'd' };
    },
  };

  let worker: TestWorker;
  beforeAll(async () => {
    worker = await startTestWorker(activities, 'run-status');
  });
  afterAll(async () => {
    await worker?.close();
  });
  beforeEach(() => {
    webhookStatus = () => 200;
    startStatus = 'running';
    actionStarted = false;
  });

  const input = (actions: RuleSnapshot['actions']): RuleExecutionInput => ({
    executionId: randomUUID(),
    rule: {
      id: '11111111-1111-4111-8111-111111111111',
      tenantId: '22222222-2222-4222-8222-222222222222',
      name: 'ship orders',
      version: 2,
      entity: 'orders',
      triggerType: 'on_update',
      conditions: { all: [] },
      actions,
    },
    event: {
      id: randomUUID(),
      entity: 'orders',
      type: 'on_update',
      data: { id: 7 },
      previous: null,
      occurredAt: '2026-11-29T00:00:00.000Z',
    },
    parent: null,
  });
  const webhook = (name: string): RuleSnapshot['actions'][number] => ({
    name,
    type: 'webhook',
    config: { url: `http://h/${name}` },
    retry: DEFAULT_RETRY,
  });
  /** Started as the gateway's dispatcher starts a run: the rule's search attributes and its event. */
  const start = (i: RuleExecutionInput) =>
    worker.client.workflow.start(RULE_EXECUTION_WORKFLOW, {
      workflowId: `run-status-${i.event.id}`,
      taskQueue: worker.taskQueue,
      args: [i],
      typedSearchAttributes: ruleRunSearchAttributes(i.rule, i.event.id),
    });
  const recordHistory = async (handle: WorkflowHandle, name: string) => {
    if (process.env.RECORD_HISTORIES !== '1') return;
    const file = path.join(__dirname, `../test/histories/rule-execution.${name}.json`);
    writeFileSync(file, historyToJSON(await handle.fetchHistory()));
  };
  const searchAttributes = async (handle: WorkflowHandle) => {
    const { typedSearchAttributes } = await handle.describe();
    return {
      kind: typedSearchAttributes.get(RuleflowKindKey),
      rule: typedSearchAttributes.get(RuleNameKey),
      event: typedSearchAttributes.get(EventIdKey),
      status: typedSearchAttributes.get(RunStatusKey),
    };
  };
  const failureOf = async (handle: WorkflowHandle): Promise<temporal.api.failure.v1.IFailure> => {
    const history = await handle.fetchHistory();
    return history.events!.find((e) => e.workflowExecutionFailedEventAttributes)!
      .workflowExecutionFailedEventAttributes!.failure!;
  };

  it('a success: its rule, event and kind from the start, RunStatus success; the delay timer is labelled', async () => {
    const i = input([
      webhook('notify'),
      { name: 'cool_down', type: 'delay', config: { duration: '1s' }, retry: DEFAULT_RETRY },
    ]);
    const handle = await start(i);
    await expect(handle.result()).resolves.toMatchObject({ status: 'success' });
    expect(await searchAttributes(handle)).toEqual({
      kind: 'rule_run',
      rule: 'ship orders',
      event: i.event.id,
      status: 'success',
    });
    const timers = (await handle.fetchHistory()).events!.filter((e) => e.timerStartedEventAttributes);
    expect(timers).toHaveLength(1);
    expect(defaultPayloadConverter.fromPayload(timers[0]!.userMetadata!.summary!)).toBe('Delay cool_down: 1s');
    await recordHistory(handle, 'run-status.run-journal');
  });

  it('partial and failed runs both fail in Temporal and tell themselves apart by RunStatus, with no stack', async () => {
    webhookStatus = (name) => (name === 'second' ? 400 : 200);
    const partial = await start(input([webhook('first'), webhook('second')]));
    await expect(partial.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(await searchAttributes(partial)).toMatchObject({ status: 'partial' });
    const failure = await failureOf(partial);
    expect(failure.message).toBe('rule run partial: action "second" failed: webhook answered 400');
    expect(failure.stackTrace).toBe(`ApplicationFailure: ${failure.message}`);
    await recordHistory(partial, 'run-status-partial.run-journal');

    webhookStatus = () => 400;
    const failed = await start(input([webhook('first'), webhook('second')]));
    await expect(failed.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect(await searchAttributes(failed)).toMatchObject({ status: 'failed' });
    expect((await failed.describe()).status.name).toBe('FAILED');
    expect((await failureOf(failed)).stackTrace).not.toContain(process.cwd());
  });

  it('a run cancelled mid-delay, and one cancelled before it started, end with RunStatus cancelled', async () => {
    const handle = await start(
      input([{ name: 'wait', type: 'delay', config: { duration: '1h' }, retry: DEFAULT_RETRY }]),
    );
    for (let k = 0; k < 100 && !actionStarted; k++) await new Promise((r) => setTimeout(r, 100));
    await handle.cancel();
    await expect(handle.result()).rejects.toThrow();
    expect((await handle.describe()).status.name).toBe('CANCELLED');
    expect(await searchAttributes(handle)).toMatchObject({ status: 'cancelled' });
    await recordHistory(handle, 'run-status-cancelled.run-journal');

    startStatus = 'cancelled';
    const early = await start(input([webhook('never')]));
    expect(((await early.result()) as RuleExecutionResult).status).toBe('cancelled');
    expect(await searchAttributes(early)).toMatchObject({ status: 'cancelled' });
  });

  it('the list finds the run by rule, event and outcome', async () => {
    webhookStatus = () => 400;
    const i = input([webhook('only')]);
    const handle = await start(i);
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    const query = `RuleName = "ship orders" AND EventId = "${i.event.id}" AND RunStatus = "failed" AND RuleflowKind = "rule_run"`;
    let found: string[] = [];
    // Visibility is eventually consistent: the run's last upsert shows up shortly after it ends.
    for (let k = 0; k < 300 && found.length === 0; k++) {
      found = [];
      for await (const run of worker.client.workflow.list({ query })) found.push(run.workflowId);
      if (found.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(found).toEqual([handle.workflowId]);
  });
});
