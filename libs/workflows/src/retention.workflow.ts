import type { RetentionPolicy, RetentionSummary } from './contract';
import { setCurrentDetails } from '@temporalio/workflow';
import { maintenance } from './activity-profiles';

/**
 * The daily retention cleanup (Temporal Schedule `ruleflow-retention`): deletes ended executions of
 * every tenant past the policy, with their delivery logs, and ended endpoint deliveries, and
 * returns what it deleted.
 */
export async function RetentionCleanupWorkflow(policy: RetentionPolicy): Promise<RetentionSummary> {
  const summary = await maintenance.cleanupExecutions(policy);
  const { success, cancelled, failed, partial } = summary.deleted;
  setCurrentDetails(
    `Deleted ${summary.total} execution(s) and ${summary.deliveries} delivery log(s): ` +
      `${success} success, ${cancelled} cancelled (> ${policy.successDays}d), ` +
      `${failed} failed, ${partial} partial (> ${policy.failedDays}d); ` +
      // `?? 0`: summaries recorded before endpoint deliveries were cleaned up lack the field.
      `${summary.endpointDeliveries ?? 0} ended endpoint delivery(ies)`,
  );
  return summary;
}
