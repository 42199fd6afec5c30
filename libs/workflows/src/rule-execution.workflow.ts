import type { ChildRun } from './contract';
import type { ActionSpec, ParentContext, RetrySpec, TemplateContext } from '@ruleflow/rules';
import { parseDuration, renderTemplate, RuleValidationError, whenHolds } from '@ruleflow/rules';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  ParentClosePolicy,
  patched,
  setCurrentDetails,
  sleep,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import { runCreateAlert } from './actions/alert.action';
import {
  listenForApprovals,
  recordApprovalResult,
  runWaitForApproval,
  WAIT_FOR_APPROVAL,
} from './actions/approval.action';
import {
  reacquireReusedAllocation,
  releaseRunAllocations,
  reusedAllocationToHold,
  runAllocateInventory,
  runReleaseInventory,
} from './actions/inventory.action';
import { runIvrCall } from './actions/ivr-call.action';
import { runSendNotification } from './actions/notification.action';
import { runWebhook } from './actions/webhook.action';
import { RunRecords } from './run-records';
import { markRunStatus, withoutStack } from './run-status';
import { ruleRunSearchAttributes } from './contract';
import type { AllocationView, RuleExecutionInput, RuleExecutionResult, RunOutcome } from './contract';

/**
 * Guards chaining (dependent rules started as child workflows after a successful run): runs recorded
 * before it shipped replay without it, so their histories stay deterministic.
 */
export const RULE_CHAINING_PATCH = 'rule-chaining';

type Action = ActionSpec & { retry: RetrySpec };

interface ActionOutcome {
  output: unknown;
  attempts: number;
}

/** How the actions of a run ended: the run's outcome and, unless it succeeded, the action that failed and why. */
interface RunEnding {
  status: RunOutcome;
  error: string | null;
  errorAction: string | null;
}

/**
 * One fired rule: runs the snapshot's actions in order, each under its own retry policy, and records
 * progress in PostgreSQL. An action whose `when` does not hold is recorded `skipped`. A failed action
 * stops the run (`failed`, or `partial` after earlier successes) unless it has `continueOnError`: then
 * the run goes on and ends `partial` (`failed` when no action succeeded).
 * After a success, the rule's dependents (the rule DAG) start as child workflows.
 */
export async function RuleExecutionWorkflow(input: RuleExecutionInput): Promise<RuleExecutionResult> {
  const { executionId } = input;
  const steps: Record<string, unknown> = {};
  const records = new RunRecords(input);
  listenForApprovals(input.rule);
  let ending: RunEnding | 'cancelled before it started';
  try {
    // Older runs learn here whether the run was cancelled before it started; journal runs with the
    // first action's start (the first write they send).
    const status = await records.running(workflowInfo().runId);
    ending = status === 'cancelled' ? 'cancelled before it started' : await runActions(input, steps, records);
  } catch (err) {
    if (isCancellation(err)) await recordCancelledRun(input, steps, records);
    throw err;
  }
  if (ending === 'cancelled before it started') {
    // Cancelled through the API before this start got through: nothing ran.
    setCurrentDetails('Cancelled before it started: no action ran');
    markRunStatus('cancelled');
    return { executionId, status: 'cancelled', steps, error: ending, errorAction: null };
  }
  return finishRun(input, steps, ending, records);
}

/**
 * Runs the actions in order until one fails (without `continueOnError`), recording each one's start (sent with what is queued
 * before the action runs) and result; `cancelled before it started` when the first write finds the
 * run cancelled through the API.
 */
async function runActions(
  input: RuleExecutionInput,
  steps: Record<string, unknown>,
  records: RunRecords,
): Promise<RunEnding | 'cancelled before it started'> {
  const { rule } = input;
  let succeeded = 0;
  // The first action that failed for good; with `continueOnError` the run goes on after it.
  let failed: { error: string; errorAction: string } | null = null;
  let started = false;
  for (const action of rule.actions) {
    if (reuse(input, action, steps)) {
      const lost = await holdReusedAllocation(input, action, steps, records);
      if (lost === 'cancelled before it started') return lost;
      if (!lost) {
        succeeded++;
        continue;
      }
      failed ??= { error: lost.message, errorAction: action.name };
      if (!action.continueOnError) break;
      continue;
    }
    const context = templateContext(input, steps);
    // `when` is pure code over the context: no command, so runs recorded before it existed replay unchanged.
    const when = evaluateWhen(action, context);
    if (when === false) {
      setCurrentDetails(`Skipped action **${action.name}** (${action.type}): its "when" does not hold`);
      await records.actionResult({ actionName: action.name, status: 'skipped', attempts: 0 });
      continue;
    }
    let failure = when === true ? null : when;
    if (failure) {
      await recordFailure(records, action, failure);
    } else {
      setCurrentDetails(`Running action **${action.name}** (${action.type})`);
      await records.actionStarted(action.name);
      started = true;
      if ((await records.flush()) === 'cancelled') return 'cancelled before it started';
      const attempt = await attemptAction(input, action, context, records);
      if (action.type === WAIT_FOR_APPROVAL) await recordApprovalResult(records);
      if ('outcome' in attempt) {
        steps[action.name] = attempt.outcome.output;
        succeeded++;
        continue;
      }
      failure = attempt.failure;
    }
    failed ??= { error: failure.message, errorAction: action.name };
    if (!action.continueOnError) break;
  }
  // No action started (all skipped by `when`): the run's first write goes now, so a run cancelled through
  // the API before it started still ends `cancelled`. Runs recorded before `when` always started one.
  if (!started && (await records.flush()) === 'cancelled') return 'cancelled before it started';
  if (failed) return { status: succeeded > 0 ? 'partial' : 'failed', ...failed };
  return { status: 'success', error: null, errorAction: null };
}

/**
 * On a resume, an action that succeeded in the original is not run again: its output goes into
 * `steps` as it was (its record reads `reused`, written with the execution). Reads input only, no
 * command: runs without `resume` (every run recorded before it) take the same path as before.
 */
function reuse(input: RuleExecutionInput, action: Action, steps: Record<string, unknown>): boolean {
  const reused = input.resume?.reused;
  if (!reused || !Object.hasOwn(reused, action.name)) return false;
  steps[action.name] = reused[action.name];
  return true;
}

/**
 * A reused `allocate_inventory` holds its allocation again (the original's compensation released it):
 * `steps` gets the allocation as it is now. One that no longer holds what the original did is recorded
 * as it now ends, not reused: `success` with its allocation (partial), or `failed` when the stock is
 * gone (the failure returned; compensation then releases what the resume holds, like any failure).
 */
async function holdReusedAllocation(
  input: RuleExecutionInput,
  action: Action,
  steps: Record<string, unknown>,
  records: RunRecords,
): Promise<ActionFailure | null | 'cancelled before it started'> {
  const key = reusedAllocationToHold(input, action);
  if (!key) return null;
  // The run's first write goes first: a run cancelled before it started reserves nothing.
  if ((await records.flush()) === 'cancelled') return 'cancelled before it started';
  const before = steps[action.name] as AllocationView;
  try {
    const held = await reacquireReusedAllocation(input, action, key);
    steps[action.name] = held.output;
    const { status, lines } = held.output;
    const same =
      status === before.status &&
      lines.length === before.lines.length &&
      lines.every((l, i) => l.sku === before.lines[i]?.sku && l.allocated === before.lines[i]?.allocated);
    if (!same) await records.actionResult({ actionName: action.name, status: 'success', ...held });
    return null;
  } catch (err) {
    if (isCancellation(err)) throw err;
    delete steps[action.name];
    const failure = describeFailure(err, action);
    const cause = err instanceof ActivityFailure ? err.cause : err;
    const now = (cause instanceof ApplicationFailure ? cause.details?.[0] : undefined) as
      { allocation?: unknown } | undefined;
    const { message: error, attempts } = failure;
    await records.actionResult({ actionName: action.name, status: 'failed', attempts, error, output: now?.allocation });
    return failure;
  }
}

type ActionFailure = { message: string; attempts: number };

/**
 * Renders and runs an action that has been recorded started, then records its result: the outcome, or
 * the failure (a cancellation is rethrown). Rendering is inside: a template that cannot render (e.g.
 * past its size bound) fails this action instead of failing the workflow task over and over. Rendering
 * issues no command, so histories recorded with the render before recordActionStarted replay unchanged.
 */
async function attemptAction(
  input: RuleExecutionInput,
  action: Action,
  context: TemplateContext,
  records: RunRecords,
): Promise<{ outcome: ActionOutcome } | { failure: ActionFailure }> {
  let failure: ActionFailure;
  try {
    const config = renderTemplate(action.config, context) as Record<string, unknown>;
    const outcome = await runAction(input, action, config, records);
    await records.actionResult({
      actionName: action.name,
      status: 'success',
      attempts: outcome.attempts,
      output: outcome.output,
    });
    return { outcome };
  } catch (err) {
    if (isCancellation(err)) throw err;
    failure = describeFailure(err, action);
  }
  await recordFailure(records, action, failure);
  return { failure };
}

async function recordFailure(records: RunRecords, action: Action, failure: ActionFailure): Promise<void> {
  await records.actionResult({
    actionName: action.name,
    status: 'failed',
    attempts: failure.attempts,
    error: failure.message,
  });
}

/**
 * Whether the action's `when` holds (true without one); a `when` that cannot be evaluated (only a
 * snapshot that bypassed validation) fails the action rather than the workflow task over and over.
 */
function evaluateWhen(action: Action, context: TemplateContext): boolean | ActionFailure {
  try {
    return whenHolds(action.when, context);
  } catch (err) {
    return { message: `"when" cannot be evaluated: ${err instanceof Error ? err.message : String(err)}`, attempts: 0 };
  }
}

/** What an action's templates see: the event, the rule, the outputs of earlier actions and the parent run. */
function templateContext(input: RuleExecutionInput, steps: Record<string, unknown>): TemplateContext {
  const { rule, event, parent } = input;
  return {
    event,
    data: event.data,
    previous: event.previous,
    rule: { id: rule.id, name: rule.name, version: rule.version },
    steps,
    parent,
  };
}

/** A run cancelled while in flight: returns its stock and records it `cancelled`, even though cancelled. */
async function recordCancelledRun(
  input: RuleExecutionInput,
  steps: Record<string, unknown>,
  records: RunRecords,
): Promise<void> {
  await releaseRunAllocations(input, steps);
  await CancellationScope.nonCancellable(async () => {
    // Cancelled runs do not run their onFailure actions.
    await skipOnFailure(input, records);
    await records.complete({ status: 'cancelled', error: 'cancelled', errorAction: null });
    await records.flush();
  });
  markRunStatus('cancelled');
}

/**
 * Records how the run ended. A run that gave up returns the stock it reserved and fails the Temporal
 * run too; a successful one starts its dependents.
 */
async function finishRun(
  input: RuleExecutionInput,
  steps: Record<string, unknown>,
  { status, error, errorAction }: RunEnding,
  records: RunRecords,
): Promise<RuleExecutionResult> {
  const { executionId } = input;
  if (status !== 'success') {
    // Compensation: a run that gave up returns the stock it reserved (schedules nothing without
    // allocations); the failed action's result is written before.
    await records.flush();
    await releaseRunAllocations(input, steps);
    // Only rules with onFailure take this path, and older snapshots have none: their histories replay unchanged.
    await runOnFailure(input, steps, { status, error, errorAction }, records);
  } else {
    await skipOnFailure(input, records);
  }
  await records.complete({ status, error, errorAction });
  // A success chains below, sending the completion with the chaining lookup; anything else ends here.
  const chains = status === 'success' && patched(RULE_CHAINING_PATCH);
  if (!chains) await records.flush();
  setCurrentDetails(`Finished: **${status}**${errorAction ? ` (action ${errorAction}: ${error})` : ''}`);
  markRunStatus(status);
  if (status !== 'success') {
    // Fail the Temporal run too, so the UI shows a failed rule run as failed (RunStatus tells partial from
    // failed); the record above keeps the detail. No stack: its frames would name the worker's files.
    throw withoutStack(
      ApplicationFailure.create({
        type: 'RuleExecutionFailed',
        nonRetryable: true,
        message: `rule run ${status}: action "${errorAction}" failed: ${error}`,
        details: [{ executionId, status, steps, error, errorAction }],
      }),
    );
  }
  if (chains) await startDependentRuns(input, steps, records);
  return { executionId, status, steps, error, errorAction };
}

/**
 * The rule's `onFailure` actions, in order, after a failed or partial run and its compensation, with
 * `error` and `errorAction` in their template context. Each is recorded like an action; one that fails
 * is recorded `failed` and the next still runs. They never change the run's status, error or errorAction.
 * Cancelled while they run: the rest are recorded `skipped` and the run is recorded as it ended.
 */
async function runOnFailure(
  input: RuleExecutionInput,
  steps: Record<string, unknown>,
  ending: RunEnding,
  records: RunRecords,
): Promise<void> {
  const handlers = input.rule.onFailure ?? [];
  const context: TemplateContext = {
    ...templateContext(input, steps),
    error: ending.error,
    errorAction: ending.errorAction,
  };
  for (const [index, action] of handlers.entries()) {
    const when = evaluateWhen(action, context);
    if (when === false) {
      await records.actionResult({ actionName: action.name, status: 'skipped', attempts: 0 });
      continue;
    }
    if (when !== true) {
      await recordFailure(records, action, when);
      continue;
    }
    setCurrentDetails(`Run ${ending.status}; running onFailure action **${action.name}** (${action.type})`);
    await records.actionStarted(action.name);
    try {
      // Inside the try: a cancellation while the start is written still records the run as it ended.
      await records.flush();
      await attemptAction(input, action, context, records);
      if (action.type === WAIT_FOR_APPROVAL) await recordApprovalResult(records);
    } catch (err) {
      if (isCancellation(err)) await recordCancelledOnFailure(input, ending, records, index);
      throw err;
    }
  }
}

/** Cancelled during `onFailure` action `index`: it and the rest are recorded `skipped`, the run as it ended. */
async function recordCancelledOnFailure(
  input: RuleExecutionInput,
  ending: RunEnding,
  records: RunRecords,
  index: number,
): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    for (const action of (input.rule.onFailure ?? []).slice(index)) {
      await records.actionResult({ actionName: action.name, status: 'skipped', attempts: 0, error: 'cancelled' });
    }
    await records.complete(ending);
    await records.flush();
  });
  markRunStatus(ending.status);
  setCurrentDetails(`Finished: **${ending.status}**; cancelled while its onFailure actions ran`);
}

/** A run that did not fail: its `onFailure` actions are recorded `skipped` (queued, sent with the completion). */
async function skipOnFailure(input: RuleExecutionInput, records: RunRecords): Promise<void> {
  for (const action of input.rule.onFailure ?? []) {
    await records.actionResult({ actionName: action.name, status: 'skipped', attempts: 0 });
  }
}

/**
 * Starts the runs of the rule's active dependents whose conditions hold, as child workflows that
 * outlive this run (ABANDON) and whose results are not awaited, so a child's failure never changes
 * this run's outcome. Not cancellable: the run is already recorded as `success`, and a success
 * always chains.
 */
async function startDependentRuns(
  input: RuleExecutionInput,
  steps: Record<string, unknown>,
  records: RunRecords,
): Promise<void> {
  const { executionId, rule } = input;
  await CancellationScope.nonCancellable(async () => {
    const parent: ParentContext = { executionId, ruleId: rule.id, ruleName: rule.name, steps };
    const { runs, skipped } = await records.chain(parent);
    if (runs.length === 0 && skipped.length === 0) return;
    // Started together: the start commands go out in priority order in one workflow task.
    await Promise.all(runs.map((run) => startDependentRun(input, run, parent)));
    setCurrentDetails(
      `Finished: **success**; started ${runs.length} dependent run(s)` +
        (skipped.length ? `; skipped ${skipped.map((s) => `${s.ruleName} (${s.reason})`).join(', ')}` : ''),
    );
  });
}

async function startDependentRun(parentInput: RuleExecutionInput, run: ChildRun, parent: ParentContext): Promise<void> {
  const { rule } = run;
  const { event, rule: parentRule } = parentInput;
  // The same input as recorded on the child's execution row (the outbox's copy).
  const input: RuleExecutionInput = { executionId: run.executionId, rule, event, parent };
  try {
    await startChild(RuleExecutionWorkflow, {
      workflowId: run.workflowId,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      typedSearchAttributes: ruleRunSearchAttributes(rule, event.id),
      memo: {
        executionId: run.executionId,
        eventId: event.id,
        ruleVersion: rule.version,
        parentExecutionId: parentInput.executionId,
      },
      // Plain text: the parent's timeline shows a child's summary as is.
      staticSummary: `Rule ${rule.name} v${rule.version} after ${parentRule.name} on ${event.entity}.${event.type}`,
      staticDetails: [
        `Execution \`${run.executionId}\`, chained after execution \`${parentInput.executionId}\` of rule \`${parentRule.id}\``,
        `Event \`${event.id}\` (${event.entity}.${event.type})`,
        `Actions: ${rule.actions.map((a) => `${a.name} (${a.type})`).join(' → ')}`,
      ].join('\n\n'),
    });
  } catch (err) {
    // Only possible if this very id was started before (e.g. a reset of this run): it already runs.
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    log.warn('dependent run was already started', { workflowId: run.workflowId, executionId: run.executionId });
  }
}

async function runAction(
  input: RuleExecutionInput,
  action: Action,
  config: Record<string, unknown>,
  records: RunRecords,
): Promise<ActionOutcome> {
  switch (action.type) {
    case 'webhook':
      return runWebhook(input, action, config);
    case 'allocate_inventory':
      return runAllocateInventory(input, action, config);
    case 'release_inventory':
      return runReleaseInventory(input, action, config);
    case 'create_alert':
      return runCreateAlert(input, action, config);
    case 'send_notification':
      return runSendNotification(input, action, config);
    case 'ivr_call':
      return runIvrCall(input, action, config);
    case 'wait_for_approval':
      return runWaitForApproval(action, config, records);
    case 'delay': {
      const ms = parseDuration(config.duration as string | number);
      await sleep(ms, { summary: `Delay ${action.name}: ${config.duration as string | number}` });
      return { output: { delayedMs: ms }, attempts: 1 } satisfies ActionOutcome;
    }
    default:
      throw ApplicationFailure.create({
        type: 'UnsupportedAction',
        nonRetryable: true,
        message: `action type "${action.type}" is not supported by this worker`,
      });
  }
}

/** The message and attempt count of a failed action, from the last attempt's ApplicationFailure. */
function describeFailure(err: unknown, action: Action): ActionFailure {
  if (err instanceof RuleValidationError) return { message: err.message, attempts: 0 };
  let cause: unknown = err;
  if (err instanceof ActivityFailure) cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    const detail = cause.details?.[0] as { attempt?: number } | undefined;
    const attempts = typeof detail?.attempt === 'number' ? detail.attempt : action.retry.maximumAttempts;
    return { message: cause.message, attempts };
  }
  const message = cause instanceof Error ? cause.message : String(cause);
  return { message, attempts: action.retry.maximumAttempts };
}
