import type { ChainingActivities } from '../chaining/chaining.activities';
import type { ExecutionActivities } from './execution.activities';
import { createRunJournalActivities } from './run-journal.activities';

describe('recordRun (the run journal)', () => {
  const tenantId = '22222222-2222-4222-8222-222222222222';
  const executionId = '33333333-3333-4333-8333-333333333333';
  let calls: Array<[string, Record<string, unknown>]>;
  let status: 'running' | 'cancelled';
  const record =
    (name: string) =>
    async (input: Record<string, unknown>): Promise<undefined> => {
      calls.push([name, input]);
      return undefined;
    };
  const execution = {
    markExecutionRunning: async (input: Record<string, unknown>) => {
      calls.push(['markExecutionRunning', input]);
      return { status };
    },
    recordActionStarted: record('recordActionStarted'),
    recordActionWaiting: record('recordActionWaiting'),
    recordActionResult: record('recordActionResult'),
    completeExecution: record('completeExecution'),
  } as unknown as ExecutionActivities;
  const chaining = {
    prepareChildRuns: async (input: Record<string, unknown>) => {
      calls.push(['prepareChildRuns', input]);
      return { runs: [], skipped: [] };
    },
  } as unknown as ChainingActivities;
  const { recordRun } = createRunJournalActivities(execution, chaining);

  beforeEach(() => {
    calls = [];
    status = 'running';
  });

  it('applies the entries in order, each with the tenant and execution, then the chaining lookup', async () => {
    const event = { id: 'e', entity: 'orders', type: 'on_create' as const, data: {}, previous: null, occurredAt: 'x' };
    const parent = { executionId, ruleId: 'r', ruleName: 'R', steps: {} };
    const result = await recordRun({
      tenantId,
      executionId,
      entries: [
        { kind: 'running', runId: 'run-1' },
        { kind: 'actionStarted', actionName: 'a' },
        { kind: 'actionResult', actionName: 'a', status: 'success', attempts: 1, output: { ok: true } },
        { kind: 'complete', status: 'success', error: null, errorAction: null },
      ],
      chain: { parentExecutionId: executionId, parentRuleId: 'r', event, parent },
    });
    expect(result).toEqual({ status: 'running', children: { runs: [], skipped: [] } });
    expect(calls).toEqual([
      ['markExecutionRunning', { tenantId, executionId, runId: 'run-1' }],
      ['recordActionStarted', { tenantId, executionId, actionName: 'a' }],
      [
        'recordActionResult',
        { tenantId, executionId, actionName: 'a', status: 'success', attempts: 1, output: { ok: true } },
      ],
      ['completeExecution', { tenantId, executionId, status: 'success', error: null, errorAction: null }],
      ['prepareChildRuns', { tenantId, parentExecutionId: executionId, parentRuleId: 'r', event, parent }],
    ]);
  });

  it('stops at a run cancelled before it started: nothing after it is written', async () => {
    status = 'cancelled';
    const result = await recordRun({
      tenantId,
      executionId,
      entries: [
        { kind: 'running', runId: 'run-1' },
        { kind: 'actionStarted', actionName: 'a' },
      ],
    });
    expect(result).toEqual({ status: 'cancelled' });
    expect(calls.map(([name]) => name)).toEqual(['markExecutionRunning']);
  });

  it('records an approval action waiting between its start and its result', async () => {
    await recordRun({
      tenantId,
      executionId,
      entries: [
        { kind: 'actionStarted', actionName: 'approve' },
        { kind: 'actionWaiting', actionName: 'approve' },
      ],
    });
    expect(calls).toEqual([
      ['recordActionStarted', { tenantId, executionId, actionName: 'approve' }],
      ['recordActionWaiting', { tenantId, executionId, actionName: 'approve' }],
    ]);
  });

  it('writes a whole batch inside the one transaction it is given', async () => {
    const log: string[] = [];
    const inTransaction = createRunJournalActivities(execution, chaining, async (fn) => {
      log.push('begin');
      const result = await fn();
      log.push(`commit after ${calls.length} writes`);
      return result;
    });
    await inTransaction.recordRun({
      tenantId,
      executionId,
      entries: [
        { kind: 'running', runId: 'run-1' },
        { kind: 'actionStarted', actionName: 'a' },
      ],
    });
    expect(log).toEqual(['begin', 'commit after 2 writes']);
  });
});
