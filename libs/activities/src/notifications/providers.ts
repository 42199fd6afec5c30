import type { Transporter } from 'nodemailer';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { sendWebhookRequest, WebhookNetworkError } from '@ruleflow/outbound';

/** One provider call's outcome for one recipient. */
export type SendResult =
  | { ok: true; providerResponse: unknown }
  | { ok: false; permanent: boolean; error: string; providerResponse?: unknown };

export interface EmailMessage {
  from: string;
  to: string;
  subject: string;
  text: string;
  /** Lets receivers drop duplicates should an SMTP answer be lost after the message was accepted. */
  messageId: string;
}

/** Timeout of one provider call (HTTP exchange; each SMTP phase). */
export const NOTIFY_TIMEOUT_MS = 10_000;

/** Sends one email over SMTP; 5xx SMTP replies are permanent, everything else is worth a retry. */
export function createEmailSender(smtpUrl: string, timeoutMs = NOTIFY_TIMEOUT_MS) {
  let transport: Transporter | undefined;
  const get = () => (transport ??= nodemailer.createTransport(smtpOptions(smtpUrl, timeoutMs)));
  return {
    async send(message: EmailMessage): Promise<SendResult> {
      try {
        const info = (await get().sendMail(message)) as { messageId?: string; response?: string; accepted?: unknown };
        return { ok: true, providerResponse: { messageId: info.messageId, response: info.response } };
      } catch (err) {
        const code = (err as { responseCode?: unknown }).responseCode;
        const text = err instanceof Error ? err.message : String(err);
        const permanent = typeof code === 'number' && code >= 500 && code < 600;
        return {
          ok: false,
          permanent,
          error: `SMTP: ${text}`,
          providerResponse: code ? { responseCode: code } : undefined,
        };
      }
    },
    close() {
      transport?.close();
    },
  };
}

export type EmailSender = ReturnType<typeof createEmailSender>;

/**
 * The SMTP URL as transport options (nodemailer parses it, query options such as `?ignoreTLS=true` included),
 * with our timeouts: a URL alone would wait minutes on a dead server.
 */
function smtpOptions(smtpUrl: string, timeoutMs: number): SMTPTransport.Options {
  return { url: smtpUrl, connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs };
}

/**
 * POSTs one message as JSON to an operator-configured provider URL (trusted, so private addresses are
 * allowed). 2xx is sent; 408, 429, 5xx and network errors are retryable; other statuses fail the recipient.
 */
export async function postToProvider(
  url: string,
  payload: Record<string, unknown>,
  headers: Record<string, string>,
  timeoutMs = NOTIFY_TIMEOUT_MS,
): Promise<SendResult> {
  try {
    const res = await sendWebhookRequest({
      url,
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(payload),
      timeoutMs,
      allowPrivateNetworks: true,
    });
    const body = parseJson(res.body.slice(0, 4096));
    const providerResponse = { statusCode: res.statusCode, body };
    if (res.statusCode >= 200 && res.statusCode < 300) return { ok: true, providerResponse };
    const transient = res.statusCode === 408 || res.statusCode === 429 || res.statusCode >= 500;
    return { ok: false, permanent: !transient, error: `provider answered ${res.statusCode}`, providerResponse };
  } catch (err) {
    if (err instanceof WebhookNetworkError) return { ok: false, permanent: err.permanent, error: err.message };
    return { ok: false, permanent: false, error: err instanceof Error ? err.message : String(err) };
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
