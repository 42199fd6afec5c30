import { randomUUID } from 'node:crypto';
import {
  agedRows,
  insertIvrSessionRow,
  insertTenants,
  ivrSessionRowExists,
  openTestDataSource,
} from '@ruleflow/testing';
import type { DataSource } from 'typeorm';
import type { CleanupProgress, CleanupResult, EndedDeliveryStatus, EndedExecutionStatus } from './retention.repository';
import { ENDED_EXECUTION_STATUSES, RetentionRepository } from './retention.repository';

const DAY_MS = 86_400_000;

/** The retention repository against real PostgreSQL (the cleanup activity: maintenance.activities.int-spec.ts). */
describe('RetentionRepository (real PostgreSQL)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  let db: DataSource;
  let tenantId: string;
  let otherTenantId: string;

  beforeAll(async () => {
    testDb = await openTestDataSource('retention-spec');
    db = testDb.db;
    [tenantId, otherTenantId] = (await insertTenants(db, 2)) as [string, string];
  });
  afterAll(async () => {
    await testDb?.close();
  });
  beforeEach(async () => {
    await db.query(`DELETE FROM deliveries`);
    await db.query(`DELETE FROM executions`);
    await db.query(`DELETE FROM ivr_sessions`);
  });

  const ivrSession = (endedDaysAgo: number | null, tenant = tenantId) => insertIvrSessionRow(db, tenant, endedDaysAgo);
  const ivrExists = (id: string) => ivrSessionRowExists(db, id);

  /** An execution in `status` that completed `ageDays` ago (null: never completed), with `deliveries` logs. */
  async function execution(
    status: string,
    ageDays: number | null,
    opts: { tenant?: string; deliveries?: number } = {},
  ): Promise<string> {
    const id = randomUUID();
    const tenant = opts.tenant ?? tenantId;
    await db.query(
      `INSERT INTO executions (id, tenant_id, rule_id, rule_version, event_id, workflow_id, trigger_type, status,
                               input, completed_at)
       VALUES ($1, $2, $3, 1, 'e', $4, 'manual', $5, '{}'::jsonb,
               CASE WHEN $6::float8 IS NULL THEN NULL ELSE now() - ($6::float8 * interval '1 day') END)`,
      [id, tenant, randomUUID(), `rule-x-${id}`, status, ageDays],
    );
    for (let i = 0; i < (opts.deliveries ?? 0); i++) {
      await db.query(
        `INSERT INTO deliveries (id, tenant_id, execution_id, event_type, url) VALUES ($1, $2, $3, 'x.y', 'http://h')`,
        [randomUUID(), tenant, id],
      );
    }
    return id;
  }
  const exists = async (id: string) =>
    ((await db.query(`SELECT 1 FROM executions WHERE id = $1`, [id])) as unknown[]).length === 1;
  const deliveriesOf = async (id: string) =>
    Number(
      (
        (await db.query(`SELECT count(*) AS n FROM deliveries WHERE execution_id = $1`, [id])) as Array<{ n: string }>
      )[0]!.n,
    );
  const before = (days: number) => new Date(Date.now() - days * DAY_MS);

  /**
   * An endpoint delivery in `status`, last written (ended) `ageDays` ago and created 60 days ago,
   * so a test tells the two clocks apart.
   */
  async function endpointDelivery(
    status: string,
    ageDays: number,
    opts: { tenant?: string; source?: 'endpoint' | 'rule_action' } = {},
  ): Promise<string> {
    const id = randomUUID();
    await db.query(
      `INSERT INTO deliveries (id, tenant_id, webhook_id, source, event_type, event_key, url, status,
                               created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'orders.on_update', $5, 'http://h', $6,
               now() - interval '60 days', now() - ($7::float8 * interval '1 day'))`,
      [id, opts.tenant ?? tenantId, randomUUID(), opts.source ?? 'endpoint', `evt-${id}`, status, ageDays],
    );
    return id;
  }
  const deliveryExists = async (id: string) =>
    ((await db.query(`SELECT 1 FROM deliveries WHERE id = $1`, [id])) as unknown[]).length === 1;

  it("deletes the tenant's old ended executions with their delivery logs, and nothing else", async () => {
    const retention = new RetentionRepository(db);
    const oldOnes = await Promise.all(ENDED_EXECUTION_STATUSES.map((s) => execution(s, 40, { deliveries: 2 })));
    const recent = await execution('success', 10, { deliveries: 1 });
    // Never deleted, even with an (inconsistent) old completed_at: the status guard is in the statement.
    const running = await execution('running', 40);
    const pending = await execution('pending', null);
    const otherTenant = await execution('success', 40, { tenant: otherTenantId, deliveries: 1 });
    const unrelatedDelivery = randomUUID();
    await db.query(
      `INSERT INTO deliveries (id, tenant_id, execution_id, event_type, url) VALUES ($1, $2, NULL, 'x.y', 'http://h')`,
      [unrelatedDelivery, tenantId],
    );

    const result = await retention.deleteEnded({
      tenantId,
      statuses: ENDED_EXECUTION_STATUSES,
      completedBefore: before(30),
    });
    expect(result).toEqual({ executions: 4, deliveries: 8 });
    for (const id of oldOnes) {
      expect(await exists(id)).toBe(false);
      expect(await deliveriesOf(id)).toBe(0);
    }
    for (const id of [recent, running, pending, otherTenant]) expect(await exists(id)).toBe(true);
    expect(await deliveriesOf(recent)).toBe(1);
    expect(await deliveriesOf(otherTenant)).toBe(1);
    expect(((await db.query(`SELECT 1 FROM deliveries WHERE id = $1`, [unrelatedDelivery])) as unknown[]).length).toBe(
      1,
    );
  });

  it('deletes only the given status', async () => {
    const retention = new RetentionRepository(db);
    const failed = await execution('failed', 40);
    const success = await execution('success', 40);
    expect(await retention.deleteEnded({ tenantId, statuses: ['failed'], completedBefore: before(30) })).toEqual({
      executions: 1,
      deliveries: 0,
    });
    expect(await exists(failed)).toBe(false);
    expect(await exists(success)).toBe(true);
  });

  it('works in batches until nothing is left, reporting progress after each', async () => {
    const retention = new RetentionRepository(db, 2);
    const ids = await Promise.all([1, 2, 3, 4, 5].map(() => execution('success', 40, { deliveries: 1 })));
    const progress: CleanupResult[] = [];
    const result = await retention.deleteEnded(
      { tenantId, statuses: ['success'], completedBefore: before(30) },
      (p) => void progress.push(p),
    );
    expect(result).toEqual({ executions: 5, deliveries: 5 });
    expect(progress).toEqual([
      { executions: 2, deliveries: 2 },
      { executions: 4, deliveries: 4 },
      { executions: 5, deliveries: 5 },
    ]);
    for (const id of ids) expect(await exists(id)).toBe(false);
  });

  it('refuses to delete runs that have not ended', async () => {
    const retention = new RetentionRepository(db);
    const running = await execution('running', 40);
    await expect(
      retention.deleteEnded({ statuses: ['running' as EndedExecutionStatus], completedBefore: before(0) }),
    ).rejects.toThrow(/only ended runs/);
    expect(await exists(running)).toBe(true);
  });

  describe('endpoint deliveries', () => {
    it("deletes the tenant's endpoint deliveries that ended before the cut-off (by updated_at), and nothing else", async () => {
      const retention = new RetentionRepository(db);
      const old = [await endpointDelivery('success', 40), await endpointDelivery('failed', 40)];
      // Created 60 days ago but ended (last written) 10 days ago: judged by when it ended, so kept.
      const recent = await endpointDelivery('failed', 10);
      // Never deleted however old: their workflows are still running (or about to start).
      const inFlight = [await endpointDelivery('pending', 40), await endpointDelivery('retrying', 40)];
      const foreign = await endpointDelivery('success', 40, { tenant: otherTenantId });
      // A rule action's attempt log goes with its execution, never on its own.
      const ruleAction = await endpointDelivery('success', 40, { source: 'rule_action' });

      const result = await retention.deleteEndedEndpointDeliveries({
        tenantId,
        statuses: ['success', 'failed'],
        endedBefore: before(30),
      });
      expect(result).toEqual({ endpointDeliveries: 2 });
      for (const id of old) expect(await deliveryExists(id)).toBe(false);
      for (const id of [recent, ...inFlight, foreign, ruleAction]) expect(await deliveryExists(id)).toBe(true);
      expect(
        await retention.deleteEndedEndpointDeliveries({
          tenantId,
          statuses: ['success', 'failed'],
          endedBefore: before(30),
        }),
      ).toEqual({ endpointDeliveries: 0 });
    });

    it('deletes only the given status, in batches reporting progress', async () => {
      const retention = new RetentionRepository(db, 2);
      const failed = await Promise.all([1, 2, 3].map(() => endpointDelivery('failed', 40)));
      const success = await endpointDelivery('success', 40);
      const progress: CleanupProgress[] = [];
      const result = await retention.deleteEndedEndpointDeliveries(
        { tenantId, statuses: ['failed'], endedBefore: before(30) },
        (p) => void progress.push(p),
      );
      expect(result).toEqual({ endpointDeliveries: 3 });
      expect(progress).toEqual([{ endpointDeliveries: 2 }, { endpointDeliveries: 3 }]);
      for (const id of failed) expect(await deliveryExists(id)).toBe(false);
      expect(await deliveryExists(success)).toBe(true);
    });

    it('refuses to delete deliveries that have not ended', async () => {
      const retention = new RetentionRepository(db);
      const retrying = await endpointDelivery('retrying', 40);
      await expect(
        retention.deleteEndedEndpointDeliveries({
          statuses: ['retrying' as EndedDeliveryStatus],
          endedBefore: before(0),
        }),
      ).rejects.toThrow(/only ended deliveries/);
      expect(await deliveryExists(retrying)).toBe(true);
    });
  });

  it('applies the policy across tenants: success/cancelled after successDays, failed/partial after failedDays, endpoint deliveries after deliveryDays', async () => {
    const retention = new RetentionRepository(db);
    const tenDays = {
      success: await execution('success', 10),
      cancelled: await execution('cancelled', 10),
      failed: await execution('failed', 10, { deliveries: 3 }),
      partial: await execution('partial', 10, { tenant: otherTenantId }),
    };
    const fortyDays = {
      success: await execution('success', 40, { tenant: otherTenantId, deliveries: 1 }),
      cancelled: await execution('cancelled', 40),
    };
    const endpoint = {
      gone: [
        await endpointDelivery('success', 31),
        await endpointDelivery('failed', 21, { tenant: otherTenantId }),
        await endpointDelivery('failed', 31),
      ],
      kept: [
        await endpointDelivery('success', 19),
        await endpointDelivery('failed', 8),
        await endpointDelivery('retrying', 40),
        await endpointDelivery('pending', 40, { tenant: otherTenantId }),
      ],
    };
    const ivr = {
      gone: [await ivrSession(31), await ivrSession(45, otherTenantId)],
      kept: [await ivrSession(29), await ivrSession(null), await ivrSession(null, otherTenantId)],
    };
    const now = new Date();
    const summary = await retention.applyPolicy({ successDays: 30, failedDays: 7, deliveryDays: 20 }, now);
    expect(summary).toEqual({
      policy: { successDays: 30, failedDays: 7, deliveryDays: 20 },
      ranAt: now.toISOString(),
      deleted: { success: 1, cancelled: 1, failed: 1, partial: 1 },
      total: 4,
      deliveries: 4,
      endpointDeliveries: 3,
      ivrSessions: 2,
      tables: {
        executions: 4,
        deliveries: 7,
        events: 0,
        notifications: 0,
        alerts: 0,
        audit_logs: 0,
        api_key_usage: 0,
        ivr_sessions: 2,
      },
    });
    for (const id of ivr.gone) expect(await ivrExists(id)).toBe(false);
    for (const id of ivr.kept) expect(await ivrExists(id)).toBe(true);
    for (const id of endpoint.gone) expect(await deliveryExists(id)).toBe(false);
    for (const id of endpoint.kept) expect(await deliveryExists(id)).toBe(true);
    expect(await exists(tenDays.success)).toBe(true);
    expect(await exists(tenDays.cancelled)).toBe(true);
    expect(await exists(tenDays.failed)).toBe(false);
    expect(await exists(tenDays.partial)).toBe(false);
    expect(await exists(fortyDays.success)).toBe(false);
    expect(await exists(fortyDays.cancelled)).toBe(false);
  });

  it('removes ended IVR sessions after ivrSessionDays (30 when the policy does not say), never live ones', async () => {
    const retention = new RetentionRepository(db, 2);
    const old = [await ivrSession(11), await ivrSession(12), await ivrSession(13, otherTenantId)];
    const young = await ivrSession(9);
    const live = await ivrSession(null);
    const progress: CleanupProgress[] = [];
    const summary = await retention.applyPolicy(
      { successDays: 30, failedDays: 7, ivrSessionDays: 10 },
      new Date(),
      (p) => {
        if ('ivrSessions' in p) progress.push(p);
      },
    );
    expect(summary.ivrSessions).toBe(3);
    expect(progress).toEqual([{ ivrSessions: 2 }, { ivrSessions: 3 }]);
    for (const id of old) expect(await ivrExists(id)).toBe(false);
    expect(await ivrExists(young)).toBe(true);
    expect(await ivrExists(live)).toBe(true);
    // One tenant only (the operator's cleanup), before a cut-off.
    const other = await ivrSession(40, otherTenantId);
    const mine = await ivrSession(40);
    expect(await retention.deleteEndedIvrSessions({ endedBefore: new Date(), tenantId })).toEqual({ ivrSessions: 2 });
    expect(await ivrExists(mine)).toBe(false);
    expect(await ivrExists(other)).toBe(true);
  });

  it('sweeps a table by age in batches, one tenant or all, reporting progress after each batch', async () => {
    const rows = agedRows(db);
    const retention = new RetentionRepository(db, 2);
    const mine = [await rows.notification(tenantId, 10), await rows.notification(tenantId, 11)];
    mine.push(await rows.notification(tenantId, 12));
    const theirs = await rows.notification(otherTenantId, 10);
    const young = await rows.notification(tenantId, 1);
    const progress: CleanupProgress[] = [];
    const deleted = await retention.deleteOld('notifications', { before: before(5), tenantId }, (p) => {
      progress.push(p);
    });
    expect(deleted).toBe(3);
    expect(progress).toEqual([
      { table: 'notifications', deleted: 2 },
      { table: 'notifications', deleted: 3 },
    ]);
    for (const id of mine) expect(await rows.exists('notifications', id)).toBe(false);
    expect(await rows.exists('notifications', theirs)).toBe(true);
    expect(await rows.exists('notifications', young)).toBe(true);
    expect(await retention.deleteOld('notifications', { before: before(5) })).toBe(1);
    expect(await rows.exists('notifications', theirs)).toBe(false);
  });

  it("sweeps one tenant's key usage counters through its keys", async () => {
    const rows = agedRows(db);
    const retention = new RetentionRepository(db);
    const mine = await rows.apiKeyUsage(await rows.apiKey(tenantId), 100);
    const theirs = await rows.apiKeyUsage(await rows.apiKey(otherTenantId), 100);
    expect(await retention.deleteOld('api_key_usage', { before: before(90), tenantId })).toBe(1);
    expect(await rows.exists('api_key_usage', mine)).toBe(false);
    expect(await rows.exists('api_key_usage', theirs)).toBe(true);
  });
});
