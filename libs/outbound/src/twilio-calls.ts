import type { WebhookResponse } from './http-client';
import { sendWebhookRequest, WebhookNetworkError } from './http-client';

/** What asking Twilio to dial came to. */
export type TwilioCallResult =
  | { kind: 'placed'; callSid: string }
  /** Twilio certainly did not dial (connection refused, 429): asking again is safe. */
  | { kind: 'refused'; message: string }
  /** Twilio refused for good (4xx), or it is unknown whether it dialled: never ask again. */
  | { kind: 'failed'; message: string };

export interface TwilioCallRequest {
  apiUrl: string;
  accountSid: string;
  authToken: string;
  to: string;
  from: string;
  url: string;
  statusCallback: string;
  allowPrivateNetworks: boolean;
  timeoutMs?: number;
}

const CALL_SID = /^CA[0-9a-fA-F]{32}$/;

function basicAuth(accountSid: string, authToken: string): string {
  return `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
}

/** Twilio's error message from a JSON error body, bounded; never the request (it carries the auth). */
function twilioMessage(res: WebhookResponse): string {
  try {
    const body = JSON.parse(res.body) as { message?: unknown; code?: unknown };
    if (typeof body.message === 'string') return `Twilio ${res.statusCode}: ${body.message.slice(0, 300)}`;
  } catch {
    // not JSON
  }
  return `Twilio answered ${res.statusCode}`;
}

/**
 * Asks Twilio to place a call (`POST <api>/2010-04-01/Accounts/<sid>/Calls.json`, basic auth), through
 * the SSRF-guarded HTTP client. Only a request Twilio certainly did not take is `refused`.
 */
export async function placeTwilioCall(req: TwilioCallRequest): Promise<TwilioCallResult> {
  const body = new URLSearchParams({
    To: req.to,
    From: req.from,
    Url: req.url,
    Method: 'POST',
    StatusCallback: req.statusCallback,
    StatusCallbackMethod: 'POST',
  }).toString();
  let res: WebhookResponse;
  try {
    res = await sendWebhookRequest({
      url: `${req.apiUrl}/2010-04-01/Accounts/${encodeURIComponent(req.accountSid)}/Calls.json`,
      method: 'POST',
      headers: {
        Authorization: basicAuth(req.accountSid, req.authToken),
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body,
      timeoutMs: req.timeoutMs ?? 15_000,
      allowPrivateNetworks: req.allowPrivateNetworks,
    });
  } catch (err) {
    if (err instanceof WebhookNetworkError) {
      // Refused before any byte was sent: nothing was dialled. Any other failure may have reached Twilio.
      if (err.code === 'ECONNREFUSED') return { kind: 'refused', message: `Twilio unreachable (${err.code})` };
      return { kind: 'failed', message: `Twilio call request failed (${err.code}); not asked again` };
    }
    throw err;
  }
  if (res.statusCode === 429) return { kind: 'refused', message: twilioMessage(res) };
  if (res.statusCode !== 200 && res.statusCode !== 201) return { kind: 'failed', message: twilioMessage(res) };
  let sid: unknown;
  try {
    sid = (JSON.parse(res.body) as { sid?: unknown }).sid;
  } catch {
    sid = undefined;
  }
  if (typeof sid !== 'string' || !CALL_SID.test(sid)) {
    return { kind: 'failed', message: 'Twilio accepted the call but answered no call sid' };
  }
  return { kind: 'placed', callSid: sid };
}

/** Ends a call (`POST …/Calls/<CallSid>.json` with `Status=completed`); Twilio then reports it completed. */
export async function endTwilioCall(
  req: Pick<TwilioCallRequest, 'apiUrl' | 'accountSid' | 'authToken' | 'allowPrivateNetworks' | 'timeoutMs'> & {
    callSid: string;
  },
): Promise<{ ok: boolean; message: string }> {
  const res = await sendWebhookRequest({
    url: `${req.apiUrl}/2010-04-01/Accounts/${encodeURIComponent(req.accountSid)}/Calls/${encodeURIComponent(req.callSid)}.json`,
    method: 'POST',
    headers: {
      Authorization: basicAuth(req.accountSid, req.authToken),
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
    },
    body: 'Status=completed',
    timeoutMs: req.timeoutMs ?? 15_000,
    allowPrivateNetworks: req.allowPrivateNetworks,
  });
  const ok = res.statusCode >= 200 && res.statusCode < 300;
  return { ok, message: ok ? 'ended' : twilioMessage(res) };
}
