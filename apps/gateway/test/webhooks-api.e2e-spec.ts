/**
 * Webhook endpoints and deliveries over HTTP, with no worker: the API (validation, secrets, shaping
 * settings, tenancy), the fan-out of ingested events to subscribed endpoints, and that every
 * delivery gets its workflow `delivery-<id>` STARTED (on the request path, or by the outbox sweep).
 * What the workflow then does is the worker's business and is tested there.
 */
import { randomUUID } from 'node:crypto';
import { fanOutEvent } from '@ruleflow/entities';
import { deliveryWorkflowId, RuleflowKindKey, WEBHOOK_DELIVERY_WORKFLOW } from '@ruleflow/contract';
import request from 'supertest';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

type Auth = { Authorization: string };

const URL_OK = 'http://127.0.0.1:9/hook';

describe('webhook endpoints and deliveries API', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await startTestSystem({ withoutWorker: true });
  });
  afterAll(async () => {
    await sys?.close();
  });

  async function tenantWithKey(name: string, scopes: string[] = ['admin']): Promise<{ tenantId: string; auth: Auth }> {
    const tenant = await sys.http.post('/v1/tenants').set(sys.auth).send({ name });
    expect(tenant.status).toBe(201);
    const key = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: `${name} key`, tenantId: tenant.body.id, scopes });
    expect(key.status).toBe(201);
    return { tenantId: tenant.body.id, auth: { Authorization: `Bearer ${key.body.key}` } };
  }

  async function create(body: Record<string, unknown>, auth: Auth = sys.auth) {
    const res = await sys.http
      .post('/v1/webhooks')
      .set(auth)
      .send({ name: 'hook', url: URL_OK, events: ['orders.on_update'], ...body });
    expect(res.status).toBe(201);
    return res.body as Record<string, any>;
  }

  async function row(id: string): Promise<Record<string, any>> {
    const rows: Array<Record<string, any>> = await sys.db.query(`SELECT * FROM webhooks WHERE id = $1`, [id]);
    return rows[0]!;
  }

  async function deliveryRow(id: string): Promise<Record<string, any> | undefined> {
    const rows: Array<Record<string, any>> = await sys.db.query(`SELECT * FROM deliveries WHERE id = $1`, [id]);
    return rows[0];
  }

  async function webhookCount(): Promise<number> {
    const rows: Array<{ n: number }> = await sys.db.query(`SELECT count(*)::int AS n FROM webhooks`);
    return rows[0]!.n;
  }

  /** The delivery's workflow as Temporal describes it (it stays running: no worker here). */
  async function workflowOf(deliveryId: string) {
    return sys.temporal.workflow.getHandle(deliveryWorkflowId(deliveryId)).describe();
  }

  async function expectStarted(deliveryId: string) {
    const wf = await workflowOf(deliveryId);
    expect(wf.type).toBe(WEBHOOK_DELIVERY_WORKFLOW);
    expect(wf.taskQueue).toBe(sys.config.temporal.taskQueue);
    expect(wf.status.name).toBe('RUNNING');
    // An operator can leave deliveries out of a list of rule runs.
    expect(wf.typedSearchAttributes.get(RuleflowKindKey)).toBe('delivery');
    const stored = await deliveryRow(deliveryId);
    expect(stored?.dispatched_at).toBeInstanceOf(Date);
  }

  describe('create', () => {
    it('answers 201 with every field and a whsec_ secret, stored sealed', async () => {
      const res = await sys.http
        .post('/v1/webhooks')
        .set(sys.auth)
        .send({
          name: 'ERP',
          url: URL_OK,
          events: ['orders.on_update', 'execution.failed', '*'],
          description: 'the ERP',
          fieldSelection: ['id', 'customer.email'],
          payloadTemplate: { orderId: '{{ data.id }}', kind: '{{ event.type }}' },
          transform: '$merge([$, {"x": 1}])',
        });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        id: expect.any(String),
        name: 'ERP',
        url: URL_OK,
        events: ['orders.on_update', 'execution.failed', '*'],
        enabled: true,
        description: 'the ERP',
        fieldSelection: ['id', 'customer.email'],
        payloadTemplate: { orderId: '{{ data.id }}', kind: '{{ event.type }}' },
        transform: '$merge([$, {"x": 1}])',
        disabledReason: null,
        disabledAt: null,
        failingSince: null,
        lastSuccessAt: null,
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
      const stored = await row(res.body.id);
      expect(stored.secret).toMatch(/^enc:v1:/);
      expect(stored.secret).not.toContain(res.body.secret.slice(6));
      expect(stored.previous_secret).toBeNull();
    });

    it('defaults: enabled, no shaping; enabled:false is kept', async () => {
      const plain = await create({ events: ['orders.*'] });
      expect(plain).toMatchObject({ enabled: true, fieldSelection: null, payloadTemplate: null, transform: null });
      const off = await create({ enabled: false });
      expect(off.enabled).toBe(false);
    });

    it.each([
      ['a non-http(s) url', { url: 'ftp://127.0.0.1/x' }, /url/],
      ['a url that is not a url', { url: 'not a url' }, /url/],
      ['a link-local (metadata) url, always', { url: 'http://169.254.169.254/latest' }, /url/],
      ['invalid JSONata', { transform: '$foo(' }, /transform/],
      ['a malformed event pattern', { events: ['orders'] }, /events/],
      ['a wildcard in the wrong place', { events: ['*.on_update'] }, /events/],
      ['no events', { events: [] }, /events/],
      ['too many events', { events: Array.from({ length: 51 }, (_, i) => `e${i}.on_create`) }, /events/],
      ['events not strings', { events: [1] }, /events/],
      ['an unknown field', { color: 'blue' }, /color/],
      ['a bad field selection', { fieldSelection: ['a..b'] }, /fieldSelection/],
      ['a forbidden field selection', { fieldSelection: ['__proto__x', 'constructor'] }, /fieldSelection/],
      ['a template over an unknown root', { payloadTemplate: { a: '{{ secrets.key }}' } }, /payloadTemplate/],
      ['a malformed template', { payloadTemplate: { a: '{{ data.id' } }, /payloadTemplate/],
      ['a missing name', { name: undefined }, /name/],
      ['enabled not a boolean', { enabled: 'yes' }, /enabled/],
    ])('refuses %s with a 400 naming the field, and writes nothing', async (_, body, field) => {
      const before = await webhookCount();
      const res = await sys.http
        .post('/v1/webhooks')
        .set(sys.auth)
        .send({ name: 'bad', url: URL_OK, events: ['orders.on_update'], ...body });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toMatch(field);
      expect(await webhookCount()).toBe(before);
    });

    it('refuses loopback and private urls unless WEBHOOK_ALLOW_PRIVATE_NETWORKS=true', async () => {
      const closed = await sys.startGateway({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false' });
      try {
        const before = await webhookCount();
        for (const url of ['http://127.0.0.1:8080/x', 'http://10.1.2.3/x', 'http://[::1]/x', 'http://localhost/x']) {
          const res = await request(closed.getHttpServer())
            .post('/v1/webhooks')
            .set(sys.auth)
            .send({ name: 'private', url, events: ['*'] });
          expect({ url, status: res.status }).toEqual({ url, status: 400 });
          expect(JSON.stringify(res.body.message)).toMatch(/url/);
        }
        // The same on PATCH.
        const hook = await create({});
        const patch = await request(closed.getHttpServer())
          .patch(`/v1/webhooks/${hook.id}`)
          .set(sys.auth)
          .send({ url: 'http://192.168.1.1/x' });
        expect(patch.status).toBe(400);
        expect(await webhookCount()).toBe(before + 1);
        expect((await row(hook.id)).url).toBe(URL_OK);
      } finally {
        await closed.close();
      }
    });

    it('needs webhooks:write; reads need webhooks:read', async () => {
      const reader = await tenantWithKey('wh-reader', ['webhooks:read']);
      const none = await tenantWithKey('wh-none', ['rules:read']);
      const denied = await sys.http
        .post('/v1/webhooks')
        .set(reader.auth)
        .send({ name: 'x', url: URL_OK, events: ['*'] });
      expect(denied.status).toBe(403);
      expect((await sys.http.get('/v1/webhooks').set(reader.auth)).status).toBe(200);
      expect((await sys.http.get('/v1/webhooks').set(none.auth)).status).toBe(403);
    });
  });

  describe('read, update, rotate, delete', () => {
    it('lists and reads endpoints without their secret', async () => {
      const hook = await create({ name: 'listed' });
      const list = await sys.http.get('/v1/webhooks?limit=200').set(sys.auth);
      expect(list.status).toBe(200);
      expect(list.body.nextCursor).toBeNull();
      const item = list.body.items.find((w: { id: string }) => w.id === hook.id);
      expect(item).toMatchObject({ id: hook.id, name: 'listed', url: URL_OK, enabled: true });
      const one = await sys.http.get(`/v1/webhooks/${hook.id}`).set(sys.auth);
      expect(one.status).toBe(200);
      expect(one.body).toEqual(item);
      for (const body of [list.body, one.body]) {
        const text = JSON.stringify(body);
        expect(text).not.toContain('whsec_');
        expect(text).not.toContain('enc:v1:');
        expect(text).not.toContain('"secret"');
        expect(text).not.toContain('previousSecret"');
      }
    });

    it('pages the list', async () => {
      const t = await tenantWithKey('wh-pages');
      for (let i = 0; i < 3; i++) await create({ name: `p${i}` }, t.auth);
      const first = await sys.http.get('/v1/webhooks?limit=2').set(t.auth);
      expect(first.body.items).toHaveLength(2);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      const second = await sys.http.get(`/v1/webhooks?limit=2&cursor=${first.body.nextCursor}`).set(t.auth);
      expect(second.body.items).toHaveLength(1);
      expect(second.body.nextCursor).toBeNull();
      const names = [...first.body.items, ...second.body.items].map((w: { name: string }) => w.name).sort();
      expect(names).toEqual(['p0', 'p1', 'p2']);
      expect((await sys.http.get('/v1/webhooks?limit=0').set(t.auth)).status).toBe(400);
    });

    it('PATCH changes any field, validates like create, and clears optional ones with null', async () => {
      const hook = await create({ transform: '$', fieldSelection: ['id'], description: 'd' });
      const res = await sys.http
        .patch(`/v1/webhooks/${hook.id}`)
        .set(sys.auth)
        .send({ name: 'renamed', events: ['customers.*', 'alert.created'], transform: null, fieldSelection: null });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: hook.id,
        name: 'renamed',
        events: ['customers.*', 'alert.created'],
        transform: null,
        fieldSelection: null,
        description: 'd',
        url: URL_OK,
      });
      expect(res.body.secret).toBeUndefined();
      for (const [body, field] of [
        [{ transform: '$foo(' }, /transform/],
        [{ events: [] }, /events/],
        [{ url: 'gopher://x' }, /url/],
        [{ name: null }, /name/],
        [{ enabled: null }, /enabled/],
        [{ secret: 'whsec_x' }, /secret/],
      ] as const) {
        const bad = await sys.http.patch(`/v1/webhooks/${hook.id}`).set(sys.auth).send(body);
        expect({ body, status: bad.status }).toEqual({ body, status: 400 });
        expect(JSON.stringify(bad.body.message)).toMatch(field);
      }
      const after = await sys.http.get(`/v1/webhooks/${hook.id}`).set(sys.auth);
      expect(after.body).toMatchObject({ name: 'renamed', transform: null });
    });

    it('PATCH enabled:true re-enables an endpoint the system disabled and clears the reason', async () => {
      const hook = await create({});
      await sys.db.query(
        `UPDATE webhooks SET enabled = false, disabled_reason = 'circuit breaker: every delivery failed for 5 days',
           disabled_at = now(), failing_since = now() - interval '6 days' WHERE id = $1`,
        [hook.id],
      );
      const disabled = await sys.http.get(`/v1/webhooks/${hook.id}`).set(sys.auth);
      expect(disabled.body).toMatchObject({
        enabled: false,
        disabledReason: 'circuit breaker: every delivery failed for 5 days',
        disabledAt: expect.any(String),
        failingSince: expect.any(String),
      });
      const res = await sys.http.patch(`/v1/webhooks/${hook.id}`).set(sys.auth).send({ enabled: true });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ enabled: true, disabledReason: null, disabledAt: null, failingSince: null });

      // A user's own disabling records when, with no system reason.
      const off = await sys.http.patch(`/v1/webhooks/${hook.id}`).set(sys.auth).send({ enabled: false });
      expect(off.body).toMatchObject({ enabled: false, disabledReason: null, disabledAt: expect.any(String) });
    });

    it('rotate-secret returns a new secret and keeps the previous one signing for 24 h', async () => {
      const hook = await create({});
      const sealedBefore = (await row(hook.id)).secret as string;
      const res = await sys.http.post(`/v1/webhooks/${hook.id}/rotate-secret`).set(sys.auth).send();
      expect(res.status).toBe(200);
      expect(Object.keys(res.body)).toEqual(['secret']);
      expect(res.body.secret).toMatch(/^whsec_/);
      expect(res.body.secret).not.toBe(hook.secret);
      const stored = await row(hook.id);
      expect(stored.secret).toMatch(/^enc:v1:/);
      expect(stored.secret).not.toBe(sealedBefore);
      expect(stored.previous_secret).toBe(sealedBefore);
      const overlap = (stored.previous_secret_expires_at as Date).getTime() - Date.now();
      expect(overlap).toBeGreaterThan(24 * 3600_000 - 60_000);
      expect(overlap).toBeLessThanOrEqual(24 * 3600_000 + 1000);
      const read = await sys.http.get(`/v1/webhooks/${hook.id}`).set(sys.auth);
      expect(read.body.secretRotatedAt).toEqual(expect.any(String));
      expect(JSON.stringify(read.body)).not.toContain('whsec_');
    });

    it('DELETE answers 204, then the endpoint is gone (404); bad ids are 404', async () => {
      const hook = await create({});
      const del = await sys.http.delete(`/v1/webhooks/${hook.id}`).set(sys.auth);
      expect(del.status).toBe(204);
      expect((await sys.http.get(`/v1/webhooks/${hook.id}`).set(sys.auth)).status).toBe(404);
      expect((await sys.http.delete(`/v1/webhooks/${hook.id}`).set(sys.auth)).status).toBe(404);
      expect((await sys.http.get('/v1/webhooks/not-a-uuid').set(sys.auth)).status).toBe(404);
      expect((await sys.http.get('/v1/deliveries/not-a-uuid').set(sys.auth)).status).toBe(404);
      expect((await sys.http.get(`/v1/deliveries/${randomUUID()}`).set(sys.auth)).status).toBe(404);
    });
  });

  describe('deliveries', () => {
    it('POST /test records a webhook.test delivery and starts its workflow, also without a subscription', async () => {
      const hook = await create({ events: ['orders.on_create'] });
      const res = await sys.http.post(`/v1/webhooks/${hook.id}/test`).set(sys.auth).send({});
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ deliveryId: expect.any(String) });
      const stored = await deliveryRow(res.body.deliveryId);
      expect(stored).toMatchObject({
        webhook_id: hook.id,
        source: 'endpoint',
        event_type: 'webhook.test',
        event_key: `webhook.test:${res.body.deliveryId}`,
        status: 'pending',
        url: URL_OK,
        payload: {
          type: 'webhook.test',
          timestamp: expect.any(String),
          data: { message: 'Test delivery from Ruleflow', webhookId: hook.id },
        },
      });
      await expectStarted(res.body.deliveryId);

      const custom = await sys.http
        .post(`/v1/webhooks/${hook.id}/test`)
        .set(sys.auth)
        .send({ payload: { hello: 'world' } });
      expect(custom.status).toBe(202);
      expect((await deliveryRow(custom.body.deliveryId))?.payload.data).toEqual({ hello: 'world' });

      const read = await sys.http.get(`/v1/deliveries/${custom.body.deliveryId}`).set(sys.auth);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({
        id: custom.body.deliveryId,
        webhookId: hook.id,
        eventType: 'webhook.test',
        status: 'pending',
        attempts: [],
        createdAt: expect.any(String),
        deliveredAt: null,
        source: 'endpoint',
        url: URL_OK,
        redeliveryOf: null,
        error: null,
      });
    });

    it('POST /test on a disabled endpoint is a 409 (re-enable it first); unknown fields 400', async () => {
      const hook = await create({ enabled: false });
      const res = await sys.http.post(`/v1/webhooks/${hook.id}/test`).set(sys.auth).send({});
      expect(res.status).toBe(409);
      expect(res.body.message).toMatch(/disabled/);
      const bad = await sys.http.post(`/v1/webhooks/${hook.id}/test`).set(sys.auth).send({ nope: 1 });
      expect(bad.status).toBe(400);
    });

    it('an ingested event fans out to the subscribed, enabled endpoints only, once per event id', async () => {
      const t = await tenantWithKey('wh-fanout');
      const exact = await create({ name: 'exact', events: ['orders.on_update'] }, t.auth);
      const entity = await create({ name: 'entity', events: ['orders.*'] }, t.auth);
      const all = await create({ name: 'all', events: ['*'] }, t.auth);
      const other = await create({ name: 'other', events: ['customers.*', 'orders.on_create'] }, t.auth);
      const off = await create({ name: 'off', events: ['orders.*'], enabled: false }, t.auth);
      // Another tenant's endpoint subscribed to everything hears nothing of this tenant.
      const foreign = await create({ name: 'foreign', events: ['*'] });

      const event = { id: 'wh-evt-1', entity: 'orders', type: 'on_update', data: { id: 42, status: 'paid' } };
      const accepted = await sys.http.post('/v1/events').set(t.auth).send(event);
      expect(accepted.status).toBe(202);

      const deliveriesOf = async (webhookId: string) =>
        (await sys.db.query(`SELECT * FROM deliveries WHERE webhook_id = $1`, [webhookId])) as Array<
          Record<string, any>
        >;
      for (const hook of [exact, entity, all]) {
        const rows = await deliveriesOf(hook.id);
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({
          tenant_id: t.tenantId,
          source: 'endpoint',
          event_type: 'orders.on_update',
          event_key: 'wh-evt-1',
          payload: { type: 'orders.on_update', data: { id: 42, status: 'paid' } },
        });
        await expectStarted(rows[0]!.id);
      }
      for (const hook of [other, off, foreign]) expect(await deliveriesOf(hook.id)).toHaveLength(0);

      // The same event id again: same answer, no new deliveries.
      const again = await sys.http.post('/v1/events').set(t.auth).send(event);
      expect(again.status).toBe(202);
      for (const hook of [exact, entity, all]) expect(await deliveriesOf(hook.id)).toHaveLength(1);

      // Listed per endpoint, with the contract's shape, filterable by status.
      const list = await sys.http.get(`/v1/webhooks/${exact.id}/deliveries`).set(t.auth);
      expect(list.status).toBe(200);
      expect(list.body).toEqual({
        items: [
          expect.objectContaining({
            id: expect.any(String),
            webhookId: exact.id,
            eventType: 'orders.on_update',
            status: 'pending',
            attempts: [],
            createdAt: expect.any(String),
            deliveredAt: null,
            error: null,
          }),
        ],
        nextCursor: null,
      });
      const pending = await sys.http.get(`/v1/webhooks/${exact.id}/deliveries?status=pending`).set(t.auth);
      expect(pending.body.items).toHaveLength(1);
      const success = await sys.http.get(`/v1/webhooks/${exact.id}/deliveries?status=success`).set(t.auth);
      expect(success.body.items).toHaveLength(0);
      const bad = await sys.http.get(`/v1/webhooks/${exact.id}/deliveries?status=delivered`).set(t.auth);
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.message)).toMatch(/status/);
    });

    it('redeliver makes a new delivery of the same message and starts it; rule-action attempts are refused', async () => {
      const t = await tenantWithKey('wh-redeliver');
      const hook = await create({ events: ['parcels.on_create'] }, t.auth);
      await sys.http
        .post('/v1/events')
        .set(t.auth)
        .send({ id: 'wh-evt-2', entity: 'parcels', type: 'on_create', data: { id: 1 } })
        .expect(202);
      const [original] = (await sys.db.query(`SELECT * FROM deliveries WHERE webhook_id = $1`, [hook.id])) as Array<
        Record<string, any>
      >;
      await sys.db.query(`UPDATE deliveries SET status = 'failed', attempts = $2::jsonb WHERE id = $1`, [
        original!.id,
        JSON.stringify([
          {
            attemptNumber: 1,
            statusCode: 500,
            error: 'HTTP 500',
            durationMs: 12,
            responseBody: 'x'.repeat(5000),
            at: new Date().toISOString(),
          },
        ]),
      ]);
      const failedRead = await sys.http.get(`/v1/deliveries/${original!.id}`).set(t.auth);
      expect(failedRead.body).toMatchObject({
        status: 'failed',
        error: null,
        attempts: [{ attemptNumber: 1, statusCode: 500, error: 'HTTP 500', durationMs: 12, at: expect.any(String) }],
      });
      expect(failedRead.body.attempts[0].responseBody.length).toBeLessThanOrEqual(4096);

      const res = await sys.http.post(`/v1/deliveries/${original!.id}/redeliver`).set(t.auth).send();
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ deliveryId: expect.any(String) });
      expect(res.body.deliveryId).not.toBe(original!.id);
      const copy = await deliveryRow(res.body.deliveryId);
      expect(copy).toMatchObject({
        webhook_id: hook.id,
        tenant_id: t.tenantId,
        source: 'endpoint',
        event_type: 'parcels.on_create',
        event_key: original!.event_key,
        payload: original!.payload,
        redelivery_of: original!.id,
        status: 'pending',
        attempts: [],
      });
      await expectStarted(res.body.deliveryId);
      const read = await sys.http.get(`/v1/deliveries/${res.body.deliveryId}`).set(t.auth);
      expect(read.body).toMatchObject({ redeliveryOf: original!.id, status: 'pending' });
      // A second redelivery is another new row.
      const twice = await sys.http.post(`/v1/deliveries/${original!.id}/redeliver`).set(t.auth).send();
      expect(twice.status).toBe(202);
      expect(twice.body.deliveryId).not.toBe(res.body.deliveryId);

      // A rule's webhook action attempt naming this endpoint: listed with it, but not redeliverable.
      const ruleAttempt = randomUUID();
      await sys.db.query(
        `INSERT INTO deliveries (id, tenant_id, webhook_id, execution_id, action_name, event_type, url, status, source)
         VALUES ($1, $2, $3, $4, 'erp', 'parcels.on_create', $5, 'success', 'rule_action')`,
        [ruleAttempt, t.tenantId, hook.id, randomUUID(), URL_OK],
      );
      const list = await sys.http.get(`/v1/webhooks/${hook.id}/deliveries`).set(t.auth);
      expect(list.body.items.map((d: { id: string }) => d.id)).toEqual(
        expect.arrayContaining([original!.id, res.body.deliveryId, twice.body.deliveryId, ruleAttempt]),
      );
      expect(list.body.items).toHaveLength(4);
      const refused = await sys.http.post(`/v1/deliveries/${ruleAttempt}/redeliver`).set(t.auth).send();
      expect(refused.status).toBe(409);
      expect(refused.body.message).toMatch(/rule/);

      // The endpoint disabled: redelivery waits for it to be re-enabled.
      await sys.http.patch(`/v1/webhooks/${hook.id}`).set(t.auth).send({ enabled: false }).expect(200);
      expect((await sys.http.post(`/v1/deliveries/${original!.id}/redeliver`).set(t.auth).send()).status).toBe(409);
      // The endpoint deleted: its deliveries are still readable, but there is nowhere to redeliver to.
      await sys.http.delete(`/v1/webhooks/${hook.id}`).set(t.auth).expect(204);
      expect((await sys.http.get(`/v1/deliveries/${original!.id}`).set(t.auth)).status).toBe(200);
      expect((await sys.http.post(`/v1/deliveries/${original!.id}/redeliver`).set(t.auth).send()).status).toBe(409);
    });

    it('a delivery that failed without an attempt says why, in GET, the list and the OpenAPI document', async () => {
      const t = await tenantWithKey('wh-error');
      const hook = await create({ events: ['orders.*'] }, t.auth);
      const id = randomUUID();
      // As the delivery workflow leaves it when the endpoint was disabled before the attempt.
      await sys.db.query(
        `INSERT INTO deliveries (id, tenant_id, webhook_id, source, event_type, event_key, url, status, error)
         VALUES ($1, $2, $3, 'endpoint', 'orders.on_update', $4, $5, 'failed', $6)`,
        [id, t.tenantId, hook.id, `evt-${id}`, URL_OK, 'endpoint disabled: the receiver answered 410 Gone'],
      );
      const read = await sys.http.get(`/v1/deliveries/${id}`).set(t.auth);
      expect(read.status).toBe(200);
      expect(read.body).toMatchObject({
        id,
        status: 'failed',
        attempts: [],
        error: 'endpoint disabled: the receiver answered 410 Gone',
      });
      const list = await sys.http.get(`/v1/webhooks/${hook.id}/deliveries?status=failed`).set(t.auth);
      expect(list.body.items).toEqual([
        expect.objectContaining({ id, error: 'endpoint disabled: the receiver answered 410 Gone' }),
      ]);
      const doc = await sys.http.get('/docs-json');
      expect(doc.body.components.schemas.DeliveryDto.properties.error).toMatchObject({
        type: 'string',
        nullable: true,
      });
      expect(doc.body.paths['/v1/deliveries/{id}'].get.responses['200'].content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/DeliveryDto',
      });
    });

    it('the outbox sweep starts deliveries recorded elsewhere (system events from the worker)', async () => {
      const t = await tenantWithKey('wh-outbox');
      const hook = await create({ events: ['execution.failed'] }, t.auth);
      const executionId = randomUUID();
      const created = await fanOutEvent(sys.db, {
        tenantId: t.tenantId,
        type: 'execution.failed',
        eventKey: `execution.failed:${executionId}`,
        data: { executionId },
        timestamp: new Date().toISOString(),
      });
      expect(created).toEqual([{ id: expect.any(String), webhookId: hook.id, tenantId: t.tenantId }]);
      const id = created[0]!.id;
      expect((await deliveryRow(id))?.dispatched_at).toBeNull();
      await eventually(async () => (await deliveryRow(id))?.dispatched_at, 20_000);
      await expectStarted(id);
    });
  });

  describe('headers, rateLimitPerSecond, recover and stats', () => {
    it('refuses reserved, malformed, oversized or masked-with-nothing-stored headers with a 400 naming them, writing nothing', async () => {
      const before = await webhookCount();
      const cases: Array<[unknown, RegExp]> = [
        [{ 'webhook-id': 'x' }, /headers\.webhook-id: is reserved/],
        [{ 'Webhook-Signature': 'x' }, /headers\.Webhook-Signature: is reserved/],
        [{ Host: 'evil.example' }, /headers\.Host: is reserved/],
        [{ 'Content-Length': '1' }, /headers\.Content-Length: is reserved/],
        [{ 'transfer-encoding': 'chunked' }, /headers\.transfer-encoding: is reserved/],
        [{ Connection: 'close' }, /headers\.Connection: is reserved/],
        [{ 'X-Bad': 'top-secret-value\r\nInjected: 1' }, /headers\.X-Bad: must not contain CR, LF/],
        [{ 'Bad Name': 'x' }, /headers\.Bad Name: is not a valid header name/],
        [{ 'X-Num': 123 }, /headers\.X-Num: must be a string/],
        [{ 'X-Key': '********' }, /headers\.X-Key: is the mask/],
        [{ 'X-A': 'a', 'x-a': 'b' }, /headers\.x-a: is given twice/],
        [Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`X-H${i}`, 'v'])), /headers: at most 20/],
        [{ 'X-Big': 'v'.repeat(5000) }, /headers\.X-Big: must be at most 4096/],
        [['X-A'], /headers must be an object/],
      ];
      for (const [headers, message] of cases) {
        const res = await sys.http
          .post('/v1/webhooks')
          .set(sys.auth)
          .send({ name: 'bad headers', url: URL_OK, events: ['orders.on_update'], headers });
        expect({ headers, status: res.status }).toEqual({ headers, status: 400 });
        expect(JSON.stringify(res.body.message)).toMatch(message);
        expect(JSON.stringify(res.body)).not.toContain('top-secret-value');
      }
      for (const rateLimitPerSecond of [0, 1.5, 'x', 10_001]) {
        const res = await sys.http
          .post('/v1/webhooks')
          .set(sys.auth)
          .send({ name: 'bad rate', url: URL_OK, events: ['orders.on_update'], rateLimitPerSecond });
        expect(res.status).toBe(400);
        expect(JSON.stringify(res.body.message)).toContain('rateLimitPerSecond');
      }
      expect(await webhookCount()).toBe(before);
    });

    it('masked header values are kept on PATCH only while the URL host stays the same', async () => {
      const hook = await create({ headers: { 'X-Key': 'value-one' }, rateLimitPerSecond: 3 });
      expect(hook).toMatchObject({ headers: { 'X-Key': '********' }, rateLimitPerSecond: 3 });
      const sealed = (await row(hook.id)).headers as Record<string, string>;
      expect(sealed['X-Key']).toMatch(/^enc:v1:/);
      const patch = (body: object) => sys.http.patch(`/v1/webhooks/${hook.id}`).set(sys.auth).send(body);
      const OTHER_HOST = 'http://localhost:9/hook';

      const moved = await patch({ url: OTHER_HOST });
      expect(moved.status).toBe(400);
      expect(JSON.stringify(moved.body.message)).toMatch(/headers: the URL's host changed/);
      const movedMasked = await patch({ url: OTHER_HOST, headers: { 'X-Key': '********' } });
      expect(movedMasked.status).toBe(400);
      expect(JSON.stringify(movedMasked.body.message)).toMatch(/headers\.X-Key: the URL's host changed/);
      const bad = await patch({ headers: { Host: 'x' } });
      expect(bad.status).toBe(400);
      expect(await row(hook.id)).toMatchObject({ url: URL_OK, headers: sealed });

      // Same origin, another path; the name matched regardless of case: the stored value stays.
      const kept = await patch({ url: 'http://127.0.0.1:9/other', headers: { 'x-key': '********', 'X-New': 'n' } });
      expect(kept.status).toBe(200);
      expect(kept.body.headers).toEqual({ 'x-key': '********', 'X-New': '********' });
      expect(((await row(hook.id)).headers as Record<string, string>)['x-key']).toBe(sealed['X-Key']);

      const given = await patch({ url: OTHER_HOST, headers: { 'X-Key': 'value-two' }, rateLimitPerSecond: null });
      expect(given.status).toBe(200);
      expect(given.body).toMatchObject({ url: OTHER_HOST, headers: { 'X-Key': '********' }, rateLimitPerSecond: null });
      expect(JSON.stringify(given.body)).not.toContain('value-two');
      const cleared = await patch({ headers: null });
      expect(cleared.body.headers).toEqual({});
      expect((await row(hook.id)).headers).toBeNull();
    });

    /** A delivery of `hook` written directly, created `agoMs` ago. */
    async function insertDelivery(
      hook: Record<string, any>,
      tenantId: string,
      status: string,
      agoMs: number,
      durations: number[] = [],
    ): Promise<string> {
      const id = randomUUID();
      const attempts = durations.map((durationMs, i) => ({
        attemptNumber: i + 1,
        statusCode: 500,
        error: 'HTTP 500',
        durationMs,
        responseBody: null,
        at: new Date().toISOString(),
      }));
      await sys.db.query(
        `INSERT INTO deliveries (id, tenant_id, webhook_id, source, event_type, event_key, url, status, payload, attempts,
                                 created_at, dispatched_at)
         VALUES ($1, $2, $3, 'endpoint', 'orders.on_update', $9, $4, $5, $6::jsonb, $7::jsonb,
                 now() - ($8::int * interval '1 millisecond'), now())`,
        [
          id,
          tenantId,
          hook.id,
          hook.url,
          status,
          JSON.stringify({ type: 'orders.on_update', timestamp: new Date().toISOString(), data: { n: 1 } }),
          JSON.stringify(attempts),
          agoMs,
          `key-${id}`,
        ],
      );
      return id;
    }

    it('recover redelivers the failed deliveries of the window once and starts them; bad windows are 400', async () => {
      const t = await tenantWithKey('wh-recover');
      const hook = await create({}, t.auth);
      const HOUR = 3_600_000;
      const inWindow = [
        await insertDelivery(hook, t.tenantId, 'failed', 2 * HOUR),
        await insertDelivery(hook, t.tenantId, 'failed', 3 * HOUR),
      ];
      await insertDelivery(hook, t.tenantId, 'failed', 30 * HOUR); // before the window
      await insertDelivery(hook, t.tenantId, 'success', 2 * HOUR); // not failed
      const since = new Date(Date.now() - 4 * HOUR).toISOString();
      const until = new Date(Date.now() - HOUR).toISOString();
      const recover = (body: object, auth: Auth = t.auth) =>
        sys.http.post(`/v1/webhooks/${hook.id}/recover`).set(auth).send(body);

      for (const [body, field] of [
        [{}, 'since'],
        [{ since: 'yesterday' }, 'since'],
        [{ since, until: '2026-13-01T00:00:00Z' }, 'until'],
        [{ since: until, until: since }, 'until'],
        [{ since, extra: 1 }, 'extra'],
      ] as Array<[object, string]>) {
        const res = await recover(body);
        expect({ body, status: res.status }).toEqual({ body, status: 400 });
        expect(JSON.stringify(res.body.message)).toContain(field);
      }
      expect((await sys.http.post(`/v1/webhooks/${randomUUID()}/recover`).set(t.auth).send({ since })).status).toBe(
        404,
      );
      const count = async () =>
        (
          (await sys.db.query(`SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1`, [hook.id])) as Array<{
            n: number;
          }>
        )[0]!.n;
      expect(await count()).toBe(4);

      const res = await recover({ since, until });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ count: 2 });
      const copies = (await sys.db.query(
        `SELECT id, redelivery_of, status, url FROM deliveries WHERE webhook_id = $1 AND redelivery_of IS NOT NULL`,
        [hook.id],
      )) as Array<{ id: string; redelivery_of: string; status: string; url: string }>;
      expect(copies.map((c) => c.redelivery_of).sort()).toEqual([...inWindow].sort());
      expect(copies.every((c) => c.status === 'pending' && c.url === hook.url)).toBe(true);
      for (const c of copies) {
        const described = await eventually(() => workflowOf(c.id).catch(() => undefined));
        expect(described.type).toBe(WEBHOOK_DELIVERY_WORKFLOW);
      }
      // Already redelivered: a second call finds nothing; since alone runs to now.
      expect((await recover({ since, until })).body).toEqual({ count: 0 });
      expect((await recover({ since })).body).toEqual({ count: 0 });

      await sys.http.patch(`/v1/webhooks/${hook.id}`).set(t.auth).send({ enabled: false }).expect(200);
      expect((await recover({ since })).status).toBe(409);
    });

    it('stats count deliveries by status since a time (default 24 h) with attempt latency percentiles', async () => {
      const t = await tenantWithKey('wh-stats');
      const hook = await create({}, t.auth);
      const HOUR = 3_600_000;
      await insertDelivery(hook, t.tenantId, 'success', HOUR, [100]);
      await insertDelivery(hook, t.tenantId, 'success', HOUR, [300]);
      await insertDelivery(hook, t.tenantId, 'failed', HOUR, [200, 400]);
      await insertDelivery(hook, t.tenantId, 'retrying', HOUR, [1000]);
      await insertDelivery(hook, t.tenantId, 'pending', HOUR);
      await insertDelivery(hook, t.tenantId, 'failed', 48 * HOUR, [9000]); // before the default window

      const res = await sys.http.get(`/v1/webhooks/${hook.id}/stats`).set(t.auth);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        success: 2,
        failed: 1,
        pending: 1,
        retrying: 1,
        p50LatencyMs: 300,
        p99LatencyMs: 976,
      });
      const wide = await sys.http
        .get(`/v1/webhooks/${hook.id}/stats`)
        .query({ since: new Date(Date.now() - 72 * HOUR).toISOString() })
        .set(t.auth);
      expect(wide.body).toMatchObject({ failed: 2, p50LatencyMs: 350 });
      const bad = await sys.http.get(`/v1/webhooks/${hook.id}/stats?since=soon`).set(t.auth);
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body.message)).toContain('since');
      expect((await sys.http.get(`/v1/webhooks/${randomUUID()}/stats`).set(t.auth)).status).toBe(404);
    });
  });

  describe('tenancy', () => {
    it('another tenant gets 404 on every route naming an endpoint or delivery, and an empty list', async () => {
      const owner = await tenantWithKey('wh-owner');
      const other = await tenantWithKey('wh-other');
      const hook = await create({ name: 'private', events: ['x.*'] }, owner.auth);
      const test = await sys.http.post(`/v1/webhooks/${hook.id}/test`).set(owner.auth).send({});
      expect(test.status).toBe(202);
      const deliveryId = test.body.deliveryId as string;
      const before = await row(hook.id);

      const calls: Array<[string, () => request.Test]> = [
        ['GET webhook', () => sys.http.get(`/v1/webhooks/${hook.id}`).set(other.auth)],
        ['PATCH webhook', () => sys.http.patch(`/v1/webhooks/${hook.id}`).set(other.auth).send({ name: 'mine' })],
        ['DELETE webhook', () => sys.http.delete(`/v1/webhooks/${hook.id}`).set(other.auth)],
        ['rotate', () => sys.http.post(`/v1/webhooks/${hook.id}/rotate-secret`).set(other.auth).send()],
        ['test', () => sys.http.post(`/v1/webhooks/${hook.id}/test`).set(other.auth).send({})],
        ['deliveries', () => sys.http.get(`/v1/webhooks/${hook.id}/deliveries`).set(other.auth)],
        ['delivery', () => sys.http.get(`/v1/deliveries/${deliveryId}`).set(other.auth)],
        ['redeliver', () => sys.http.post(`/v1/deliveries/${deliveryId}/redeliver`).set(other.auth).send()],
        [
          'recover',
          () =>
            sys.http.post(`/v1/webhooks/${hook.id}/recover`).set(other.auth).send({ since: '2020-01-01T00:00:00Z' }),
        ],
        ['stats', () => sys.http.get(`/v1/webhooks/${hook.id}/stats`).set(other.auth)],
      ];
      for (const [what, call] of calls) {
        const res = await call();
        expect({ what, status: res.status }).toEqual({ what, status: 404 });
        expect(JSON.stringify(res.body)).not.toContain('private');
      }
      const list = await sys.http.get('/v1/webhooks').set(other.auth);
      expect(list.body).toEqual({ items: [], nextCursor: null });
      expect(await row(hook.id)).toEqual(before);
      const deliveries: Array<{ n: number }> = await sys.db.query(
        `SELECT count(*)::int AS n FROM deliveries WHERE webhook_id = $1`,
        [hook.id],
      );
      expect(deliveries[0]!.n).toBe(1);
    });
  });
});
