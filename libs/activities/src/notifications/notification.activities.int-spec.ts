import type { HttpReceiver, SmtpCapture } from '@ruleflow/testing';
import { insertTenants, openTestDataSource, startHttpReceiver, startSmtpCapture } from '@ruleflow/testing';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { NotificationProviders, SendNotificationsInput, SendNotificationsOutput } from './notification.activities';
import { createNotificationActivities } from './notification.activities';
import { NotificationRepository } from '@ruleflow/entities';

interface Row {
  id: string;
  recipient_id: string;
  status: string;
  attempts: number;
  error: string | null;
  provider_response: unknown;
  sent_at: Date | null;
  failed_at: Date | null;
}

describe('sendNotifications against real SMTP/HTTP providers and PostgreSQL', () => {
  let close: () => Promise<void>;
  let db: DataSource;
  let tenantId: string;
  let smtp: SmtpCapture;
  let receiver: HttpReceiver;

  beforeAll(async () => {
    const opened = await openTestDataSource('notifications-int');
    db = opened.db;
    close = opened.close;
    [tenantId] = (await insertTenants(db, 1)) as [string];
    smtp = await startSmtpCapture();
    receiver = await startHttpReceiver();
  });
  afterAll(async () => {
    await smtp?.close();
    await receiver?.close();
    await close?.();
  });
  beforeEach(() => {
    smtp.messages.length = 0;
    receiver.requests.length = 0;
    receiver.setHandler(() => ({ status: 202, body: JSON.stringify({ queued: true }) }));
  });

  function activities(providers: Partial<NotificationProviders> = {}) {
    return createNotificationActivities({
      notifications: new NotificationRepository(db),
      providers: {
        smtpUrl: smtp.url,
        smsUrl: `${receiver.url}/sms`,
        pushUrl: `${receiver.url}/push`,
        emailFrom: 'alerts@ruleflow.test',
        ...providers,
      },
      timeoutMs: 5000,
    });
  }

  function input(overrides: Partial<SendNotificationsInput>): SendNotificationsInput {
    return {
      tenantId,
      executionId: null,
      ruleId: null,
      actionName: 'notify',
      channel: 'email',
      to: ['a@example.com'],
      subject: 'Hello',
      body: 'Body text',
      data: null,
      idempotencyKey: `wf-${randomUUID()}:notify`,
      ...overrides,
    };
  }

  const run = (attempt: number, i: SendNotificationsInput, acts = activities()): Promise<SendNotificationsOutput> =>
    new MockActivityEnvironment({ attempt }, { logger: new DefaultLogger('ERROR') }).run(acts.sendNotifications, i);

  async function rows(key: string): Promise<Row[]> {
    return db.query(`SELECT * FROM notifications WHERE idempotency_key = $1 ORDER BY recipient_id`, [key]);
  }

  it('emails every recipient once over SMTP and records one sent row each', async () => {
    const i = input({ to: ['a@example.com', 'b@example.com', 'a@example.com'], subject: 'Order 42', body: 'Shipped!' });
    const out = await run(1, i);
    expect(out.deliveryIds).toHaveLength(2);
    const mails = await smtp.waitFor(2);
    expect(mails.map((m) => m.to).sort()).toEqual([['a@example.com'], ['b@example.com']]);
    expect(mails[0]?.from).toBe('alerts@ruleflow.test');
    expect(mails[0]?.raw).toContain('Subject: Order 42');
    expect(mails[0]?.raw).toContain('Shipped!');
    const stored = await rows(i.idempotencyKey);
    expect(stored.map((r) => [r.recipient_id, r.status, r.attempts])).toEqual([
      ['a@example.com', 'sent', 1],
      ['b@example.com', 'sent', 1],
    ]);
    expect(stored.every((r) => r.sent_at instanceof Date)).toBe(true);
    expect(out.deliveryIds.sort()).toEqual(stored.map((r) => r.id).sort());

    // The same call again (a retry or a replayed workflow): same ids, nothing sent twice.
    const again = await run(2, i);
    expect(again.deliveryIds.sort()).toEqual(out.deliveryIds.sort());
    await new Promise((r) => setTimeout(r, 200));
    expect(smtp.messages).toHaveLength(2);
  });

  it('a transient SMTP refusal is retryable and only the missing recipient is sent on retry', async () => {
    smtp.rejectRecipient('later@example.com', 451);
    const i = input({ to: ['ok@example.com', 'later@example.com'], maximumAttempts: 5 });
    const err = await run(1, i).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(false);
    expect((err as ApplicationFailure).message).toContain('later@example.com');
    expect(smtp.messages.map((m) => m.to)).toEqual([['ok@example.com']]);
    let stored = await rows(i.idempotencyKey);
    expect(stored.map((r) => [r.recipient_id, r.status])).toEqual([
      ['later@example.com', 'retrying'],
      ['ok@example.com', 'sent'],
    ]);

    smtp.rejectRecipient('later@example.com', 0);
    const out = await run(2, i);
    expect(out.deliveryIds).toHaveLength(2);
    expect(smtp.messages.map((m) => m.to)).toEqual([['ok@example.com'], ['later@example.com']]);
    stored = await rows(i.idempotencyKey);
    expect(stored.map((r) => [r.recipient_id, r.status, r.attempts])).toEqual([
      ['later@example.com', 'sent', 2],
      ['ok@example.com', 'sent', 1],
    ]);
  });

  it('a permanent SMTP refusal fails that recipient; all failed → non-retryable', async () => {
    smtp.rejectRecipient('gone@example.com', 550);
    const partly = input({ to: ['fine@example.com', 'gone@example.com'] });
    await run(1, partly);
    expect((await rows(partly.idempotencyKey)).map((r) => [r.recipient_id, r.status])).toEqual([
      ['fine@example.com', 'sent'],
      ['gone@example.com', 'failed'],
    ]);

    const all = input({ to: ['gone@example.com'] });
    const err = await run(1, all).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).nonRetryable).toBe(true);
    expect((err as ApplicationFailure).type).toBe('NotificationFailed');
    const [row] = await rows(all.idempotencyKey);
    expect(row?.status).toBe('failed');
    expect(row?.error).toMatch(/SMTP/);
    expect(row?.failed_at).toBeInstanceOf(Date);
  });

  it('posts sms and push as JSON; 4xx fails the recipient, 5xx is retried', async () => {
    const sms = input({ channel: 'sms', to: ['+15550001'], subject: null, body: 'Code 1234', data: { k: 1 } });
    const out = await run(1, sms);
    expect(out.deliveryIds).toHaveLength(1);
    expect(receiver.requests).toHaveLength(1);
    const req = receiver.requests[0]!;
    expect(req.path).toBe('/sms');
    expect(req.headers['content-type']).toBe('application/json');
    expect(JSON.parse(req.body)).toEqual({
      id: out.deliveryIds[0],
      channel: 'sms',
      to: '+15550001',
      body: 'Code 1234',
      data: { k: 1 },
    });
    const [smsRow] = await rows(sms.idempotencyKey);
    expect(smsRow?.status).toBe('sent');
    expect(smsRow?.provider_response).toEqual({ statusCode: 202, body: { queued: true } });

    receiver.setHandler((req) =>
      req.url === '/push' && receiver.requests.length === 2 ? { status: 503 } : { status: 400, body: 'bad device' },
    );
    const push = input({ channel: 'push', to: ['device-1'], maximumAttempts: 3 });
    const err = await run(1, push).catch((e: unknown) => e);
    expect((err as ApplicationFailure).nonRetryable).toBe(false);
    expect((await rows(push.idempotencyKey))[0]?.status).toBe('retrying');
    const err2 = await run(2, push).catch((e: unknown) => e);
    expect((err2 as ApplicationFailure).nonRetryable).toBe(true);
    const [pushRow] = await rows(push.idempotencyKey);
    expect(pushRow?.status).toBe('failed');
    expect(pushRow?.attempts).toBe(2);
    expect(pushRow?.error).toContain('400');
  });

  it('stores in_app notifications as sent without any provider', async () => {
    const i = input({ channel: 'in_app', to: ['user-1', 'user-2'], subject: 'Hi', data: { orderId: 7 } });
    const out = await run(1, i, activities({ smtpUrl: undefined, smsUrl: undefined, pushUrl: undefined }));
    expect(out.deliveryIds).toHaveLength(2);
    const stored = await rows(i.idempotencyKey);
    expect(stored.map((r) => [r.recipient_id, r.status])).toEqual([
      ['user-1', 'sent'],
      ['user-2', 'sent'],
    ]);
  });

  it('an unconfigured provider is a non-retryable failure naming the variable, and writes nothing', async () => {
    for (const [channel, variable] of [
      ['email', 'SMTP_URL'],
      ['sms', 'NOTIFY_SMS_URL'],
      ['push', 'NOTIFY_PUSH_URL'],
    ] as const) {
      const i = input({ channel });
      const err = await run(1, i, activities({ smtpUrl: undefined, smsUrl: undefined, pushUrl: undefined })).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect((err as ApplicationFailure).nonRetryable).toBe(true);
      expect((err as ApplicationFailure).message).toContain(variable);
      expect(await rows(i.idempotencyKey)).toHaveLength(0);
    }
  });
});
