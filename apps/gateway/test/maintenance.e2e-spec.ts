import { createHash, randomUUID } from 'node:crypto';
import type { HttpReceiver } from '@ruleflow/testing';
import { agedRows, insertIvrSessionRow, ivrSessionRowExists, startHttpReceiver } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

/** `POST /v1/maintenance/cleanup` through the real gateway, over real runs and real PostgreSQL. */
describe('maintenance: execution cleanup (end to end)', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;
  let tenantId: string;
  let otherTenantId: string;

  beforeAll(async () => {
    sys = await startTestSystem();
    receiver = await startHttpReceiver(() => ({ status: 200, body: '{"ok":true}' }));
    const rows: Array<{ id: string }> = await sys.db.query(`SELECT id FROM tenants WHERE name = 'default'`);
    tenantId = rows[0]!.id;
    const other: Array<{ id: string }> = await sys.db.query(`INSERT INTO tenants (name) VALUES ($1) RETURNING id`, [
      `other-${randomUUID()}`,
    ]);
    otherTenantId = other[0]!.id;
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.close();
  });
  beforeEach(async () => {
    await sys.db.query(`DELETE FROM deliveries`);
    await sys.db.query(`DELETE FROM executions`);
    await sys.db.query(`DELETE FROM ivr_sessions`);
  });

  const cleanup = (body: unknown, auth: Record<string, string> = sys.auth) =>
    sys.http
      .post('/v1/maintenance/cleanup')
      .set(auth)
      .send(body as object);

  /** A key of `tenant` with these scopes, inserted as the gateway stores keys (prefix + SHA-256). */
  async function keyWithScopes(scopes: string[], tenant = tenantId): Promise<Record<string, string>> {
    const key = `rf_maint_${randomUUID().replace(/-/g, '')}`;
    await sys.db.query(
      `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes, enabled) VALUES ($1, 'k', $2, $3, $4, true)`,
      [tenant, key.slice(0, 10), createHash('sha256').update(key).digest('hex'), scopes],
    );
    return { Authorization: `Bearer ${key}` };
  }

  /** An execution row as a run leaves it, completed `ageDays` ago (null: not completed), with delivery logs. */
  async function execution(
    status: string,
    ageDays: number | null,
    opts: { tenant?: string; deliveries?: number } = {},
  ): Promise<string> {
    const id = randomUUID();
    const tenant = opts.tenant ?? tenantId;
    await sys.db.query(
      `INSERT INTO executions (id, tenant_id, rule_id, rule_version, event_id, workflow_id, trigger_type, status,
                               input, created_at, completed_at)
       VALUES ($1, $2, $3, 1, 'e', $4, 'manual', $5, '{}'::jsonb, now() - interval '60 days',
               CASE WHEN $6::float8 IS NULL THEN NULL ELSE now() - ($6::float8 * interval '1 day') END)`,
      [id, tenant, randomUUID(), `rule-x-${id}`, status, ageDays],
    );
    for (let i = 0; i < (opts.deliveries ?? 0); i++) {
      await sys.db.query(
        `INSERT INTO deliveries (id, tenant_id, execution_id, event_type, url) VALUES ($1, $2, $3, 'x.y', 'http://h')`,
        [randomUUID(), tenant, id],
      );
    }
    return id;
  }
  const exists = async (id: string) =>
    ((await sys.db.query(`SELECT 1 FROM executions WHERE id = $1`, [id])) as unknown[]).length === 1;
  const deliveriesOf = async (id: string) =>
    (
      (await sys.db.query(`SELECT count(*)::int AS n FROM deliveries WHERE execution_id = $1`, [id])) as Array<{
        n: number;
      }>
    )[0]!.n;

  it('deletes a real old run with its delivery logs; it is gone from the API', async () => {
    const rule = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: 'to clean',
        entity: 'items',
        trigger: { type: 'manual' },
        actions: [{ name: 'hook', type: 'webhook', config: { url: `${receiver.url}/x` } }],
      })
      .expect(201);
    const run = await sys.http.post(`/v1/rules/${rule.body.id}/run`).set(sys.auth).send({ data: {} }).expect(202);
    const executionId = run.body.executionId as string;
    await eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${executionId}`).set(sys.auth);
      return res.body.status === 'success';
    });
    expect(await deliveriesOf(executionId)).toBe(1);

    // Ended just now: kept.
    expect((await cleanup({ olderThan: '30d' })).body).toMatchObject({
      deleted: 0,
      endpointDeliveries: 0,
      ivrSessions: 0,
    });
    expect(await exists(executionId)).toBe(true);

    await sys.db.query(`UPDATE executions SET completed_at = now() - interval '31 days' WHERE id = $1`, [executionId]);
    const res = await cleanup({ olderThan: '30d' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deleted: 1, endpointDeliveries: 0, ivrSessions: 0 });
    expect(await deliveriesOf(executionId)).toBe(0);
    expect((await sys.http.get(`/v1/executions/${executionId}`).set(sys.auth)).status).toBe(404);
  });

  it('deletes old ended runs only: recent, pending, running and other tenants’ runs are kept', async () => {
    const old = {
      success: await execution('success', 40, { deliveries: 2 }),
      failed: await execution('failed', 40, { deliveries: 1 }),
      partial: await execution('partial', 40),
      cancelled: await execution('cancelled', 40),
    };
    const recent = await execution('success', 5, { deliveries: 1 });
    const pending = await execution('pending', null);
    const running = await execution('running', null);
    const foreign = await execution('success', 40, { tenant: otherTenantId, deliveries: 1 });

    const res = await cleanup({ olderThan: '30d' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deleted: 4, endpointDeliveries: 0, ivrSessions: 0 });
    for (const id of Object.values(old)) {
      expect(await exists(id)).toBe(false);
      expect(await deliveriesOf(id)).toBe(0);
    }
    for (const id of [recent, pending, running, foreign]) expect(await exists(id)).toBe(true);
    expect(await deliveriesOf(recent)).toBe(1);
    expect(await deliveriesOf(foreign)).toBe(1);

    // Nothing left to delete: the same call again deletes nothing.
    expect((await cleanup({ olderThan: '30d' })).body).toMatchObject({
      deleted: 0,
      endpointDeliveries: 0,
      ivrSessions: 0,
    });
  });

  it('honours status and integer-millisecond durations', async () => {
    const failed = await execution('failed', 3);
    const success = await execution('success', 3);
    const res = await cleanup({ olderThan: 2 * 86_400_000, status: 'failed' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deleted: 1, endpointDeliveries: 0, ivrSessions: 0 });
    expect(await exists(failed)).toBe(false);
    expect(await exists(success)).toBe(true);
    expect((await cleanup({ olderThan: '2d', status: 'success' })).body).toMatchObject({
      deleted: 1,
      endpointDeliveries: 0,
      ivrSessions: 0,
    });
    expect(await exists(success)).toBe(false);
  });

  /** An endpoint delivery in `status`, ended (last written) `ageDays` ago. */
  async function endpointDelivery(status: string, ageDays: number, tenant = tenantId): Promise<string> {
    const id = randomUUID();
    await sys.db.query(
      `INSERT INTO deliveries (id, tenant_id, webhook_id, source, event_type, event_key, url, status, created_at, updated_at, dispatched_at)
       VALUES ($1, $2, $3, 'endpoint', 'orders.on_update', $4, 'http://h', $5,
               now() - interval '60 days', now() - ($6::float8 * interval '1 day'), now() - interval '60 days')`,
      [id, tenant, randomUUID(), `evt-${id}`, status, ageDays],
    );
    return id;
  }
  const deliveryExists = async (id: string) =>
    ((await sys.db.query(`SELECT 1 FROM deliveries WHERE id = $1`, [id])) as unknown[]).length === 1;

  it("deletes the tenant's ended endpoint deliveries too; never pending or retrying ones; status narrows them", async () => {
    const old = { success: await endpointDelivery('success', 40), failed: await endpointDelivery('failed', 40) };
    const kept = [
      await endpointDelivery('success', 5),
      await endpointDelivery('pending', 40),
      await endpointDelivery('retrying', 40),
      await endpointDelivery('failed', 40, otherTenantId),
    ];
    // `partial` runs have no delivery counterpart: no endpoint delivery goes.
    expect((await cleanup({ olderThan: '30d', status: 'partial' })).body).toMatchObject({
      deleted: 0,
      endpointDeliveries: 0,
      ivrSessions: 0,
    });
    expect((await cleanup({ olderThan: '30d', status: 'failed' })).body).toMatchObject({
      deleted: 0,
      endpointDeliveries: 1,
      ivrSessions: 0,
    });
    expect(await deliveryExists(old.failed)).toBe(false);
    expect(await deliveryExists(old.success)).toBe(true);
    const res = await cleanup({ olderThan: '30d' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deleted: 0, endpointDeliveries: 1, ivrSessions: 0 });
    expect(await deliveryExists(old.success)).toBe(false);
    for (const id of kept) expect(await deliveryExists(id)).toBe(true);
  });

  it("deletes the tenant's ended IVR sessions past olderThan (not with a run status); never live ones", async () => {
    const session = (endedDaysAgo: number | null, tenant = tenantId) =>
      insertIvrSessionRow(sys.db, tenant, endedDaysAgo);
    const sessionExists = (id: string) => ivrSessionRowExists(sys.db, id);
    const old = await session(40);
    const kept = [await session(5), await session(null), await session(40, otherTenantId)];
    expect((await cleanup({ olderThan: '30d', status: 'success' })).body).toMatchObject({ ivrSessions: 0 });
    expect(await sessionExists(old)).toBe(true);
    expect((await cleanup({ olderThan: '30d' })).body).toMatchObject({
      deleted: 0,
      endpointDeliveries: 0,
      ivrSessions: 1,
    });
    expect(await sessionExists(old)).toBe(false);
    for (const id of kept) expect(await sessionExists(id)).toBe(true);
  });

  it("without status, also removes the tenant's old events no run refers to, notifications, ended alerts and key usage; never audit logs; counts per table", async () => {
    const rows = agedRows(sys.db);
    const run = await rows.execution(tenantId, 'success', 40, 'evt-of-old-run');
    const keptRun = await rows.execution(tenantId, 'success', 5, 'evt-of-kept-run');
    const key = await rows.apiKey(tenantId);
    const gone = {
      executions: [run],
      deliveries: [await rows.deliveryLog(tenantId, run), await rows.endpointDelivery(tenantId, 'failed', 40)],
      events: [await rows.event(tenantId, 40), await rows.event(tenantId, 40, 'evt-of-old-run')],
      notifications: [await rows.notification(tenantId, 40)],
      alerts: [await rows.alert(tenantId, 'resolved', 40), await rows.alert(tenantId, 'dismissed', 40)],
      api_key_usage: [await rows.apiKeyUsage(key, 40)],
      ivr_sessions: [await insertIvrSessionRow(sys.db, tenantId, 40)],
    };
    const kept = {
      executions: [keptRun],
      events: [
        await rows.event(tenantId, 5),
        await rows.event(tenantId, 40, 'evt-of-kept-run'),
        await rows.event(otherTenantId, 40),
      ],
      notifications: [await rows.notification(tenantId, 5), await rows.notification(otherTenantId, 40)],
      alerts: [await rows.alert(tenantId, 'active', 40), await rows.alert(otherTenantId, 'resolved', 40)],
      audit_logs: [await rows.auditLog(tenantId, 400)],
      api_key_usage: [await rows.apiKeyUsage(key, 5), await rows.apiKeyUsage(await rows.apiKey(otherTenantId), 40)],
    };

    // A run status narrows the cleanup to runs and deliveries.
    const narrowed = await cleanup({ olderThan: '30d', status: 'cancelled' });
    expect(narrowed.body.tables).toEqual({
      executions: 0,
      deliveries: 0,
      events: 0,
      notifications: 0,
      alerts: 0,
      audit_logs: 0,
      api_key_usage: 0,
      ivr_sessions: 0,
    });
    for (const id of gone.events) expect(await rows.exists('events', id)).toBe(true);

    const res = await cleanup({ olderThan: '30d' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      deleted: 1,
      endpointDeliveries: 1,
      ivrSessions: 1,
      tables: {
        executions: 1,
        deliveries: 2,
        events: 2,
        notifications: 1,
        alerts: 2,
        audit_logs: 0,
        api_key_usage: 1,
        ivr_sessions: 1,
      },
    });
    const exists = (table: string, id: string) =>
      table === 'ivr_sessions' ? ivrSessionRowExists(sys.db, id) : rows.exists(table, id);
    for (const [table, ids] of Object.entries(gone)) {
      for (const id of ids)
        expect({ table, id, exists: await exists(table, id) }).toEqual({ table, id, exists: false });
    }
    for (const [table, ids] of Object.entries(kept)) {
      for (const id of ids) expect({ table, id, exists: await exists(table, id) }).toEqual({ table, id, exists: true });
    }
  });

  it("an admin of another tenant cleans only that tenant's runs", async () => {
    const ours = await execution('success', 40);
    const theirs = await execution('failed', 40, { tenant: otherTenantId });
    const res = await cleanup({ olderThan: '1d' }, await keyWithScopes(['admin'], otherTenantId));
    expect(res.body).toMatchObject({ deleted: 1, endpointDeliveries: 0, ivrSessions: 0 });
    expect(await exists(theirs)).toBe(false);
    expect(await exists(ours)).toBe(true);
  });

  it.each([
    [{ olderThan: 'yesterday' }, /olderThan/],
    [{ olderThan: '1.5d' }, /olderThan/],
    [{ olderThan: -5 }, /olderThan/],
    [{}, /olderThan/],
    [{ olderThan: '30d', status: 'running' }, /status/],
    [{ olderThan: '30d', status: 'pending' }, /status/],
    [{ olderThan: '30d', tenantId: randomUUID() }, /tenantId/],
  ])('refuses %j with 400 naming the field, deleting nothing', async (body, field) => {
    const id = await execution('success', 40);
    const res = await cleanup(body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(JSON.stringify(res.body.message)).toMatch(field);
    expect(await exists(id)).toBe(true);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = await sys.http.get('/docs-json');
    expect(doc.body.paths['/v1/maintenance/cleanup']?.post).toBeDefined();
    expect(doc.body.components.schemas.CleanupResultDto.properties).toMatchObject({
      deleted: { type: 'number' },
      endpointDeliveries: { type: 'number' },
    });
    expect(JSON.stringify(doc.body.components.schemas.CleanupResultDto.properties.tables)).toContain(
      '#/components/schemas/CleanupTablesDto',
    );
    expect(Object.keys(doc.body.components.schemas.CleanupTablesDto.properties).sort()).toEqual([
      'alerts',
      'api_key_usage',
      'audit_logs',
      'deliveries',
      'events',
      'executions',
      'ivr_sessions',
      'notifications',
    ]);
  });

  it('needs the admin scope: 403 for other keys, 401 without a key', async () => {
    const id = await execution('success', 40);
    const writer = await keyWithScopes(['executions:write', 'executions:read', 'rules:write']);
    const forbidden = await cleanup({ olderThan: '1d' }, writer);
    expect(forbidden.status).toBe(403);
    expect((await sys.http.post('/v1/maintenance/cleanup').send({ olderThan: '1d' })).status).toBe(401);
    expect(await exists(id)).toBe(true);
  });
});
