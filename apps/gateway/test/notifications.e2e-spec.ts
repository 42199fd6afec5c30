import type { SmtpCapture } from '@ruleflow/testing';
import { startSmtpCapture } from '@ruleflow/testing';
import { createHash, randomBytes } from 'node:crypto';
import type { TestSystem } from './test-system';
import { eventually, startTestSystem } from './test-system';

interface NotificationBody {
  id: string;
  executionId: string;
  ruleId: string;
  channel: string;
  recipientId: string;
  status: string;
  attempts: number;
  sentAt: string | null;
  deliveredAt: string | null;
  failedAt: string | null;
  error: string | null;
  providerResponse: unknown;
  createdAt: string;
  readAt: string | null;
  subject: string | null;
  body: string;
}

/** A tenant of its own with a key of these scopes (there is no tenants endpoint yet). */
async function tenantWithKey(sys: TestSystem, scopes: string[]) {
  const [tenant] = (await sys.db.query(`INSERT INTO tenants (name) VALUES ($1) RETURNING id`, [
    `t-${randomBytes(4).toString('hex')}`,
  ])) as Array<{ id: string }>;
  const key = `rf_test_${randomBytes(16).toString('hex')}`;
  await sys.db.query(
    `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes, enabled) VALUES ($1, 'test', $2, $3, $4, true)`,
    [tenant!.id, key.slice(0, 10), createHash('sha256').update(key).digest('hex'), scopes],
  );
  return { tenantId: tenant!.id, auth: { Authorization: `Bearer ${key}` } };
}

describe('send_notification (end to end)', () => {
  let sys: TestSystem;
  let smtp: SmtpCapture;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    sys = await startTestSystem({ env: { SMTP_URL: smtp.url, NOTIFY_EMAIL_FROM: 'shop@ruleflow.test' } });
  });
  afterAll(async () => {
    await sys?.close();
    await smtp?.close();
  });

  async function waitForExecution(id: string) {
    return eventually(async () => {
      const res = await sys.http.get(`/v1/executions/${id}`).set(sys.auth);
      return ['success', 'failed', 'partial', 'cancelled'].includes(res.body.status) ? res.body : undefined;
    });
  }

  it('validates the action config at rule save', async () => {
    const base = { name: 'bad', entity: 'orders_n', trigger: { type: 'on_create' } };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ channel: 'fax', to: ['x'], body: 'b' }, 'channel'],
      [{ channel: 'email', to: [], body: 'b' }, 'to'],
      [{ channel: 'email', to: 'someone', body: 'b' }, 'to'],
      [{ channel: 'email', to: [1], body: 'b' }, 'to[0]'],
      [{ channel: 'email', to: ['x'] }, 'body'],
      [{ channel: 'email', to: ['x'], body: 'b', subject: 3 }, 'subject'],
      [{ channel: 'sms', to: ['x'], body: 'b', data: [1] }, 'data'],
      [{ channel: 'sms', to: Array.from({ length: 101 }, (_, i) => `u${i}`), body: 'b' }, 'to'],
    ];
    for (const [config, field] of cases) {
      const res = await sys.http
        .post('/v1/rules')
        .set(sys.auth)
        .send({ ...base, actions: [{ name: 'n', type: 'send_notification', config }] });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(`actions[0].config.${field}`);
    }
  });

  it('runs email + in_app notifications from an event, then lists, receipts and the inbox', async () => {
    const entity = 'orders_notify';
    const rule = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: 'Tell the customer',
        entity,
        trigger: { type: 'on_update' },
        conditions: { all: [{ field: 'status', operator: 'changed_to', value: 'shipped' }] },
        actions: [
          {
            name: 'mail',
            type: 'send_notification',
            config: {
              channel: 'email',
              to: ['{{data.customer.email}}'],
              subject: 'Order {{data.id}} shipped',
              body: 'Hello {{data.customer.name}}, order {{data.id}} is on its way.',
            },
          },
          {
            name: 'bell',
            type: 'send_notification',
            config: {
              channel: 'in_app',
              to: ['{{data.customer.userId}}', 'ops-team'],
              subject: 'Shipped',
              body: 'Order {{data.id}} shipped',
              data: { orderId: '{{data.id}}' },
            },
          },
        ],
      });
    expect(rule.status).toBe(201);

    const ev = await sys.http
      .post('/v1/events')
      .set(sys.auth)
      .send({
        id: 'evt-notify-1',
        entity,
        type: 'on_update',
        data: { id: 77, status: 'shipped', customer: { email: 'ann@example.com', name: 'Ann', userId: 'user-ann' } },
        previous: { id: 77, status: 'packed' },
      });
    expect(ev.status).toBe(202);
    const { executionId } = ev.body.executions[0];

    const execution = await waitForExecution(executionId);
    expect(execution.status).toBe('success');
    const mailOut = execution.actions.find((a: { name: string }) => a.name === 'mail').output;
    const bellOut = execution.actions.find((a: { name: string }) => a.name === 'bell').output;
    expect(mailOut.deliveryIds).toHaveLength(1);
    expect(bellOut.deliveryIds).toHaveLength(2);

    const mails = await smtp.waitFor(1);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.from).toBe('shop@ruleflow.test');
    expect(mails[0]?.to).toEqual(['ann@example.com']);
    expect(mails[0]?.raw).toContain('Subject: Order 77 shipped');
    expect(mails[0]?.raw).toContain('Hello Ann, order 77 is on its way.');

    // Listing, with filters.
    const all = await sys.http.get('/v1/notifications').set(sys.auth);
    expect(all.status).toBe(200);
    expect(all.body.nextCursor).toBeNull();
    const items = all.body.items as NotificationBody[];
    expect(items).toHaveLength(3);
    const email = items.find((n) => n.channel === 'email')!;
    expect(email).toMatchObject({
      id: mailOut.deliveryIds[0],
      executionId,
      ruleId: rule.body.id,
      recipientId: 'ann@example.com',
      status: 'sent',
      attempts: 1,
      deliveredAt: null,
      failedAt: null,
      error: null,
    });
    expect(email.sentAt).toEqual(expect.any(String));
    expect(email.createdAt).toEqual(expect.any(String));
    const inApp = await sys.http.get('/v1/notifications?channel=in_app&recipientId=user-ann').set(sys.auth);
    expect((inApp.body.items as NotificationBody[]).map((n) => n.recipientId)).toEqual(['user-ann']);
    const page = await sys.http.get('/v1/notifications?limit=2').set(sys.auth);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.nextCursor).toEqual(expect.any(String));
    const rest = await sys.http.get(`/v1/notifications?limit=2&cursor=${page.body.nextCursor}`).set(sys.auth);
    expect(rest.body.items).toHaveLength(1);
    expect((await sys.http.get('/v1/notifications?status=nope').set(sys.auth)).status).toBe(400);

    // Receipts move forward only.
    const delivered = await sys.http
      .post(`/v1/notifications/${email.id}/receipts`)
      .set(sys.auth)
      .send({ status: 'delivered', providerResponse: { smtpId: 'abc' } });
    expect(delivered.status).toBe(200);
    expect(delivered.body.status).toBe('delivered');
    expect(delivered.body.deliveredAt).toEqual(expect.any(String));
    const late = await sys.http
      .post(`/v1/notifications/${email.id}/receipts`)
      .set(sys.auth)
      .send({ status: 'bounced' });
    expect(late.status).toBe(200);
    expect(late.body.status).toBe('delivered');
    const filtered = await sys.http.get('/v1/notifications?status=delivered').set(sys.auth);
    expect((filtered.body.items as NotificationBody[]).map((n) => n.id)).toEqual([email.id]);
    expect(filtered.body.items[0].providerResponse).toEqual({ smtpId: 'abc' });
    expect(
      (await sys.http.post(`/v1/notifications/${email.id}/receipts`).set(sys.auth).send({ status: 'sent' })).status,
    ).toBe(400);

    const ops = items.find((n) => n.recipientId === 'ops-team')!;
    const bounced = await sys.http
      .post(`/v1/notifications/${ops.id}/receipts`)
      .set(sys.auth)
      .send({ status: 'bounced' });
    expect(bounced.body.status).toBe('bounced');
    const afterBounce = await sys.http
      .post(`/v1/notifications/${ops.id}/receipts`)
      .set(sys.auth)
      .send({ status: 'delivered' });
    expect(afterBounce.status).toBe(200);
    expect(afterBounce.body.status).toBe('bounced');

    // The inbox.
    const inbox = await sys.http.get('/v1/inbox/user-ann?unread=true').set(sys.auth);
    expect(inbox.status).toBe(200);
    expect(inbox.body.items).toHaveLength(1);
    const note = inbox.body.items[0] as NotificationBody;
    expect(note).toMatchObject({
      channel: 'in_app',
      status: 'sent',
      subject: 'Shipped',
      body: 'Order 77 shipped',
      readAt: null,
    });
    const read = await sys.http.post(`/v1/inbox/user-ann/${note.id}/read`).set(sys.auth);
    expect(read.status).toBe(200);
    expect(read.body.readAt).toEqual(expect.any(String));
    expect((await sys.http.get('/v1/inbox/user-ann?unread=true').set(sys.auth)).body.items).toHaveLength(0);
    expect((await sys.http.get('/v1/inbox/user-ann').set(sys.auth)).body.items).toHaveLength(1);
    // Another recipient's inbox, or an email delivery, is not this inbox.
    expect((await sys.http.post(`/v1/inbox/ops-team/${note.id}/read`).set(sys.auth)).status).toBe(404);
    expect((await sys.http.post(`/v1/inbox/ann@example.com/${email.id}/read`).set(sys.auth)).status).toBe(404);

    // Another tenant sees none of it.
    const other = (await tenantWithKey(sys, ['notifications:read', 'notifications:write'])).auth;
    expect((await sys.http.get('/v1/notifications').set(other)).body.items).toHaveLength(0);
    expect((await sys.http.get('/v1/inbox/user-ann').set(other)).body.items).toHaveLength(0);
    expect(
      (await sys.http.post(`/v1/notifications/${email.id}/receipts`).set(other).send({ status: 'failed' })).status,
    ).toBe(404);
    expect((await sys.http.post(`/v1/inbox/user-ann/${note.id}/read`).set(other)).status).toBe(404);
    // Scopes.
    const ro = (await tenantWithKey(sys, ['notifications:read'])).auth;
    expect((await sys.http.get('/v1/notifications').set(ro)).status).toBe(200);
    expect(
      (await sys.http.post(`/v1/notifications/${email.id}/receipts`).set(ro).send({ status: 'failed' })).status,
    ).toBe(403);
  });

  it('fails the action without retrying when the channel has no provider configured', async () => {
    const rule = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: 'sms without provider',
        entity: 'orders_sms',
        trigger: { type: 'manual' },
        actions: [{ name: 'text', type: 'send_notification', config: { channel: 'sms', to: ['+1555'], body: 'hi' } }],
      });
    expect(rule.status).toBe(201);
    const run = await sys.http.post(`/v1/rules/${rule.body.id}/run`).set(sys.auth).send({ data: {} });
    expect(run.status).toBe(202);
    const execution = await waitForExecution(run.body.executionId);
    expect(execution.status).toBe('failed');
    expect(execution.errorAction).toBe('text');
    expect(execution.error).toContain('NOTIFY_SMS_URL');
    expect(execution.actions[0].attempts).toBe(1);
  });
});
