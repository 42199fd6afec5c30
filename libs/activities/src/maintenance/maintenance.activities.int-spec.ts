import { randomUUID } from 'node:crypto';
import { RetentionRepository } from '@ruleflow/entities';
import { insertTenants, openTestDataSource } from '@ruleflow/testing';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { DataSource } from 'typeorm';
import { createMaintenanceActivities } from './maintenance.activities';

/** The cleanup activity over the retention repository against real PostgreSQL. */
describe('cleanupExecutions activity (real PostgreSQL)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  let db: DataSource;
  let tenantId: string;

  beforeAll(async () => {
    testDb = await openTestDataSource('maintenance-activities-spec');
    db = testDb.db;
    [tenantId] = (await insertTenants(db, 1)) as [string];
  });
  afterAll(async () => {
    await testDb?.close();
  });

  /** An execution in `status` that completed `ageDays` ago. */
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
  /** An endpoint delivery in `status`, last written (ended) `ageDays` ago. */
  async function endpointDelivery(status: string, ageDays: number): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO deliveries (id, tenant_id, webhook_id, source, event_type, event_key, url, status, updated_at)
       VALUES ($1, $2, $3, 'endpoint', 'orders.on_update', $4, 'http://h', $5, now() - ($6::float8 * interval '1 day'))`,
      [id, tenantId, randomUUID(), `evt-${id}`, status, ageDays],
    );
    return id;
  }
  const exists = async (table: 'executions' | 'deliveries', id: string) =>
    ((await db.query(`SELECT 1 FROM ${table} WHERE id = $1`, [id])) as unknown[]).length === 1;

  it('applies the policy and heartbeats its progress', async () => {
    const { cleanupExecutions } = createMaintenanceActivities({ retention: new RetentionRepository(db, 1) });
    const gone = [await execution('failed', 8), await execution('success', 31)];
    const kept = await execution('failed', 6);
    const oldDelivery = await endpointDelivery('success', 91); // deliveryDays: 90 when the policy does not say
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const summary = await env.run(cleanupExecutions, { successDays: 30, failedDays: 7 });
    expect(summary).toMatchObject({
      deleted: { success: 1, failed: 1, partial: 0, cancelled: 0 },
      total: 2,
      endpointDeliveries: 1,
    });
    expect(await exists('deliveries', oldDelivery)).toBe(false);
    expect(beats.length).toBeGreaterThanOrEqual(2);
    for (const id of gone) expect(await exists('executions', id)).toBe(false);
    expect(await exists('executions', kept)).toBe(true);
  });

  it.each([
    { successDays: 0, failedDays: 7 },
    { successDays: 30, failedDays: 1.5 },
    { successDays: 30 },
    { successDays: 30, failedDays: 7, ivrSessionDays: 0 },
    { successDays: 30, failedDays: 7, auditLogDays: 0 },
    { successDays: 30, failedDays: 7, eventDays: '30' },
  ])('refuses a policy that would delete the wrong history (%j), for good', async (policy) => {
    const { cleanupExecutions } = createMaintenanceActivities({ retention: new RetentionRepository(db) });
    const id = await execution('success', 1);
    const err = await new MockActivityEnvironment().run(cleanupExecutions, policy as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'InvalidRetentionPolicy', nonRetryable: true });
    expect(await exists('executions', id)).toBe(true);
  });
});
