/** Workflow ids are business keys, so a duplicate start is refused by Temporal itself. */

/** The run of one rule for one event: `rule-<ruleId>-<eventId>`. */
export function ruleWorkflowId(ruleId: string, eventId: string): string {
  return `rule-${ruleId}-${eventId}`;
}

/**
 * A dependent rule's run after one parent run: `rule-<childRuleId>-<eventId>-after-<parentExecutionId>`.
 * Keyed by the parent execution, so a rerun of the parent chains afresh and a diamond (two parents)
 * runs the child once per parent run.
 */
export function chainedRuleWorkflowId(childRuleId: string, eventId: string, parentExecutionId: string): string {
  return `rule-${childRuleId}-${eventId}-after-${parentExecutionId}`;
}

/** A rerun of a rule on an earlier event: `rule-<ruleId>-<eventId>-rerun-<executionId>` (one id per rerun). */
export function ruleRerunWorkflowId(ruleId: string, eventId: string, executionId: string): string {
  return `rule-${ruleId}-${eventId}-rerun-${executionId}`;
}

/** The event of a scheduled rule's fire: `schedule-<ISO fire time>`, so one fire is one run. */
export function scheduledEventId(fireTime: string): string {
  return `schedule-${fireTime}`;
}

/** The Temporal Schedule (and workflow id prefix) of the daily execution retention cleanup. */
export const RETENTION_SCHEDULE_ID = 'ruleflow-retention';

/** The delivery of one message to one webhook endpoint: `delivery-<deliveryId>`. */
export function deliveryWorkflowId(deliveryId: string): string {
  return `delivery-${deliveryId}`;
}

/** One phone call's menu session: `ivr-<sessionId>`. */
export function ivrSessionWorkflowId(sessionId: string): string {
  return `ivr-${sessionId}`;
}
