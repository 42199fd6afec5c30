import type { RetentionPolicy, RetentionSummary } from '@ruleflow/contract';
import { heartbeat, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { RetentionRepository } from '@ruleflow/entities';

export interface MaintenanceActivityDeps {
  retention: RetentionRepository;
}

/** The periods a policy may leave out (schedules made before they existed); set, they must be valid too. */
const OPTIONAL_PERIODS = [
  'ivrSessionDays',
  'deliveryDays',
  'eventDays',
  'notificationDays',
  'alertDays',
  'auditLogDays',
  'apiKeyUsageDays',
] as const satisfies ReadonlyArray<keyof RetentionPolicy>;

function validDays(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function validPolicy(policy: RetentionPolicy | undefined): boolean {
  if (!validDays(policy?.successDays) || !validDays(policy?.failedDays)) return false;
  return OPTIONAL_PERIODS.every((key) => policy![key] === undefined || validDays(policy![key]));
}

/** Activities behind `RetentionCleanupWorkflow`. */
export function createMaintenanceActivities({ retention }: MaintenanceActivityDeps) {
  return {
    /**
     * Apply the retention policy to every tenant: ended executions (with their delivery logs),
     * ended endpoint deliveries, ended IVR sessions, unreferenced events, notifications, ended
     * alerts, audit logs and key usage counters older than their periods; heartbeats after every
     * batch (each batch one short statement), so a retry after a lost worker just goes on.
     */
    async cleanupExecutions(policy: RetentionPolicy): Promise<RetentionSummary> {
      if (!validPolicy(policy)) {
        // A bad policy would delete the wrong history: refuse at once rather than retry.
        throw ApplicationFailure.create({
          type: 'InvalidRetentionPolicy',
          nonRetryable: true,
          message: `retention days must be whole numbers >= 1, got ${JSON.stringify(policy)}`,
        });
      }
      const summary = await retention.applyPolicy(policy, new Date(), (progress) => heartbeat(progress));
      log.info('retention cleanup done', { ...summary.deleted, total: summary.total, tables: summary.tables });
      return summary;
    },
  };
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;
