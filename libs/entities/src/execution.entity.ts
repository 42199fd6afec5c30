import type { ParentContext, RuleEvent, RuleSnapshot, RunResume, TriggerType } from '@ruleflow/rules';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const EXECUTION_STATUSES = ['pending', 'running', 'success', 'failed', 'partial', 'cancelled'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
/** `waiting`: a `wait_for_approval` action waiting for a decision. */
export const ACTION_STATUSES = ['pending', 'running', 'waiting', 'success', 'failed', 'skipped'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

export interface ExecutionActionRecord {
  name: string;
  type: string;
  status: ActionStatus;
  attempts: number;
  output: unknown;
  error: string | null;
  startedAt: string | null;
  completedAt: string | null;
  /** `on_failure`: one of the rule's `onFailure` actions (run only after a failed or partial run). */
  phase?: 'on_failure';
  /** On a resume: the original's success, not run again (`attempts` 0, the original's `output`). */
  reused?: true;
}

/** What the workflow is started with; kept so an undispatched run can be started after a crash. */
export interface ExecutionInput {
  executionId: string;
  rule: RuleSnapshot;
  event: RuleEvent;
  parent: ParentContext | null;
  /** Only on a resume (a rerun from the failed action). */
  resume?: RunResume;
}

@Entity({ name: 'executions' })
@Index('idx_executions_tenant_created', ['tenantId', 'createdAt'])
@Index('idx_executions_tenant_rule', ['tenantId', 'ruleId', 'createdAt'])
export class ExecutionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'rule_id', type: 'uuid' })
  ruleId: string;

  @Column({ name: 'rule_version', type: 'integer' })
  ruleVersion: number;

  @Column({ name: 'event_id', type: 'text' })
  eventId: string;

  @Column({ name: 'parent_execution_id', type: 'uuid', nullable: true })
  parentExecutionId: string | null;

  @Column({ name: 'rerun_of', type: 'uuid', nullable: true })
  rerunOf: string | null;

  @Column({ name: 'workflow_id', type: 'text', unique: true })
  workflowId: string;

  @Column({ name: 'run_id', type: 'text', nullable: true })
  runId: string | null;

  @Column({ name: 'trigger_type', type: 'text' })
  triggerType: TriggerType;

  @Column({ type: 'text', default: 'pending' })
  status: ExecutionStatus;

  @Column({ name: 'test_mode', type: 'boolean', default: false })
  testMode: boolean;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  actions: ExecutionActionRecord[];

  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'error_action', type: 'text', nullable: true })
  errorAction: string | null;

  @Column({ type: 'jsonb' })
  input: ExecutionInput;

  /** Start order among the runs of one event (rule priority, highest first). */
  @Column({ name: 'dispatch_order', type: 'integer', default: 0 })
  dispatchOrder: number;

  /** Null until the workflow has been started: the transactional outbox. */
  @Column({ name: 'dispatched_at', type: 'timestamptz', nullable: true })
  dispatchedAt: Date | null;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true })
  completedAt: Date | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs: number | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
