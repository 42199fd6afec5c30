import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import {
  executeChild,
  log,
  ParentClosePolicy,
  patched,
  setCurrentDetails,
  upsertSearchAttributes,
  WorkflowIdReusePolicy,
  workflowInfo,
} from '@temporalio/workflow';
import { scheduledRunWrite } from './activity-profiles';
import { RuleExecutionWorkflow } from './rule-execution.workflow';
import { ruleRunSearchAttributes, RunStatusKey } from './contract';
import type { RuleExecutionResult, RunStatusValue, ScheduledRuleInput } from './contract';

/**
 * Guards running the rule in the fire's own workflow (one fire, one run in the Temporal UI): fires
 * recorded before it ran the rule as a child `RuleExecutionWorkflow`, and replay down that path.
 */
export const SCHEDULED_FIRE_RUNS_RULE_PATCH = 'scheduled-fire-runs-rule';

/** Set by Temporal on every run a Schedule starts: the nominal fire time (also for a manual `trigger()`). */
const ScheduledStartTimeKey = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/**
 * The fire time of this run. Both sources come from the start event in history, so replay sees the
 * same value. The schedule's nominal time is preferred over the actual start time: it is what the
 * schedule meant (a late or caught-up start still names the fire it belongs to), and it is the time
 * Temporal also appends to this run's workflow id. A run started outside a schedule falls back to
 * its start time.
 */
function fireTime(): Date {
  const info = workflowInfo();
  const scheduled = info.typedSearchAttributes.get(ScheduledStartTimeKey);
  return scheduled instanceof Date && !Number.isNaN(scheduled.getTime()) ? scheduled : info.startTime;
}

/**
 * One fire of a `scheduled` rule's Temporal Schedule: records a pending execution from the rule as it
 * is now (skipped, returning null, when the rule is gone, inactive or no longer scheduled), then runs
 * it in this very workflow (the execution's workflow is this one) and returns its result; a failed
 * run fails this workflow. Fires recorded before that ran the rule as a child `RuleExecutionWorkflow`.
 */
export async function ScheduledRuleWorkflow(input: ScheduledRuleInput): Promise<RuleExecutionResult | null> {
  const { ruleId, tenantId } = input;
  const scheduledAt = fireTime().toISOString();
  const runsInFire = patched(SCHEDULED_FIRE_RUNS_RULE_PATCH);
  const prepared = await scheduledRunWrite.prepareScheduledRun({
    ruleId,
    tenantId,
    scheduledAt,
    workflowId: workflowInfo().workflowId,
    ...(runsInFire ? { runsInFire } : {}),
  });
  if (!prepared) {
    log.info('scheduled fire skipped: the rule is gone, inactive or no longer scheduled', { ruleId, scheduledAt });
    setCurrentDetails(
      `Skipped the fire of ${scheduledAt}: rule \`${ruleId}\` is gone, inactive or no longer scheduled`,
    );
    if (runsInFire) upsertSearchAttributes([{ key: RunStatusKey, value: 'skipped' satisfies RunStatusValue }]);
    return null;
  }

  const { rule, event } = prepared.input;
  if (runsInFire) {
    // The list shows this fire as the rule's run: its event, and the rule as it is now (renamed since the
    // schedule was written, too).
    upsertSearchAttributes(ruleRunSearchAttributes({ ...rule, triggerType: 'scheduled' }, event.id));
    return RuleExecutionWorkflow(prepared.input);
  }
  setCurrentDetails(`Running execution \`${prepared.executionId}\` as child \`${prepared.workflowId}\``);
  return executeChild(RuleExecutionWorkflow, {
    workflowId: prepared.workflowId,
    args: [prepared.input],
    // A recorded fire runs once: an id that already ran is refused rather than run again.
    workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
    // If this run is terminated, the child still gets to record `cancelled` instead of staying `running`.
    parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
    typedSearchAttributes: ruleRunSearchAttributes({ ...rule, triggerType: 'scheduled' }),
    memo: { executionId: prepared.executionId, eventId: event.id, ruleVersion: rule.version },
    staticSummary: `Scheduled rule ${rule.name} v${rule.version}, fire of ${scheduledAt}`,
  });
}
