import type { ActionSpec, RetrySpec, RuleSnapshot } from '@ruleflow/rules';
import { APPROVAL_LIMITS, approvalTimeoutMs, formatDuration } from '@ruleflow/rules';
import { ApplicationFailure } from '@temporalio/common';
import { condition, setCurrentDetails, setHandler } from '@temporalio/workflow';
import {
  APPROVAL_INVALID_DECISION,
  APPROVAL_NOT_AN_APPROVER,
  APPROVAL_NOTHING_WAITING,
  approvalDecisionUpdate,
  pendingApprovalQuery,
} from '../contract';
import type { ApprovalDecision, ApprovalOutcome, PendingApproval } from '../contract';
import type { RunRecords } from '../run-records';

export const WAIT_FOR_APPROVAL = 'wait_for_approval';

/** Workflow state, one run's: the approval waiting now, the decision taken on it, and the decision recorded. */
let waiting: PendingApproval | null = null;
let decision: ApprovalOutcome | null = null;
let recorded: ApprovalOutcome | null = null;

function refuse(type: string, message: string): never {
  throw ApplicationFailure.create({ type, nonRetryable: true, message });
}

/** The decision taken on the waiting approval (a function: the Update handler sets it while the action awaits). */
function takenDecision(): ApprovalOutcome | null {
  return decision;
}

/** Refuses a decision the run cannot take now; runs before the update is written to history. */
function validateDecision(input: unknown): void {
  const { approved, by, comment } = (input ?? {}) as Partial<Record<keyof ApprovalDecision, unknown>>;
  if (typeof approved !== 'boolean') refuse(APPROVAL_INVALID_DECISION, 'approved must be true or false');
  if (typeof by !== 'string' || by.trim() === '' || by.length > APPROVAL_LIMITS.maxApproverLength) {
    refuse(
      APPROVAL_INVALID_DECISION,
      `by must be a non-empty string of at most ${APPROVAL_LIMITS.maxApproverLength} characters`,
    );
  }
  if (
    comment !== undefined &&
    comment !== null &&
    (typeof comment !== 'string' || comment.length > APPROVAL_LIMITS.maxMessageLength)
  ) {
    refuse(
      APPROVAL_INVALID_DECISION,
      `comment must be a string of at most ${APPROVAL_LIMITS.maxMessageLength} characters`,
    );
  }
  if (!waiting || decision) refuse(APPROVAL_NOTHING_WAITING, 'the run is not waiting for an approval');
  if (waiting.approvers && !waiting.approvers.includes(by)) {
    refuse(APPROVAL_NOT_AN_APPROVER, `"${by}" is not among the approvers of action ${waiting.actionName}`);
  }
}

/**
 * Listens for approval decisions, when the rule has a `wait_for_approval` action (a rule without one
 * registers nothing: its runs, and the histories recorded before approvals existed, are unchanged). A
 * decision is validated first (nothing waiting, not an approver, malformed: rejected without a trace in
 * the history), taken by the waiting action, and answered once the run has recorded it.
 */
export function listenForApprovals(rule: Pick<RuleSnapshot, 'actions' | 'onFailure'>): void {
  const all = [...rule.actions, ...(rule.onFailure ?? [])];
  if (!all.some((a) => a.type === WAIT_FOR_APPROVAL)) return;
  setHandler(pendingApprovalQuery, () => waiting);
  setHandler(
    approvalDecisionUpdate,
    async ({ approved, by, comment }) => {
      const taken: ApprovalOutcome = { approved, by, comment: comment ?? null, at: new Date().toISOString() };
      decision = taken;
      await condition(() => recorded === taken);
      return taken;
    },
    { validator: validateDecision },
  );
}

/** After a `wait_for_approval` action's result is queued: writes it, then answers the decision's Update. */
export async function recordApprovalResult(records: RunRecords): Promise<void> {
  await records.flush();
  recorded = decision;
}

type ApprovalResult =
  { approved: boolean; by: string; comment: string | null; at: string } | { approved: false; timedOut: true };

/**
 * The `wait_for_approval` action over an already rendered config: recorded `waiting`, it waits durably
 * for a decision (the `approvalDecision` Update) up to `timeout`. Approved: output
 * `{approved, by, comment, at}`. Rejected: the action fails (no retry). Timed out: fails with
 * `approval timed out`, or with `onTimeout: "continue"` outputs `{approved: false, timedOut: true}`.
 * A cancelled run stops waiting (the cancellation goes up).
 */
export async function runWaitForApproval(
  action: ActionSpec & { retry: RetrySpec },
  config: Record<string, unknown>,
  records: RunRecords,
): Promise<{ output: ApprovalResult; attempts: number }> {
  const timeoutMs = approvalTimeoutMs(config.timeout);
  if (timeoutMs === undefined) refuse('InvalidApproval', 'invalid timeout');
  const continueOnTimeout = config.onTimeout === 'continue';
  const message = typeof config.message === 'string' ? config.message.slice(0, APPROVAL_LIMITS.maxMessageLength) : null;
  // Rendered ids; a list whose templates all rendered empty lets nobody decide (it times out), never anyone.
  const approvers = Array.isArray(config.approvers)
    ? config.approvers
        .map((a: unknown) => (typeof a === 'string' ? a.trim() : String(a)))
        .filter((a) => a !== '' && a.length <= APPROVAL_LIMITS.maxApproverLength)
    : null;
  const deadline = new Date(Date.now() + timeoutMs).toISOString();
  waiting = { actionName: action.name, message, approvers, deadline };
  decision = null;
  setCurrentDetails(
    [
      `Waiting for approval: action **${action.name}**`,
      message ? `> ${message}` : null,
      `Approvers: ${approvers ? approvers.join(', ') || '(none rendered)' : 'anyone'}`,
      `Until ${deadline}, then ${continueOnTimeout ? 'continue' : 'fail'}`,
      'Decide with `POST /v1/executions/:id/approve` or `/reject` `{"by"}`',
    ]
      .filter((line) => line !== null)
      .join('\n\n'),
  );
  let taken: ApprovalOutcome | null;
  try {
    await records.actionWaiting(action.name);
    await records.flush();
    await condition(() => decision !== null, timeoutMs, {
      summary: `${action.name}: approval times out after ${formatDuration(timeoutMs)}`,
    });
    // A decision taken in the activation that fired the timer still counts.
    taken = takenDecision();
  } finally {
    waiting = null;
  }
  if (taken) {
    if (taken.approved) return { output: taken, attempts: 1 };
    throw ApplicationFailure.create({
      type: 'ApprovalRejected',
      nonRetryable: true,
      message: `rejected by ${taken.by}${taken.comment ? `: ${taken.comment}` : ''}`,
      details: [{ attempt: 1 }],
    });
  }
  if (continueOnTimeout) return { output: { approved: false, timedOut: true }, attempts: 1 };
  throw ApplicationFailure.create({
    type: 'ApprovalTimedOut',
    nonRetryable: true,
    message: 'approval timed out',
    details: [{ attempt: 1 }],
  });
}
