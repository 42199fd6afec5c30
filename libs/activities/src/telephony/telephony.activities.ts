import type { IvrCallStore, IvrLineLookup } from '@ruleflow/entities';
import { endTwilioCall, placeTwilioCall } from '@ruleflow/outbound';
import type { LineTokenKeys } from '@ruleflow/rules/node/line-token';
import { lineTokenFor, lineUrls } from '@ruleflow/rules/node/line-token';
import { IVR_CALL_NUMBER } from '@ruleflow/rules';
import { ApplicationFailure } from '@temporalio/common';
import type { SecretOpener } from '../webhook-action/webhook.activities';

export interface TelephonyDeps {
  lines: IvrLineLookup;
  calls: IvrCallStore;
  secrets?: SecretOpener;
  keys: LineTokenKeys;
  publicUrl: string;
  twilioApiUrl: string;
  allowPrivateNetworks: boolean;
}

export interface PlaceCallInput {
  tenantId: string;
  executionId: string;
  /** The rule run that waits for the call's session (`?run=` of the voice URL). */
  workflowId: string;
  idempotencyKey: string;
  lineId: string;
  to: string;
  /** A menu of the tenant to run instead of the line's (`&menu=` of the voice URL). */
  menuId?: string | null;
}

export interface EndCallInput {
  tenantId: string;
  lineId: string;
  callId: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function fail(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, nonRetryable: true, message });
}

/**
 * The `ivr_call` action's side effects: asking the line's provider (Twilio) to dial, at most once per
 * action (the reservation in `ivr_calls` is written before the request and completed with the CallSid),
 * and ending the call when the run is cancelled.
 */
export function createTelephonyActivities(deps: { telephony?: TelephonyDeps }) {
  const need = (): TelephonyDeps => {
    if (!deps.telephony) throw fail('TelephonyNotConfigured', 'this worker has no telephony configured');
    return deps.telephony;
  };

  async function openLine(t: TelephonyDeps, tenantId: string, lineId: string) {
    if (!UUID.test(lineId)) throw fail('InvalidIvrCall', 'lineId: must be the id of a phone line');
    const line = await t.lines.findLine(tenantId, lineId);
    if (!line) throw fail('IvrLineNotFound', `phone line ${lineId} not found`);
    let authToken: string;
    try {
      authToken = t.secrets ? t.secrets.decrypt(line.authToken) : line.authToken;
    } catch {
      throw fail('IvrLineSecret', `the auth token of phone line ${lineId} cannot be opened`);
    }
    return { line, authToken };
  }

  return {
    /** Dials `to` from the line; returns the provider's call id. Only a refused request is retried. */
    async placeCall(input: PlaceCallInput): Promise<{ callId: string }> {
      const t = need();
      // Rendered from templates: checked again here.
      if (!IVR_CALL_NUMBER.test(input.to)) {
        throw fail('InvalidIvrCall', 'to: must be an E.164 number (+ and up to 15 digits)');
      }
      if (input.menuId && !UUID.test(input.menuId)) throw fail('InvalidIvrCall', 'menuId: must be the id of a menu');
      const { line, authToken } = await openLine(t, input.tenantId, input.lineId);
      const token = lineTokenFor(t.keys, line.id, line.tokenHash);
      if (!token) throw fail('IvrLineToken', `the URL token of phone line ${line.id} cannot be derived`);
      const reservation = await t.calls.reserve(input.tenantId, {
        executionId: input.executionId,
        idempotencyKey: input.idempotencyKey,
        lineId: line.id,
        to: input.to,
      });
      if (!reservation.fresh) {
        if (reservation.callSid) return { callId: reservation.callSid };
        throw fail('IvrCallUncertain', 'an earlier attempt may have placed this call; it is not placed again');
      }
      const urls = lineUrls(t.publicUrl, token);
      const result = await placeTwilioCall({
        apiUrl: t.twilioApiUrl,
        accountSid: line.accountSid,
        authToken,
        to: input.to,
        from: line.phoneNumber,
        url: voiceUrlFor(urls.voiceUrl, input),
        statusCallback: urls.statusCallbackUrl,
        allowPrivateNetworks: t.allowPrivateNetworks,
      });
      if (result.kind === 'placed') {
        await t.calls.recordCallSid(input.tenantId, input.idempotencyKey, result.callSid);
        return { callId: result.callSid };
      }
      if (result.kind === 'refused') {
        await t.calls.release(input.tenantId, input.idempotencyKey);
        throw ApplicationFailure.create({ type: 'IvrCallRefused', message: result.message });
      }
      throw fail('IvrCallFailed', result.message);
    },

    /** Ends the call at the provider (the run was cancelled); its status callback then hangs the session up. */
    async endCall(input: EndCallInput): Promise<{ ended: boolean }> {
      const t = need();
      const { line, authToken } = await openLine(t, input.tenantId, input.lineId);
      const res = await endTwilioCall({
        apiUrl: t.twilioApiUrl,
        accountSid: line.accountSid,
        authToken,
        callSid: input.callId,
        allowPrivateNetworks: t.allowPrivateNetworks,
      });
      return { ended: res.ok };
    },
  };
}

export type TelephonyActivities = ReturnType<typeof createTelephonyActivities>;

/** The line's voice URL with the run to notify (and the menu to run), which the signature then covers. */
function voiceUrlFor(voiceUrl: string, input: PlaceCallInput): string {
  const query = new URLSearchParams({ run: input.workflowId });
  if (input.menuId) query.set('menu', input.menuId);
  return `${voiceUrl}?${query.toString()}`;
}
