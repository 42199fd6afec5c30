import { randomBytes } from 'node:crypto';
import type { TestSystem } from './test-system';
import { RuleSecrets } from '../src/rules/rule-secrets.service';
import { eventually, startTestSystem } from './test-system';

interface Execution {
  id: string;
  status: string;
  actions: Array<{ name: string; status: string }>;
}

/** A webhook signing secret: whsec_ and base64 of 32 bytes. */
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('run control: bulk cancel, restore a rule version, backtest', () => {
  let sys: TestSystem;

  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys?.close();
  });

  /** A tenant of its own with an admin key, made through the operator's API: counts no other test touches. */
  async function tenantWithKey() {
    const tenant = await sys.http
      .post('/v1/tenants')
      .set(sys.auth)
      .send({ name: `rc-${randomBytes(4).toString('hex')}` });
    expect(tenant.status).toBe(201);
    const key = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: 'run control', tenantId: tenant.body.id, scopes: ['admin'] });
    expect(key.status).toBe(201);
    return { tenantId: tenant.body.id as string, auth: { Authorization: `Bearer ${key.body.key as string}` } };
  }

  async function createRule(body: Record<string, unknown>, auth = sys.auth) {
    const res = await sys.http
      .post('/v1/rules')
      .set(auth)
      .send({ name: 'r', trigger: { type: 'on_create' }, ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number };
  }

  async function execution(id: string, auth = sys.auth): Promise<Execution> {
    const res = await sys.http.get(`/v1/executions/${id}`).set(auth);
    expect(res.status).toBe(200);
    return res.body as Execution;
  }

  async function startRun(ruleId: string, auth = sys.auth): Promise<string> {
    const res = await sys.http.post(`/v1/rules/${ruleId}/run`).set(auth).send({ data: {} });
    expect(res.status).toBe(202);
    return res.body.executionId as string;
  }

  const delayed = (entity: string) => ({
    entity,
    trigger: { type: 'manual' },
    actions: [{ name: 'wait', type: 'delay', config: { duration: '1h' } }],
  });

  describe('POST /v1/executions/cancel', () => {
    it("cancels the tenant's running runs of a rule, and only those", async () => {
      const t = await tenantWithKey();
      const rule = await createRule(delayed('bulk_cancel'), t.auth);
      const other = await createRule(delayed('bulk_cancel_other'), t.auth);
      const runs = [await startRun(rule.id, t.auth), await startRun(rule.id, t.auth), await startRun(rule.id, t.auth)];
      const spared = await startRun(other.id, t.auth);
      for (const id of [...runs, spared]) {
        await eventually(async () => (await execution(id, t.auth)).actions[0]?.status === 'running');
      }

      const res = await sys.http.post('/v1/executions/cancel').set(t.auth).send({ ruleId: rule.id, status: 'running' });
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ count: 3 });
      for (const id of runs) {
        await eventually(async () => (await execution(id, t.auth)).status === 'cancelled');
      }
      expect((await execution(spared, t.auth)).status).toBe('running');

      // Nothing left of that rule: a second call cancels nothing.
      await eventually(async () => {
        const again = await sys.http.post('/v1/executions/cancel').set(t.auth).send({ ruleId: rule.id });
        return again.status === 202 && again.body.count === 0;
      });

      // With no filter, every run of the tenant that has not ended (both statuses by default).
      const all = await sys.http.post('/v1/executions/cancel').set(t.auth).send({});
      expect(all.status).toBe(202);
      expect(all.body).toEqual({ count: 1 });
      await eventually(async () => (await execution(spared, t.auth)).status === 'cancelled');
    });

    it('matches nothing for another tenant, nor created after `since`', async () => {
      const a = await tenantWithKey();
      const b = await tenantWithKey();
      const rule = await createRule(delayed('bulk_cancel_iso'), a.auth);
      const run = await startRun(rule.id, a.auth);
      await eventually(async () => (await execution(run, a.auth)).actions[0]?.status === 'running');

      const byB = await sys.http.post('/v1/executions/cancel').set(b.auth).send({ ruleId: rule.id });
      expect(byB.status).toBe(202);
      expect(byB.body).toEqual({ count: 0 });
      const later = await sys.http
        .post('/v1/executions/cancel')
        .set(a.auth)
        .send({ since: new Date(Date.now() + 60_000).toISOString() });
      expect(later.body).toEqual({ count: 0 });
      expect((await execution(run, a.auth)).status).toBe('running');

      const mine = await sys.http.post('/v1/executions/cancel').set(a.auth).send({ status: 'running' });
      expect(mine.body).toEqual({ count: 1 });
      await eventually(async () => (await execution(run, a.auth)).status === 'cancelled');
    });

    it.each([
      [{ ruleId: 'nope' }, 'ruleId'],
      [{ status: 'failed' }, 'status'],
      [{ since: 'yesterday' }, 'since'],
    ])('answers 400 naming the field for %j', async (body, field) => {
      const res = await sys.http.post('/v1/executions/cancel').set(sys.auth).send(body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    });
  });

  describe('POST /v1/rules/:id/versions/:version/restore', () => {
    it('makes an old definition current as a new version, recorded like any PATCH, secrets and all', async () => {
      const t = await tenantWithKey();
      const v1 = {
        name: 'big orders',
        entity: 'restore_orders',
        trigger: { type: 'on_create' },
        conditions: { all: [{ field: 'total', operator: 'greater_than', value: 100 }] },
        actions: [
          {
            name: 'erp',
            type: 'webhook',
            config: { url: 'http://127.0.0.1:9/v1', secret: SECRET },
          },
        ],
      };
      const rule = await createRule(v1, t.auth);
      const patched = await sys.http
        .patch(`/v1/rules/${rule.id}`)
        .set(t.auth)
        .send({
          name: 'small orders',
          trigger: { type: 'on_update' },
          conditions: { all: [{ field: 'status', operator: 'changed_to', value: 'paid' }] },
          actions: [{ name: 'pause', type: 'delay', config: { duration: '5m' } }],
        });
      expect(patched.status).toBe(200);
      expect(patched.body.version).toBe(2);

      const res = await sys.http.post(`/v1/rules/${rule.id}/versions/1/restore`).set(t.auth);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: rule.id,
        version: 3,
        name: 'big orders',
        entity: 'restore_orders',
        trigger: { type: 'on_create' },
        conditions: v1.conditions,
        actions: [{ name: 'erp', type: 'webhook', config: { url: 'http://127.0.0.1:9/v1', secret: '********' } }],
      });
      expect(JSON.stringify(res.body)).not.toContain(SECRET);

      const versions = await sys.http.get(`/v1/rules/${rule.id}/versions`).set(t.auth);
      expect(versions.body.items.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
      const [v3, , first] = versions.body.items as Array<{ rule: Record<string, unknown> }>;
      for (const field of ['name', 'entity', 'trigger', 'conditions', 'actions']) {
        expect(v3!.rule[field]).toEqual(first!.rule[field]);
      }
      // The secret is the old one, sealed again (not the mask, not the plaintext).
      const [row] = (await sys.db.query(`SELECT actions FROM rules WHERE id = $1`, [rule.id])) as Array<{
        actions: Array<{ config: { secret: string } }>;
      }>;
      expect(row!.actions[0]!.config.secret).not.toBe(SECRET);
      expect(row!.actions[0]!.config.secret).not.toContain('****');
      const opened = sys.app
        .get(RuleSecrets)
        .openActions(row!.actions as unknown as Array<{ name: string; type: string; config: Record<string, unknown> }>);
      expect(opened[0]!.config.secret).toBe(SECRET);

      // Recorded in the audit log like any change (before the answer).
      const audit = (await sys.db.query(
        `SELECT 1 FROM audit_logs
            WHERE tenant_id = $1 AND action = 'restore' AND details->>'path' = '/v1/rules/:id/versions/:version/restore'
              AND details->'params' = $2`,
        [t.tenantId, { id: rule.id, version: '1' }],
      )) as unknown[];
      expect(audit).toHaveLength(1);
    });

    it("brings the rule's Temporal Schedule in line, as a PATCH does", async () => {
      const rule = await createRule({
        entity: 'restore_schedules',
        // Never due during the test.
        trigger: { type: 'scheduled', cron: '0 0 1 1 *', timezone: 'Europe/Paris' },
        actions: [{ type: 'delay', config: { duration: '1s' } }],
      });
      const schedule = sys.temporal.schedule.getHandle(`rule-schedule-${rule.id}`);
      const manual = await sys.http
        .patch(`/v1/rules/${rule.id}`)
        .set(sys.auth)
        .send({ trigger: { type: 'manual' } });
      expect(manual.status).toBe(200);
      await expect(schedule.describe()).rejects.toThrow();

      const back = await sys.http.post(`/v1/rules/${rule.id}/versions/1/restore`).set(sys.auth);
      expect(back.status).toBe(200);
      expect(back.body).toMatchObject({
        version: 3,
        trigger: { type: 'scheduled', cron: '0 0 1 1 *', timezone: 'Europe/Paris' },
      });
      const described = await schedule.describe();
      expect(described.spec.timezone).toBe('Europe/Paris');
      expect(described.state.note).toMatch(new RegExp(`^rule ".+" \\(${rule.id}\\) v3$`));

      const again = await sys.http.post(`/v1/rules/${rule.id}/versions/2/restore`).set(sys.auth);
      expect(again.body).toMatchObject({ version: 4, trigger: { type: 'manual' } });
      await expect(schedule.describe()).rejects.toThrow();
    });

    it('answers 404 for an unknown version or another tenant, 400 for a version that is no number', async () => {
      const a = await tenantWithKey();
      const b = await tenantWithKey();
      const rule = await createRule(delayed('restore_iso'), a.auth);
      const unknown = await sys.http.post(`/v1/rules/${rule.id}/versions/7/restore`).set(a.auth);
      expect(unknown.status).toBe(404);
      expect(unknown.body.message).toContain('version 7');
      expect((await sys.http.post(`/v1/rules/${rule.id}/versions/1/restore`).set(b.auth)).status).toBe(404);
      const bad = await sys.http.post(`/v1/rules/${rule.id}/versions/one/restore`).set(a.auth);
      expect(bad.status).toBe(400);
      expect(bad.body.message).toContain('version');
      const after = await sys.http.get(`/v1/rules/${rule.id}`).set(a.auth);
      expect(after.body.version).toBe(1);
    });
  });

  describe('POST /v1/rules/:id/backtest', () => {
    /** Stored events of `entity` in tenant `tenantId`, received one second apart, the last one newest. */
    async function seed(tenantId: string, entity: string, totals: number[], type = 'on_create') {
      const previous = type === 'on_update' ? { total: 0 } : null;
      const base = Date.now() - totals.length * 1000;
      for (const [i, total] of totals.entries()) {
        const at = new Date(base + i * 1000);
        await sys.db.query(
          `INSERT INTO events (tenant_id, event_key, entity, type, data, previous, occurred_at, response, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $7)`,
          [tenantId, `${entity}-${type}-${i}`, entity, type, { total }, previous, at],
        );
      }
      return base;
    }

    it("counts the rule's matches over stored events, newest first, and a draft's", async () => {
      const t = await tenantWithKey();
      const rule = await createRule(
        {
          entity: 'bt_orders',
          conditions: { all: [{ field: 'total', operator: 'greater_than', value: 100 }] },
          actions: [{ type: 'delay', config: { duration: '1s' } }],
        },
        t.auth,
      );
      const base = await seed(t.tenantId, 'bt_orders', [50, 150, 250, 90, 500]);
      await seed(t.tenantId, 'bt_orders', [1000, 1000], 'on_update'); // another trigger type
      await seed(t.tenantId, 'bt_other', [1000]); // another entity

      const res = await sys.http.post(`/v1/rules/${rule.id}/backtest`).set(t.auth).send({});
      expect(res.status).toBe(200);
      expect(res.body.evaluated).toBe(5);
      expect(res.body.matched).toBe(3);
      expect(res.body.items.map((i: { eventId: string }) => i.eventId)).toEqual([
        'bt_orders-on_create-4',
        'bt_orders-on_create-3',
        'bt_orders-on_create-2',
        'bt_orders-on_create-1',
        'bt_orders-on_create-0',
      ]);
      expect(res.body.items.map((i: { matched: boolean }) => i.matched)).toEqual([true, false, true, true, false]);
      expect(res.body.items[0].occurredAt).toBe(new Date(base + 4000).toISOString());

      // A draft condition, a limit on the items, and a window.
      const draft = await sys.http
        .post(`/v1/rules/${rule.id}/backtest`)
        .set(t.auth)
        .send({
          limit: 2,
          since: new Date(base + 1000).toISOString(),
          rule: { conditions: [{ field: 'total', operator: 'less_than', value: 200 }] },
        });
      expect(draft.status).toBe(200);
      expect(draft.body).toEqual({
        evaluated: 4,
        matched: 2,
        items: [
          expect.objectContaining({ eventId: 'bt_orders-on_create-4', matched: false }),
          expect.objectContaining({ eventId: 'bt_orders-on_create-3', matched: true }),
        ],
      });

      // A draft trigger picks the events of its type; change operators are valid for on_update.
      const updates = await sys.http
        .post(`/v1/rules/${rule.id}/backtest`)
        .set(t.auth)
        .send({
          until: new Date().toISOString(),
          rule: { trigger: { type: 'on_update' }, conditions: { all: [{ field: 'total', operator: 'changed' }] } },
        });
      expect(updates.status).toBe(200);
      expect(updates.body).toMatchObject({ evaluated: 2, matched: 2 });

      // Nothing ran and nothing was stored.
      const runs = await sys.db.query(`SELECT 1 FROM executions WHERE rule_id = $1`, [rule.id]);
      expect(runs).toHaveLength(0);
    });

    it.each([
      [{ rule: { conditions: [{ field: 'total', operator: 'bigger', value: 1 }] } }, 'rule.conditions'],
      [{ rule: { conditions: [{ field: 'name', operator: 'matches', value: '(' }] } }, 'rule.conditions'],
      [{ rule: { conditions: [{ field: 'total', operator: 'changed' }] } }, 'rule.conditions'],
      [{ rule: { trigger: { type: 'sometimes' } } }, 'rule.trigger.type'],
      [{ limit: 5000 }, 'limit'],
      [{ since: 'last week' }, 'since'],
      [{ since: '2026-11-02T00:00:00Z', until: '2026-11-01T00:00:00Z' }, 'until'],
      [{ rule: 'all' }, 'rule'],
    ])('answers 400 naming the field for %j', async (body, field) => {
      const rule = await createRule({ entity: 'bt_bad', actions: [{ type: 'delay', config: { duration: '1s' } }] });
      const res = await sys.http.post(`/v1/rules/${rule.id}/backtest`).set(sys.auth).send(body);
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    });

    it("answers 404 for another tenant's rule, and needs rules:read", async () => {
      const a = await tenantWithKey();
      const b = await tenantWithKey();
      const rule = await createRule(delayed('bt_iso'), a.auth);
      expect((await sys.http.post(`/v1/rules/${rule.id}/backtest`).set(b.auth).send({})).status).toBe(404);
      const writer = await sys.http
        .post('/v1/api-keys')
        .set(a.auth)
        .send({ name: 'events only', scopes: ['events:write'] });
      expect(writer.status).toBe(201);
      const denied = await sys.http
        .post(`/v1/rules/${rule.id}/backtest`)
        .set({ Authorization: `Bearer ${writer.body.key as string}` })
        .send({});
      expect(denied.status).toBe(403);
    });
  });
});
