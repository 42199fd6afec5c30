import type { RetentionSummary } from '@ruleflow/contract';
import { RETENTION_CLEANUP_WORKFLOW, RuleflowKindKey } from '@ruleflow/contract';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@ruleflow/config';
import { createDataSource } from '@ruleflow/entities';
import type { AgedRows, TestDatabase } from '@ruleflow/testing';
import {
  agedRows,
  connectTestClient,
  createTestDatabase,
  insertIvrSessionRow,
  ivrSessionRowExists,
  testTemporalAddress,
  uniqueTaskQueue,
  workflowBundle,
} from '@ruleflow/testing';
import type { Worker } from '@temporalio/worker';
import { NativeConnection } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { ensureRetentionSchedule, retentionScheduleOptions } from './retention-schedule';
import { createRuleflowWorker } from './worker';

/**
 * The daily retention schedule as the worker sets it up at start-up, fired on the real dev server
 * against the real worker (real activities, real PostgreSQL), and the retention workflow it starts
 * run over aged rows of every table.
 */
describe('retention schedule', () => {
  let database: TestDatabase;
  let db: DataSource;
  let workerDb: DataSource;
  let connection: NativeConnection;
  let worker: Worker;
  let running: Promise<void>;
  let client: Awaited<ReturnType<typeof connectTestClient>>;
  let taskQueue: string;
  let tenantId: string;
  let rows: AgedRows;
  let a: string;
  let b: string;
  const scheduleIds: string[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDataSource({ url: database.url, poolSize: 2, systemByDefault: true });
    await db.initialize();
    workerDb = createDataSource({ url: database.url, poolSize: 2 });
    await workerDb.initialize();
    taskQueue = uniqueTaskQueue('retention');
    const config = loadConfig({
      DATABASE_URL: database.url,
      TEMPORAL_ADDRESS: testTemporalAddress(),
      LOG_LEVEL: 'silent',
    });
    connection = await NativeConnection.connect({ address: testTemporalAddress() });
    worker = await createRuleflowWorker({
      config,
      dataSource: workerDb,
      connection,
      taskQueue,
      workflowBundlePath: workflowBundle().codePath,
    });
    running = worker.run();
    client = await connectTestClient();
    const tenants: Array<{ id: string }> = await db.query(
      `INSERT INTO tenants (name) VALUES ($1), ($2), ($3) RETURNING id`,
      [`t-${randomUUID()}`, `a-${randomUUID()}`, `b-${randomUUID()}`],
    );
    [tenantId, a, b] = tenants.map((t) => t.id) as [string, string, string];
    rows = agedRows(db);
  });
  afterAll(async () => {
    for (const id of scheduleIds)
      await client?.client.schedule
        .getHandle(id)
        .delete()
        .catch(() => undefined);
    worker?.shutdown();
    await running;
    await connection?.close();
    await client?.close();
    await workerDb?.destroy();
    await db?.destroy();
    await database?.drop();
  });

  const newScheduleId = () => {
    const id = `retention-test-${randomUUID()}`;
    scheduleIds.push(id);
    return id;
  };

  async function execution(status: string, ageDays: number): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO executions (id, tenant_id, rule_id, rule_version, event_id, workflow_id, trigger_type, status,
                               input, completed_at)
       VALUES ($1, $2, $3, 1, 'e', $4, 'manual', $5, '{}'::jsonb, now() - ($6::float8 * interval '1 day'))`,
      [id, tenantId, randomUUID(), `rule-x-${id}`, status, ageDays],
    );
    return id;
  }
  const exists = async (id: string) =>
    ((await db.query(`SELECT 1 FROM executions WHERE id = $1`, [id])) as unknown[]).length === 1;

  it('takes its settings from RETENTION_* with the documented defaults', () => {
    const defaults = loadConfig({});
    const periods = {
      successDays: 30,
      failedDays: 7,
      ivrSessionDays: 30,
      deliveryDays: 90,
      eventDays: 30,
      notificationDays: 90,
      alertDays: 90,
      auditLogDays: 365,
      apiKeyUsageDays: 90,
    };
    expect(defaults.retention).toEqual({ ...periods, scheduleCron: '15 3 * * *' });
    expect(retentionScheduleOptions(defaults)).toEqual({ taskQueue: 'ruleflow', cron: '15 3 * * *', policy: periods });
    const custom = loadConfig({
      RETENTION_SUCCESS_DAYS: '90',
      RETENTION_FAILED_DAYS: '14',
      RETENTION_IVR_SESSION_DAYS: '5',
      RETENTION_DELIVERY_DAYS: '10',
      RETENTION_EVENT_DAYS: '11',
      RETENTION_NOTIFICATION_DAYS: '12',
      RETENTION_ALERT_DAYS: '13',
      RETENTION_AUDIT_LOG_DAYS: '700',
      RETENTION_API_KEY_USAGE_DAYS: '15',
      RETENTION_SCHEDULE_CRON: '0 4 * * 0',
    });
    expect(custom.retention).toEqual({
      successDays: 90,
      failedDays: 14,
      ivrSessionDays: 5,
      deliveryDays: 10,
      eventDays: 11,
      notificationDays: 12,
      alertDays: 13,
      auditLogDays: 700,
      apiKeyUsageDays: 15,
      scheduleCron: '0 4 * * 0',
    });
    expect(() => loadConfig({ RETENTION_FAILED_DAYS: '0' })).toThrow(/RETENTION_FAILED_DAYS/);
    expect(() => loadConfig({ RETENTION_IVR_SESSION_DAYS: 'x' })).toThrow(/RETENTION_IVR_SESSION_DAYS/);
    expect(() => loadConfig({ RETENTION_AUDIT_LOG_DAYS: '0' })).toThrow(/RETENTION_AUDIT_LOG_DAYS/);
    expect(() => loadConfig({ RETENTION_SCHEDULE_CRON: '* * *' })).toThrow(/RETENTION_SCHEDULE_CRON/);
  });

  it('creates the daily schedule; a fire deletes what the policy says and returns a summary', async () => {
    const scheduleId = newScheduleId();
    const policy = { successDays: 30, failedDays: 7 };
    const created = await ensureRetentionSchedule(client.client, { taskQueue, cron: '15 3 * * *', policy, scheduleId });
    expect(created).toEqual({ outcome: 'created' });

    const handle = client.client.schedule.getHandle(scheduleId);
    const described = await handle.describe();
    expect(described.spec.timezone).toBe('UTC');
    expect(described.spec.calendars).toEqual([
      expect.objectContaining({ hour: [{ start: 3, end: 3, step: 1 }], minute: [{ start: 15, end: 15, step: 1 }] }),
    ]);
    expect(described.action).toMatchObject({
      type: 'startWorkflow',
      workflowType: 'RetentionCleanupWorkflow',
      workflowId: scheduleId,
      taskQueue,
      args: [policy],
    });
    expect(described.policies.overlap).toBe('SKIP');
    expect(described.state.paused).toBe(false);

    const old = { success: await execution('success', 31), failed: await execution('failed', 8) };
    const kept = { success: await execution('success', 29), failed: await execution('failed', 6) };
    await handle.trigger();
    let workflowId: string | undefined;
    for (let i = 0; i < 100 && !workflowId; i++) {
      workflowId = (await handle.describe()).info.recentActions[0]?.action.workflow.workflowId;
      if (!workflowId) await new Promise((r) => setTimeout(r, 100));
    }
    const summary = (await client.client.workflow.getHandle(workflowId!).result()) as RetentionSummary;
    // An operator can leave the maintenance runs out of a list of rule runs.
    const fired = await client.client.workflow.getHandle(workflowId!).describe();
    expect(fired.typedSearchAttributes.get(RuleflowKindKey)).toBe('maintenance');
    expect(summary).toMatchObject({
      policy,
      deleted: { success: 1, failed: 1, partial: 0, cancelled: 0 },
      total: 2,
      deliveries: 0,
    });
    expect(await exists(old.success)).toBe(false);
    expect(await exists(old.failed)).toBe(false);
    expect(await exists(kept.success)).toBe(true);
    expect(await exists(kept.failed)).toBe(true);
  });

  it('is idempotent: a later start updates cron and policy and keeps an operator pause', async () => {
    const scheduleId = newScheduleId();
    const first = { taskQueue, cron: '15 3 * * *', policy: { successDays: 30, failedDays: 7 }, scheduleId };
    expect(await ensureRetentionSchedule(client.client, first)).toEqual({ outcome: 'created' });
    const handle = client.client.schedule.getHandle(scheduleId);
    await handle.pause('operator says no');

    const second = { ...first, cron: '0 4 * * *', policy: { successDays: 60, failedDays: 10 } };
    expect(await ensureRetentionSchedule(client.client, second)).toEqual({ outcome: 'updated' });
    const described = await handle.describe();
    expect(described.action).toMatchObject({ args: [{ successDays: 60, failedDays: 10 }] });
    expect(described.spec.calendars).toEqual([
      expect.objectContaining({ hour: [{ start: 4, end: 4, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] }),
    ]);
    expect(described.state).toMatchObject({ paused: true, note: 'operator says no' });
    expect(await ensureRetentionSchedule(client.client, second)).toEqual({ outcome: 'updated' });
  });

  it('reports a refusal instead of throwing, so the worker still starts', async () => {
    const result = await ensureRetentionSchedule(client.client, {
      taskQueue,
      cron: 'not a cron at all',
      policy: { successDays: 30, failedDays: 7 },
      scheduleId: newScheduleId(),
    });
    expect(result).toEqual({ error: expect.any(String) });
  });

  const policy = retentionScheduleOptions(loadConfig({ LOG_LEVEL: 'silent' })).policy;
  const runRetention = () =>
    client.client.workflow.execute(RETENTION_CLEANUP_WORKFLOW, {
      workflowId: `retention-all-${randomUUID()}`,
      taskQueue,
      args: [policy],
    }) as Promise<RetentionSummary>;

  /*
   * Nothing grows without bound: rows of every table the retention sweeps, aged past (and short of)
   * their default periods, then RetentionCleanupWorkflow run for real with the policy the schedule
   * carries by default.
   */
  it('removes what outlived its period from every table, keeps the rest, and counts per table', async () => {
    expect(policy).toEqual({
      successDays: 30,
      failedDays: 7,
      ivrSessionDays: 30,
      deliveryDays: 90,
      eventDays: 30,
      notificationDays: 90,
      alertDays: 90,
      auditLogDays: 365,
      apiKeyUsageDays: 90,
    });
    const keyA = await rows.apiKey(a);
    const keyB = await rows.apiKey(b);
    const oldRun = await rows.execution(a, 'success', 31, 'evt-of-old-run');
    const gone: Record<string, string[]> = {
      executions: [oldRun, await rows.execution(b, 'failed', 8)],
      deliveries: [
        await rows.deliveryLog(a, oldRun),
        await rows.deliveryLog(a, oldRun),
        await rows.endpointDelivery(a, 'success', 91),
        await rows.endpointDelivery(b, 'failed', 91),
      ],
      events: [
        await rows.event(a, 31),
        await rows.event(b, 400),
        // Its run goes first in the same cleanup, so nothing keeps it.
        await rows.event(a, 40, 'evt-of-old-run'),
      ],
      notifications: [await rows.notification(a, 91), await rows.notification(b, 200)],
      alerts: [await rows.alert(a, 'resolved', 91), await rows.alert(b, 'dismissed', 91)],
      audit_logs: [await rows.auditLog(a, 366)],
      api_key_usage: [await rows.apiKeyUsage(keyA, 91), await rows.apiKeyUsage(keyB, 120)],
      ivr_sessions: [await insertIvrSessionRow(db, a, 31)],
    };
    const keptRun = await rows.execution(a, 'success', 29, 'evt-of-kept-run');
    const kept: Record<string, string[]> = {
      executions: [keptRun, await rows.execution(b, 'failed', 6), await rows.execution(a, 'running', 100)],
      deliveries: [
        await rows.deliveryLog(a, keptRun),
        await rows.endpointDelivery(a, 'success', 89),
        await rows.endpointDelivery(b, 'retrying', 200),
        await rows.endpointDelivery(a, 'pending', 200),
      ],
      events: [
        await rows.event(a, 29),
        // Older than any period, but a kept run still refers to it.
        await rows.event(a, 400, 'evt-of-kept-run'),
      ],
      notifications: [await rows.notification(a, 89)],
      alerts: [
        await rows.alert(a, 'active', 400),
        await rows.alert(b, 'acknowledged', 400),
        await rows.alert(a, 'resolved', 89),
      ],
      audit_logs: [await rows.auditLog(a, 364), await rows.auditLog(b, 10)],
      api_key_usage: [await rows.apiKeyUsage(keyA, 89), await rows.apiKeyUsage(keyB, 0)],
      ivr_sessions: [await insertIvrSessionRow(db, b, 29), await insertIvrSessionRow(db, a, null)],
    };
    const exists = (table: string, id: string) =>
      table === 'ivr_sessions' ? ivrSessionRowExists(db, id) : rows.exists(table, id);
    const childrenOf = async (alertIds: string[]) =>
      (
        (await db.query(
          `SELECT (SELECT count(*) FROM alert_recipients WHERE alert_id = ANY($1::uuid[]))::int
                + (SELECT count(*) FROM alert_acknowledgments WHERE alert_id = ANY($1::uuid[]))::int AS n`,
          [alertIds],
        )) as Array<{ n: number }>
      )[0]!.n;
    expect(await childrenOf(gone.alerts!)).toBe(4);

    const summary = await runRetention();

    expect(summary.tables).toEqual({
      executions: 2,
      deliveries: 4,
      events: 3,
      notifications: 2,
      alerts: 2,
      audit_logs: 1,
      api_key_usage: 2,
      ivr_sessions: 1,
    });
    // The counts the summary had before per-table ones stay as they were.
    expect(summary).toMatchObject({
      policy,
      deleted: { success: 1, failed: 1, partial: 0, cancelled: 0 },
      total: 2,
      deliveries: 2,
      endpointDeliveries: 2,
      ivrSessions: 1,
    });
    for (const [table, ids] of Object.entries(gone)) {
      for (const id of ids)
        expect({ table, id, exists: await exists(table, id) }).toEqual({ table, id, exists: false });
    }
    for (const [table, ids] of Object.entries(kept)) {
      for (const id of ids) expect({ table, id, exists: await exists(table, id) }).toEqual({ table, id, exists: true });
    }
    expect(await childrenOf(gone.alerts!)).toBe(0);
    expect(await childrenOf(kept.alerts!)).toBe(6);

    // Nothing left to delete: a second run counts zeros.
    const again = await runRetention();
    expect(Object.values(again.tables!).every((n) => n === 0)).toBe(true);
  });

  it('goes through a backlog larger than one batch (500 rows per statement)', async () => {
    await db.query(
      `INSERT INTO audit_logs (tenant_id, action, resource_type, created_at)
       SELECT $1, 'rule.updated', 'rule', now() - interval '400 days' FROM generate_series(1, 1201)`,
      [a],
    );
    await db.query(
      `INSERT INTO events (tenant_id, event_key, entity, type, data, occurred_at, response, received_at)
       SELECT $1, 'bulk-' || n, 'orders', 'on_create', '{}', now(), '{}', now() - interval '60 days'
         FROM generate_series(1, 700) AS n`,
      [b],
    );
    const summary = await runRetention();
    expect(summary.tables).toMatchObject({ audit_logs: 1201, events: 700 });
    expect(await rows.count('audit_logs')).toBe(2); // the two kept by the first test
  });
});
