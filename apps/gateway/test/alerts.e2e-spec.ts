import { createHash, randomUUID } from 'node:crypto';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

describe('create_alert action and the alerts API (end to end)', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys?.close();
  });

  /** An API key of its own tenant (or of `default`), with these scopes (no tenant/key routes in this release). */
  async function keyFor(scopes: string[], tenantName = 'default'): Promise<{ Authorization: string }> {
    await sys.db.query(`INSERT INTO tenants (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [tenantName]);
    const tenant: Array<{ id: string }> = await sys.db.query(`SELECT id FROM tenants WHERE name = $1`, [tenantName]);
    const key = `rf_alerts_${randomUUID().replace(/-/g, '')}`;
    await sys.db.query(
      `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes) VALUES ($1, 'alerts', $2, $3, $4)`,
      [tenant[0]!.id, key.slice(0, 10), createHash('sha256').update(key).digest('hex'), scopes],
    );
    return { Authorization: `Bearer ${key}` };
  }

  async function createRule(body: Record<string, unknown>) {
    const res = await sys.http.post('/v1/rules').set(sys.auth).send(body);
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number };
  }

  async function waitForExecution(id: string) {
    return eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${id}`).set(sys.auth);
      return ['success', 'failed', 'partial', 'cancelled'].includes(res.body.status) ? res.body : undefined;
    });
  }

  function alertRule(entity: string, config: Record<string, unknown> = {}) {
    return createRule({
      name: `Alert on late ${entity}`,
      entity,
      trigger: { type: 'on_update' },
      conditions: { all: [{ field: 'status', operator: 'changed_to', value: 'late' }] },
      actions: [
        {
          name: 'raise',
          type: 'create_alert',
          config: {
            alertType: 'late_order',
            severity: 'high',
            title: 'Order {{data.id}} is late',
            message: 'Customer {{ data.customer }} waits since {{ data.since }}',
            recipients: [
              { type: 'user', id: '{{ data.owner }}' },
              { type: 'role', id: 'ops' },
            ],
            expiresIn: '1h',
            context: { orderId: '{{ data.id }}', since: '{{ data.since }}' },
            ...config,
          },
        },
      ],
    });
  }

  /** Fires the rule for order `id` and returns the alert id from the execution's output. */
  async function raise(entity: string, id: number, owner = 'u-7'): Promise<{ alertId: string; executionId: string }> {
    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({
        id: `evt-${entity}-${id}`,
        entity,
        type: 'on_update',
        data: { id, status: 'late', customer: 'acme', since: '2030-01-01', owner },
        previous: { id, status: 'packed' },
      });
    expect(ev.status).toBe(202);
    expect(ev.body.executions).toHaveLength(1);
    const execution = await waitForExecution(ev.body.executions[0].executionId);
    expect(execution.status).toBe('success');
    expect(execution.actions).toEqual([
      expect.objectContaining({
        name: 'raise',
        type: 'create_alert',
        status: 'success',
        output: { alertId: expect.any(String) },
      }),
    ]);
    return { alertId: execution.actions[0].output.alertId, executionId: execution.id };
  }

  it('an event fires create_alert; the alert is listed with its recipients and rendered templates', async () => {
    const rule = await alertRule('orders_alert_1');
    const { alertId, executionId } = await raise('orders_alert_1', 42);

    const list = await sys.http.get('/v1/alerts').set(sys.auth);
    expect(list.status).toBe(200);
    expect(list.body.nextCursor).toBeNull();
    const alert = list.body.items.find((a: { id: string }) => a.id === alertId);
    expect(alert).toEqual({
      id: alertId,
      alertType: 'late_order',
      severity: 'high',
      title: 'Order 42 is late',
      message: 'Customer acme waits since 2030-01-01',
      context: { orderId: 42, since: '2030-01-01' },
      sourceEntityName: 'orders_alert_1',
      sourceEntityId: '42',
      sourceRuleId: rule.id,
      sourceExecutionId: executionId,
      status: 'active',
      expiresAt: expect.any(String),
      recipients: expect.arrayContaining([
        { type: 'user', id: 'u-7' },
        { type: 'role', id: 'ops' },
      ]),
      acknowledgments: [],
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(alert.recipients).toHaveLength(2);
    const expiresIn = Date.parse(alert.expiresAt) - Date.parse(alert.createdAt);
    expect(expiresIn).toBeGreaterThan(59 * 60 * 1000);
    expect(expiresIn).toBeLessThan(61 * 60 * 1000);

    const one = await sys.http.get(`/v1/alerts/${alertId}`).set(sys.auth);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(alert);

    // One alert per run, however the activity was retried or replayed.
    const [{ n }] = await sys.db.query(`SELECT count(*)::int AS n FROM alerts WHERE source_execution_id = $1`, [
      executionId,
    ]);
    expect(n).toBe(1);
  });

  it('filters by status, severity and recipient', async () => {
    await alertRule('orders_alert_2', { severity: 'critical', alertType: 'stuck' });
    const a = await raise('orders_alert_2', 1, 'u-filter-a');
    const b = await raise('orders_alert_2', 2, 'u-filter-b');
    const ids = (res: { body: { items: Array<{ id: string }> } }) => res.body.items.map((x) => x.id).sort();
    const get = (q: string) => sys.http.get(`/v1/alerts?${q}`).set(sys.auth);

    expect(ids(await get('recipientId=u-filter-a'))).toEqual([a.alertId]);
    expect(ids(await get('recipientType=user&recipientId=u-filter-b'))).toEqual([b.alertId]);
    expect(ids(await get('recipientType=role&recipientId=u-filter-b'))).toEqual([]);
    const critical = await get('severity=critical');
    expect(ids(critical)).toEqual([a.alertId, b.alertId].sort());
    expect((await get('severity=low')).body.items).toEqual([]);

    await sys.http.post(`/v1/alerts/${a.alertId}/dismiss`).set(sys.auth).expect(200);
    expect(ids(await get('severity=critical&status=dismissed'))).toEqual([a.alertId]);
    expect(ids(await get('severity=critical&status=active'))).toEqual([b.alertId]);

    const page = await get('severity=critical&limit=1');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const next = await get(`severity=critical&limit=1&cursor=${page.body.nextCursor}`);
    expect(next.body.items).toHaveLength(1);
    expect(next.body.items[0].id).not.toBe(page.body.items[0].id);
    expect(next.body.nextCursor).toBeNull();

    const bad = await get('status=open&bogus=1');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.message)).toMatch(/status/);
    expect(JSON.stringify(bad.body.message)).toMatch(/bogus/);
  });

  it('acknowledge (twice), then resolve; no transition out of resolved or dismissed', async () => {
    await alertRule('orders_alert_3');
    const { alertId } = await raise('orders_alert_3', 1);
    const post = (action: string, body?: object) =>
      sys.http
        .post(`/v1/alerts/${alertId}/${action}`)
        .set(sys.auth)
        .send(body ?? {});

    const ack1 = await post('acknowledge', { userId: 'u-1', notes: 'on it' });
    expect(ack1.status).toBe(200);
    expect(ack1.body.status).toBe('acknowledged');
    expect(ack1.body.acknowledgments).toEqual([{ userId: 'u-1', notes: 'on it', acknowledgedAt: expect.any(String) }]);

    const ack2 = await post('acknowledge', { userId: 'u-2' });
    expect(ack2.status).toBe(200);
    expect(ack2.body.status).toBe('acknowledged');
    expect(ack2.body.acknowledgments).toEqual([
      { userId: 'u-1', notes: 'on it', acknowledgedAt: expect.any(String) },
      { userId: 'u-2', notes: null, acknowledgedAt: expect.any(String) },
    ]);

    const badAck = await post('acknowledge', { userId: 'u-3', extra: true });
    expect(badAck.status).toBe(400);
    expect(JSON.stringify(badAck.body.message)).toMatch(/extra/);
    expect((await post('acknowledge', {})).status).toBe(400);

    const resolved = await post('resolve');
    expect(resolved.status).toBe(200);
    expect(resolved.body.status).toBe('resolved');
    expect(Date.parse(resolved.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(ack2.body.updatedAt));

    for (const [action, body] of [['acknowledge', { userId: 'u-4' }], ['dismiss'], ['resolve']] as const) {
      const res = await post(action, body);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
    }
    const after = await sys.http.get(`/v1/alerts/${alertId}`).set(sys.auth);
    expect(after.body.status).toBe('resolved');
    expect(after.body.acknowledgments).toHaveLength(2);
  });

  it('dismissed is final', async () => {
    await alertRule('orders_alert_4');
    const { alertId } = await raise('orders_alert_4', 1);
    const dismissed = await sys.http.post(`/v1/alerts/${alertId}/dismiss`).set(sys.auth);
    expect(dismissed.status).toBe(200);
    expect(dismissed.body.status).toBe('dismissed');
    for (const action of ['acknowledge', 'dismiss', 'resolve']) {
      const res = await sys.http.post(`/v1/alerts/${alertId}/${action}`).set(sys.auth).send({ userId: 'u-1' });
      expect(res.status).toBe(409);
    }
  });

  it('an expired active alert reads resolved, filters as resolved and cannot move', async () => {
    await alertRule('orders_alert_5');
    const { alertId } = await raise('orders_alert_5', 1);
    await sys.db.query(`UPDATE alerts SET expires_at = now() - interval '1 minute' WHERE id = $1`, [alertId]);

    const one = await sys.http.get(`/v1/alerts/${alertId}`).set(sys.auth);
    expect(one.body.status).toBe('resolved');
    const resolved = await sys.http.get('/v1/alerts?status=resolved').set(sys.auth);
    expect(resolved.body.items.map((a: { id: string }) => a.id)).toContain(alertId);
    const active = await sys.http.get('/v1/alerts?status=active').set(sys.auth);
    expect(active.body.items.map((a: { id: string }) => a.id)).not.toContain(alertId);

    const ack = await sys.http.post(`/v1/alerts/${alertId}/acknowledge`).set(sys.auth).send({ userId: 'u-1' });
    expect(ack.status).toBe(409);
    expect((await sys.http.post(`/v1/alerts/${alertId}/resolve`).set(sys.auth)).status).toBe(409);
    const [row] = await sys.db.query(`SELECT status FROM alerts WHERE id = $1`, [alertId]);
    expect(row.status).toBe('active');
    const acks = await sys.db.query(`SELECT * FROM alert_acknowledgments WHERE alert_id = $1`, [alertId]);
    expect(acks).toEqual([]);
  });

  it('is tenant-scoped and needs the alerts scopes', async () => {
    await alertRule('orders_alert_6');
    const { alertId } = await raise('orders_alert_6', 1);

    const otherAuth = await keyFor(['alerts:read', 'alerts:write'], `tenant-${randomUUID()}`);
    expect((await sys.http.get(`/v1/alerts/${alertId}`).set(otherAuth)).status).toBe(404);
    expect((await sys.http.post(`/v1/alerts/${alertId}/dismiss`).set(otherAuth)).status).toBe(404);
    const theirs = await sys.http.get('/v1/alerts').set(otherAuth);
    expect(theirs.status).toBe(200);
    expect(theirs.body.items).toEqual([]);
    expect((await sys.http.get('/v1/alerts/not-a-uuid').set(sys.auth)).status).toBe(404);

    const readAuth = await keyFor(['alerts:read']);
    expect((await sys.http.get(`/v1/alerts/${alertId}`).set(readAuth)).status).toBe(200);
    expect((await sys.http.post(`/v1/alerts/${alertId}/dismiss`).set(readAuth)).status).toBe(403);
    const noScope = await keyFor(['rules:read']);
    expect((await sys.http.get('/v1/alerts').set(noScope)).status).toBe(403);
  });

  it('validates the create_alert config when the rule is saved', async () => {
    const base = {
      alertType: 'late_order',
      severity: 'high',
      title: 't',
      message: 'm',
      recipients: [{ type: 'user', id: 'u-1' }],
    };
    const save = (config: Record<string, unknown>) =>
      sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({
          name: 'bad alert rule',
          entity: 'orders_alert_bad',
          trigger: { type: 'on_create' },
          actions: [{ type: 'create_alert', config }],
        });
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...base, severity: 'urgent' }, /actions\[0\]\.config\.severity/],
      [{ ...base, recipients: [] }, /actions\[0\]\.config\.recipients/],
      [{ ...base, recipients: [{ type: 'team', id: 'x' }] }, /actions\[0\]\.config\.recipients\[0\]\.type/],
      [{ ...base, expiresIn: 'tomorrow' }, /actions\[0\]\.config\.expiresIn/],
      [{ ...base, title: undefined }, /actions\[0\]\.config\.title/],
      [{ ...base, colour: 'red' }, /colour/],
    ];
    for (const [config, message] of cases) {
      const res = await save(config);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(message);
    }
    const ok = await save({ ...base, severity: '{{ data.severity }}', expiresIn: '{{ data.ttl }}' });
    expect(ok.status).toBe(201);
  });

  it('a rendered config that is invalid fails the action (non-retryable) and the run', async () => {
    await createRule({
      name: 'bad rendered severity',
      entity: 'orders_alert_7',
      trigger: { type: 'on_create' },
      actions: [
        {
          name: 'raise',
          type: 'create_alert',
          config: {
            alertType: 'x',
            severity: '{{ data.severity }}',
            title: 't',
            message: 'm',
            recipients: [{ type: 'role', id: 'ops' }],
          },
        },
      ],
    });
    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({ entity: 'orders_alert_7', type: 'on_create', data: { id: 1, severity: 'apocalyptic' } });
    expect(ev.status).toBe(202);
    const execution = await waitForExecution(ev.body.executions[0].executionId);
    expect(execution.status).toBe('failed');
    expect(execution.errorAction).toBe('raise');
    expect(execution.error).toMatch(/severity/);
  });
});
