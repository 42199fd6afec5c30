import type { RuleflowConfig } from '@ruleflow/config';
import type { ExecutionEntity } from '@ruleflow/entities';

/**
 * Link to the run in the Temporal Web UI: its "User Metadata" tab (`/user-metadata`), where the run's summary,
 * details and current details show (the History tab does not show them). Without a run id yet: the
 * workflow's page, which opens its latest run.
 */
export function temporalUrl(config: RuleflowConfig, workflowId: string, runId: string | null): string {
  const base = `${config.temporal.uiUrl}/namespaces/${encodeURIComponent(config.temporal.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${base}/${encodeURIComponent(runId)}/user-metadata` : base;
}

/** The public representation of an execution. */
export function toExecutionResponse(config: RuleflowConfig, e: ExecutionEntity) {
  return {
    id: e.id,
    ruleId: e.ruleId,
    ruleVersion: e.ruleVersion,
    eventId: e.eventId,
    parentExecutionId: e.parentExecutionId,
    rerunOf: e.rerunOf,
    workflowId: e.workflowId,
    runId: e.runId,
    triggerType: e.triggerType,
    status: e.status,
    testMode: e.testMode,
    actions: e.actions,
    error: e.error,
    errorAction: e.errorAction,
    startedAt: (e.startedAt ?? e.createdAt).toISOString(),
    completedAt: e.completedAt?.toISOString() ?? null,
    durationMs: e.durationMs,
    createdAt: e.createdAt.toISOString(),
    temporalUrl: temporalUrl(config, e.workflowId, e.runId),
  };
}
