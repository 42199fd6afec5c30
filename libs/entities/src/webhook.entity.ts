import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * A registered webhook endpoint of a tenant: the event types it subscribes to (`orders.on_update`,
 * `orders.*`, `*`, `execution.failed`…), how payloads are shaped for it, and its signing secrets.
 * Secrets are stored sealed (`enc:v1:…`); the previous one keeps signing until it expires (24 h
 * after a rotation).
 */
@Entity({ name: 'webhooks' })
@Index('idx_webhooks_tenant_created', ['tenantId', 'createdAt', 'id'])
export class WebhookEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'text' })
  url: string;

  /** Subscriptions: exact `entity.type`, `entity.*`, `*`, or a system event type. */
  @Column({ type: 'text', array: true })
  events: string[];

  @Column({ type: 'boolean', default: true })
  enabled: boolean;

  /** Why the system disabled it (a 410 from the receiver, the circuit breaker); null when enabled or disabled by a user. */
  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason: string | null;

  @Column({ name: 'disabled_at', type: 'timestamptz', nullable: true })
  disabledAt: Date | null;

  @Column({ name: 'field_selection', type: 'text', array: true, nullable: true })
  fieldSelection: string[] | null;

  @Column({ name: 'payload_template', type: 'jsonb', nullable: true })
  payloadTemplate: unknown;

  /** A JSONata expression applied last. */
  @Column({ type: 'text', nullable: true })
  transform: string | null;

  /** Sealed `whsec_…`. */
  @Column({ type: 'text' })
  secret: string;

  @Column({ name: 'previous_secret', type: 'text', nullable: true })
  previousSecret: string | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', nullable: true })
  previousSecretExpiresAt: Date | null;

  /**
   * Custom request headers sent with every delivery, by name; each value sealed (`enc:v1:…`) and
   * shown masked. Null when there are none.
   */
  @Column({ type: 'jsonb', nullable: true })
  headers: Record<string, string> | null;

  /** Deliveries to the endpoint go out no faster than this many per second (null: no limit). */
  @Column({ name: 'rate_limit_per_second', type: 'integer', nullable: true })
  rateLimitPerSecond: number | null;

  /** The first failed attempt since the last success: the circuit breaker's clock. */
  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince: Date | null;

  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true })
  lastSuccessAt: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
