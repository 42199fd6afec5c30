import { randomUUID } from 'node:crypto';
import type { ChildRunRow, ChildRunStore, RuleEntity } from '@ruleflow/entities';
import { newExecutionRow } from '@ruleflow/entities';
import type { ParentContext, RegexCompiler, RuleEvent } from '@ruleflow/rules';
import { compileConditions } from '@ruleflow/rules';
import { compileRegex as safeCompileRegex } from '@ruleflow/rules/node/safe-regex';
import type { ChildRun } from '@ruleflow/contract';
import { chainedRuleWorkflowId } from '@ruleflow/contract';
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

export interface ChainingActivityDeps {
  childRuns: ChildRunStore;
  /** The `matches` engine; defaults to the linear-time RE2 one (tests may pass another). */
  compileRegex?: RegexCompiler;
}

/** A parent run that ended in `success`, offered to the rules that depend on it. */
export interface PrepareChildRunsInput {
  parentExecutionId: string;
  parentRuleId: string;
  tenantId: string;
  /** The parent's event: children run on the same event and data. */
  event: RuleEvent;
  /** What the children's templates see as `parent`. */
  parent: ParentContext;
}

/** An active dependent rule that does not run after this parent run, and why. */
export interface SkippedChildRule {
  ruleId: string;
  ruleName: string;
  reason: string;
}

export interface PreparedChildRuns {
  /** Every chained run of the parent execution, in start order (child priority, highest first). */
  runs: ChildRun[];
  /** Shown in the activity result in the Temporal UI, so an operator sees why a child did not run. */
  skipped: SkippedChildRule[];
}

/** Whether the child's conditions hold for the event; a rule whose conditions cannot be evaluated never matches. */
function evaluate(
  rule: RuleEntity,
  event: RuleEvent,
  compileRegex: RegexCompiler,
): { matched: boolean; reason: string } {
  try {
    const matches = compileConditions(rule.conditions, { compileRegex });
    return matches({ data: event.data, previous: event.previous })
      ? { matched: true, reason: '' }
      : { matched: false, reason: 'conditions do not hold' };
  } catch (err) {
    return { matched: false, reason: `conditions cannot be evaluated: ${(err as Error).message}` };
  }
}

/** Activities that chain dependent rules (the rule DAG) after a successful run. */
export function createChainingActivities({ childRuns, compileRegex = safeCompileRegex }: ChainingActivityDeps) {
  return {
    /**
     * Record one pending execution per active child rule of the parent whose conditions hold for the
     * parent's event. Conditions are evaluated here, not in the workflow, because the `matches`
     * engine (RE2 in WebAssembly) cannot run in the workflow sandbox.
     *
     * Idempotent for retries: the workflow id is derived from the parent execution and rows are
     * inserted ON CONFLICT DO NOTHING, and every run recorded for the parent is returned, so a retry
     * after a rule changed still returns (and the workflow still starts) what an earlier attempt wrote.
     */
    async prepareChildRuns(input: PrepareChildRunsInput): Promise<PreparedChildRuns> {
      const { tenantId, parentRuleId, parentExecutionId, event, parent } = input;
      if (parent.executionId !== parentExecutionId || parent.ruleId !== parentRuleId) {
        throw ApplicationFailure.create({
          type: 'InvalidChildRunRequest',
          nonRetryable: true,
          message: `parent context (${parent.ruleId}/${parent.executionId}) does not match ${parentRuleId}/${parentExecutionId}`,
        });
      }
      const children = await childRuns.activeChildRules(tenantId, parentRuleId);
      const rows: ChildRunRow[] = [];
      const skipped: SkippedChildRule[] = [];
      for (const rule of children) {
        const { matched, reason } = evaluate(rule, event, compileRegex);
        if (!matched) {
          skipped.push({ ruleId: rule.id, ruleName: rule.name, reason });
          continue;
        }
        const workflowId = chainedRuleWorkflowId(rule.id, event.id, parentExecutionId);
        const row = newExecutionRow({
          id: randomUUID(),
          rule,
          event,
          workflowId,
          // The type of the event the run works on, as for every other run (an event's runs carry its
          // type, a manual run `manual`): a child runs on its parent's event, whatever its own trigger.
          triggerType: event.type,
          parent,
          dispatchOrder: rows.length,
        });
        rows.push({ ...row, id: row.id!, workflowId });
      }
      const runs = await childRuns.recordChildRuns(
        { tenantId, executionId: parentExecutionId, eventId: event.id },
        rows,
      );
      // Most rules have no dependents: nothing to say for them.
      if (runs.length || skipped.length) {
        log.info('chained child runs recorded', {
          parentExecutionId,
          parentRuleId,
          runs: runs.map((r) => r.workflowId),
          skipped: skipped.map((s) => `${s.ruleId}: ${s.reason}`),
        });
      }
      return { runs, skipped };
    },
  };
}

export type ChainingActivities = ReturnType<typeof createChainingActivities>;
