import type { RetentionPolicy } from '@ruleflow/contract';
import type { RuleflowConfig } from '@ruleflow/config';
import { maintenanceSearchAttributes, RETENTION_CLEANUP_WORKFLOW, RETENTION_SCHEDULE_ID } from '@ruleflow/contract';
import type { Client, ScheduleOptionsStartWorkflowAction, ScheduleUpdateOptions } from '@temporalio/client';
import { ScheduleAlreadyRunning } from '@temporalio/client';

export interface RetentionScheduleOptions {
  taskQueue: string;
  /** 5-field cron, interpreted in UTC. */
  cron: string;
  policy: RetentionPolicy;
  /** Defaults to `ruleflow-retention`; tests use their own. */
  scheduleId?: string;
}

/** The schedule settings from the worker's config. */
export function retentionScheduleOptions(config: RuleflowConfig): RetentionScheduleOptions {
  return {
    taskQueue: config.temporal.taskQueue,
    cron: config.retention.scheduleCron,
    policy: {
      successDays: config.retention.successDays,
      failedDays: config.retention.failedDays,
      ivrSessionDays: config.retention.ivrSessionDays,
      deliveryDays: config.retention.deliveryDays,
      eventDays: config.retention.eventDays,
      notificationDays: config.retention.notificationDays,
      alertDays: config.retention.alertDays,
      auditLogDays: config.retention.auditLogDays,
      apiKeyUsageDays: config.retention.apiKeyUsageDays,
    },
  };
}

/** The schedule's summary: each period the policy sets, in days. */
function retentionSummaryText(policy: RetentionPolicy): string {
  const periods: Array<[string, number | undefined]> = [
    ['success/cancelled runs', policy.successDays],
    ['failed/partial runs', policy.failedDays],
    ['ended deliveries', policy.deliveryDays],
    ['events', policy.eventDays],
    ['notifications', policy.notificationDays],
    ['ended alerts', policy.alertDays],
    ['audit logs', policy.auditLogDays],
    ['key usage', policy.apiKeyUsageDays],
    ['ended IVR sessions', policy.ivrSessionDays],
  ];
  const set = periods.filter(([, days]) => days !== undefined).map(([what, days]) => `${what} ${days}d`);
  return `Retention cleanup: ${set.join(', ')}`;
}

function scheduleSettings(
  options: RetentionScheduleOptions,
): Omit<ScheduleUpdateOptions<ScheduleOptionsStartWorkflowAction<never>>, 'state'> {
  const { policy, cron } = options;
  return {
    spec: { cronExpressions: [cron], timezone: 'UTC' },
    action: {
      type: 'startWorkflow',
      workflowType: RETENTION_CLEANUP_WORKFLOW,
      // Temporal appends the fire time to this id.
      workflowId: options.scheduleId ?? RETENTION_SCHEDULE_ID,
      taskQueue: options.taskQueue,
      args: [policy] as never,
      // `RuleflowKind="maintenance"`: an operator can leave it out of a list of rule runs.
      typedSearchAttributes: maintenanceSearchAttributes(),
      staticSummary: retentionSummaryText(policy),
    },
    // A cleanup still going when the next day comes (a huge backlog): let it finish, skip the new one.
    policies: { overlap: 'SKIP', catchupWindow: '1 hour' },
  };
}

/**
 * Create the daily retention schedule, or bring an existing one in line with this worker's config
 * (cron, policy, task queue), keeping its paused state so an operator's pause survives restarts.
 * Safe to run from every worker at every start. Errors are returned, not thrown: a worker without
 * rights on schedules still runs rules.
 */
export async function ensureRetentionSchedule(
  client: Client,
  options: RetentionScheduleOptions,
): Promise<{ outcome: 'created' | 'updated' } | { error: string }> {
  const scheduleId = options.scheduleId ?? RETENTION_SCHEDULE_ID;
  const settings = scheduleSettings(options);
  try {
    try {
      await client.schedule.create({
        scheduleId,
        ...settings,
        state: { note: 'created by the Ruleflow worker (RETENTION_* settings)' },
      });
      return { outcome: 'created' };
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    }
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, ...settings }));
    return { outcome: 'updated' };
  } catch (err) {
    return { error: (err as Error).message };
  }
}
