/**
 * The cross-tenant matrix: tenant A owns one of everything; tenant B's admin key walks every route
 * of the running app (enumerated from its OpenAPI document, so a new route cannot be skipped
 * silently) with A's ids, and must get 404 on A's resources and never see A's data in a list.
 * Afterwards A's resources read exactly as before.
 */
import { randomUUID } from 'node:crypto';
import { freePort } from '@ruleflow/testing';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

type Auth = { Authorization: string };
interface Tenant {
  tenantId: string;
  auth: Auth;
}
interface OpenApiOperation {
  parameters?: Array<{ name: string; in: string }>;
}
type OpenApiDoc = { paths: Record<string, Record<string, OpenApiOperation>> };

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const FINAL = ['success', 'failed', 'partial', 'cancelled'];
/** Fields that change whenever their owner uses them, not by anything B does. */
const VOLATILE = new Set(['usageCount', 'lastUsedAt']);

describe('tenant isolation (every route, tenant B against tenant A)', () => {
  let sys: TestSystem;
  let A: Tenant;
  let B: Tenant;
  /** A's resources. */
  const a = {} as Record<
    | 'ruleId'
    | 'childRuleId'
    | 'scheduledRuleId'
    | 'webhookRuleId'
    | 'failRuleId'
    | 'templateId'
    | 'entityId'
    | 'eventKey'
    | 'eventId'
    | 'executionId'
    | 'failedExecutionId'
    | 'alertId'
    | 'notificationId'
    | 'recipientId'
    | 'sku'
    | 'allocationKey'
    | 'allocationId'
    | 'apiKeyId'
    | 'apiKeyPrefix'
    | 'hookToken'
    | 'webhookId'
    | 'deliveryId'
    | 'ivrMenuId'
    | 'ivrSessionId'
    | 'ivrCallId'
    | 'ivrLineId',
    string
  >;
  /** B's own resources, for routes whose body names a second id. */
  const b = {} as Record<'ruleId', string>;
  let doc: OpenApiDoc;
  /** A's resources as A reads them before B's walk. */
  let before: Map<string, unknown>;

  const ENTITY = 'iso_orders';
  const FAIL_ENTITY = 'iso_fail';

  async function tenantWithAdminKey(name: string): Promise<Tenant> {
    const tenant = await sys.http.post('/v1/tenants').set(sys.auth).send({ name });
    expect(tenant.status).toBe(201);
    const key = await sys.http
      .post('/v1/api-keys')
      .set(sys.auth)
      .send({ name: `${name} admin`, tenantId: tenant.body.id, scopes: ['admin'] });
    expect(key.status).toBe(201);
    return { tenantId: tenant.body.id, auth: { Authorization: `Bearer ${key.body.key}` } };
  }

  async function created(res: { status: number; body: any }, what: string): Promise<any> {
    if (res.status !== 201 && res.status !== 200 && res.status !== 202) {
      throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    return res.body;
  }

  /** Everything of A that A can read, by a label; compared before and after B's walk. */
  function aReads(): Array<[string, string]> {
    return [
      ['rule', `/v1/rules/${a.ruleId}`],
      ['child rule', `/v1/rules/${a.childRuleId}`],
      ['scheduled rule', `/v1/rules/${a.scheduledRuleId}`],
      ['webhook rule', `/v1/rules/${a.webhookRuleId}`],
      ['failing rule', `/v1/rules/${a.failRuleId}`],
      ['rules', '/v1/rules?limit=200'],
      ['rule versions', `/v1/rules/${a.ruleId}/versions`],
      ['dependencies', `/v1/rules/${a.ruleId}/dependencies`],
      ['template', `/v1/action-templates/${a.templateId}`],
      ['templates', '/v1/action-templates'],
      ['entity', `/v1/entities/${a.entityId}`],
      ['entities', '/v1/entities'],
      ['execution', `/v1/executions/${a.executionId}`],
      ['failed execution', `/v1/executions/${a.failedExecutionId}`],
      ['executions', '/v1/executions?limit=200'],
      ['alert', `/v1/alerts/${a.alertId}`],
      ['alerts', '/v1/alerts'],
      ['notifications', '/v1/notifications'],
      ['inbox', `/v1/inbox/${a.recipientId}`],
      ['inventory item', `/v1/inventory/items/${a.sku}`],
      ['allocation', `/v1/inventory/allocations/${a.allocationKey}`],
      ['api keys', '/v1/api-keys'],
      ['event', `/v1/events/${a.eventKey}`],
      ['events', '/v1/events?limit=200'],
      ['webhook', `/v1/webhooks/${a.webhookId}`],
      ['webhooks', '/v1/webhooks'],
      ['webhook deliveries', `/v1/webhooks/${a.webhookId}/deliveries`],
      ['delivery', `/v1/deliveries/${a.deliveryId}`],
      ['ivr menu', `/v1/ivr/menus/${a.ivrMenuId}`],
      ['ivr menus', '/v1/ivr/menus?limit=200'],
      ['ivr session', `/v1/ivr/sessions/${a.ivrSessionId}`],
      ['ivr sessions', '/v1/ivr/sessions?limit=200'],
      ['ivr line', `/v1/ivr/lines/${a.ivrLineId}`],
      ['ivr lines', '/v1/ivr/lines?limit=200'],
    ];
  }

  const strip = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(strip)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v as Record<string, unknown>)
              .filter(([k]) => !VOLATILE.has(k))
              .map(([k, x]) => [k, strip(x)]),
          )
        : v;

  async function snapshot(): Promise<Map<string, unknown>> {
    const out = new Map<string, unknown>();
    for (const [label, url] of aReads()) {
      const res = await sys.http.get(url).set(A.auth);
      out.set(label, { status: res.status, body: strip(res.body) });
    }
    return out;
  }

  beforeAll(async () => {
    sys = await startTestSystem();
    A = await tenantWithAdminKey('iso-a');
    B = await tenantWithAdminKey('iso-b');
    const asA = {
      post: (url: string, body: object) => sys.http.post(url).set(A.auth).send(body),
    };

    const template = await created(
      await asA.post('/v1/action-templates', {
        name: 'iso template',
        actionType: 'webhook',
        defaultConfig: { url: 'https://erp.example.com/iso', method: 'POST' },
      }),
      'template',
    );
    a.templateId = template.id;

    await sys.db.query(`CREATE TABLE ${ENTITY} (id serial PRIMARY KEY, status text)`);
    a.entityId = (await created(await asA.post('/v1/entities', { name: ENTITY, type: 'table' }), 'entity')).id;

    a.recipientId = 'iso-user-a';
    a.sku = 'SKU-ISO';
    a.allocationKey = 'iso-alloc-a';
    const item = await sys.http.put(`/v1/inventory/items/${a.sku}`).set(A.auth).send({ quantityOnHand: 100 });
    await created(item, 'inventory item');
    const allocation = await created(
      await asA.post('/v1/inventory/allocations', {
        idempotencyKey: a.allocationKey,
        orderId: 'iso-order-a',
        lines: [{ sku: a.sku, quantity: 3 }],
      }),
      'allocation',
    );
    a.allocationId = allocation.id;

    a.childRuleId = (
      await created(
        await asA.post('/v1/rules', {
          name: 'iso child',
          entity: ENTITY,
          trigger: { type: 'manual' },
          actions: [{ name: 'pause', type: 'delay', config: { duration: '10ms' } }],
        }),
        'child rule',
      )
    ).id;
    const rule = await created(
      await asA.post('/v1/rules', {
        name: 'iso main',
        entity: ENTITY,
        trigger: { type: 'on_create' },
        actions: [
          {
            name: 'alert',
            type: 'create_alert',
            config: {
              alertType: 'iso',
              severity: 'high',
              title: 'Order {{data.id}}',
              message: 'for A only',
              recipients: [{ type: 'user', id: a.recipientId }],
            },
          },
          {
            name: 'bell',
            type: 'send_notification',
            config: { channel: 'in_app', to: [a.recipientId], subject: 'Hi', body: 'Order {{data.id}}' },
          },
        ],
      }),
      'main rule',
    );
    a.ruleId = rule.id;
    // A second version of the rule.
    await created(
      await sys.http.patch(`/v1/rules/${a.ruleId}`).set(A.auth).send({ description: 'version 2' }),
      'rule update',
    );
    await created(await asA.post(`/v1/rules/${a.ruleId}/dependencies`, { childRuleId: a.childRuleId }), 'dependency');
    a.scheduledRuleId = (
      await created(
        await asA.post('/v1/rules', {
          name: 'iso scheduled',
          entity: ENTITY,
          trigger: { type: 'scheduled', cron: '0 0 1 1 *' },
          actions: [{ type: 'delay', config: { duration: '1s' } }],
        }),
        'scheduled rule',
      )
    ).id;
    const hookRule = await created(
      await asA.post('/v1/rules', {
        name: 'iso hook',
        entity: ENTITY,
        trigger: { type: 'webhook' },
        actions: [{ type: 'delay', config: { duration: '1s' } }],
      }),
      'webhook rule',
    );
    a.webhookRuleId = hookRule.id;
    a.hookToken = String(hookRule.trigger.hookUrl).split('/').pop()!;
    const closedPort = await freePort();
    a.failRuleId = (
      await created(
        await asA.post('/v1/rules', {
          name: 'iso failing',
          entity: FAIL_ENTITY,
          trigger: { type: 'on_create' },
          actions: [
            {
              name: 'call',
              type: 'webhook',
              templateId: a.templateId,
              config: { url: `http://127.0.0.1:${closedPort}/nobody` },
              retry: { maximumAttempts: 1 },
            },
          ],
        }),
        'failing rule',
      )
    ).id;

    a.eventKey = 'iso-event-a';
    const event = await created(
      await asA.post('/v1/events', { id: a.eventKey, entity: ENTITY, type: 'on_create', data: { id: 1 } }),
      'event',
    );
    a.eventId = event.eventId;
    a.executionId = event.executions[0].executionId;
    const failing = await created(
      await asA.post('/v1/events', { id: 'iso-event-fail', entity: FAIL_ENTITY, type: 'on_create', data: { id: 2 } }),
      'failing event',
    );
    a.failedExecutionId = failing.executions[0].executionId;

    const done = await eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${a.executionId}`).set(A.auth);
      return FINAL.includes(res.body.status) ? res.body : undefined;
    }, 60_000);
    expect(done.status).toBe('success');
    a.alertId = done.actions.find((x: { name: string }) => x.name === 'alert').output.alertId;
    const failed = await eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${a.failedExecutionId}`).set(A.auth);
      return FINAL.includes(res.body.status) ? res.body : undefined;
    }, 60_000);
    expect(failed.status).toBe('failed');
    // The child rule's run (started by the dependency) ends too, so A's data is at rest.
    await eventually(async () => {
      const res = await sys.http.get(`/v1/executions?ruleId=${a.childRuleId}`).set(A.auth);
      return res.body.items.length === 1 && FINAL.includes(res.body.items[0].status);
    }, 60_000);
    const notes = await sys.http.get(`/v1/notifications?recipientId=${a.recipientId}`).set(A.auth);
    expect(notes.body.items).toHaveLength(1);
    a.notificationId = notes.body.items[0].id;

    const key = await created(
      await asA.post('/v1/api-keys', { name: 'iso a reader', scopes: ['rules:read'] }),
      'api key of A',
    );
    a.apiKeyId = key.id;
    a.apiKeyPrefix = key.prefix;

    // A webhook endpoint subscribed to nothing this test emits, and a settled delivery to it (recorded
    // as already dispatched, so no workflow changes it while B walks).
    const webhook = await created(
      await asA.post('/v1/webhooks', {
        name: 'iso webhook',
        url: 'http://127.0.0.1:9/iso-hook',
        events: ['iso_quiet.on_create'],
        description: 'for A only',
      }),
      'webhook',
    );
    a.webhookId = webhook.id;
    a.deliveryId = randomUUID();
    await sys.db.query(
      `INSERT INTO deliveries (id, tenant_id, webhook_id, source, event_type, event_key, url, status, payload,
                               attempts, dispatched_at)
       VALUES ($1, $2, $3, 'endpoint', 'iso_quiet.on_create', 'iso-quiet-1', $4, 'failed', $5::jsonb, $6::jsonb, now())`,
      [
        a.deliveryId,
        A.tenantId,
        a.webhookId,
        webhook.url,
        JSON.stringify({ type: 'iso_quiet.on_create', timestamp: new Date().toISOString(), data: { id: 9 } }),
        JSON.stringify([
          {
            attemptNumber: 1,
            statusCode: 400,
            error: 'HTTP 400',
            durationMs: 3,
            responseBody: null,
            at: new Date().toISOString(),
          },
        ]),
      ],
    );

    // An IVR menu of A (a submenu of itself, so a foreign target is the only thing B could borrow).
    const ivrMenu = await created(
      await asA.post('/v1/ivr/menus', {
        name: 'iso menu',
        prompt: 'for A only',
        items: [{ digit: '1', label: 'agent', action: 'agent', target: 'a-queue' }],
        // The longest wait, so A's live call session does not time out while B walks.
        timeoutMs: 120_000,
      }),
      'ivr menu',
    );
    a.ivrMenuId = ivrMenu.id;
    // A live call session of A on that menu (an ivr-<id> workflow awaiting input).
    a.ivrCallId = 'iso-call-of-a';
    const ivrSession = await created(
      await asA.post('/v1/ivr/sessions', { menuId: a.ivrMenuId, callId: a.ivrCallId, caller: '+15550100' }),
      'ivr session',
    );
    a.ivrSessionId = ivrSession.sessionId;
    // A phone line of A on that menu (its auth token sealed, its URL token a credential).
    const ivrLine = await created(
      await asA.post('/v1/ivr/lines', {
        name: 'iso line',
        menuId: a.ivrMenuId,
        provider: 'twilio',
        accountSid: 'AC0123456789abcdef0123456789abcdef',
        authToken: '5f4dcc3b5aa765d61d8327deb882cf99',
        phoneNumber: '+15550100200',
      }),
      'ivr line',
    );
    a.ivrLineId = ivrLine.id;

    // B's own rule and stock of the same sku, for routes whose body names a second resource.
    b.ruleId = (
      await created(
        await sys.http
          .post('/v1/rules')
          .set(B.auth)
          .send({
            name: 'iso b rule',
            entity: 'b_things',
            trigger: { type: 'manual' },
            actions: [{ type: 'delay', config: { duration: '1s' } }],
          }),
        "B's rule",
      )
    ).id;
    await created(
      await sys.http.put(`/v1/inventory/items/${a.sku}`).set(B.auth).send({ quantityOnHand: 7 }),
      "B's stock",
    );

    const docs = await sys.http.get('/docs-json');
    expect(docs.status).toBe(200);
    doc = docs.body as OpenApiDoc;
    before = await snapshot();
  }, 180_000);

  afterAll(async () => {
    await sys?.close();
  });

  /** Every value that identifies something of A: none may show up in an answer to B. */
  const aSecrets = () =>
    [
      A.tenantId,
      a.ruleId,
      a.childRuleId,
      a.scheduledRuleId,
      a.webhookRuleId,
      a.failRuleId,
      a.templateId,
      a.entityId,
      a.eventId,
      a.executionId,
      a.failedExecutionId,
      a.alertId,
      a.notificationId,
      a.allocationId,
      a.apiKeyId,
      a.apiKeyPrefix,
      a.hookToken,
      a.webhookId,
      a.deliveryId,
      a.ivrMenuId,
      a.ivrSessionId,
      a.ivrLineId,
      'for A only',
    ].filter(Boolean);
  /** A's values in an answer to B, other than those B itself sent (a 404 may name the id it did not find). */
  const leaks = (body: unknown, sent = '') =>
    aSecrets().filter((s) => JSON.stringify(body ?? null).includes(s) && !sent.includes(s));

  /**
   * Path parameters filled with A's ids, by the resource (first segment after /v1, or the first two where
   * one resource holds several, like `ivr/menus`) and the parameter name.
   */
  const PARAMS: Record<string, Record<string, () => string>> = {
    rules: { id: () => a.ruleId, childRuleId: () => a.childRuleId, version: () => '1' },
    'action-templates': { id: () => a.templateId },
    entities: { id: () => a.entityId },
    executions: { id: () => a.executionId },
    alerts: { id: () => a.alertId },
    notifications: { id: () => a.notificationId },
    inbox: { recipientId: () => a.recipientId, id: () => a.notificationId },
    inventory: { sku: () => a.sku, idempotencyKey: () => a.allocationKey },
    'api-keys': { id: () => a.apiKeyId },
    events: { id: () => a.eventKey },
    hooks: { token: () => a.hookToken },
    webhooks: { id: () => a.webhookId },
    deliveries: { id: () => a.deliveryId },
    'ivr/menus': { id: () => a.ivrMenuId },
    'ivr/sessions': { id: () => a.ivrSessionId },
    'ivr/lines': { id: () => a.ivrLineId },
  };

  /** Valid bodies, so that validation (400) cannot answer before the tenant check does. */
  const BODIES: Record<string, () => object> = {
    'PATCH /v1/rules/{id}': () => ({ description: 'changed by B' }),
    'POST /v1/rules/{id}/test': () => ({ data: { id: 1 } }),
    'POST /v1/rules/{id}/run': () => ({ data: { id: 1 } }),
    'POST /v1/rules/{id}/dependencies': () => ({ childRuleId: b.ruleId }),
    'PATCH /v1/action-templates/{id}': () => ({ description: 'changed by B' }),
    'POST /v1/alerts/{id}/acknowledge': () => ({ userId: 'b-user' }),
    'POST /v1/notifications/{id}/receipts': () => ({ status: 'bounced' }),
    'PUT /v1/inventory/items/{sku}': () => ({ quantityOnHand: 5 }),
    'PATCH /v1/webhooks/{id}': () => ({ description: 'changed by B', enabled: true }),
    'POST /v1/webhooks/{id}/test': () => ({ payload: { from: 'B' } }),
    'POST /v1/webhooks/{id}/recover': () => ({ since: '2020-01-01T00:00:00Z' }),
    'PATCH /v1/ivr/menus/{id}': () => ({ name: 'changed by B' }),
    'POST /v1/ivr/sessions/{id}/input': () => ({ digit: '1' }),
    'PATCH /v1/ivr/lines/{id}': () => ({ name: 'changed by B' }),
    'PATCH /v1/api-keys/{id}': () => ({ name: 'changed by B', enabled: false }),
    // Routes without path parameters: their bodies name A's things instead.
    'POST /v1/rules': () => ({
      name: 'B borrows a template',
      entity: 'b_things',
      trigger: { type: 'manual' },
      actions: [{ type: 'webhook', templateId: a.templateId, config: {} }],
    }),
    'POST /v1/rules/reorder': () => ({ ruleIds: [a.ruleId] }),
    'POST /v1/events': () => ({ id: a.eventKey, entity: ENTITY, type: 'on_create', data: { id: 1 } }),
    'POST /v1/executions/rerun': () => ({ ruleId: a.failRuleId, status: 'failed' }),
    'POST /v1/executions/cancel': () => ({ ruleId: a.ruleId }),
    'POST /v1/executions/{id}/approve': () => ({ by: 'b-user' }),
    'POST /v1/executions/{id}/reject': () => ({ by: 'b-user' }),
    'POST /v1/api-keys': () => ({ name: 'into A', tenantId: A.tenantId, scopes: ['admin'] }),
    'POST /v1/tenants': () => ({ name: 'iso-made-by-b' }),
    'POST /v1/inventory/allocations': () => ({
      idempotencyKey: a.allocationKey,
      orderId: 'b-order',
      lines: [{ sku: a.sku, quantity: 1 }],
    }),
    'POST /v1/maintenance/cleanup': () => ({ olderThan: 0 }),
    'POST /v1/action-templates': () => ({ name: 'iso template', actionType: 'delay', defaultConfig: {} }),
    'POST /v1/entities': () => ({ name: ENTITY, type: 'table' }),
    'POST /v1/webhooks': () => ({
      name: 'iso webhook',
      url: 'http://127.0.0.1:9/b-hook',
      events: ['b_things.on_create'],
    }),
    'POST /v1/ivr/menus': () => ({
      name: 'B borrows a menu',
      prompt: 'p',
      items: [{ digit: '1', label: 'x', action: 'submenu', target: a.ivrMenuId }],
      parentMenuId: a.ivrMenuId,
    }),
    'POST /v1/ivr/sessions': () => ({ menuId: a.ivrMenuId, callId: a.ivrCallId }),
    'POST /v1/ivr/lines': () => ({
      name: 'B borrows a menu for a line',
      menuId: a.ivrMenuId,
      provider: 'twilio',
      accountSid: 'AC0123456789abcdef0123456789abcdef',
      authToken: 'fedcba9876543210fedcba9876543210',
      phoneNumber: '+15550100300',
    }),
  };

  /**
   * Routes on A's ids whose right answer to B is not 404, and why. Everything else with a path
   * parameter must be 404.
   */
  const NOT_404: Record<string, { status: number; why: string; check?: (body: any) => void }> = {
    'GET /v1/inventory/items/{sku}': {
      status: 200,
      why: "skus are per tenant: B reads its own item of that sku, not A's (A has 100 on hand, 3 reserved)",
      check: (body) => expect(body).toMatchObject({ sku: a.sku, quantityReserved: 0, quantityOnHand: 7 }),
    },
    'GET /v1/inbox/{recipientId}': {
      status: 200,
      why: "a recipient id is the tenant's own name space: B sees its own (empty) inbox",
      check: (body) => expect(body.items).toEqual([]),
    },
    'PUT /v1/inventory/items/{sku}': {
      status: 200,
      why: "skus are per tenant: B sets its own item's stock",
      check: (body) =>
        expect(body).toEqual({ sku: a.sku, quantityOnHand: 5, quantityReserved: 0, quantityAvailable: 5 }),
    },
  };
  /** Routes not walked with B's key, and why (they must still be listed here to be skipped). */
  const EXEMPT: Record<string, string> = {
    'POST /v1/hooks/{token}': 'public: the token itself authenticates, an API key plays no part',
    'POST /v1/ivr/voice/{token}': "public: the line's token and Twilio's signature authenticate (ivr-telephony e2e)",
    'POST /v1/ivr/status/{token}': "public: the line's token and Twilio's signature authenticate (ivr-telephony e2e)",
  };

  /** The answer B must get from a route without path parameters (lists are checked apart). */
  const ROOT_ROUTES: Record<string, { status: number[]; check?: (body: any) => void }> = {
    'POST /v1/rules': { status: [400, 404] },
    'POST /v1/rules/reorder': { status: [404] },
    'POST /v1/events': { status: [202], check: (body) => expect(body.executions).toEqual([]) },
    'POST /v1/executions/rerun': {
      status: [202, 404],
      check: (body) => body.count !== undefined && expect(body.count).toBe(0),
    },
    'POST /v1/executions/cancel': { status: [202], check: (body) => expect(body.count).toBe(0) },
    'POST /v1/api-keys': { status: [403, 404] },
    // The contract: only the operator (admin of `default`) creates tenants.
    'POST /v1/tenants': { status: [403] },
    'POST /v1/inventory/allocations': {
      status: [201],
      check: (body) => expect(body).toMatchObject({ status: 'allocated', lines: [{ sku: a.sku, allocated: 1 }] }),
    },
    'POST /v1/maintenance/cleanup': { status: [200] },
    'POST /v1/action-templates': { status: [201] },
    'POST /v1/entities': { status: [201] },
    'POST /v1/webhooks': { status: [201] },
    // A's menu is no submenu target or parent for B.
    'POST /v1/ivr/menus': { status: [400] },
    // A's menu cannot start B's call (and A's call id is A's alone).
    'POST /v1/ivr/sessions': { status: [400] },
    // A's menu is no menu of B's lines.
    'POST /v1/ivr/lines': { status: [400] },
  };

  interface Route {
    method: (typeof METHODS)[number];
    path: string;
    key: string;
    params: string[];
    query: string[];
  }

  function routes(): Route[] {
    const out: Route[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const method of METHODS) {
        const op = ops[method];
        if (!op) continue;
        out.push({
          method,
          path,
          key: `${method.toUpperCase()} ${path}`,
          params: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
          query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        });
      }
    }
    return out;
  }

  function fill(route: Route): string {
    const [, , first = '', second = ''] = route.path.split('/');
    return route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const value = PARAMS[`${first}/${second}`]?.[name] ?? PARAMS[first]?.[name];
      if (!value) throw new Error(`no id of A for {${name}} in ${route.key}: add it to PARAMS`);
      return encodeURIComponent(value());
    });
  }

  /** B's request on a route, and what B sent (url and body). */
  async function send(route: Route, url: string, auth: Auth) {
    const req = sys.http[route.method](url).set(auth);
    const body = BODIES[route.key]?.();
    const res = await (body
      ? req.send(body)
      : route.method === 'get' || route.method === 'delete'
        ? req
        : req.send({}));
    return { res, sent: `${decodeURIComponent(url)} ${JSON.stringify(body ?? {})}` };
  }

  it('the OpenAPI document lists the API (sanity: the walk below is not empty)', () => {
    const keys = routes().map((r) => r.key);
    expect(keys.length).toBeGreaterThan(30);
    expect(keys).toEqual(expect.arrayContaining(['GET /v1/rules/{id}', 'DELETE /v1/api-keys/{id}']));
  });

  it("every route on one of A's ids answers B with 404 (never 200, 403 or 500) and leaks nothing", async () => {
    const failures: string[] = [];
    const walked: string[] = [];
    for (const route of routes().filter((r) => r.params.length > 0)) {
      if (EXEMPT[route.key]) continue;
      if (!route.path.startsWith('/v1/')) {
        failures.push(`${route.key}: a parameterised route outside /v1 — decide how it is isolated`);
        continue;
      }
      let url: string;
      try {
        url = fill(route);
      } catch (err) {
        failures.push((err as Error).message);
        continue;
      }
      const { res, sent } = await send(route, url, B.auth);
      walked.push(`${route.key} → ${res.status}`);
      const special = NOT_404[route.key];
      const expected = special?.status ?? 404;
      if (res.status !== expected) {
        failures.push(
          `${route.method.toUpperCase()} ${url}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`,
        );
        continue;
      }
      const leaked = leaks(res.body, sent);
      if (leaked.length) failures.push(`${route.key}: answer to B contains A's ${leaked.join(', ')}`);
      if (special?.check) {
        try {
          special.check(res.body);
        } catch (err) {
          failures.push(`${route.key}: ${(err as Error).message}`);
        }
      }
    }
    expect(failures).toEqual([]);
    expect(walked.length).toBeGreaterThan(20);
  });

  it("every list answers B without any of A's ids, also when filtered by A's ids", async () => {
    const FILTERS: Record<string, () => string> = {
      ruleId: () => a.ruleId,
      eventId: () => a.eventKey,
      entity: () => ENTITY,
      recipientId: () => a.recipientId,
      recipientType: () => 'user',
      resourceId: () => a.ruleId,
      tenantId: () => A.tenantId,
    };
    /** Lists only the operator (an admin key of `default`) may read, wholly or with this filter: 403 to B. */
    const operatorOnly = (url: string) => url.startsWith('/v1/tenants') || url.includes('tenantId=');
    const failures: string[] = [];
    let lists = 0;
    for (const route of routes().filter((r) => r.method === 'get' && r.params.length === 0)) {
      if (!route.path.startsWith('/v1/')) continue; // health, metrics and docs hold no tenant data
      const filters = route.query.filter((q) => FILTERS[q]);
      const urls = [
        route.path,
        ...filters.map((q) => `${route.path}?${q}=${encodeURIComponent(FILTERS[q]!())}`),
        ...(route.query.includes('limit') ? [`${route.path}?limit=200`] : []),
      ];
      for (const url of urls) {
        const res = await sys.http.get(url).set(B.auth);
        lists++;
        const expected = operatorOnly(url) ? 403 : 200;
        if (res.status !== expected)
          failures.push(`GET ${url}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body)}`);
        const leaked = leaks(res.body, decodeURIComponent(url));
        if (leaked.length) failures.push(`GET ${url}: answer to B contains A's ${leaked.join(', ')}`);
      }
    }
    expect(failures).toEqual([]);
    expect(lists).toBeGreaterThan(8);
    // And A's own key does see its data through the same lists (the check above can fail).
    const mine = await sys.http.get('/v1/executions').set(A.auth);
    expect(JSON.stringify(mine.body)).toContain(a.executionId);
  });

  it("every create/command route without an id: B's body naming A's things never reaches A's data", async () => {
    const failures: string[] = [];
    for (const route of routes().filter((r) => r.method !== 'get' && r.params.length === 0)) {
      if (!route.path.startsWith('/v1/')) continue;
      const expected = ROOT_ROUTES[route.key];
      if (!expected) {
        failures.push(`${route.key}: no cross-tenant case in ROOT_ROUTES — add one (a body naming A's ids)`);
        continue;
      }
      const { res, sent } = await send(route, route.path, B.auth);
      if (!expected.status.includes(res.status)) {
        failures.push(
          `${route.key}: expected ${expected.status.join('|')}, got ${res.status} ${JSON.stringify(res.body)}`,
        );
        continue;
      }
      const leaked = leaks(res.body, sent);
      if (leaked.length) failures.push(`${route.key}: answer to B contains A's ${leaked.join(', ')}`);
      try {
        expected.check?.(res.body);
      } catch (err) {
        failures.push(`${route.key}: ${(err as Error).message}`);
      }
    }
    // B's own rule may not depend on A's rule either way.
    const dep = await sys.http.post(`/v1/rules/${b.ruleId}/dependencies`).set(B.auth).send({ childRuleId: a.ruleId });
    if (dep.status !== 404) failures.push(`POST /v1/rules/<B>/dependencies {childRuleId:<A>}: ${dep.status}`);
    const undep = await sys.http.delete(`/v1/rules/${b.ruleId}/dependencies/${a.childRuleId}`).set(B.auth);
    if (undep.status !== 404) failures.push(`DELETE /v1/rules/<B>/dependencies/<A>: ${undep.status}`);
    const bulk = await sys.http.post('/v1/executions/rerun').set(B.auth).send({ status: 'failed' });
    if (bulk.status !== 202 || bulk.body.count !== 0) {
      failures.push(`POST /v1/executions/rerun {status:failed}: ${bulk.status} ${JSON.stringify(bulk.body)}`);
    }
    expect(failures).toEqual([]);
  });

  it("A's resources are exactly as they were, read with A's key", async () => {
    const after = await snapshot();
    for (const [label] of aReads()) {
      expect({ [label]: after.get(label) }).toEqual({ [label]: before.get(label) });
    }
    // Nothing B did started a run of A's rules.
    const runs = await sys.http.get('/v1/executions?limit=200').set(A.auth);
    expect(runs.body.items).toHaveLength(3);
    // B's answers were all about B: its own stock of the same sku is untouched by A's reservations.
    const bItem = await sys.http.get(`/v1/inventory/items/${a.sku}`).set(B.auth);
    expect(bItem.body).toMatchObject({ quantityOnHand: 5, quantityReserved: 1 });
  });
});
