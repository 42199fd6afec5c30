/**
 * Messages to running workflows, defined once for both sides: the gateway sends them through the
 * client, the workflow registers handlers for them. A caller that waits for an answer (an approval, a
 * caller's digit) uses an Update, so the HTTP answer comes after the workflow has taken the input.
 *
 * These are the messages of the run-control and IVR contract in API.md ("Run control", "IVR"): the
 * approval wait of a rule run and the call-session workflow handle them.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { IvrHistoryEntry, IvrOutcome, IvrTurn } from '@ruleflow/rules';

/** The IVR shapes are defined with the menu machine in `@ruleflow/rules` (it returns them). */
export type { IvrHistoryEntry, IvrOutcome, IvrTurn } from '@ruleflow/rules';

// --- Approvals (`wait_for_approval` inside a rule run) ------------------------------------------

/** A decision on the approval a run waits for (`POST /v1/executions/:id/approve|reject`). */
export interface ApprovalDecision {
  approved: boolean;
  by: string;
  comment?: string;
}

/** The action's output once decided. */
export interface ApprovalOutcome {
  approved: boolean;
  by: string;
  comment: string | null;
  at: string;
}

/** What a run is waiting for, when it waits for an approval. */
export interface PendingApproval {
  actionName: string;
  message: string | null;
  approvers: string[] | null;
  deadline: string;
}

/** Update failure type: the run waits for no approval now (ended, or running but not at one): the gateway answers 409. */
export const APPROVAL_NOTHING_WAITING = 'ApprovalNothingWaiting';
/** Update failure type: `by` is not among the waiting approval's `approvers`: the gateway answers 403. */
export const APPROVAL_NOT_AN_APPROVER = 'ApprovalNotAnApprover';
/** Update failure type: the decision is malformed (`by` not a non-empty string …): the gateway answers 400. */
export const APPROVAL_INVALID_DECISION = 'ApprovalInvalidDecision';

/**
 * Decide the approval a run waits for (only one waits at a time: actions run in order, so the decision
 * is always for the current one); the validator refuses when nothing waits or `by` may not approve. The
 * answer comes once the run has recorded the decision as the action's result.
 */
export const approvalDecisionUpdate = defineUpdate<ApprovalOutcome, [ApprovalDecision]>('approvalDecision');
/** The approval a run waits for now, or null. */
export const pendingApprovalQuery = defineQuery<PendingApproval | null>('pendingApproval');

// --- IVR call sessions (`ivr-<sessionId>`) -------------------------------------------------------

/** A session as `GET /v1/ivr/sessions/:id` shows it. */
export interface IvrSessionView {
  sessionId: string;
  callId: string;
  state: 'awaiting_input' | 'ended';
  menuId: string;
  menuStack: string[];
  retryCount: number;
  startedAt: string;
  lastActivityAt: string;
  endedAt: string | null;
  outcome: IvrOutcome | null;
  history: IvrHistoryEntry[];
}

/** A digit pressed by the caller (`0-9`, `*`, `#`). */
export const ivrInputUpdate = defineUpdate<IvrTurn, [{ digit: string }]>('ivrInput');
/** Back to the previous menu. */
export const ivrBackUpdate = defineUpdate<IvrTurn, []>('ivrBack');
/** The caller hung up (or the provider reported the call over). */
export const ivrHangUpUpdate = defineUpdate<IvrTurn, []>('ivrHangUp');
/** The caller's time ran out as the telephony provider saw it (its own gather timer): a timeout now. */
export const ivrTimeoutUpdate = defineUpdate<IvrTurn, []>('ivrTimeout');
/** The session's current state. */
export const ivrSessionQuery = defineQuery<IvrSessionView>('ivrSession');

/** What an ended session tells the workflow that waits for it (an `ivr_call` action's run). */
export interface IvrCallEnded {
  sessionId: string;
  callId: string;
  outcome: IvrOutcome | null;
  digits: string[];
}

/** Sent by the session's workflow, when it ends, to its `notifyWorkflowId`. */
export const ivrCallEndedSignal = defineSignal<[IvrCallEnded]>('ivrCallEnded');
