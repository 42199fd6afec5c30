import { Client } from 'pg';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

type Auth = { Authorization: string };

/** GET /v1/events and /v1/events/:id: every trigger of a run is an event, with its source and its runs. */
describe('event history (GET /v1/events)', () => {
  let sys: TestSystem;
  let other: Auth;
  let reader: Auth;
  let writer: Auth;
  beforeAll(async () => {
    // No worker: runs stay pending, which is all an event's history needs to show.
    sys = await startTestSystem({ withoutWorker: true });
    const tenant = await sys.http.post('/v1/tenants').set(sys.auth).send({ name: 'events-other' });
    const key = async (scopes: string[], tenantId?: string): Promise<Auth> => {
      const res = await sys.http
        .post('/v1/api-keys')
        .set(sys.auth)
        .send({ name: scopes.join(','), tenantId, scopes });
      expect(res.status).toBe(201);
      return { Authorization: `Bearer ${res.body.key}` };
    };
    other = await key(['admin'], tenant.body.id);
    reader = await key(['executions:read']);
    writer = await key(['events:write']);
  });
  afterAll(async () => {
    await sys?.close();
  });

  const rule = async (body: object): Promise<{ id: string; trigger: { hookUrl?: string } }> => {
    const res = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({ actions: [{ type: 'delay', config: { duration: '1s' } }], ...body });
    expect(res.status).toBe(201);
    return res.body;
  };

  it('an API event reads back with its data, source "api" and the runs it started', async () => {
    const r1 = await rule({ name: 'ev first', entity: 'ev_orders', trigger: { type: 'on_update' }, priority: 10 });
    const r2 = await rule({ name: 'ev second', entity: 'ev_orders', trigger: { type: 'on_update' }, priority: 1 });
    const posted = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({
        id: 'ev-order-1',
        entity: 'ev_orders',
        type: 'on_update',
        data: { id: 1, status: 'shipped' },
        previous: { id: 1, status: 'new' },
        occurredAt: '2026-11-20T10:00:00Z',
      });
    expect(posted.status).toBe(202);

    const res = await sys.http.get('/v1/events/ev-order-1').set(reader);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: 'ev-order-1',
      entity: 'ev_orders',
      type: 'on_update',
      data: { id: 1, status: 'shipped' },
      previous: { id: 1, status: 'new' },
      occurredAt: '2026-11-20T10:00:00.000Z',
      receivedAt: expect.any(String),
      source: 'api',
      executions: [
        { executionId: posted.body.executions[0].executionId, ruleId: r1.id, status: expect.any(String) },
        { executionId: posted.body.executions[1].executionId, ruleId: r2.id, status: expect.any(String) },
      ],
    });
    expect(Date.now() - new Date(res.body.receivedAt).getTime()).toBeLessThan(60_000);

    // An event no rule matched is history too, with no runs.
    await sys.http
      .post('/v1/events')
      .set(writer)
      .send({ id: 'ev-nobody', entity: 'ev_nobody', type: 'on_create', data: { id: 2 } })
      .expect(202);
    const lonely = await sys.http.get('/v1/events/ev-nobody').set(reader);
    expect(lonely.body).toMatchObject({ source: 'api', previous: null, executions: [] });
  });

  it('manual runs, hook calls and captured changes are events too, each with its source', async () => {
    const manual = await rule({ name: 'ev manual', entity: 'ev_things', trigger: { type: 'manual' } });
    const run = await sys.http
      .post(`/v1/rules/${manual.id}/run`)
      .set(sys.auth)
      .send({ data: { by: 'hand' } });
    expect(run.status).toBe(202);
    const manualEvents = await sys.http.get('/v1/events?source=manual').set(reader);
    expect(manualEvents.body.items).toEqual([
      expect.objectContaining({
        entity: 'ev_things',
        type: 'manual',
        data: { by: 'hand' },
        source: 'manual',
        executions: [{ executionId: run.body.executionId, ruleId: manual.id, status: expect.any(String) }],
      }),
    ]);

    const hook = await rule({ name: 'ev hook', entity: 'ev_hooks', trigger: { type: 'webhook' } });
    const fired = await sys.http.post(hook.trigger.hookUrl!).set('Idempotency-Key', 'ev-hook-1').send({ n: 1 });
    expect(fired.status).toBe(202);
    // A retried call with the same key starts nothing and stores no second event.
    await sys.http.post(hook.trigger.hookUrl!).set('Idempotency-Key', 'ev-hook-1').send({ n: 1 });
    const hooked = await sys.http.get('/v1/events/ev-hook-1').set(reader);
    expect(hooked.body).toMatchObject({
      id: 'ev-hook-1',
      entity: 'ev_hooks',
      type: 'webhook',
      data: { n: 1 },
      source: 'hook',
      executions: [{ executionId: fired.body.executionId, ruleId: hook.id }],
    });

    const app = new Client({ connectionString: sys.databaseUrl, application_name: 'the-application' });
    await app.connect();
    try {
      await app.query(`CREATE TABLE ev_captured (id serial PRIMARY KEY, status text)`);
      const reg = await sys.http
        .post('/v1/entities')
        .set(sys.auth)
        .send({ name: 'ev_captured', type: 'table', capture: true });
      expect(reg.status).toBe(201);
      await app.query(`INSERT INTO ev_captured (status) VALUES ('new')`);
    } finally {
      await app.end();
    }
    const captured = await eventually(async () => {
      const res = await sys.http.get('/v1/events?entity=ev_captured').set(reader);
      return res.body.items?.length === 1 ? res.body.items[0] : undefined;
    });
    expect(captured).toMatchObject({
      entity: 'ev_captured',
      type: 'on_create',
      data: { id: 1, status: 'new' },
      source: 'capture',
      executions: [],
    });
    expect(captured.id).toMatch(/^capture-\d+$/);
  });

  it('lists newest first, filtered by entity, type and time, paginated', async () => {
    for (let i = 1; i <= 3; i++) {
      await sys.http
        .post('/v1/events')
        .set(writer)
        .send({ id: `ev-page-${i}`, entity: 'ev_paged', type: i === 2 ? 'on_delete' : 'on_create', data: { i } })
        .expect(202);
    }
    const all = await sys.http.get('/v1/events?entity=ev_paged').set(reader);
    expect(all.body.items.map((e: { id: string }) => e.id)).toEqual(['ev-page-3', 'ev-page-2', 'ev-page-1']);
    expect(all.body.nextCursor).toBeNull();

    const first = await sys.http.get('/v1/events?entity=ev_paged&limit=2').set(reader);
    expect(first.body.items.map((e: { id: string }) => e.id)).toEqual(['ev-page-3', 'ev-page-2']);
    const second = await sys.http
      .get(`/v1/events?entity=ev_paged&limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`)
      .set(reader);
    expect(second.body).toMatchObject({ items: [{ id: 'ev-page-1' }], nextCursor: null });

    const deletes = await sys.http.get('/v1/events?entity=ev_paged&type=on_delete').set(reader);
    expect(deletes.body.items.map((e: { id: string }) => e.id)).toEqual(['ev-page-2']);

    const middle = all.body.items[1].receivedAt as string;
    const since = await sys.http.get(`/v1/events?entity=ev_paged&since=${encodeURIComponent(middle)}`).set(reader);
    expect(since.body.items.map((e: { id: string }) => e.id)).toEqual(['ev-page-3', 'ev-page-2']);
    const until = await sys.http.get(`/v1/events?entity=ev_paged&until=${encodeURIComponent(middle)}`).set(reader);
    expect(until.body.items.map((e: { id: string }) => e.id)).toEqual(['ev-page-1']);
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await sys.http.get(`/v1/events?since=${future}`).set(reader)).body.items).toEqual([]);
  });

  it.each([
    ['since=yesterday', /since/],
    ['until=2026-13-45T00:00:00Z', /until/],
    ['since=2026-11-22T00:00:00Z&until=2026-11-21T00:00:00Z', /until/],
    ['type=on_fire', /type/],
    ['source=fax', /source/],
    ['entity=no%20spaces', /entity/],
    ['limit=0', /limit/],
    ['cursor=forged', /cursor/],
  ])('GET /v1/events?%s is a 400 naming the field', async (query, field) => {
    const res = await sys.http.get(`/v1/events?${query}`).set(reader);
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body.message)).toMatch(field);
  });

  it("needs executions:read; another tenant's event is a 404 and absent from its list", async () => {
    expect((await sys.http.get('/v1/events').set(writer)).status).toBe(403);
    expect((await sys.http.get('/v1/events/ev-order-1').set(writer)).status).toBe(403);
    expect((await sys.http.get('/v1/events/ev-order-1').set(other)).status).toBe(404);
    expect((await sys.http.get('/v1/events/not%20an%20id').set(reader)).status).toBe(404);
    const theirs = await sys.http.get('/v1/events?limit=200').set(other);
    expect(theirs.status).toBe(200);
    expect(theirs.body.items).toEqual([]);
    // The other tenant may use the same id for its own event; each sees its own.
    await sys.http
      .post('/v1/events')
      .set(other)
      .send({ id: 'ev-order-1', entity: 'theirs', type: 'on_create', data: { mine: true } })
      .expect(202);
    expect((await sys.http.get('/v1/events/ev-order-1').set(other)).body).toMatchObject({ entity: 'theirs' });
    expect((await sys.http.get('/v1/events/ev-order-1').set(reader)).body).toMatchObject({ entity: 'ev_orders' });
  });
});

/** A scheduled rule's fire, run by the real worker: its event is stored with source "schedule". */
describe('event history of scheduled fires (real worker and Temporal Schedule)', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys?.close();
  });

  it('a fire stores its event, which lists the run it started', async () => {
    const created = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: 'ev nightly',
        entity: 'ev_reports',
        // Never due during the test: only trigger() fires it.
        trigger: { type: 'scheduled', cron: '0 0 1 1 *' },
        actions: [{ type: 'delay', config: { duration: '10ms' } }],
      });
    expect(created.status).toBe(201);
    await sys.temporal.schedule.getHandle(`rule-schedule-${created.body.id}`).trigger();

    const event = await eventually(async () => {
      const res = await sys.http.get('/v1/events?source=schedule').set(sys.auth);
      const found = res.body.items?.[0];
      return found?.executions?.[0]?.status === 'success' ? found : undefined;
    }, 30_000);
    expect(event).toMatchObject({
      entity: 'ev_reports',
      type: 'scheduled',
      data: {},
      previous: null,
      source: 'schedule',
      executions: [{ ruleId: created.body.id, status: 'success' }],
    });
    expect(event.id).toBe(`schedule-${event.occurredAt}`);
    const runs = await sys.http.get(`/v1/executions?eventId=${encodeURIComponent(event.id)}`).set(sys.auth);
    expect(runs.body.items.map((r: { id: string }) => r.id)).toEqual([event.executions[0].executionId]);
  });
});
