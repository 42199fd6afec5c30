import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Where an event came from: `POST /v1/events`, a captured table, a hook call, a schedule's fire, a manual run. */
export const EVENT_SOURCES = ['api', 'capture', 'hook', 'schedule', 'manual'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/**
 * An accepted event. Written in the same transaction as its executions, so once the 202 is sent
 * nothing is lost; `eventKey` (the client's id) makes ingestion idempotent per tenant.
 */
@Entity({ name: 'events' })
@Index('uq_events_tenant_key', ['tenantId', 'eventKey'], { unique: true })
export class EventEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'event_key', type: 'text' })
  eventKey: string;

  @Column({ type: 'text' })
  entity: string;

  @Column({ type: 'text' })
  type: string;

  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  @Column({ type: 'jsonb', nullable: true })
  previous: Record<string, unknown> | null;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  /** The answer given to the client, replayed for a repeated id. */
  @Column({ type: 'jsonb' })
  response: Record<string, unknown>;

  @Column({ type: 'text', default: 'api' })
  source: EventSource;

  @CreateDateColumn({ name: 'received_at', type: 'timestamptz' })
  receivedAt: Date;
}
