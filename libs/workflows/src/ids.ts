/** Workflow ids are business keys, so a duplicate start is refused by Temporal itself. */

/** The run of one rule for one event: `rule-<ruleId>-<eventId>`. */
export function ruleWorkflowId(ruleId: string, eventId: string): string {
  return `rule-${ruleId}-${eventId}`;
}
