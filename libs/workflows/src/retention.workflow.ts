import type { RetentionPolicy, RetentionSummary, RetentionTable } from './contract';
import { patched, setCurrentDetails } from '@temporalio/workflow';
import { maintenance } from './activity-profiles';

/** Runs from this change on describe every table the cleanup swept (histories before it replay the old way). */
const PER_TABLE_DETAILS = 'retention-per-table-details';

/**
 * The daily retention cleanup (Temporal Schedule `ruleflow-retention`): deletes, across every
 * tenant, whatever has outlived the policy (ended executions with their delivery logs, ended
 * endpoint deliveries and IVR sessions, events, notifications, ended alerts, audit logs, key
 * usage counters), in one heartbeating activity of short batches, and returns the per-table counts.
 */
export async function RetentionCleanupWorkflow(policy: RetentionPolicy): Promise<RetentionSummary> {
  const summary = await maintenance.cleanupExecutions(policy);
  const { success, cancelled, failed, partial } = summary.deleted;
  if (patched(PER_TABLE_DETAILS) && summary.tables) {
    const counts = Object.entries(summary.tables) as Array<[RetentionTable, number]>;
    setCurrentDetails(
      `Deleted ${counts.reduce((sum, [, n]) => sum + n, 0)} row(s): ` +
        counts.map(([table, n]) => `${table} ${n}`).join(', ') +
        `; executions by status: ${success} success, ${cancelled} cancelled, ${failed} failed, ${partial} partial`,
    );
    return summary;
  }
  setCurrentDetails(
    `Deleted ${summary.total} execution(s) and ${summary.deliveries} delivery log(s): ` +
      `${success} success, ${cancelled} cancelled (> ${policy.successDays}d), ` +
      `${failed} failed, ${partial} partial (> ${policy.failedDays}d); ` +
      // `?? 0`: summaries recorded before endpoint deliveries were cleaned up lack the field.
      `${summary.endpointDeliveries ?? 0} ended endpoint delivery(ies)`,
  );
  return summary;
}
