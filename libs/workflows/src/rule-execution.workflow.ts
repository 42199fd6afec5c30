import type { ActionSpec, RetrySpec, TemplateContext } from '@ruleflow/rules';
import { parseDuration, renderTemplate } from '@ruleflow/rules';
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  setCurrentDetails,
  sleep,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { dbWrite, webhookDelivery } from './activity-profiles';
import type { RuleExecutionInput, RuleExecutionResult, RunOutcome } from './types';

type Action = ActionSpec & { retry: RetrySpec };

interface ActionOutcome {
  output: unknown;
  attempts: number;
}

/**
 * One fired rule: runs the snapshot's actions in order, each under its own retry policy, and records
 * progress in PostgreSQL. A failed action stops the run (`failed`, or `partial` after earlier successes).
 */
export async function RuleExecutionWorkflow(input: RuleExecutionInput): Promise<RuleExecutionResult> {
  const { executionId, rule, event, parent } = input;
  const steps: Record<string, unknown> = {};
  let status: RunOutcome = 'success';
  let error: string | null = null;
  let errorAction: string | null = null;
  let succeeded = 0;

  try {
    await dbWrite.markExecutionRunning({ executionId, runId: workflowInfo().runId });
    for (const action of rule.actions) {
      setCurrentDetails(`Running action **${action.name}** (${action.type})`);
      const context: TemplateContext = {
        event,
        data: event.data,
        previous: event.previous,
        rule: { id: rule.id, name: rule.name, version: rule.version },
        steps,
        parent,
      };
      const config = renderTemplate(action.config, context) as Record<string, unknown>;
      await dbWrite.recordActionStarted({ executionId, actionName: action.name });
      try {
        const outcome = await runAction(input, action, config);
        steps[action.name] = outcome.output;
        succeeded++;
        await dbWrite.recordActionResult({
          executionId,
          actionName: action.name,
          status: 'success',
          attempts: outcome.attempts,
          output: outcome.output,
        });
      } catch (err) {
        if (isCancellation(err)) throw err;
        const failure = describeFailure(err, action);
        await dbWrite.recordActionResult({
          executionId,
          actionName: action.name,
          status: 'failed',
          attempts: failure.attempts,
          error: failure.message,
        });
        status = succeeded > 0 ? 'partial' : 'failed';
        error = failure.message;
        errorAction = action.name;
        break;
      }
    }
  } catch (err) {
    if (isCancellation(err)) {
      await CancellationScope.nonCancellable(() =>
        dbWrite.completeExecution({ executionId, status: 'cancelled', error: 'cancelled', errorAction: null }),
      );
    }
    throw err;
  }

  await dbWrite.completeExecution({ executionId, status, error, errorAction });
  setCurrentDetails(`Finished: **${status}**${errorAction ? ` (action ${errorAction}: ${error})` : ''}`);
  if (status !== 'success') {
    // Fail the Temporal run too, so the UI shows a failed rule run as failed; the record above keeps the detail.
    throw ApplicationFailure.create({
      type: 'RuleExecutionFailed',
      nonRetryable: true,
      message: `rule run ${status}: action "${errorAction}" failed: ${error}`,
      details: [{ executionId, status, steps, error, errorAction }],
    });
  }
  return { executionId, status, steps, error, errorAction };
}

async function runAction(input: RuleExecutionInput, action: Action, config: Record<string, unknown>) {
  switch (action.type) {
    case 'webhook':
      return runWebhook(input, action, config);
    case 'delay': {
      const ms = parseDuration(config.duration as string | number);
      await sleep(ms);
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

async function runWebhook(input: RuleExecutionInput, action: Action, config: Record<string, unknown>) {
  const { rule, event, executionId } = input;
  const url = String(config.url);
  const method = typeof config.method === 'string' ? (config.method.toUpperCase() as 'POST') : 'POST';
  const { deliverWebhook } = webhookDelivery(action.retry, `${action.name}: ${method} ${hostOf(url)}`);
  const result = await deliverWebhook({
    tenantId: rule.tenantId,
    executionId,
    actionName: action.name,
    webhookId: null,
    // Drawn from the workflow's seeded random source: the same on every attempt and on replay.
    deliveryId: uuid4(),
    eventType: `${event.entity}.${event.type}`,
    url,
    method,
    headers: (config.headers as Record<string, string> | undefined) ?? {},
    // Without an explicit body, send the same envelope as webhook endpoints get.
    body: config.body ?? { type: `${event.entity}.${event.type}`, timestamp: event.occurredAt, data: event.data },
    secrets: typeof config.secret === 'string' ? [config.secret] : [],
    maximumAttempts: action.retry.maximumAttempts,
  });
  return { output: { statusCode: result.statusCode, body: result.body }, attempts: result.attempts };
}

function hostOf(url: string): string {
  const match = /^[a-z]+:\/\/([^/?#]+)/i.exec(url);
  return match?.[1] ?? url;
}

/** The message and attempt count of a failed action, from the last attempt's ApplicationFailure. */
function describeFailure(err: unknown, action: Action): { message: string; attempts: number } {
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
