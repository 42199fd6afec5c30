import type { RetentionPolicy, RetentionSummary } from '@ruleflow/activities';
import { setCurrentDetails } from '@temporalio/workflow';
import { maintenance } from './activity-profiles';

/**
 * The daily retention cleanup (Temporal Schedule `ruleflow-retention`): deletes ended executions of
 * every tenant past the policy, with their delivery logs, and returns what it deleted.
 */
export async function RetentionCleanupWorkflow(policy: RetentionPolicy): Promise<RetentionSummary> {
  const summary = await maintenance.cleanupExecutions(policy);
  const { success, cancelled, failed, partial } = summary.deleted;
  setCurrentDetails(
    `Deleted ${summary.total} execution(s) and ${summary.deliveries} delivery log(s): ` +
      `${success} success, ${cancelled} cancelled (> ${policy.successDays}d), ` +
      `${failed} failed, ${partial} partial (> ${policy.failedDays}d)`,
  );
  return summary;
}
