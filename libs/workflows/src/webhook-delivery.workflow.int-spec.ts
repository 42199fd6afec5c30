import { randomBytes, randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  createAlertActivities,
  createEndpointDeliveryActivities,
  createExecutionActivities,
  withTenantScopes,
} from '@ruleflow/activities';
import type { DeliveryAttempt } from '@ruleflow/entities';
import {
  AlertRepository,
  createDataSource,
  DeliveryRepository,
  EndpointDeliveryRepository,
  ExecutionRepository,
} from '@ruleflow/entities';
import { generateWebhookSecret } from '@ruleflow/outbound';
import { createSecretBox } from '@ruleflow/rules/node/secret-box';
import type { HttpReceiver, ReceivedRequest, TestWorker } from '@ruleflow/testing';
import {
  insertTenants,
  openTestDataSource,
  startHttpReceiver,
  startTestWorker,
  workflowBundle,
  verifyStandardWebhook,
} from '@ruleflow/testing';
import type { WorkflowHandle } from '@temporalio/client';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import type { DataSource } from 'typeorm';
import { deliveryWorkflowId } from './contract';
import type { WebhookDeliveryInput } from './contract';
import { WEBHOOK_DELIVERY_WORKFLOW } from './contract';
import type { WebhookDeliveryResult } from './webhook-delivery.workflow';

const DAY = 24 * 3_600_000;
const SHORT: WebhookDeliveryInput['schedule'] = { delaysMs: [200, 200, 400], windowMs: 5000, jitter: 0 };

/**
 * Endpoint deliveries end to end: the real workflow on the Temporal dev server, the real activities
 * over PostgreSQL (row-level security on, as in the worker), and a real HTTP receiver.
 */
describe('WebhookDeliveryWorkflow (real Temporal, PostgreSQL and HTTP)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  /** The fixture's connection: sees every tenant. */
  let db: DataSource;
  /** The worker's connection: scoped per activity, as in production. */
  let workerDb: DataSource;
  let tenantId: string;
  let receiver: HttpReceiver;
  let worker: TestWorker;
  const box = createSecretBox({ current: randomBytes(32), previous: [] });
  /** Per-test knobs of the worker's activities. */
  const settings = {
    allowPrivateNetworks: true,
    circuitBreakerAfterMs: 5 * DAY,
    resolve: undefined as undefined | ((host: string) => Promise<Array<{ address: string; family: number }>>),
  };

  beforeAll(async () => {
    testDb = await openTestDataSource('webhook-delivery-spec');
    db = testDb.db;
    [tenantId] = (await insertTenants(db, 1)) as [string];
    workerDb = createDataSource({ url: testDb.database.url, poolSize: 4, applicationName: 'webhook-delivery-worker' });
    await workerDb.initialize();
    receiver = await startHttpReceiver();
    const endpointActivities = () =>
      createEndpointDeliveryActivities({
        deliveries: new DeliveryRepository(workerDb),
        endpointDeliveries: new EndpointDeliveryRepository(workerDb),
        timeoutMs: 2000,
        secrets: box,
        ...settings,
      });
    const activities = withTenantScopes({
      attemptEndpointDelivery: (
        input: Parameters<ReturnType<typeof endpointActivities>['attemptEndpointDelivery']>[0],
      ) => endpointActivities().attemptEndpointDelivery(input),
      finishEndpointDelivery: (input: Parameters<ReturnType<typeof endpointActivities>['finishEndpointDelivery']>[0]) =>
        endpointActivities().finishEndpointDelivery(input),
    });
    worker = await startTestWorker(activities, 'wf-delivery');
  });

  afterAll(async () => {
    await worker?.close();
    await receiver?.close();
    await workerDb?.destroy();
    await testDb?.close();
  });

  beforeEach(() => {
    settings.allowPrivateNetworks = true;
    settings.circuitBreakerAfterMs = 5 * DAY;
    settings.resolve = undefined;
    receiver.setHandler(() => ({ status: 200 }));
  });

  let seq = 0;
  const ORDER = { id: 'o1', total: 2.5, customer: { email: 'a@b.c', name: 'Ann' }, internal: 'x' };

  interface EndpointOptions {
    path?: string;
    url?: string;
    events?: string[];
    fieldSelection?: string[] | null;
    payloadTemplate?: unknown;
    transform?: string | null;
    previousSecret?: string | null;
    previousSecretExpiresAt?: Date | null;
    failingSince?: Date | null;
  }

  /** A webhook endpoint row with a sealed secret; returns its id, plaintext secret and path. */
  async function insertEndpoint(o: EndpointOptions = {}) {
    const path = o.path ?? `/hook/${++seq}`;
    const secret = generateWebhookSecret();
    const rows: Array<{ id: string }> = await db.query(
      `INSERT INTO webhooks (tenant_id, name, url, events, field_selection, payload_template, transform,
                             secret, previous_secret, previous_secret_expires_at, failing_since)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11) RETURNING id`,
      [
        tenantId,
        `endpoint ${seq}`,
        o.url ?? `${receiver.url}${path}`,
        o.events ?? ['orders.*'],
        o.fieldSelection ?? null,
        o.payloadTemplate === undefined ? null : JSON.stringify(o.payloadTemplate),
        o.transform ?? null,
        box.encrypt(secret),
        o.previousSecret ? box.encrypt(o.previousSecret) : null,
        o.previousSecretExpiresAt ?? null,
        o.failingSince ?? null,
      ],
    );
    return { id: rows[0]!.id, secret, path };
  }

  /** A pending endpoint delivery of an `orders.on_update` event, as fan-out writes it. */
  async function insertDelivery(webhookId: string, data: unknown = ORDER): Promise<string> {
    const id = randomUUID();
    const payload = { type: 'orders.on_update', timestamp: '2030-01-02T03:04:05.000Z', data };
    await db.query(
      `INSERT INTO deliveries (id, tenant_id, webhook_id, source, event_type, event_key, url, status, payload)
       SELECT $1, $2, w.id, 'endpoint', 'orders.on_update', $3, w.url, 'pending', $4::jsonb FROM webhooks w WHERE w.id = $5`,
      [id, tenantId, `evt-${id}`, JSON.stringify(payload), webhookId],
    );
    return id;
  }

  function start(deliveryId: string, schedule = SHORT) {
    return worker.client.workflow.start(WEBHOOK_DELIVERY_WORKFLOW, {
      workflowId: deliveryWorkflowId(deliveryId),
      taskQueue: worker.taskQueue,
      args: [{ deliveryId, tenantId, schedule } satisfies WebhookDeliveryInput],
    });
  }

  async function run(deliveryId: string, schedule = SHORT): Promise<WebhookDeliveryResult> {
    return (await start(deliveryId, schedule)).result() as Promise<WebhookDeliveryResult>;
  }

  /** The delivery's failure as the workflow reports it; fails the test when the run succeeded. */
  async function failure(deliveryId: string, schedule = SHORT): Promise<WebhookDeliveryResult> {
    return failureOf(await start(deliveryId, schedule));
  }

  async function failureOf(handle: WorkflowHandle): Promise<WebhookDeliveryResult> {
    const err = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect((cause as ApplicationFailure).type).toBe('WebhookDeliveryFailed');
    return (cause as ApplicationFailure).details?.[0] as WebhookDeliveryResult;
  }

  async function deliveryRow(id: string) {
    const [row] = await db.query(`SELECT * FROM deliveries WHERE id = $1`, [id]);
    return row as {
      status: string;
      attempts: DeliveryAttempt[];
      next_attempt_at: Date | null;
      delivered_at: Date | null;
      error: string | null;
    };
  }

  async function endpointRow(id: string) {
    const [row] = await db.query(`SELECT * FROM webhooks WHERE id = $1`, [id]);
    return row as {
      enabled: boolean;
      disabled_reason: string | null;
      disabled_at: Date | null;
      failing_since: Date | null;
      last_success_at: Date | null;
    };
  }

  /**
   * The run's history replays against the current code (determinism); with RECORD_HISTORIES=1 and a
   * name it is also kept under test/histories for the committed replay test
   * (workflows.replay.int-spec.ts). Named: the representative runs only, to keep the set small.
   */
  async function replays(handle: WorkflowHandle, name?: string): Promise<void> {
    const history = await handle.fetchHistory();
    await expect(
      Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, `replay-${handle.workflowId}`),
    ).resolves.toBeUndefined();
    if (name && process.env.RECORD_HISTORIES === '1') {
      writeFileSync(path.join(__dirname, `../test/histories/webhook-delivery.${name}.json`), historyToJSON(history));
    }
  }

  const at = (path: string): ReceivedRequest[] => receiver.requests.filter((r) => r.path === path);

  it('retries 500 and 503 on durable timers, then succeeds; signed the same webhook-id every time', async () => {
    const endpoint = await insertEndpoint();
    const answers = [500, 503, 200];
    receiver.setHandler((req) =>
      req.url === endpoint.path ? { status: answers.shift() ?? 200, body: 'hi' } : { status: 404 },
    );
    const id = await insertDelivery(endpoint.id);

    const handle = await start(id);
    const result = await handle.result();

    expect(result).toEqual({ deliveryId: id, status: 'success', attempts: 3, statusCode: 200, error: null });
    await replays(handle, 'retried-then-delivered.local-first-try');
    // Every attempt was made inside a workflow task (local activities): no activity round trips.
    const events = (await handle.fetchHistory()).events!;
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(0);
    expect(events.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity')).toHaveLength(3);
    const requests = at(endpoint.path);
    expect(requests).toHaveLength(3);
    const expectedBody = { type: 'orders.on_update', timestamp: '2030-01-02T03:04:05.000Z', data: ORDER };
    for (const req of requests) {
      expect(req.method).toBe('POST');
      expect(req.headers['webhook-id']).toBe(id);
      expect(req.headers['content-type']).toBe('application/json');
      expect(verifyStandardWebhook(endpoint.secret, req)).toEqual(expectedBody);
      expect(() => verifyStandardWebhook(generateWebhookSecret(), req)).toThrow();
    }
    const row = await deliveryRow(id);
    expect(row.status).toBe('success');
    expect(row.next_attempt_at).toBeNull();
    expect(row.delivered_at).not.toBeNull();
    expect(row.error).toBeNull();
    expect(row.attempts.map((a) => [a.attemptNumber, a.statusCode, a.error])).toEqual([
      [1, 500, '500 Internal Server Error'],
      [2, 503, '503 Service Unavailable'],
      [3, 200, null],
    ]);
    expect(row.attempts[2]!.responseBody).toBe('hi');
    const ep = await endpointRow(endpoint.id);
    expect(ep.failing_since).toBeNull();
    expect(ep.last_success_at).not.toBeNull();
    expect(ep.enabled).toBe(true);
  });

  it('honours Retry-After on a 503: the next attempt comes at least that much later', async () => {
    const endpoint = await insertEndpoint();
    const times: number[] = [];
    receiver.setHandler(() => {
      times.push(Date.now());
      return times.length === 1 ? { status: 503, headers: { 'retry-after': '2' } } : { status: 200 };
    });
    const id = await insertDelivery(endpoint.id);
    await expect(run(id)).resolves.toMatchObject({ status: 'success', attempts: 2 });
    expect(times).toHaveLength(2);
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(2000);
  });

  it('an infrastructure retry of an attempt already logged answers from the log and sends nothing', async () => {
    const endpoint = await insertEndpoint();
    const answers = [503, 200];
    receiver.setHandler(() => ({ status: answers.shift() ?? 500 }));
    const id = await insertDelivery(endpoint.id);
    const { attemptEndpointDelivery } = withTenantScopes(
      createEndpointDeliveryActivities({
        deliveries: new DeliveryRepository(workerDb),
        endpointDeliveries: new EndpointDeliveryRepository(workerDb),
        timeoutMs: 2000,
        secrets: box,
        ...settings,
      }),
    );
    const input = { deliveryId: id, tenantId, schedule: SHORT, firstAttemptAt: Date.now(), random: 0.5 };

    const first = await attemptEndpointDelivery({ ...input, attempt: 1 });
    expect(first).toMatchObject({ outcome: 'retry', statusCode: 503, retryInMs: 200 });
    const nextAt = (await deliveryRow(id)).next_attempt_at;
    expect(nextAt).not.toBeNull();
    await expect(attemptEndpointDelivery({ ...input, attempt: 1 })).resolves.toMatchObject({
      outcome: 'retry',
      statusCode: 503,
    });
    expect(at(endpoint.path)).toHaveLength(1);

    await expect(attemptEndpointDelivery({ ...input, attempt: 2 })).resolves.toMatchObject({
      outcome: 'success',
      statusCode: 200,
    });
    // Retried after the success was logged (the result was lost): no second request.
    await expect(attemptEndpointDelivery({ ...input, attempt: 2 })).resolves.toMatchObject({
      outcome: 'success',
      statusCode: 200,
    });
    expect(at(endpoint.path)).toHaveLength(2);
    const row = await deliveryRow(id);
    expect(row.attempts.map((a) => a.statusCode)).toEqual([503, 200]);
    expect(row.next_attempt_at).toBeNull();
  });

  it('a 400 fails at once after one attempt', async () => {
    const endpoint = await insertEndpoint();
    receiver.setHandler(() => ({ status: 400, body: 'bad payload' }));
    const id = await insertDelivery(endpoint.id);
    const handle = await start(id);
    const result = await failureOf(handle);
    expect(result).toMatchObject({ status: 'failed', attempts: 1, statusCode: 400, error: '400 Bad Request' });
    await replays(handle, 'failed-4xx.local-first-try');
    expect(at(endpoint.path)).toHaveLength(1);
    const row = await deliveryRow(id);
    expect(row.status).toBe('failed');
    expect(row.error).toBe('400 Bad Request');
    expect(row.attempts).toEqual([
      expect.objectContaining({
        attemptNumber: 1,
        statusCode: 400,
        error: '400 Bad Request',
        responseBody: 'bad payload',
      }),
    ]);
    const ep = await endpointRow(endpoint.id);
    expect(ep.enabled).toBe(true);
    expect(ep.failing_since).not.toBeNull();
  });

  it('a 410 disables the endpoint with a reason; its other deliveries are abandoned without a request', async () => {
    const endpoint = await insertEndpoint();
    receiver.setHandler(() => ({ status: 410 }));
    const first = await insertDelivery(endpoint.id);
    const second = await insertDelivery(endpoint.id);

    const result = await failure(first);
    expect(result).toMatchObject({ attempts: 1, statusCode: 410 });
    const ep = await endpointRow(endpoint.id);
    expect(ep.enabled).toBe(false);
    expect(ep.disabled_reason).toBe('the receiver answered 410 Gone');
    expect(ep.disabled_at).not.toBeNull();
    const firstRow = await deliveryRow(first);
    expect(firstRow.attempts).toHaveLength(1);
    expect(firstRow.error).toBe('410 Gone: endpoint disabled');
    expect(result.error).toBe(firstRow.error);

    const handle = await start(second);
    const abandoned = await failureOf(handle);
    expect(abandoned).toMatchObject({ attempts: 1, statusCode: null });
    expect(abandoned.error).toBe('endpoint disabled: the receiver answered 410 Gone');
    await replays(handle, 'endpoint-disabled.local-first-try');
    expect(at(endpoint.path)).toHaveLength(1);
    const row = await deliveryRow(second);
    expect(row.status).toBe('failed');
    expect(row.attempts).toEqual([]);
    // Nothing was attempted, so the delivery itself says why it failed.
    expect(row.error).toBe('endpoint disabled: the receiver answered 410 Gone');
  });

  it('an endpoint disabled by a user, or deleted, before the attempt: failed without a request, saying why', async () => {
    const off = await insertEndpoint();
    await db.query(`UPDATE webhooks SET enabled = false WHERE id = $1`, [off.id]);
    const offDelivery = await insertDelivery(off.id);
    await expect(failure(offDelivery)).resolves.toMatchObject({ error: 'endpoint disabled: disabled by a user' });
    expect(await deliveryRow(offDelivery)).toMatchObject({
      status: 'failed',
      attempts: [],
      error: 'endpoint disabled: disabled by a user',
    });

    const gone = await insertEndpoint();
    const goneDelivery = await insertDelivery(gone.id);
    await db.query(`DELETE FROM webhooks WHERE id = $1`, [gone.id]);
    await expect(failure(goneDelivery)).resolves.toMatchObject({ statusCode: null, error: 'endpoint deleted' });
    expect(await deliveryRow(goneDelivery)).toMatchObject({
      status: 'failed',
      attempts: [],
      error: 'endpoint deleted',
    });
    expect(at(off.path)).toHaveLength(0);
    expect(at(gone.path)).toHaveLength(0);
  });

  it('does not follow a redirect: a 302 fails the delivery', async () => {
    const endpoint = await insertEndpoint();
    receiver.setHandler((req) =>
      req.url === endpoint.path ? { status: 302, headers: { location: `${receiver.url}/elsewhere` } } : { status: 200 },
    );
    const id = await insertDelivery(endpoint.id);
    const result = await failure(id);
    expect(result.attempts).toBe(1);
    expect(result.error).toBe(`302 Found (redirect to ${receiver.url}/elsewhere not followed)`);
    expect(at('/elsewhere')).toHaveLength(0);
    expect((await deliveryRow(id)).attempts).toEqual([expect.objectContaining({ statusCode: 302 })]);
  });

  it('refuses a host resolving to 127.0.0.1 when private networks are closed, before sending', async () => {
    settings.allowPrivateNetworks = false;
    settings.resolve = async (host) => (host === 'hooks.ruleflow.test' ? [{ address: '127.0.0.1', family: 4 }] : []);
    const endpoint = await insertEndpoint({ url: `http://hooks.ruleflow.test:${receiver.port}/private` });
    const id = await insertDelivery(endpoint.id);
    const result = await failure(id);
    expect(result.attempts).toBe(1);
    expect(result.statusCode).toBeNull();
    expect(result.error).toMatch(/"hooks\.ruleflow\.test" resolved to 127\.0\.0\.1.*loopback/);
    expect(at('/private')).toHaveLength(0);
    const [attempt] = (await deliveryRow(id)).attempts;
    expect(attempt).toMatchObject({ attemptNumber: 1, statusCode: null });
    expect(attempt!.error).toMatch(/127\.0\.0\.1/);
  });

  it('signs with both secrets during the 24 h after a rotation, and with the current one after', async () => {
    const previous = generateWebhookSecret();
    const rotated = await insertEndpoint({
      previousSecret: previous,
      previousSecretExpiresAt: new Date(Date.now() + DAY - 60_000),
    });
    await run(await insertDelivery(rotated.id));
    const [req] = at(rotated.path);
    const signatures = String(req!.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    expect(signatures.every((s) => s.startsWith('v1,'))).toBe(true);
    expect(verifyStandardWebhook(rotated.secret, req!)).toMatchObject({
      type: 'orders.on_update',
    });
    expect(verifyStandardWebhook(previous, req!)).toMatchObject({ type: 'orders.on_update' });

    const expired = await insertEndpoint({
      previousSecret: previous,
      previousSecretExpiresAt: new Date(Date.now() - 1000),
    });
    await run(await insertDelivery(expired.id));
    const [later] = at(expired.path);
    expect(String(later!.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() => verifyStandardWebhook(previous, later!)).toThrow();
    expect(verifyStandardWebhook(expired.secret, later!)).toMatchObject({ data: ORDER });
  });

  it('the circuit breaker disables an endpoint whose deliveries have all failed for 5 days', async () => {
    const since = new Date(Date.now() - 6 * DAY);
    const endpoint = await insertEndpoint({ failingSince: since });
    receiver.setHandler(() => ({ status: 503 }));
    const id = await insertDelivery(endpoint.id);
    const result = await failure(id);
    expect(result.attempts).toBe(1);
    const reason = `circuit breaker: every delivery has failed since ${since.toISOString()}`;
    expect(result.error).toBe(`503 Service Unavailable; endpoint disabled: ${reason}`);
    const ep = await endpointRow(endpoint.id);
    expect(ep.enabled).toBe(false);
    expect(ep.disabled_reason).toBe(reason);
    expect((await deliveryRow(id)).status).toBe('failed');

    // Failing for less than the breaker's time keeps it enabled, and the clock keeps its start.
    const young = new Date(Date.now() - 4 * DAY);
    const other = await insertEndpoint({ failingSince: young });
    await failure(await insertDelivery(other.id), { delaysMs: [100], windowMs: 50, jitter: 0 });
    const still = await endpointRow(other.id);
    expect(still.enabled).toBe(true);
    expect(new Date(still.failing_since!).toISOString()).toBe(young.toISOString());
  });

  it('fails when the schedule window is spent', async () => {
    const endpoint = await insertEndpoint();
    receiver.setHandler(() => ({ status: 503 }));
    const id = await insertDelivery(endpoint.id);
    const windowMs = 1500;
    const handle = await start(id, { delaysMs: [300], windowMs, jitter: 0 });
    const result = await failureOf(handle);
    await replays(handle);
    expect(result.attempts).toBeGreaterThanOrEqual(2);
    expect(result.error).toMatch(
      new RegExp(`^gave up after ${result.attempts} attempts over [0-9.]+ s: 503 Service Unavailable$`),
    );
    const row = await deliveryRow(id);
    expect(row.status).toBe('failed');
    expect(row.error).toBe(result.error);
    expect(row.next_attempt_at).toBeNull();
    expect(row.attempts).toHaveLength(result.attempts);
    expect(row.attempts.every((a) => a.statusCode === 503)).toBe(true);
    // A retry was planned only while one more (300 ms later) fitted the window; the last one no longer did.
    // (The dev server's timers may fire late, so the planned times are what is checked, not the actual ones.)
    const times = row.attempts.map((a) => Date.parse(a.at));
    expect(times.at(-2)! - times[0]!).toBeLessThanOrEqual(windowMs - 300);
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(windowMs - 300 - 200);
    expect(at(endpoint.path)).toHaveLength(result.attempts);
  });

  it('shapes data with field selection, then the template, then the JSONata transform', async () => {
    const endpoint = await insertEndpoint({
      fieldSelection: ['id', 'total', 'customer.email'],
      payloadTemplate: {
        order: '{{data.id}}',
        amount: '{{data.total}}',
        email: '{{data.customer.email}}',
        kind: '{{event.type}}',
        name: '{{data.customer.name}}',
      },
      transform: '{ "orderId": order, "cents": amount * 100, "email": $uppercase(email), "kind": kind, "name": name }',
    });
    await run(await insertDelivery(endpoint.id));
    const [req] = at(endpoint.path);
    const body = JSON.parse(req!.body) as { data: Record<string, unknown> };
    expect(body).toEqual({
      type: 'orders.on_update',
      timestamp: '2030-01-02T03:04:05.000Z',
      // `name` was not selected, so the template found nothing there (null).
      data: { orderId: 'o1', cents: 250, email: 'A@B.C', kind: 'orders.on_update', name: null },
    });
    expect(verifyStandardWebhook(endpoint.secret, req!)).toEqual(body);
  });

  it('a failing transform fails the delivery at once without sending it', async () => {
    const endpoint = await insertEndpoint({ transform: '$error("no way")' });
    const id = await insertDelivery(endpoint.id);
    const result = await failure(id);
    expect(result.attempts).toBe(1);
    expect(result.error).toMatch(/^payload shaping failed: transform failed: .*no way/);
    expect(at(endpoint.path)).toHaveLength(0);
    const row = await deliveryRow(id);
    expect(row.status).toBe('failed');
    expect(row.error).toBe(result.error);
    expect(row.attempts).toEqual([
      expect.objectContaining({ attemptNumber: 1, statusCode: null, error: result.error }),
    ]);
    expect((await endpointRow(endpoint.id)).failing_since).toBeNull();
  });

  describe('system events', () => {
    let ruleId: string;

    beforeAll(async () => {
      const rows: Array<{ id: string }> = await db.query(
        `INSERT INTO rules (tenant_id, name, entity, trigger_type, trigger, conditions, actions)
         VALUES ($1, 'late orders', 'orders', 'on_update', '{}'::jsonb, '{}'::jsonb, '[]'::jsonb) RETURNING id`,
        [tenantId],
      );
      ruleId = rows[0]!.id;
    });

    async function insertExecution(): Promise<string> {
      const id = randomUUID();
      await db.query(
        `INSERT INTO executions (id, tenant_id, rule_id, rule_version, event_id, workflow_id, trigger_type, status, input)
         VALUES ($1, $2, $3, 1, $4, $5, 'on_update', 'running', '{}'::jsonb)`,
        [id, tenantId, ruleId, `evt-${id}`, `rule-${ruleId}-evt-${id}`],
      );
      return id;
    }

    it('completing an execution offers execution.succeeded / execution.failed to subscribed endpoints, once', async () => {
      const subscribed = await insertEndpoint({ events: ['execution.*'] });
      const failedOnly = await insertEndpoint({ events: ['execution.failed'] });
      await insertEndpoint({ events: ['orders.*'] });
      const { completeExecution } = createExecutionActivities({ executions: new ExecutionRepository(workerDb) });
      const scoped = withTenantScopes({ completeExecution });

      const ok = await insertExecution();
      await scoped.completeExecution({ tenantId, executionId: ok, status: 'success', error: null, errorAction: null });
      // A retry of the activity (or a replay) offers nothing new.
      await scoped.completeExecution({ tenantId, executionId: ok, status: 'success', error: null, errorAction: null });
      const partial = await insertExecution();
      await scoped.completeExecution({
        tenantId,
        executionId: partial,
        status: 'partial',
        error: 'answered 400',
        errorAction: 'erp',
      });
      const cancelled = await insertExecution();
      await scoped.completeExecution({
        tenantId,
        executionId: cancelled,
        status: 'cancelled',
        error: 'cancelled',
        errorAction: null,
      });

      const rows: Array<{
        id: string;
        webhook_id: string;
        event_type: string;
        event_key: string;
        status: string;
        payload: { type: string; data: Record<string, unknown> };
      }> = await db.query(
        `SELECT id, webhook_id, event_type, event_key, status, payload FROM deliveries
            WHERE webhook_id = ANY($1) ORDER BY event_type, webhook_id`,
        [[subscribed.id, failedOnly.id]],
      );
      expect(rows.map((r) => [r.webhook_id, r.event_key]).sort()).toEqual(
        [
          [subscribed.id, `execution.succeeded:${ok}`],
          [subscribed.id, `execution.failed:${partial}`],
          [failedOnly.id, `execution.failed:${partial}`],
        ].sort(),
      );
      const succeeded = rows.find((r) => r.event_key === `execution.succeeded:${ok}`)!;
      expect(succeeded.status).toBe('pending');
      expect(succeeded.payload.data).toMatchObject({
        executionId: ok,
        ruleId,
        ruleName: 'late orders',
        status: 'success',
        error: null,
        workflowId: `rule-${ruleId}-evt-${ok}`,
        eventId: `evt-${ok}`,
      });
      expect(rows.find((r) => r.webhook_id === failedOnly.id)!.payload.data).toMatchObject({
        status: 'partial',
        error: 'answered 400',
        errorAction: 'erp',
      });

      // And the delivery workflow carries it to the receiver.
      await run(succeeded.id);
      const [req] = at(subscribed.path);
      expect(JSON.parse(req!.body)).toMatchObject({ type: 'execution.succeeded', data: { executionId: ok } });
      expect(req!.headers['webhook-id']).toBe(succeeded.id);
    });

    it('a new alert offers alert.created; an idempotent replay offers nothing', async () => {
      const endpoint = await insertEndpoint({ events: ['alert.created'] });
      const scoped = withTenantScopes(createAlertActivities({ alerts: new AlertRepository(workerDb) }));
      const input = {
        alertType: 'late_order',
        severity: 'high',
        title: 'Order o1 is late',
        message: 'not shipped',
        recipients: [{ type: 'role', id: 'ops' }],
        context: { orderId: 'o1' },
        tenantId,
        executionId: null,
        ruleId,
        sourceEntityName: 'orders',
        sourceEntityId: 'o1',
        idempotencyKey: `alert-${randomUUID()}`,
      };
      const { alertId } = await scoped.createAlert(input);
      await scoped.createAlert(input);
      const rows: Array<{ event_key: string; payload: { type: string; data: Record<string, unknown> } }> =
        await db.query(`SELECT event_key, payload FROM deliveries WHERE webhook_id = $1`, [endpoint.id]);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.event_key).toBe(`alert.created:${alertId}`);
      expect(rows[0]!.payload).toMatchObject({
        type: 'alert.created',
        data: {
          id: alertId,
          alertType: 'late_order',
          severity: 'high',
          title: 'Order o1 is late',
          status: 'active',
          recipients: [{ type: 'role', id: 'ops' }],
          context: { orderId: 'o1' },
          sourceRuleId: ruleId,
        },
      });
    });
  });
});
