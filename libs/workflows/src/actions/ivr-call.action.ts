import type { ActionSpec, RetrySpec } from '@ruleflow/rules';
import { ivrCallTimeoutMs } from '@ruleflow/rules';
import { ApplicationFailure } from '@temporalio/common';
import { CancellationScope, condition, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { callHangUp, callPlacement } from '../activity-profiles';
import { ivrCallEndedSignal } from '../contract';
import type { IvrCallEnded, RuleExecutionInput } from '../contract';
import { runActionKey } from './action-keys';

/** Ended sessions this run was told about (`ivrCallEndedSignal`), by call id. Workflow state: one run's. */
const endedCalls = new Map<string, IvrCallEnded>();
let listening = false;

/** Listens for ended calls; a signal sent before this is buffered by Temporal and delivered now. */
function listenForEndedCalls(): void {
  if (listening) return;
  listening = true;
  setHandler(ivrCallEndedSignal, (ended) => {
    endedCalls.set(ended.callId, ended);
  });
}

/**
 * The `ivr_call` action over an already rendered config: dial `to` from the line (once: only a refused
 * request is retried), then wait durably until the call's IVR session ends, up to `timeout`. Output
 * `{callId, sessionId, outcome, digits}`. A session that does not end in time fails the action; a
 * cancelled run ends the call at the provider (whose status callback hangs the session up).
 */
export async function runIvrCall(
  input: RuleExecutionInput,
  action: ActionSpec & { retry: RetrySpec },
  config: Record<string, unknown>,
): Promise<{ output: { callId: string; sessionId: string; outcome: unknown; digits: string[] }; attempts: number }> {
  const { rule, executionId } = input;
  const lineId = String(config.lineId);
  const to = String(config.to);
  const timeoutMs = ivrCallTimeoutMs(config.timeout);
  if (timeoutMs === undefined) {
    throw ApplicationFailure.create({ type: 'InvalidIvrCall', nonRetryable: true, message: 'invalid timeout' });
  }
  listenForEndedCalls();
  const workflowId = workflowInfo().workflowId;
  const { placeCall } = callPlacement(action.retry, `${action.name}: call ${to}`);
  const { callId } = await placeCall({
    tenantId: rule.tenantId,
    executionId,
    workflowId,
    idempotencyKey: runActionKey(input, 'ivr_call', action.name),
    lineId,
    to,
    menuId: typeof config.menuId === 'string' ? config.menuId : null,
  });
  let done: boolean;
  try {
    done = await condition(() => endedCalls.has(callId), timeoutMs);
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() => callHangUp.endCall({ tenantId: rule.tenantId, lineId, callId }));
    }
    throw err;
  }
  if (!done) {
    throw ApplicationFailure.create({
      type: 'IvrCallTimeout',
      nonRetryable: true,
      message: `the call's session did not end within ${timeoutMs} ms`,
    });
  }
  const ended = endedCalls.get(callId)!;
  return {
    output: { callId, sessionId: ended.sessionId, outcome: ended.outcome, digits: ended.digits },
    attempts: 1,
  };
}
