import type { ActionStatus, ExecutionStatus, ExecutionStore } from '@ruleflow/entities';
import { ApplicationFailure } from '@temporalio/common';
import { countRun, observeAction } from '../metrics/run-metrics';

export interface ExecutionActivityDeps {
  executions: ExecutionStore;
}

function notFound(executionId: string): never {
  // A run whose record is gone (cleaned up or never written) cannot make progress: fail at once.
  throw ApplicationFailure.create({
    type: 'ExecutionNotFound',
    nonRetryable: true,
    message: `execution ${executionId} does not exist`,
  });
}

/**
 * Activities that record a run's progress in PostgreSQL. `tenantId` puts each write in that tenant's
 * row-level scope (activity-scope.ts); a call without one is refused (runs started before the
 * workflow sent it cannot record their progress).
 */
export function createExecutionActivities({ executions }: ExecutionActivityDeps) {
  return {
    /** Marks the run started; reports `cancelled` when it was cancelled before it started (it must not run). */
    async markExecutionRunning(input: {
      tenantId: string;
      executionId: string;
      runId: string;
    }): Promise<{ status: ExecutionStatus }> {
      const status = await executions.markRunning(input.executionId, input.runId);
      if (!status) notFound(input.executionId);
      return { status };
    },
    async recordActionStarted(input: { tenantId: string; executionId: string; actionName: string }): Promise<void> {
      if (!(await executions.markActionStarted(input.executionId, input.actionName))) notFound(input.executionId);
    },
    /** A `wait_for_approval` action now waits for a decision (`waiting` in the execution's actions). */
    async recordActionWaiting(input: { tenantId: string; executionId: string; actionName: string }): Promise<void> {
      if (!(await executions.markActionWaiting(input.executionId, input.actionName))) notFound(input.executionId);
    },
    async recordActionResult(input: {
      tenantId: string;
      executionId: string;
      actionName: string;
      status: ActionStatus;
      attempts?: number;
      output?: unknown;
      error?: string | null;
    }): Promise<void> {
      const { executionId, actionName, tenantId: _tenant, ...patch } = input;
      const recorded = await executions.recordActionResult(executionId, actionName, patch);
      if (!recorded) notFound(executionId);
      if (recorded.action) observeAction(recorded.action);
    },
    async completeExecution(input: {
      tenantId: string;
      executionId: string;
      status: Exclude<ExecutionStatus, 'pending' | 'running'>;
      error: string | null;
      errorAction: string | null;
    }): Promise<void> {
      const { executionId, tenantId: _tenant, ...result } = input;
      if (!(await executions.complete(executionId, result))) notFound(executionId);
      countRun(result.status);
    },
  };
}

export type ExecutionActivities = ReturnType<typeof createExecutionActivities>;
