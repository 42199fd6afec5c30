import type { ExecutionInput } from '../execution.entity';
import { ExecutionEntity } from '../execution.entity';
import { RuleDependencyEntity } from '../rule-dependency.entity';
import { RuleEntity } from '../rule.entity';
import type { RuleSnapshot } from '@ruleflow/rules';
import type { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

/** A new pending execution of a dependent rule, as built by `newExecutionRow`. */
export type ChildRunRow = Partial<ExecutionEntity> & { id: string; workflowId: string; input: ExecutionInput };

/** The parent run whose chained runs are recorded. */
export interface ParentRunRef {
  tenantId: string;
  executionId: string;
  /** The parent's event: its chained runs share it, which keeps the lookup on an index. */
  eventId: string;
}

/**
 * A recorded run of a dependent rule: what the parent workflow starts as its child. Only the rule
 * snapshot comes back; the event and the parent context of its input are the parent run's own, so
 * they are not sent back once per child (activity results have a size limit).
 */
export interface StoredChildRun {
  executionId: string;
  workflowId: string;
  rule: RuleSnapshot;
}

/** Where the chaining activity finds a rule's dependents and records their runs. */
export interface ChildRunStore {
  /** The active rules of the tenant that depend on `parentRuleId`, highest priority first. */
  activeChildRules(tenantId: string, parentRuleId: string): Promise<RuleEntity[]>;
  /**
   * Insert the runs as dispatched (the parent workflow starts them, so the gateway's outbox must not),
   * skipping any whose workflow id is already recorded; returns every chained run of the parent
   * execution in start order, including those an earlier attempt recorded.
   */
  recordChildRuns(parent: ParentRunRef, rows: ChildRunRow[]): Promise<StoredChildRun[]>;
}

/** PostgreSQL implementation; idempotent on `executions.workflow_id` (unique), every query scoped by tenant. */
export class ChildRunRepository implements ChildRunStore {
  constructor(private readonly db: DataSource) {}

  activeChildRules(tenantId: string, parentRuleId: string): Promise<RuleEntity[]> {
    return this.db
      .getRepository(RuleEntity)
      .createQueryBuilder('r')
      .innerJoin(RuleDependencyEntity, 'd', 'd.child_rule_id = r.id AND d.tenant_id = r.tenant_id')
      .where('d.tenant_id = :tenantId AND d.parent_rule_id = :parentRuleId', { tenantId, parentRuleId })
      .andWhere('r.is_active = true')
      .orderBy('r.priority', 'DESC')
      .addOrderBy('r.created_at', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .getMany();
  }

  async recordChildRuns(parent: ParentRunRef, rows: ChildRunRow[]): Promise<StoredChildRun[]> {
    if (rows.length > 0) {
      await this.db
        .createQueryBuilder()
        .insert()
        .into(ExecutionEntity)
        .values(rows.map((row) => ({ ...row, dispatchedAt: () => 'now()' }) as QueryDeepPartialEntity<ExecutionEntity>))
        .orIgnore()
        .execute();
    }
    // Found through the (tenant_id, event_id) index: the runs of one event are few, executions overall
    // many. Reruns of a child (rerun_of set) are not chained runs of this parent execution.
    const stored: Array<{ id: string; workflow_id: string; rule: RuleSnapshot }> = await this.db.query(
      `SELECT id, workflow_id, input->'rule' AS rule FROM executions
        WHERE tenant_id = $1 AND event_id = $2 AND parent_execution_id = $3 AND rerun_of IS NULL
        ORDER BY dispatch_order, created_at, id`,
      [parent.tenantId, parent.eventId, parent.executionId],
    );
    return stored.map((row) => ({ executionId: row.id, workflowId: row.workflow_id, rule: row.rule }));
  }
}
