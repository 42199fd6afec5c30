import type { ChildRunRow, ChildRunStore, ParentRunRef, RuleEntity, StoredChildRun } from '@ruleflow/entities';
import { RuleEntity as RuleTable } from '@ruleflow/entities';
import type { Conditions, ParentContext, RuleEvent } from '@ruleflow/rules';
import { DEFAULT_RETRY } from '@ruleflow/rules';
import { compileRegex } from '@ruleflow/rules/node/safe-regex';
import type { Logger } from '@temporalio/common';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { PreparedChildRuns, PrepareChildRunsInput } from './chaining.activities';
import { createChainingActivities } from './chaining.activities';

const TENANT = '22222222-2222-4222-8222-222222222222';
const PARENT_RULE = '11111111-1111-4111-8111-111111111111';
const PARENT_EXECUTION = '33333333-3333-4333-8333-333333333333';

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

function rule(id: string, name: string, conditions: Conditions, extra: Partial<RuleEntity> = {}): RuleEntity {
  return Object.assign(new RuleTable(), {
    id,
    tenantId: TENANT,
    name,
    description: null,
    entity: 'invoices',
    triggerType: 'manual',
    trigger: { type: 'manual' },
    hookTokenHash: null,
    hookTokenPrefix: null,
    conditions,
    actions: [{ name: 'call', type: 'webhook', config: { url: 'http://h/x' }, retry: DEFAULT_RETRY }],
    priority: 0,
    isActive: true,
    version: 4,
    ...extra,
  });
}

/** In memory, with the Pg store's contract: idempotent on workflow id, returns every run of the parent. */
class FakeChildRunStore implements ChildRunStore {
  readonly stored: ChildRunRow[] = [];
  readonly calls: ChildRunRow[][] = [];
  constructor(public children: RuleEntity[]) {}
  async activeChildRules(tenantId: string, parentRuleId: string): Promise<RuleEntity[]> {
    expect([tenantId, parentRuleId]).toEqual([TENANT, PARENT_RULE]);
    return this.children;
  }
  async recordChildRuns(parent: ParentRunRef, rows: ChildRunRow[]): Promise<StoredChildRun[]> {
    expect(parent).toEqual({ tenantId: TENANT, executionId: PARENT_EXECUTION, eventId: 'evt-7' });
    this.calls.push(rows);
    for (const row of rows) if (!this.stored.some((s) => s.workflowId === row.workflowId)) this.stored.push(row);
    return this.stored.map((r) => ({ executionId: r.id, workflowId: r.workflowId, rule: r.input.rule }));
  }
}

const event: RuleEvent = {
  id: 'evt-7',
  entity: 'orders',
  type: 'on_update',
  data: { id: 7, total: 250, sku: 'AB-123' },
  previous: { id: 7, total: 100, sku: 'AB-123' },
  occurredAt: '2026-11-22T00:00:00.000Z',
};
const parent: ParentContext = {
  executionId: PARENT_EXECUTION,
  ruleId: PARENT_RULE,
  ruleName: 'parent',
  steps: { lookup: { statusCode: 200, body: { x: 1 } } },
};
const request: PrepareChildRunsInput = {
  parentExecutionId: PARENT_EXECUTION,
  parentRuleId: PARENT_RULE,
  tenantId: TENANT,
  event,
  parent,
};

describe('prepareChildRuns', () => {
  const A = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
  const B = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
  const C = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
  const D = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
  const E = 'eeeeeeee-eeee-4eee-8eee-eeeeeeeeeeee';

  const run = (store: ChildRunStore, input: PrepareChildRunsInput = request): Promise<PreparedChildRuns> =>
    new MockActivityEnvironment({}, { logger: silent }).run(
      createChainingActivities({ childRuns: store, compileRegex }).prepareChildRuns,
      input,
    );

  it('records one run per child whose conditions hold, skips the others with the reason', async () => {
    const store = new FakeChildRunStore([
      rule(A, 'always', { all: [] }, { priority: 9 }),
      rule(B, 'big', { all: [{ field: 'total', operator: 'greater_than', value: 200 }] }, { priority: 5 }),
      rule(C, 'small', { all: [{ field: 'total', operator: 'less_than', value: 200 }] }),
      rule(D, 'sku', { any: [{ field: 'sku', operator: 'matches', value: '^AB-\\d+$' }] }),
      rule(E, 'changed', { all: [{ field: 'total', operator: 'changed_from', value: 100 }] }),
    ]);
    const result = await run(store);

    expect(result.runs.map((r) => r.rule.id)).toEqual([A, B, D, E]);
    expect(result.skipped).toEqual([{ ruleId: C, ruleName: 'small', reason: 'conditions do not hold' }]);
    const rows = store.calls[0]!;
    expect(rows.map((r) => r.workflowId)).toEqual(
      [A, B, D, E].map((id) => `rule-${id}-evt-7-after-${PARENT_EXECUTION}`),
    );
    expect(rows.map((r) => r.dispatchOrder)).toEqual([0, 1, 2, 3]);
    expect(rows[1]).toMatchObject({
      tenantId: TENANT,
      ruleId: B,
      ruleVersion: 4,
      eventId: 'evt-7',
      parentExecutionId: PARENT_EXECUTION,
      rerunOf: null,
      // The run's trigger type is the type of the event it works on (the parent's), not the child rule's own.
      triggerType: 'on_update',
      status: 'pending',
      actions: [expect.objectContaining({ name: 'call', status: 'pending' })],
    });
    expect(rows[1]!.input).toEqual({
      executionId: rows[1]!.id,
      rule: expect.objectContaining({ id: B, name: 'big', version: 4, triggerType: 'manual' }),
      event,
      parent,
    });
    expect(new Set(rows.map((r) => r.id)).size).toBe(4);
  });

  it('skips a child whose stored conditions cannot be evaluated instead of failing the parent', async () => {
    const broken = rule(A, 'broken', { all: [{ field: 'x', operator: 'no_such_operator' as never, value: 1 }] });
    const store = new FakeChildRunStore([broken, rule(B, 'fine', { all: [] })]);
    const result = await run(store);
    expect(result.runs.map((r) => r.rule.id)).toEqual([B]);
    expect(result.skipped).toEqual([
      { ruleId: A, ruleName: 'broken', reason: expect.stringMatching(/^conditions cannot be evaluated: .*operator/) },
    ]);
  });

  it('is idempotent for retries: a second attempt returns what the first recorded, even after a rule change', async () => {
    const store = new FakeChildRunStore([rule(A, 'a', { all: [] }), rule(B, 'b', { all: [] })]);
    const first = await run(store);
    store.children = [rule(A, 'a', { all: [] })]; // B became inactive between the attempts
    const second = await run(store);
    expect(second.runs).toEqual(first.runs);
    expect(second.runs).toHaveLength(2);
    expect(store.stored).toHaveLength(2);
  });

  it('records nothing when the rule has no active children', async () => {
    const store = new FakeChildRunStore([]);
    await expect(run(store)).resolves.toEqual({ runs: [], skipped: [] });
    expect(store.calls).toEqual([[]]);
  });

  it('refuses a parent context that does not match the parent execution, without retrying', async () => {
    const store = new FakeChildRunStore([rule(A, 'a', { all: [] })]);
    const err = await run(store, { ...request, parent: { ...parent, executionId: E } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect(store.calls).toEqual([]);
  });
});
