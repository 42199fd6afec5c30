import { randomUUID } from 'node:crypto';
import type { ExecutionInput, RuleEntity, ScheduledRunStore } from '@ruleflow/entities';
import { newExecutionRow } from '@ruleflow/entities';
import { ruleWorkflowId, scheduledEventId } from '@ruleflow/contract';
import { log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

export interface SchedulingActivityDeps {
  scheduledRuns: ScheduledRunStore;
}

/** One fire of a rule's Temporal Schedule. */
export interface PrepareScheduledRunInput {
  ruleId: string;
  tenantId: string;
  /** The schedule's fire time (ISO-8601); it names the run's event, so one fire is one run. */
  scheduledAt: string;
  /** The id of the scheduled workflow run that fired (for the logs, or the run's own id: see `runsInFire`). */
  workflowId: string;
  /**
   * The fire runs the rule itself (fires since the wrapper stopped starting a child): the execution's
   * workflow is the fire's own (`workflowId`). Without it (fires recorded before): the child
   * `rule-<ruleId>-schedule-<fire time>`.
   */
  runsInFire?: boolean;
}

/** The recorded execution the scheduled workflow runs as its child. */
export interface PreparedScheduledRun {
  executionId: string;
  /** The workflow that runs it: the fire itself, or the child `rule-<ruleId>-schedule-<fire time>`. */
  workflowId: string;
  input: ExecutionInput;
}

/** Why a fire does not run, or null when it does. */
function skipReason(rule: RuleEntity | null, input: PrepareScheduledRunInput): string | null {
  if (!rule) return `rule ${input.ruleId} no longer exists in tenant ${input.tenantId}`;
  if (!rule.isActive) return `rule ${rule.id} is inactive`;
  if (rule.triggerType !== 'scheduled') return `rule ${rule.id} is no longer scheduled (trigger ${rule.triggerType})`;
  return null;
}

/** Activities behind `ScheduledRuleWorkflow`. */
export function createSchedulingActivities({ scheduledRuns }: SchedulingActivityDeps) {
  return {
    /**
     * Record the pending execution of one fire, from the rule as it is now; null (logged) when the
     * rule is gone, inactive or no longer scheduled. Idempotent: a retried attempt returns the row
     * the first one wrote, even if the rule changed in between.
     */
    async prepareScheduledRun(input: PrepareScheduledRunInput): Promise<PreparedScheduledRun | null> {
      const at = new Date(input.scheduledAt);
      if (Number.isNaN(at.getTime())) {
        throw ApplicationFailure.create({
          type: 'InvalidScheduledRun',
          nonRetryable: true,
          message: `scheduledAt ${JSON.stringify(input.scheduledAt)} is not a timestamp`,
        });
      }
      const occurredAt = at.toISOString();
      const eventId = scheduledEventId(occurredAt);
      const workflowId = input.runsInFire ? input.workflowId : ruleWorkflowId(input.ruleId, eventId);

      // Checked before the rule: once a fire is recorded it runs, whatever happened to the rule since.
      const recorded = await scheduledRuns.findByWorkflowId(workflowId);
      if (recorded) return { executionId: recorded.executionId, workflowId, input: recorded.input };

      const rule = await scheduledRuns.findRule(input.tenantId, input.ruleId);
      const reason = skipReason(rule, input);
      if (reason || !rule) {
        log.info(`scheduled fire skipped: ${reason}`, { ruleId: input.ruleId, scheduledWorkflowId: input.workflowId });
        return null;
      }
      const row = newExecutionRow({
        id: randomUUID(),
        rule,
        event: { id: eventId, entity: rule.entity, type: 'scheduled', data: {}, previous: null, occurredAt },
        workflowId,
        triggerType: 'scheduled',
      });
      const stored = await scheduledRuns.insertDispatched({ ...row, id: row.id!, workflowId });
      log.info(stored.created ? 'scheduled run recorded' : 'scheduled run was already recorded', {
        ruleId: rule.id,
        executionId: stored.executionId,
        workflowId,
        scheduledWorkflowId: input.workflowId,
      });
      return { executionId: stored.executionId, workflowId, input: stored.input };
    },
  };
}

export type SchedulingActivities = ReturnType<typeof createSchedulingActivities>;
