import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

export const IVR_SESSION_STATES = ['awaiting_input', 'ended'] as const;
export type IvrSessionState = (typeof IVR_SESSION_STATES)[number];

/**
 * One phone call's menu session: the queryable mirror of its `ivr-<id>` workflow, which writes every
 * change here (`revision` only grows). Temporal holds the live state; this row outlives the run until
 * retention removes it (ended sessions, `RETENTION_IVR_SESSION_DAYS`).
 */
@Entity({ name: 'ivr_sessions' })
@Index('uq_ivr_sessions_tenant_call', ['tenantId', 'callId'], { unique: true })
export class IvrSessionEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'call_id', type: 'text' })
  callId: string;

  @Column({ type: 'text', nullable: true })
  caller: string | null;

  /** The menu the session started on. */
  @Column({ name: 'root_menu_id', type: 'uuid' })
  rootMenuId: string;

  /** The menu the caller is in now (the last one when ended). */
  @Column({ name: 'menu_id', type: 'uuid' })
  menuId: string;

  @Column({ type: 'text', default: 'awaiting_input' })
  state: IvrSessionState;

  @Column({ name: 'menu_stack', type: 'jsonb', default: () => `'[]'::jsonb` })
  menuStack: string[];

  @Column({ name: 'retry_count', type: 'int', default: 0 })
  retryCount: number;

  @Column({ type: 'jsonb', nullable: true })
  outcome: { type: string; target?: string | null } | null;

  @Column({ type: 'jsonb', default: () => `'[]'::jsonb` })
  history: Array<{ at: string; menuId: string; input: string | null; result: string }>;

  @Column({ type: 'int', default: 0 })
  revision: number;

  @Column({ name: 'workflow_id', type: 'text' })
  workflowId: string;

  @Column({ name: 'started_at', type: 'timestamptz' })
  startedAt: Date;

  @Column({ name: 'last_activity_at', type: 'timestamptz' })
  lastActivityAt: Date;

  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true })
  endedAt: Date | null;
}
