import type { NotificationChannel, NotificationStore } from '@ruleflow/entities';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { EmailSender, SendResult } from './providers';
import { createEmailSender, postToProvider } from './providers';

export interface SendNotificationsInput {
  tenantId: string;
  executionId: string | null;
  ruleId: string | null;
  actionName: string | null;
  channel: NotificationChannel;
  /** Rendered recipients: email addresses, phone numbers, device or user ids. */
  to: unknown;
  subject?: string | null;
  body: string;
  data?: unknown;
  /** Derived from the workflow id and action name: the same on every attempt and replay. */
  idempotencyKey: string;
  /** To know when an attempt is the last one (0 or less: unlimited); defaults to the activity's retry policy. */
  maximumAttempts?: number;
}

export interface SendNotificationsOutput {
  deliveryIds: string[];
  attempts: number;
}

export interface NotificationProviders {
  smtpUrl?: string;
  smsUrl?: string;
  pushUrl?: string;
  emailFrom: string;
}

export interface NotificationActivityDeps {
  notifications: NotificationStore;
  providers: NotificationProviders;
  timeoutMs?: number;
}

/** Failure types a workflow or operator may see on a `send_notification` action. */
export const NOTIFICATION_FAILURE_TYPES = {
  notConfigured: 'NotificationProviderNotConfigured',
  invalidInput: 'NotificationInvalidInput',
  allFailed: 'NotificationFailed',
  retryable: 'NotificationRetryableError',
} as const;

const CHANNELS: ReadonlySet<string> = new Set(['email', 'sms', 'push', 'in_app']);
const MAX_RECIPIENTS = 100;

/** The `sendNotifications` activity: one delivery row per recipient, sent at most once each. */
export function createNotificationActivities(deps: NotificationActivityDeps) {
  const { providers } = deps;
  let email: EmailSender | undefined;

  async function sendNotifications(input: SendNotificationsInput): Promise<SendNotificationsOutput> {
    const ctx = Context.current();
    const attempt = ctx.info.attempt;
    const maximumAttempts = input.maximumAttempts ?? ctx.info.retryPolicy?.maximumAttempts ?? 0;
    const isLastAttempt = maximumAttempts > 0 && attempt >= maximumAttempts;
    const details = [{ attempt }];
    const fail = (type: string, message: string, nonRetryable: boolean) =>
      ApplicationFailure.create({ type, message, nonRetryable, details });

    const channel = input.channel;
    if (!CHANNELS.has(channel)) {
      throw fail(NOTIFICATION_FAILURE_TYPES.invalidInput, `unknown channel ${JSON.stringify(channel)}`, true);
    }
    const recipients = normaliseRecipients(input.to);
    if (typeof recipients === 'string') throw fail(NOTIFICATION_FAILURE_TYPES.invalidInput, recipients, true);
    if (typeof input.body !== 'string')
      throw fail(NOTIFICATION_FAILURE_TYPES.invalidInput, 'body must be a string', true);

    const missing = missingProvider(channel, providers);
    if (missing) {
      throw fail(
        NOTIFICATION_FAILURE_TYPES.notConfigured,
        `${channel} notifications are not configured: set ${missing}`,
        true,
      );
    }

    const rows = await deps.notifications.claim(
      recipients.map((recipientId) => ({
        tenantId: input.tenantId,
        executionId: input.executionId,
        ruleId: input.ruleId,
        actionName: input.actionName,
        channel,
        recipientId,
        subject: input.subject ?? null,
        body: input.body,
        data: input.data ?? null,
        idempotencyKey: input.idempotencyKey,
      })),
    );

    let sent = 0;
    const transient: string[] = [];
    const permanent: string[] = [];
    for (const row of rows) {
      // Sent, delivered or bounced earlier (a previous attempt, or a replay): never again.
      if (row.status === 'sent' || row.status === 'delivered' || row.status === 'bounced') {
        if (row.status !== 'bounced') sent++;
        else permanent.push(`${row.recipientId}: bounced`);
        continue;
      }
      if (row.status === 'failed') {
        permanent.push(`${row.recipientId}: failed earlier`);
        continue;
      }
      const result = await sendOne(channel, row.id, row.recipientId, input);
      ctx.heartbeat();
      if (result.ok) {
        sent++;
        await deps.notifications.recordAttempt(row.id, {
          status: 'sent',
          error: null,
          providerResponse: result.providerResponse,
        });
      } else {
        const final = result.permanent || isLastAttempt;
        (final ? permanent : transient).push(`${row.recipientId}: ${result.error}`);
        await deps.notifications.recordAttempt(row.id, {
          status: final ? 'failed' : 'retrying',
          error: result.error,
          providerResponse: result.providerResponse ?? null,
        });
      }
    }

    if (transient.length > 0) {
      // Retried by Temporal under the action's policy; recipients already sent are skipped next time.
      throw fail(
        NOTIFICATION_FAILURE_TYPES.retryable,
        `${transient.length} of ${rows.length} ${channel} notification(s) failed for now: ${summary(transient)}`,
        false,
      );
    }
    if (sent === 0 && permanent.length > 0) {
      throw fail(
        NOTIFICATION_FAILURE_TYPES.allFailed,
        `every ${channel} notification failed: ${summary(permanent)}`,
        true,
      );
    }
    return { deliveryIds: rows.map((r) => r.id), attempts: attempt };
  }

  function sendOne(
    channel: NotificationChannel,
    id: string,
    recipientId: string,
    input: SendNotificationsInput,
  ): Promise<SendResult> {
    switch (channel) {
      case 'in_app':
        // Stored is delivered to the inbox: the row itself is the message.
        return Promise.resolve({ ok: true, providerResponse: null });
      case 'email':
        email ??= createEmailSender(providers.smtpUrl as string, deps.timeoutMs);
        return email.send({
          from: providers.emailFrom,
          to: recipientId,
          subject: input.subject ?? '',
          text: input.body,
          messageId: `<${id}@ruleflow>`,
        });
      case 'sms':
      case 'push': {
        const url = (channel === 'sms' ? providers.smsUrl : providers.pushUrl) as string;
        const payload: Record<string, unknown> = { id, channel, to: recipientId, body: input.body };
        if (input.subject) payload.subject = input.subject;
        if (input.data !== undefined && input.data !== null) payload.data = input.data;
        return postToProvider(url, payload, { 'Idempotency-Key': id }, deps.timeoutMs);
      }
    }
  }

  return { sendNotifications };
}

export type NotificationActivities = ReturnType<typeof createNotificationActivities>;

function missingProvider(channel: string, p: NotificationProviders): string | null {
  if (channel === 'email' && !p.smtpUrl) return 'SMTP_URL';
  if (channel === 'sms' && !p.smsUrl) return 'NOTIFY_SMS_URL';
  if (channel === 'push' && !p.pushUrl) return 'NOTIFY_PUSH_URL';
  return null;
}

/** Rendered `to` as unique, trimmed strings; a string answer is what is wrong with it. */
function normaliseRecipients(to: unknown): string[] | string {
  const list = typeof to === 'string' ? [to] : to;
  if (!Array.isArray(list)) return '"to" must be an array of recipients';
  const out: string[] = [];
  for (const item of list) {
    if (typeof item !== 'string' && typeof item !== 'number') return '"to" must hold only strings';
    const value = String(item).trim();
    if (value === '') return '"to" must not hold empty recipients';
    if (!out.includes(value)) out.push(value);
  }
  if (out.length === 0) return '"to" must not be empty';
  if (out.length > MAX_RECIPIENTS) return `"to" holds more than ${MAX_RECIPIENTS} recipients`;
  return out;
}

function summary(items: string[]): string {
  const shown = items.slice(0, 3).join('; ');
  return items.length > 3 ? `${shown}; …` : shown;
}
