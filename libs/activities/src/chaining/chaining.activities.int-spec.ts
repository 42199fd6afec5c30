import { randomUUID } from 'node:crypto';
import { ChildRunRepository, RuleEntity } from '@ruleflow/entities';
import type { RuleEvent } from '@ruleflow/rules';
import { DEFAULT_RETRY } from '@ruleflow/rules';
import { insertTenants, openTestDataSource } from '@ruleflow/testing';
import type { Logger } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { DataSource } from 'typeorm';
import type { PreparedChildRuns, PrepareChildRunsInput } from './chaining.activities';
import { createChainingActivities } from './chaining.activities';

const silent: Logger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** The chaining activity over the real PostgreSQL store: tenancy, activity, ordering, idempotency. */
describe('prepareChildRuns over ChildRunRepository (real PostgreSQL)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  let db: DataSource;
  let tenantId: string;
  let otherTenantId: string;

  beforeAll(async () => {
    testDb = await openTestDataSource('child-run-store-spec');
    db = testDb.db;
    [tenantId, otherTenantId] = (await insertTenants(db, 2)) as [string, string];
  });
  afterAll(async () => {
    await testDb?.close();
  });

  async function rule(name: string, extra: Partial<RuleEntity> = {}): Promise<RuleEntity> {
    const repo = db.getRepository(RuleEntity);
    return repo.save(
      repo.create({
        tenantId,
        name,
        entity: 'orders',
        triggerType: 'manual',
        trigger: { type: 'manual' },
        conditions: { all: [] },
        actions: [{ name: 'call', type: 'webhook', config: { url: 'http://h/x' }, retry: DEFAULT_RETRY }],
        ...extra,
      }),
    );
  }
  const edge = (parent: RuleEntity, child: RuleEntity, tenant = tenantId) =>
    db.query(`INSERT INTO rule_dependencies (tenant_id, parent_rule_id, child_rule_id) VALUES ($1, $2, $3)`, [
      tenant,
      parent.id,
      child.id,
    ]);
  const prepare = (input: PrepareChildRunsInput): Promise<PreparedChildRuns> =>
    new MockActivityEnvironment({}, { logger: silent }).run(
      createChainingActivities({ childRuns: new ChildRunRepository(db) }).prepareChildRuns,
      input,
    );
  const request = (parent: RuleEntity, event: RuleEvent): PrepareChildRunsInput => {
    const executionId = randomUUID();
    return {
      parentExecutionId: executionId,
      parentRuleId: parent.id,
      tenantId,
      event,
      parent: { executionId, ruleId: parent.id, ruleName: parent.name, steps: { s: { statusCode: 200, body: 1 } } },
    };
  };
  const event = (data: Record<string, unknown> = { total: 5 }): RuleEvent => ({
    id: `evt-${randomUUID()}`,
    entity: 'orders',
    type: 'on_create',
    data,
    previous: null,
    occurredAt: new Date().toISOString(),
  });

  it('records dispatched pending runs of the active children only, in priority order, scoped to the tenant', async () => {
    const parent = await rule('parent');
    const low = await rule('low', { priority: 1 });
    const high = await rule('high', { priority: 5 });
    const inactive = await rule('inactive', { isActive: false, priority: 9 });
    const unmatched = await rule('unmatched', {
      priority: 7,
      conditions: { all: [{ field: 'total', operator: 'greater_than', value: 100 }] },
    });
    const unrelated = await rule('unrelated');
    const foreign = await rule('foreign', { tenantId: otherTenantId });
    for (const child of [low, high, inactive, unmatched, foreign]) await edge(parent, child);
    await edge(unrelated, low);

    const input = request(parent, event());
    const result = await prepare(input);

    expect(result.runs.map((r) => r.rule.name)).toEqual(['high', 'low']);
    expect(result.skipped).toEqual([{ ruleId: unmatched.id, ruleName: 'unmatched', reason: 'conditions do not hold' }]);
    const rows: Array<Record<string, unknown>> = await db.query(
      `SELECT id, tenant_id, rule_id, status, trigger_type, parent_execution_id, workflow_id, dispatched_at, input
         FROM executions WHERE parent_execution_id = $1 ORDER BY dispatch_order`,
      [input.parentExecutionId],
    );
    expect(rows).toHaveLength(2);
    for (const [i, row] of rows.entries()) {
      const run = result.runs[i]!;
      expect(row).toMatchObject({
        id: run.executionId,
        tenant_id: tenantId,
        status: 'pending',
        trigger_type: 'on_create',
        workflow_id: `rule-${row.rule_id as string}-${input.event.id}-after-${input.parentExecutionId}`,
      });
      // Started by the parent workflow, so the gateway's outbox must never pick it up.
      expect(row.dispatched_at).toBeInstanceOf(Date);
      // What the workflow starts the child with: the recorded rule, with the parent's own event and context.
      expect(row.input).toEqual({
        executionId: run.executionId,
        rule: run.rule,
        event: input.event,
        parent: input.parent,
      });
    }
  });

  it('is idempotent for retries: the same rows, one per child, even when a rule changed in between', async () => {
    const parent = await rule('p2');
    const a = await rule('a2', { priority: 2 });
    const b = await rule('b2', { priority: 1 });
    await edge(parent, a);
    await edge(parent, b);
    const input = request(parent, event());
    const [first, concurrent] = await Promise.all([prepare(input), prepare(input)]);
    await db.query(`UPDATE rules SET is_active = false WHERE id = $1`, [b.id]);
    const retried = await prepare(input);
    expect(concurrent.runs).toEqual(first.runs);
    expect(retried.runs).toEqual(first.runs);
    expect(first.runs.map((r) => r.rule.id)).toEqual([a.id, b.id]);
    const count: Array<{ n: number }> = await db.query(
      `SELECT count(*)::int AS n FROM executions WHERE parent_execution_id = $1`,
      [input.parentExecutionId],
    );
    expect(count[0]!.n).toBe(2);
  });

  it('returns no reruns of a child as runs of the parent', async () => {
    const parent = await rule('p3');
    const child = await rule('c3');
    await edge(parent, child);
    const input = request(parent, event());
    const first = await prepare(input);
    const original = first.runs[0]!;
    await db.query(
      `INSERT INTO executions (tenant_id, rule_id, rule_version, event_id, parent_execution_id, rerun_of, workflow_id,
                               trigger_type, input)
       SELECT tenant_id, rule_id, rule_version, event_id, parent_execution_id, id, workflow_id || '-rerun', trigger_type, input
         FROM executions WHERE id = $1`,
      [original.executionId],
    );
    expect((await prepare(input)).runs).toEqual(first.runs);
  });
});
