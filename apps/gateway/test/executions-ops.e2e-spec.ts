import { createHash, randomBytes } from 'node:crypto';
import type { INestApplication } from '@nestjs/common';
import type { HttpReceiver } from '@ruleflow/testing';
import { startHttpReceiver } from '@ruleflow/testing';
import { WorkflowNotFoundError } from '@temporalio/client';
import request from 'supertest';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

const ENDED = ['success', 'failed', 'partial', 'cancelled'];

interface Execution {
  id: string;
  ruleId: string;
  ruleVersion: number;
  eventId: string;
  rerunOf: string | null;
  workflowId: string;
  triggerType: string;
  status: string;
  actions: Array<{ name: string; status: string }>;
}

/** A tenant of its own with an admin key, for counts no other test touches and for tenancy checks. */
async function tenantWithKey(sys: TestSystem, scopes: string[] = ['admin']) {
  const name = `t-${randomBytes(4).toString('hex')}`;
  const [tenant] = (await sys.db.query(`INSERT INTO tenants (name) VALUES ($1) RETURNING id`, [name])) as Array<{
    id: string;
  }>;
  const key = `rf_test_${randomBytes(16).toString('hex')}`;
  await sys.db.query(
    `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes, enabled) VALUES ($1, 'test', $2, $3, $4, true)`,
    [tenant!.id, key.slice(0, 10), createHash('sha256').update(key).digest('hex'), scopes],
  );
  return { tenantId: tenant!.id, auth: { Authorization: `Bearer ${key}` } };
}

describe('executions: cancel, rerun, bulk rerun, summary', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;
  /** Status answered per receiver path (default 200). */
  const answers = new Map<string, number>();

  beforeAll(async () => {
    sys = await startTestSystem();
    receiver = await startHttpReceiver((req) => ({ status: answers.get(req.url ?? '') ?? 200, body: '{"ok":true}' }));
  });
  afterAll(async () => {
    await receiver?.close();
    await sys?.close();
  });

  const webhook = (path: string) => ({
    type: 'webhook',
    config: { url: `${receiver.url}${path}`, body: { id: '{{data.id}}' } },
    retry: { maximumAttempts: 1 },
  });

  async function createRule(body: Record<string, unknown>, auth = sys.auth) {
    const res = await sys.http
      .post('/v1/rules')
      .set(auth)
      .send({ name: 'r', trigger: { type: 'on_create' }, ...body });
    expect(res.status).toBe(201);
    return res.body as { id: string; version: number };
  }

  async function fire(entity: string, id: string, auth = sys.auth): Promise<string> {
    const res = await sys.http.post('/v1/events').set(auth).send({ entity, type: 'on_create', data: { id } });
    expect(res.status).toBe(202);
    expect(res.body.executions).toHaveLength(1);
    return res.body.executions[0].executionId as string;
  }

  async function execution(id: string, auth = sys.auth): Promise<Execution> {
    const res = await sys.http.get(`/v1/executions/${id}`).set(auth);
    expect(res.status).toBe(200);
    return res.body as Execution;
  }

  const ended = (id: string, auth = sys.auth) =>
    eventually(async () => {
      const e = await execution(id, auth);
      return ENDED.includes(e.status) ? e : undefined;
    });

  describe('cancel', () => {
    it('cancels a run sitting in a 1h delay: the workflow stops and records cancelled', async () => {
      answers.set('/after-delay', 200);
      const rule = await createRule({
        entity: 'cancel_delay',
        trigger: { type: 'manual' },
        actions: [
          { name: 'wait', type: 'delay', config: { duration: '1h' } },
          { name: 'after', ...webhook('/after-delay') },
        ],
      });
      const run = await sys.http
        .post(`/v1/rules/${rule.id}/run`)
        .set(sys.auth)
        .send({ data: { id: 1 } });
      expect(run.status).toBe(202);
      const { executionId, workflowId } = run.body as { executionId: string; workflowId: string };
      await eventually(async () => (await execution(executionId)).actions[0]?.status === 'running');

      const res = await sys.http.post(`/v1/executions/${executionId}/cancel`).set(sys.auth);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ id: executionId, workflowId });
      expect(['running', 'cancelled']).toContain(res.body.status);

      const done = await ended(executionId);
      expect(done.status).toBe('cancelled');
      expect(done.actions.map((a) => a.status)).toEqual(['failed', 'skipped']);
      const described = await sys.temporal.workflow.getHandle(workflowId).describe();
      expect(described.status.name).toBe('CANCELLED');
      expect(receiver.requests.filter((r) => r.path === '/after-delay')).toHaveLength(0);

      const again = await sys.http.post(`/v1/executions/${executionId}/cancel`).set(sys.auth);
      expect(again.status).toBe(409);
      expect(again.body.message).toContain('cancelled');
    });

    it('answers 409 naming the status for a run that has ended', async () => {
      await createRule({ entity: 'cancel_ended', actions: [webhook('/ended')] });
      const id = await fire('cancel_ended', 'e1');
      expect((await ended(id)).status).toBe('success');
      const res = await sys.http.post(`/v1/executions/${id}/cancel`).set(sys.auth);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ statusCode: 409, error: 'Conflict' });
      expect(res.body.message).toContain('success');
      expect((await execution(id)).status).toBe('success');
    });

    it('answers 404 for an unknown id or another tenant, and 403 without executions:write', async () => {
      await createRule({ entity: 'cancel_other', actions: [webhook('/other')] });
      const id = await fire('cancel_other', 'o1');
      await ended(id);
      const other = await tenantWithKey(sys);
      for (const path of [`/v1/executions/${id}/cancel`, `/v1/executions/${id}/rerun`]) {
        const res = await sys.http.post(path).set(other.auth);
        expect(res.status).toBe(404);
      }
      expect((await sys.http.get(`/v1/executions/${id}`).set(other.auth)).status).toBe(404);
      const unknown = await sys.http.post(`/v1/executions/3f1c1f8e-9d55-4a55-9a3c-000000000000/cancel`).set(sys.auth);
      expect(unknown.status).toBe(404);
      expect((await sys.http.post(`/v1/executions/not-a-uuid/cancel`).set(sys.auth)).status).toBe(404);

      const reader = await tenantWithKey(sys, ['executions:read']);
      expect((await sys.http.post(`/v1/executions/${id}/cancel`).set(reader.auth)).status).toBe(403);
      expect((await sys.http.post(`/v1/executions/rerun`).set(reader.auth).send({ status: 'failed' })).status).toBe(
        403,
      );
    });
  });

  describe('rerun', () => {
    it('reruns a failed run at the current rule version on the same event, with rerunOf', async () => {
      answers.set('/flaky', 400);
      const rule = await createRule({ entity: 'rerun_one', actions: [webhook('/flaky')] });
      const originalId = await fire('rerun_one', 'order-7');
      const original = await ended(originalId);
      expect(original.status).toBe('failed');
      expect(original.ruleVersion).toBe(1);

      // The receiver is fixed and the rule changed since: the rerun must use version 2.
      answers.set('/flaky', 200);
      const patched = await sys.http.patch(`/v1/rules/${rule.id}`).set(sys.auth).send({ description: 'fixed' });
      expect(patched.body.version).toBe(2);

      const res = await sys.http.post(`/v1/executions/${originalId}/rerun`).set(sys.auth);
      expect(res.status).toBe(202);
      const { executionId, workflowId } = res.body as { executionId: string; workflowId: string };
      expect(executionId).not.toBe(originalId);
      expect(workflowId).toBe(`rule-${rule.id}-${original.eventId}-rerun-${executionId}`);

      const rerun = await ended(executionId);
      expect(rerun).toMatchObject({
        status: 'success',
        rerunOf: originalId,
        ruleVersion: 2,
        ruleId: rule.id,
        eventId: original.eventId,
        triggerType: 'on_create',
        workflowId,
      });
      const hits = receiver.requests.filter((r) => r.path === '/flaky');
      expect(hits).toHaveLength(2);
      expect(JSON.parse(hits[1]!.body)).toEqual({ id: 'order-7' });
      // The original stays as it was.
      expect(await execution(originalId)).toMatchObject({ status: 'failed', rerunOf: null });
    });

    it('answers 409 when the rule was deleted, and 404 for an unknown execution', async () => {
      answers.set('/gone', 400);
      const rule = await createRule({ entity: 'rerun_gone', actions: [webhook('/gone')] });
      const id = await fire('rerun_gone', 'g1');
      await ended(id);
      expect((await sys.http.delete(`/v1/rules/${rule.id}`).set(sys.auth)).status).toBe(204);
      const res = await sys.http.post(`/v1/executions/${id}/rerun`).set(sys.auth);
      expect(res.status).toBe(409);
      expect(res.body.message).toContain('no longer exists');
      const unknown = await sys.http.post(`/v1/executions/3f1c1f8e-9d55-4a55-9a3c-000000000000/rerun`).set(sys.auth);
      expect(unknown.status).toBe(404);
    });

    it('bulk-reruns matching failed runs once, skipping deleted rules, and a repeat does not double up', async () => {
      const since = new Date().toISOString();
      answers.set('/bulk-b', 400);
      answers.set('/bulk-c', 400);
      answers.set('/bulk-d', 400);
      const b = await createRule({ entity: 'bulk_b', actions: [webhook('/bulk-b')] });
      const c = await createRule({ entity: 'bulk_c', actions: [webhook('/bulk-c')] });
      const d = await createRule({ entity: 'bulk_d', actions: [webhook('/bulk-d')] });
      const originals = [await fire('bulk_b', 'b1'), await fire('bulk_b', 'b2')];
      const cId = await fire('bulk_c', 'c1');
      const dId = await fire('bulk_d', 'd1');
      for (const id of [...originals, cId, dId]) expect((await ended(id)).status).toBe('failed');
      expect((await sys.http.delete(`/v1/rules/${c.id}`).set(sys.auth)).status).toBe(204);
      answers.set('/bulk-b', 200);
      answers.set('/bulk-d', 200);

      const bulk = (body: object) => sys.http.post('/v1/executions/rerun').set(sys.auth).send(body);
      expect((await bulk({ status: 'partial', since })).body).toEqual({ count: 0 });

      const onlyD = await bulk({ status: 'failed', ruleId: d.id, since });
      expect(onlyD.status).toBe(202);
      expect(onlyD.body).toEqual({ count: 1 });

      const rest = await bulk({ status: 'failed', since });
      expect(rest.status).toBe(202);
      expect(rest.body).toEqual({ count: 2 }); // b1, b2; d1 already rerun; c1's rule is gone

      const runsOfB = await eventually(async () => {
        const res = await sys.http.get(`/v1/executions?ruleId=${b.id}`).set(sys.auth);
        const items = res.body.items as Execution[];
        return items.length === 4 && items.every((e) => ENDED.includes(e.status)) ? items : undefined;
      });
      const reruns = runsOfB.filter((e) => e.rerunOf !== null);
      expect(reruns.map((e) => e.rerunOf).sort()).toEqual([...originals].sort());
      expect(reruns.every((e) => e.status === 'success')).toBe(true);
      const runsOfD = await sys.http.get(`/v1/executions?ruleId=${d.id}`).set(sys.auth);
      expect(runsOfD.body.items).toHaveLength(2);

      expect((await bulk({ status: 'failed', since })).body).toEqual({ count: 0 });
      expect((await bulk({ status: 'failed', ruleId: b.id })).body).toEqual({ count: 0 });
      expect(receiver.requests.filter((r) => r.path === '/bulk-c')).toHaveLength(1);
    });

    it('validates the bulk body, naming the field', async () => {
      const bulk = (body: object) => sys.http.post('/v1/executions/rerun').set(sys.auth).send(body);
      const cases: Array<[object, string]> = [
        [{}, 'status'],
        [{ status: 'success' }, 'status'],
        [{ status: 'failed', since: 'last week' }, 'since'],
        [{ status: 'failed', ruleId: 'nope' }, 'ruleId'],
        [{ status: 'failed', extra: 1 }, 'extra'],
      ];
      for (const [body, field] of cases) {
        const res = await bulk(body);
        expect(res.status).toBe(400);
        expect(JSON.stringify(res.body.message)).toContain(field);
      }
    });
  });

  describe('summary', () => {
    it('counts executions per status for the caller tenant, default the last 7 days', async () => {
      const tenant = await tenantWithKey(sys);
      answers.set('/sum-ok', 200);
      answers.set('/sum-bad', 400);
      await createRule({ entity: 'sum_ok', actions: [webhook('/sum-ok')] }, tenant.auth);
      await createRule({ entity: 'sum_bad', actions: [webhook('/sum-bad')] }, tenant.auth);
      const ok = [await fire('sum_ok', 's1', tenant.auth), await fire('sum_ok', 's2', tenant.auth)];
      const bad = await fire('sum_bad', 's3', tenant.auth);
      for (const id of [...ok, bad]) await ended(id, tenant.auth);
      // One run from long ago: outside the default window.
      await sys.db.query(`UPDATE executions SET created_at = now() - interval '8 days' WHERE id = $1`, [ok[0]]);

      const zero = { pending: 0, running: 0, success: 0, failed: 0, partial: 0, cancelled: 0 };
      const res = await sys.http.get('/v1/executions/summary').set(tenant.auth);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ ...zero, success: 1, failed: 1 });

      const nineDays = new Date(Date.now() - 9 * 24 * 3600 * 1000).toISOString();
      const wide = await sys.http.get(`/v1/executions/summary?since=${encodeURIComponent(nineDays)}`).set(tenant.auth);
      expect(wide.body).toEqual({ ...zero, success: 2, failed: 1 });

      const future = new Date(Date.now() + 3600 * 1000).toISOString();
      const none = await sys.http.get(`/v1/executions/summary?since=${encodeURIComponent(future)}`).set(tenant.auth);
      expect(none.body).toEqual(zero);

      const invalid = await sys.http.get('/v1/executions/summary?since=yesterday').set(tenant.auth);
      expect(invalid.status).toBe(400);
      expect(JSON.stringify(invalid.body.message)).toContain('since');
    });
  });
});

describe('cancelling a run that was never started', () => {
  let sys: TestSystem;
  beforeAll(async () => {
    sys = await startTestSystem();
  });
  afterAll(async () => {
    await sys?.close();
  });

  it('marks it cancelled so the outbox never starts it', async () => {
    const receiver = await startHttpReceiver();
    let cut: INestApplication | undefined;
    let healthy: INestApplication | undefined;
    try {
      const rule = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({
          name: 'never started',
          entity: 'unstarted',
          trigger: { type: 'on_create' },
          actions: [{ type: 'webhook', config: { url: `${receiver.url}/never` } }],
        });
      expect(rule.status).toBe(201);

      // The only gateway cannot reach Temporal: the run is accepted but stays in the outbox.
      await sys.app.close();
      cut = await sys.startGateway({ TEMPORAL_ADDRESS: '127.0.0.1:1', OUTBOX_POLL_MS: '60000' });
      const accepted = await request(cut.getHttpServer())
        .post('/v1/events')
        .set(sys.auth)
        .send({ id: 'evt-unstarted-1', entity: 'unstarted', type: 'on_create', data: { id: 1 } });
      expect(accepted.status).toBe(202);
      const { executionId, workflowId } = accepted.body.executions[0] as { executionId: string; workflowId: string };
      const before: Array<{ status: string; dispatched_at: Date | null }> = await sys.db.query(
        `SELECT status, dispatched_at FROM executions WHERE id = $1`,
        [executionId],
      );
      expect(before[0]).toEqual({ status: 'pending', dispatched_at: null });

      const res = await request(cut.getHttpServer()).post(`/v1/executions/${executionId}/cancel`).set(sys.auth);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ id: executionId, status: 'cancelled' });
      expect(res.body.actions).toEqual([expect.objectContaining({ status: 'skipped' })]);
      await cut.close();
      cut = undefined;

      // A healthy gateway's outbox sweeps (every 200 ms, after a 2 s grace): it must leave the run alone.
      healthy = await sys.startGateway();
      await new Promise((resolve) => setTimeout(resolve, 4000));
      const after = await request(healthy.getHttpServer()).get(`/v1/executions/${executionId}`).set(sys.auth);
      expect(after.body.status).toBe('cancelled');
      await expect(sys.temporal.workflow.getHandle(workflowId).describe()).rejects.toBeInstanceOf(
        WorkflowNotFoundError,
      );
      expect(receiver.requests).toHaveLength(0);
      const again = await request(healthy.getHttpServer()).post(`/v1/executions/${executionId}/cancel`).set(sys.auth);
      expect(again.status).toBe(409);
    } finally {
      await cut?.close();
      await healthy?.close();
      await receiver.close();
    }
  });
});
