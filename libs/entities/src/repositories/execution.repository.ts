import type { ActionStatus, ExecutionActionRecord, ExecutionStatus } from '../execution.entity';
import type { DataSource } from 'typeorm';
import { fanOutEvent } from './fan-out';
import { returnedRows } from './query-result';

export interface ActionResultPatch {
  status: ActionStatus;
  attempts?: number;
  output?: unknown;
  error?: string | null;
}

/** Where a run records its progress (the queryable history); Temporal keeps the run state itself. */
export interface ExecutionStore {
  /** The execution's status after the call (`running`, or `cancelled` when cancelled before it started); null when it does not exist. */
  markRunning(executionId: string, runId: string): Promise<ExecutionStatus | null>;
  markActionStarted(executionId: string, actionName: string): Promise<boolean>;
  /** The action waits (a `wait_for_approval` waiting for a decision); false when there is no such execution. */
  markActionWaiting(executionId: string, actionName: string): Promise<boolean>;
  /** The action as recorded (`action` null when the run has none of that name); null when there is no such execution. */
  recordActionResult(
    executionId: string,
    actionName: string,
    patch: ActionResultPatch,
  ): Promise<{ action: ExecutionActionRecord | null } | null>;
  /**
   * Sets the final status once; pending actions become `skipped`; updates the rule's stats; offers
   * `execution.succeeded` / `execution.failed` to the tenant's subscribed endpoints.
   */
  complete(
    executionId: string,
    result: {
      status: Exclude<ExecutionStatus, 'pending' | 'running'>;
      error: string | null;
      errorAction: string | null;
    },
  ): Promise<boolean>;
  /** The tenant an execution belongs to (null when there is no such execution); callers run it in the system scope. */
  tenantOf(executionId: string): Promise<string | null>;
}

const TERMINAL = `('success','failed','partial','cancelled')`;

/** The system event a final status offers to webhook endpoints: a partial run failed; a cancelled one offers none. */
const SYSTEM_EVENT_OF_STATUS: Record<string, 'execution.succeeded' | 'execution.failed' | undefined> = {
  success: 'execution.succeeded',
  failed: 'execution.failed',
  partial: 'execution.failed',
};

interface ExecutionRow {
  id: string;
  tenant_id: string;
  status: string;
  rule_id: string;
  rule_version: number;
  event_id: string;
  workflow_id: string;
  trigger_type: string;
}

/**
 * Patches the element of the `actions` jsonb array whose name matches, keeping order. A run writes only
 * about actions it runs, so the patched one is no longer `reused` (a resume's reused allocation that
 * no longer holds what the original did is recorded as it now ends).
 */
const PATCH_ACTION_SQL = `
  UPDATE executions SET actions = (
    SELECT coalesce(jsonb_agg(CASE WHEN a->>'name' = $2 THEN (a - 'reused') || $3::jsonb ELSE a END ORDER BY ord), '[]'::jsonb)
    FROM jsonb_array_elements(actions) WITH ORDINALITY AS t(a, ord)
  )
  WHERE id = $1
  RETURNING id`;

/** PostgreSQL implementation; every write is idempotent so activity retries and replays are harmless. */
export class ExecutionRepository implements ExecutionStore {
  constructor(private readonly db: DataSource) {}

  async tenantOf(executionId: string): Promise<string | null> {
    const rows: Array<{ tenant_id: string }> = await this.db.query(`SELECT tenant_id FROM executions WHERE id = $1`, [
      executionId,
    ]);
    return rows[0]?.tenant_id ?? null;
  }

  async markRunning(executionId: string, runId: string): Promise<ExecutionStatus | null> {
    const result: unknown = await this.db.query(
      `UPDATE executions
          SET status = CASE WHEN status = 'pending' THEN 'running' ELSE status END,
              run_id = $2,
              started_at = coalesce(started_at, now()),
              dispatched_at = coalesce(dispatched_at, now())
        WHERE id = $1
        RETURNING status`,
      [executionId, runId],
    );
    const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as Array<{
      status: ExecutionStatus;
    }>;
    return rows[0]?.status ?? null;
  }

  async markActionStarted(executionId: string, actionName: string): Promise<boolean> {
    const patch = { status: 'running', startedAt: new Date().toISOString() };
    const rows: unknown = await this.db.query(PATCH_ACTION_SQL, [executionId, actionName, JSON.stringify(patch)]);
    return returnedRows(rows).length > 0;
  }

  async markActionWaiting(executionId: string, actionName: string): Promise<boolean> {
    const rows: unknown = await this.db.query(PATCH_ACTION_SQL, [executionId, actionName, '{"status":"waiting"}']);
    return returnedRows(rows).length > 0;
  }

  async recordActionResult(
    executionId: string,
    actionName: string,
    patch: ActionResultPatch,
  ): Promise<{ action: ExecutionActionRecord | null } | null> {
    const record: Record<string, unknown> = { status: patch.status, completedAt: new Date().toISOString() };
    if (patch.attempts !== undefined) record.attempts = patch.attempts;
    if (patch.output !== undefined) record.output = patch.output;
    if (patch.error !== undefined) record.error = patch.error;
    // The patched action comes back (its type and start: the worker's action duration metric).
    const rows: unknown = await this.db.query(
      `${PATCH_ACTION_SQL}, (SELECT a FROM jsonb_array_elements(actions) AS a WHERE a->>'name' = $2 LIMIT 1) AS action`,
      [executionId, actionName, JSON.stringify(record)],
    );
    const row = returnedRows<{ action: ExecutionActionRecord | null }>(rows)[0];
    return row ? { action: row.action } : null;
  }

  async complete(
    executionId: string,
    result: {
      status: Exclude<ExecutionStatus, 'pending' | 'running'>;
      error: string | null;
      errorAction: string | null;
    },
  ): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const found: ExecutionRow[] = await tx.query(
        `SELECT id, tenant_id, status, rule_id, rule_version, event_id, workflow_id, trigger_type
           FROM executions WHERE id = $1 FOR UPDATE`,
        [executionId],
      );
      const row = found[0];
      if (!row) return false;
      if (['success', 'failed', 'partial', 'cancelled'].includes(row.status)) return true; // already recorded
      const updated: unknown = await tx.query(
        `UPDATE executions SET
            status = $2, error = $3, error_action = $4,
            completed_at = now(),
            started_at = coalesce(started_at, now()),
            duration_ms = GREATEST(0, (EXTRACT(EPOCH FROM (now() - coalesce(started_at, created_at))) * 1000)::int),
            actions = (
              SELECT coalesce(jsonb_agg(
                CASE WHEN a->>'status' IN ('pending','running','waiting')
                     THEN a || jsonb_build_object('status', CASE WHEN a->>'status' = 'pending' THEN 'skipped' ELSE 'failed' END)
                     ELSE a END ORDER BY ord), '[]'::jsonb)
              FROM jsonb_array_elements(actions) WITH ORDINALITY AS t(a, ord)
            )
          WHERE id = $1 AND status NOT IN ${TERMINAL}
          RETURNING completed_at`,
        [executionId, result.status, result.error, result.errorAction],
      );
      const rules: unknown = await tx.query(
        `UPDATE rules SET execution_count = execution_count + 1, last_executed_at = now(), last_execution_status = $2
          WHERE id = $1
          RETURNING name`,
        [row.rule_id, result.status],
      );
      // In the same transaction: the event exists exactly when the completion does (a retry re-offers nothing).
      const type = SYSTEM_EVENT_OF_STATUS[result.status];
      const completedAt = returnedRows<{ completed_at: Date }>(updated)[0]?.completed_at;
      if (type) {
        await fanOutEvent(tx, {
          tenantId: row.tenant_id,
          type,
          eventKey: `${type}:${executionId}`,
          timestamp: new Date(completedAt ?? Date.now()).toISOString(),
          data: {
            executionId,
            ruleId: row.rule_id,
            ruleName: returnedRows<{ name: string }>(rules)[0]?.name ?? null,
            ruleVersion: row.rule_version,
            status: result.status,
            error: result.error,
            errorAction: result.errorAction,
            workflowId: row.workflow_id,
            eventId: row.event_id,
            triggerType: row.trigger_type,
          },
        });
      }
      return true;
    });
  }
}
