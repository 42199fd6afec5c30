import type { RetentionPolicy, RetentionSummary } from '@ruleflow/contract';
import { heartbeat, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { RetentionRepository } from '@ruleflow/entities';

export interface MaintenanceActivityDeps {
  retention: RetentionRepository;
}

function validDays(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

/** Activities behind `RetentionCleanupWorkflow`. */
export function createMaintenanceActivities({ retention }: MaintenanceActivityDeps) {
  return {
    /**
     * Delete ended executions, ended endpoint deliveries and ended IVR sessions (all tenants) older
     * than the policy allows; heartbeats after every batch.
     */
    async cleanupExecutions(policy: RetentionPolicy): Promise<RetentionSummary> {
      if (
        !validDays(policy?.successDays) ||
        !validDays(policy?.failedDays) ||
        (policy.ivrSessionDays !== undefined && !validDays(policy.ivrSessionDays))
      ) {
        // A bad policy would delete the wrong history: refuse at once rather than retry.
        throw ApplicationFailure.create({
          type: 'InvalidRetentionPolicy',
          nonRetryable: true,
          message: `retention days must be whole numbers >= 1, got ${JSON.stringify(policy)}`,
        });
      }
      const summary = await retention.applyPolicy(policy, new Date(), (progress) => heartbeat(progress));
      log.info('retention cleanup done', {
        ...summary.deleted,
        total: summary.total,
        deliveries: summary.deliveries,
        endpointDeliveries: summary.endpointDeliveries,
        ivrSessions: summary.ivrSessions,
      });
      return summary;
    },
  };
}

export type MaintenanceActivities = ReturnType<typeof createMaintenanceActivities>;
