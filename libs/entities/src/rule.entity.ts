import type { ActionSpec, Conditions, RetrySpec, TriggerType } from '@ruleflow/rules';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Trigger settings beyond the type: cron + timezone for `scheduled`, the secret token for `webhook`. */
export interface RuleTrigger {
  type: TriggerType;
  cron?: string;
  timezone?: string;
}

export type StoredAction = ActionSpec & { retry: RetrySpec };

@Entity({ name: 'rules' })
@Index('idx_rules_match', ['tenantId', 'entity', 'triggerType'])
export class RuleEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'text' })
  entity: string;

  @Column({ name: 'trigger_type', type: 'text' })
  triggerType: TriggerType;

  @Column({ type: 'jsonb' })
  trigger: RuleTrigger;

  /**
   * SHA-256 (hex) of the secret token of a `webhook`-triggered rule (`POST /v1/hooks/<token>`); the
   * token itself is shown once, when it is made, and never stored.
   */
  @Column({ name: 'hook_token_hash', type: 'text', nullable: true })
  hookTokenHash: string | null;

  /** The token's first characters, to tell hooks apart in the masked URL. */
  @Column({ name: 'hook_token_prefix', type: 'text', nullable: true })
  hookTokenPrefix: string | null;

  @Column({ type: 'jsonb' })
  conditions: Conditions;

  @Column({ type: 'jsonb' })
  actions: StoredAction[];

  /**
   * Run in order after a run ends `failed` or `partial` (after compensation), with `error` and
   * `errorAction` in their template context; stored like `actions` (secrets sealed). Empty: none.
   */
  @Column({ name: 'on_failure', type: 'jsonb', default: () => "'[]'" })
  onFailure: StoredAction[];

  @Column({ type: 'integer', default: 0 })
  priority: number;

  @Column({ name: 'is_active', type: 'boolean', default: true })
  isActive: boolean;

  @Column({ type: 'integer', default: 1 })
  version: number;

  @Column({ name: 'execution_count', type: 'integer', default: 0 })
  executionCount: number;

  @Column({ name: 'last_executed_at', type: 'timestamptz', nullable: true })
  lastExecutedAt: Date | null;

  @Column({ name: 'last_execution_status', type: 'text', nullable: true })
  lastExecutionStatus: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
