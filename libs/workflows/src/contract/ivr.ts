/**
 * The IVR call-session workflow's contract (`ivr-<sessionId>`): its input, result, the failure types
 * its update validators reject with (the gateway maps them to 409 / 400), and the digit format.
 */
import type { IvrMenuTree, IvrOutcome, IvrSessionState } from '@ruleflow/rules';

export const IVR_SESSION_WORKFLOW = 'IvrSessionWorkflow';

/** What `IvrSessionWorkflow` is started (and continued-as-new) with. */
export interface IvrSessionInput {
  sessionId: string;
  tenantId: string;
  callId: string;
  caller: string | null;
  /** Every menu reachable from the root, snapshotted at start: editing a menu never changes a live call. */
  tree: IvrMenuTree;
  /** The session so far, when continued-as-new; absent at the start. */
  state?: IvrSessionState;
  /** Changes applied so far (carried over continue-as-new). */
  inputsSoFar?: number;
  /** The mirror's revision so far (carried over continue-as-new). */
  revision?: number;
  /** Digits pressed so far (the last IVR_MAX_DIGITS), for `ivrCallEndedSignal`. */
  digits?: string[];
  /** ISO time the session started (carried over continue-as-new). */
  startedAt?: string;
  /** ISO time of the last change (carried over continue-as-new). */
  lastActivityAt?: string;
  /** A workflow to signal with `ivrCallEndedSignal` when the session ends (an `ivr_call` action's run). */
  notifyWorkflowId?: string | null;
  /**
   * The telephony provider times the caller out itself (Twilio's `<Gather timeout>`, counted after the
   * prompt is spoken) and reports it with `ivrTimeoutUpdate`. The workflow's own timer is then only a
   * backstop (IVR_PROVIDER_BACKSTOP_MS at least), so one silence never counts twice.
   */
  providerTimeouts?: boolean;
  /** Continue-as-new after this many changes of this run (default IVR_CONTINUE_AS_NEW_AFTER). */
  continueAsNewAfter?: number;
}

/** How a session's workflow ends. */
export interface IvrSessionResult {
  sessionId: string;
  callId: string;
  outcome: IvrOutcome | null;
  digits: string[];
}

/** Changes (inputs, backs, timeouts) one run takes before it continues as new, keeping its history small. */
export const IVR_CONTINUE_AS_NEW_AFTER = 100;
/** The shortest wait of the workflow's backstop timer when the provider times callers out itself. */
export const IVR_PROVIDER_BACKSTOP_MS = 60_000;
/** Digits kept for the end-of-call signal. */
export const IVR_MAX_DIGITS = 200;

/** A DTMF key: `0-9`, `*`, `#`. */
export const IVR_DIGIT_PATTERN = /^[0-9*#]$/;

/** Update failure type: the session has ended (the gateway answers 409). */
export const IVR_SESSION_ENDED = 'IvrSessionEnded';
/** Update failure type: the digit is not a DTMF key (the gateway answers 400). */
export const IVR_INVALID_DIGIT = 'IvrInvalidDigit';
