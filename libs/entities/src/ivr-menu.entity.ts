import type { IvrMenuItem } from '@ruleflow/rules';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * An IVR menu of a tenant: what the caller hears (`prompt`) and what each key does (`items`). Sessions
 * run over a snapshot of the menus reachable from their root (IvrMenuRepository.loadTree), so an
 * edit (which bumps `version`) never changes a call in progress.
 */
@Entity({ name: 'ivr_menus' })
@Index('idx_ivr_menus_tenant_created', ['tenantId', 'createdAt', 'id'])
export class IvrMenuEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  prompt: string;

  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" })
  items: IvrMenuItem[];

  @Column({ name: 'timeout_ms', type: 'integer', default: 10000 })
  timeoutMs: number;

  @Column({ name: 'max_retries', type: 'integer', default: 3 })
  maxRetries: number;

  @Column({ name: 'invalid_prompt', type: 'text', nullable: true })
  invalidPrompt: string | null;

  @Column({ name: 'timeout_prompt', type: 'text', nullable: true })
  timeoutPrompt: string | null;

  @Column({ name: 'parent_menu_id', type: 'uuid', nullable: true })
  parentMenuId: string | null;

  @Column({ type: 'integer', default: 1 })
  version: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
