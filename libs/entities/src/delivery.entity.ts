import { Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';

export const DELIVERY_STATUSES = ['pending', 'retrying', 'success', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** `rule_action`: attempts of a rule's webhook action; `endpoint`: a delivery to a registered endpoint. */
export type DeliverySource = 'rule_action' | 'endpoint';

/** What an endpoint delivery sends before shaping: the body's envelope with the raw event data. */
export interface DeliveryPayload {
  type: string;
  timestamp: string;
  data: unknown;
}

export interface DeliveryAttempt {
  attemptNumber: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseBody: string | null;
  at: string;
}

/**
 * One outbound webhook message and all its attempts. The id is the `webhook-id` header,
 * the same on every retry (derived from the workflow and action, so replays reuse it).
 */
@Entity({ name: 'deliveries' })
@Index('idx_deliveries_tenant_webhook', ['tenantId', 'webhookId', 'createdAt'])
@Index('idx_deliveries_execution', ['executionId'])
export class DeliveryEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'webhook_id', type: 'uuid', nullable: true })
  webhookId: string | null;

  @Column({ name: 'execution_id', type: 'uuid', nullable: true })
  executionId: string | null;

  @Column({ name: 'action_name', type: 'text', nullable: true })
  actionName: string | null;

  @Column({ name: 'event_type', type: 'text' })
  eventType: string;

  @Column({ type: 'text' })
  url: string;

  @Column({ type: 'text', default: 'pending' })
  status: DeliveryStatus;

  @Column({ type: 'jsonb', default: () => "'[]'" })
  attempts: DeliveryAttempt[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  @Column({ type: 'text', default: 'rule_action' })
  source: DeliverySource;

  /** The event (or system event) this delivery carries; one delivery per (event, endpoint). */
  @Column({ name: 'event_key', type: 'text', nullable: true })
  eventKey: string | null;

  /** Endpoint deliveries: the envelope before shaping (shaped at each attempt with the endpoint's settings). */
  @Column({ type: 'jsonb', nullable: true })
  payload: DeliveryPayload | null;

  /** A redelivery: the delivery it repeats. */
  @Column({ name: 'redelivery_of', type: 'uuid', nullable: true })
  redeliveryOf: string | null;

  /** When its workflow was started (null: the outbox sweep will start it). */
  @Column({ name: 'dispatched_at', type: 'timestamptz', nullable: true })
  dispatchedAt: Date | null;

  /** While retrying: when the next attempt is due. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  /**
   * Endpoint deliveries: why it ended failed (the endpoint deleted or disabled before the attempt,
   * a failed transform, the receiver's refusal, the retry window spent); null otherwise.
   */
  @Column({ type: 'text', nullable: true })
  error: string | null;
}
