import type { ExecutionInput } from '../execution.entity';
import { ExecutionEntity } from '../execution.entity';
import { RuleEntity } from '../rule.entity';
import { recordTriggerEvent } from './event.repository';
import type { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

/** A pending execution of a scheduled fire, as stored (the input is what the run is started with). */
export interface StoredScheduledRun {
  executionId: string;
  workflowId: string;
  input: ExecutionInput;
  /** False when the row was already there (a retried activity, or a replayed fire). */
  created: boolean;
}

/** Where a scheduled fire reads its rule and records its execution. */
export interface ScheduledRunStore {
  /** The rule as it is now, or null when it does not exist (in this tenant). */
  findRule(tenantId: string, ruleId: string): Promise<RuleEntity | null>;
  /** The execution already recorded under this workflow id, if any. */
  findByWorkflowId(workflowId: string): Promise<StoredScheduledRun | null>;
  /**
   * Insert the row as dispatched (the scheduled workflow starts the run itself, so the gateway's
   * outbox must not); when a row with the same workflow id exists, return that one unchanged.
   */
  insertDispatched(
    row: Partial<ExecutionEntity> & { id: string; workflowId: string; input: ExecutionInput },
  ): Promise<StoredScheduledRun>;
}

/** PostgreSQL implementation; the insert is idempotent on `executions.workflow_id` (unique). */
export class ScheduledRunRepository implements ScheduledRunStore {
  constructor(private readonly db: DataSource) {}

  findRule(tenantId: string, ruleId: string): Promise<RuleEntity | null> {
    return this.db.getRepository(RuleEntity).findOne({ where: { id: ruleId, tenantId } });
  }

  async findByWorkflowId(workflowId: string): Promise<StoredScheduledRun | null> {
    const rows: Array<{ id: string; workflow_id: string; input: ExecutionInput }> = await this.db.query(
      `SELECT id, workflow_id, input FROM executions WHERE workflow_id = $1`,
      [workflowId],
    );
    const row = rows[0];
    return row ? { executionId: row.id, workflowId: row.workflow_id, input: row.input, created: false } : null;
  }

  async insertDispatched(
    row: Partial<ExecutionEntity> & { id: string; workflowId: string; input: ExecutionInput },
  ): Promise<StoredScheduledRun> {
    // The fire's event is stored with its run, so `GET /v1/events` shows what a schedule started.
    const result = await this.db.transaction(async (tx) => {
      await recordTriggerEvent(tx, row.input.rule.tenantId, row.input.event, 'schedule');
      return tx
        .createQueryBuilder()
        .insert()
        .into(ExecutionEntity)
        .values({ ...row, dispatchedAt: () => 'now()' } as QueryDeepPartialEntity<ExecutionEntity>)
        .orIgnore()
        .returning(['id'])
        .execute();
    });
    if (Array.isArray(result.raw) && result.raw.length > 0) {
      return { executionId: row.id, workflowId: row.workflowId, input: row.input, created: true };
    }
    // The conflict was on workflow_id: an earlier attempt of this fire got through; its row wins.
    const existing = await this.findByWorkflowId(row.workflowId);
    if (!existing) throw new Error(`execution ${row.workflowId} was neither inserted nor found`);
    return existing;
  }
}
