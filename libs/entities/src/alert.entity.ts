import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const ALERT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export const ALERT_STATUSES = ['active', 'acknowledged', 'dismissed', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

export const ALERT_RECIPIENT_TYPES = ['user', 'role'] as const;
export type AlertRecipientType = (typeof ALERT_RECIPIENT_TYPES)[number];

/**
 * An alert raised by a `create_alert` action. `idempotency_key` (unique per tenant) is derived from
 * the workflow id and the action name, so a retried or replayed activity creates one alert.
 * An `active` alert past `expires_at` reads `resolved`; the row is not rewritten when it expires.
 */
@Entity({ name: 'alerts' })
@Index('idx_alerts_tenant_created', ['tenantId', 'createdAt'])
@Index('uq_alerts_tenant_idempotency_key', ['tenantId', 'idempotencyKey'], { unique: true })
export class AlertEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'alert_type', type: 'text' })
  alertType: string;

  @Column({ type: 'text' })
  severity: AlertSeverity;

  @Column({ type: 'text' })
  title: string;

  @Column({ type: 'text' })
  message: string;

  @Column({ type: 'jsonb', nullable: true })
  context: unknown;

  @Column({ name: 'source_entity_name', type: 'text', nullable: true })
  sourceEntityName: string | null;

  @Column({ name: 'source_entity_id', type: 'text', nullable: true })
  sourceEntityId: string | null;

  @Column({ name: 'source_rule_id', type: 'uuid', nullable: true })
  sourceRuleId: string | null;

  @Column({ name: 'source_execution_id', type: 'uuid', nullable: true })
  sourceExecutionId: string | null;

  @Column({ type: 'text', default: 'active' })
  status: AlertStatus;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'idempotency_key', type: 'text', nullable: true })
  idempotencyKey: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
