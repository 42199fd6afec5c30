import type { ExecutionInput } from '@ruleflow/entities';
import { ExecutionEntity, RuleEntity, ScheduledRunRepository } from '@ruleflow/entities';
import { DEFAULT_RETRY } from '@ruleflow/rules';
import { CapturingLogger, insertTenants, openTestDataSource } from '@ruleflow/testing';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { DataSource } from 'typeorm';
import type { PrepareScheduledRunInput, PreparedScheduledRun, SchedulingActivities } from './scheduling.activities';
import { createSchedulingActivities } from './scheduling.activities';

/** prepareScheduledRun over ScheduledRunRepository against real PostgreSQL. */
describe('prepareScheduledRun (real PostgreSQL)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  let db: DataSource;
  let tenantId: string;
  let otherTenantId: string;
  let logger: CapturingLogger;
  let prepareScheduledRun: SchedulingActivities['prepareScheduledRun'];

  beforeAll(async () => {
    testDb = await openTestDataSource('scheduling-activities-spec');
    db = testDb.db;
    ({ prepareScheduledRun } = createSchedulingActivities({ scheduledRuns: new ScheduledRunRepository(db) }));
    [tenantId, otherTenantId] = (await insertTenants(db, 2)) as [string, string];
  });
  afterAll(async () => {
    await testDb?.close();
  });
  beforeEach(() => {
    logger = new CapturingLogger();
  });

  async function createRule(overrides: Partial<RuleEntity> = {}): Promise<RuleEntity> {
    return db.getRepository(RuleEntity).save({
      tenantId,
      name: 'nightly export',
      description: null,
      entity: 'reports',
      triggerType: 'scheduled',
      trigger: { type: 'scheduled', cron: '0 2 * * *', timezone: 'UTC' },
      hookTokenHash: null,
      hookTokenPrefix: null,
      conditions: { all: [] },
      actions: [{ name: 'export', type: 'webhook', config: { url: 'http://127.0.0.1:9/x' }, retry: DEFAULT_RETRY }],
      priority: 0,
      isActive: true,
      version: 3,
      ...overrides,
    });
  }
  const fire = (
    ruleId: string,
    scheduledAt = '2030-01-02T02:00:00Z',
    tenant = tenantId,
  ): Promise<PreparedScheduledRun | null> =>
    new MockActivityEnvironment({ attempt: 1 }, { logger }).run(prepareScheduledRun, {
      ruleId,
      tenantId: tenant,
      scheduledAt,
      workflowId: `rule-schedule-${ruleId}-${scheduledAt}`,
    } satisfies PrepareScheduledRunInput);
  const rowsOf = (ruleId: string) => db.getRepository(ExecutionEntity).find({ where: { ruleId } });

  it('records a pending, already dispatched execution named after the fire time, from the current rule', async () => {
    const rule = await createRule();
    const prepared = (await fire(rule.id, '2030-01-02T02:00:00Z'))!;

    const eventId = 'schedule-2030-01-02T02:00:00.000Z';
    const workflowId = `rule-${rule.id}-${eventId}`;
    expect(prepared).toEqual({ executionId: expect.any(String), workflowId, input: expect.any(Object) });
    const expectedInput: ExecutionInput = {
      executionId: prepared.executionId,
      rule: {
        id: rule.id,
        tenantId,
        name: 'nightly export',
        version: 3,
        entity: 'reports',
        triggerType: 'scheduled',
        conditions: { all: [] },
        actions: rule.actions,
      },
      event: {
        id: eventId,
        entity: 'reports',
        type: 'scheduled',
        data: {},
        previous: null,
        occurredAt: '2030-01-02T02:00:00.000Z',
      },
      parent: null,
    };
    expect(prepared.input).toEqual(expectedInput);

    const rows = await rowsOf(rule.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      id: prepared.executionId,
      tenantId,
      ruleVersion: 3,
      eventId,
      workflowId,
      triggerType: 'scheduled',
      status: 'pending',
      parentExecutionId: null,
      input: expectedInput,
      actions: [expect.objectContaining({ name: 'export', type: 'webhook', status: 'pending' })],
    });
    // The scheduled workflow starts the run itself: the gateway's outbox must never pick it up.
    expect(rows[0]!.dispatchedAt).toBeInstanceOf(Date);
  });

  it("a fire that runs the rule itself (runsInFire) records its own workflow as the execution's, once", async () => {
    const rule = await createRule();
    const scheduledAt = '2030-01-03T02:00:00Z';
    const run = (): Promise<PreparedScheduledRun | null> =>
      new MockActivityEnvironment({ attempt: 1 }, { logger }).run(prepareScheduledRun, {
        ruleId: rule.id,
        tenantId,
        scheduledAt,
        workflowId: `rule-schedule-${rule.id}-nightly-export-${scheduledAt}`,
        runsInFire: true,
      } satisfies PrepareScheduledRunInput);
    const prepared = (await run())!;
    expect(prepared.workflowId).toBe(`rule-schedule-${rule.id}-nightly-export-${scheduledAt}`);
    expect(prepared.input.event.id).toBe('schedule-2030-01-03T02:00:00.000Z');
    expect(await run()).toEqual(prepared);
    const rows = await rowsOf(rule.id);
    expect(rows.map((r) => r.workflowId)).toEqual([prepared.workflowId]);
  });

  it('is idempotent: a retried attempt returns the first row, even after the rule changed', async () => {
    const rule = await createRule();
    const first = (await fire(rule.id))!;
    await db.getRepository(RuleEntity).update(rule.id, { version: 4, name: 'renamed', isActive: false });
    const again = (await fire(rule.id))!;
    expect(again).toEqual(first);
    expect(again.input.rule).toMatchObject({ version: 3, name: 'nightly export' });
    expect(await rowsOf(rule.id)).toHaveLength(1);
  });

  it('records one row under concurrent attempts of the same fire', async () => {
    const rule = await createRule();
    const results = await Promise.all([fire(rule.id), fire(rule.id), fire(rule.id), fire(rule.id)]);
    const ids = new Set(results.map((r) => r!.executionId));
    expect(ids.size).toBe(1);
    expect(await rowsOf(rule.id)).toHaveLength(1);
  });

  it('records one execution per fire time', async () => {
    const rule = await createRule();
    const a = await fire(rule.id, '2030-01-02T02:00:00Z');
    const b = await fire(rule.id, '2030-01-03T02:00:00Z');
    expect(a!.executionId).not.toBe(b!.executionId);
    expect((await rowsOf(rule.id)).map((r) => r.eventId).sort()).toEqual([
      'schedule-2030-01-02T02:00:00.000Z',
      'schedule-2030-01-03T02:00:00.000Z',
    ]);
  });

  it.each([
    ['inactive', { isActive: false }, /is inactive/],
    [
      'no longer scheduled',
      { triggerType: 'manual' as const, trigger: { type: 'manual' as const } },
      /no longer scheduled/,
    ],
  ])('skips a rule that is %s: null, logged, nothing written', async (_, overrides, reason) => {
    const rule = await createRule(overrides);
    expect(await fire(rule.id)).toBeNull();
    expect(await rowsOf(rule.id)).toHaveLength(0);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({ level: 'INFO', message: expect.stringMatching(reason) }),
    );
  });

  it('skips a rule that is gone, or that belongs to another tenant', async () => {
    const rule = await createRule();
    expect(await fire(rule.id, undefined, otherTenantId)).toBeNull();
    await db.getRepository(RuleEntity).delete(rule.id);
    expect(await fire(rule.id)).toBeNull();
    expect(await rowsOf(rule.id)).toHaveLength(0);
    expect(logger.entries.filter((e) => /no longer exists/.test(e.message))).toHaveLength(2);
  });

  it('refuses a fire time that is not a timestamp, for good', async () => {
    const rule = await createRule();
    const err = await fire(rule.id, 'yesterday').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'InvalidScheduledRun', nonRetryable: true });
    expect(await rowsOf(rule.id)).toHaveLength(0);
  });
});
