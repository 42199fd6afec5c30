import { RuleValidationError } from '@ruleflow/rules';
import { CronExpressionParser } from 'cron-parser';

export interface ScheduleSpec {
  cron: string;
  timezone: string;
}

/** Whether the runtime knows this IANA time zone. */
function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/**
 * Validate a `scheduled` trigger: a 5-field cron expression (checked with cron-parser, the same
 * grammar Temporal Schedules accept for these fields) and an IANA time zone, default UTC.
 */
export function parseScheduleSpec(trigger: { cron?: string; timezone?: string }): ScheduleSpec {
  const cron = trigger.cron?.trim().replace(/\s+/g, ' ');
  if (!cron) throw new RuleValidationError('trigger.cron', 'a scheduled trigger needs a 5-field cron expression');
  if (cron.split(' ').length !== 5) {
    throw new RuleValidationError(
      'trigger.cron',
      `"${cron}" must have 5 fields (minute hour day-of-month month day-of-week)`,
    );
  }
  const timezone = trigger.timezone?.trim() || 'UTC';
  if (!isTimeZone(timezone))
    throw new RuleValidationError('trigger.timezone', `"${timezone}" is not an IANA time zone`);
  try {
    CronExpressionParser.parse(cron, { tz: timezone, strict: false });
  } catch (err) {
    throw new RuleValidationError(
      'trigger.cron',
      `"${cron}" is not a valid cron expression: ${(err as Error).message}`,
    );
  }
  return { cron, timezone };
}
