import type { RetentionSummary } from '@ruleflow/contract';
import { randomUUID } from 'node:crypto';
import { loadConfig } from '@ruleflow/config';
import { createDataSource } from '@ruleflow/entities';
import type { TestDatabase } from '@ruleflow/testing';
import {
  connectTestClient,
  createTestDatabase,
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
 * against the real worker (real activities, real PostgreSQL).
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
    const rows: Array<{ id: string }> = await db.query(`INSERT INTO tenants (name) VALUES ($1) RETURNING id`, [
      `t-${randomUUID()}`,
    ]);
    tenantId = rows[0]!.id;
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
    expect(defaults.retention).toEqual({
      successDays: 30,
      failedDays: 7,
      ivrSessionDays: 30,
      scheduleCron: '15 3 * * *',
    });
    expect(retentionScheduleOptions(defaults)).toEqual({
      taskQueue: 'ruleflow',
      cron: '15 3 * * *',
      policy: { successDays: 30, failedDays: 7, ivrSessionDays: 30 },
    });
    const custom = loadConfig({
      RETENTION_SUCCESS_DAYS: '90',
      RETENTION_FAILED_DAYS: '14',
      RETENTION_IVR_SESSION_DAYS: '5',
      RETENTION_SCHEDULE_CRON: '0 4 * * 0',
    });
    expect(custom.retention).toEqual({ successDays: 90, failedDays: 14, ivrSessionDays: 5, scheduleCron: '0 4 * * 0' });
    expect(() => loadConfig({ RETENTION_FAILED_DAYS: '0' })).toThrow(/RETENTION_FAILED_DAYS/);
    expect(() => loadConfig({ RETENTION_IVR_SESSION_DAYS: 'x' })).toThrow(/RETENTION_IVR_SESSION_DAYS/);
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
});
