import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CreateAlertInput, RuleflowActivities } from '@ruleflow/activities';
import type { RuleSnapshot } from '@ruleflow/rules';
import type { TestWorker } from '@ruleflow/testing';
import { startTestWorker } from '@ruleflow/testing';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type { RuleExecutionInput } from '../contract';
import { RULE_EXECUTION_WORKFLOW } from '../contract';

/**
 * The create_alert action in RuleExecutionWorkflow on the real dev server, with in-memory activities:
 * the rendered config and the source reach the activity, every attempt carries the same idempotency
 * key, and the output `{alertId}` is a step later actions can use.
 */
describe('RuleExecutionWorkflow: create_alert', () => {
  const alertCalls: CreateAlertInput[] = [];
  const results: Array<{ actionName: string; status: string; output?: unknown; attempts: number }> = [];
  const webhookBodies: unknown[] = [];
  let failFirstAttempts = 0;
  const activities: Partial<RuleflowActivities> = {
    markExecutionRunning: async () => ({ status: 'running' as const }),
    recordActionStarted: async () => undefined,
    recordActionResult: async (input) => {
      results.push(input as (typeof results)[number]);
    },
    completeExecution: async () => undefined,
    prepareChildRuns: async () => ({ runs: [], skipped: [] }),
    createAlert: async (input) => {
      alertCalls.push(input);
      if (alertCalls.length <= failFirstAttempts) throw new Error('database is away');
      return { alertId: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', attempt: alertCalls.length };
    },
    deliverWebhook: async (input) => {
      webhookBodies.push(input.body);
      return { statusCode: 200, body: null, attempts: 1, deliveryId: 'd' };
    },
  };
  let worker: TestWorker;

  beforeAll(async () => {
    worker = await startTestWorker(activities, 'wf-alert');
  });
  afterAll(async () => {
    await worker?.close();
  });

  const fastRetry = { maximumAttempts: 3, initialInterval: '10ms', backoffCoefficient: 1, maximumInterval: '10ms' };
  const rule: RuleSnapshot = {
    id: '11111111-1111-4111-8111-111111111111',
    tenantId: '22222222-2222-4222-8222-222222222222',
    name: 'late orders',
    version: 1,
    entity: 'orders',
    triggerType: 'on_update',
    conditions: { all: [] },
    actions: [
      {
        name: 'raise',
        type: 'create_alert',
        config: {
          alertType: 'late_order',
          severity: 'high',
          title: 'Order {{data.id}} is late',
          message: 'since {{ data.since }}',
          recipients: [{ type: 'user', id: '{{ data.owner }}' }],
          expiresIn: '1h',
          context: { orderId: '{{ data.id }}' },
        },
        retry: fastRetry,
      },
      {
        name: 'tell',
        type: 'webhook',
        config: { url: 'http://h/alerts', body: { alert: '{{ steps.raise.alertId }}' } },
        retry: fastRetry,
      },
    ],
  };

  it('creates the alert with one idempotency key across retries and passes alertId on', async () => {
    failFirstAttempts = 1;
    const eventId = `evt-${Math.random().toString(36).slice(2)}`;
    const input: RuleExecutionInput = {
      executionId: '33333333-3333-4333-8333-333333333333',
      rule,
      event: {
        id: eventId,
        entity: 'orders',
        type: 'on_update',
        data: { id: 42, since: 'monday', owner: 'u-7' },
        previous: null,
        occurredAt: '2026-11-22T00:00:00.000Z',
      },
      parent: null,
    };
    const workflowId = `wf-alert-${eventId}`;
    const handle = await worker.client.workflow.start(RULE_EXECUTION_WORKFLOW, {
      workflowId,
      taskQueue: worker.taskQueue,
      args: [input],
    });
    const result = await handle.result();

    expect(result.status).toBe('success');
    expect(result.steps).toEqual({
      raise: { alertId: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' },
      tell: { statusCode: 200, body: null },
    });
    expect(alertCalls).toHaveLength(2);
    expect(alertCalls[0]).toEqual({
      alertType: 'late_order',
      severity: 'high',
      title: 'Order 42 is late',
      message: 'since monday',
      recipients: [{ type: 'user', id: 'u-7' }],
      expiresIn: '1h',
      context: { orderId: 42 },
      tenantId: rule.tenantId,
      executionId: input.executionId,
      ruleId: rule.id,
      sourceEntityName: 'orders',
      sourceEntityId: '42',
      idempotencyKey: `${workflowId}/raise`,
    });
    expect(alertCalls[1]).toEqual(alertCalls[0]);
    expect(results[0]).toMatchObject({ actionName: 'raise', status: 'success', attempts: 2 });
    expect(webhookBodies).toEqual([{ alert: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa' }]);

    if (process.env.RECORD_HISTORIES === '1') {
      const file = path.join(__dirname, '../../test/histories/rule-execution.create-alert.run-journal.json');
      writeFileSync(file, historyToJSON(await handle.fetchHistory()));
    }
  });
});
