import type { ActionType } from '@ruleflow/rules';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Reusable defaults for an action type; a rule action naming `templateId` is merged over `defaultConfig`. */
@Entity({ name: 'action_templates' })
@Index('uq_action_templates_tenant_name', ['tenantId', 'name'], { unique: true })
export class ActionTemplateEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'action_type', type: 'text' })
  actionType: ActionType;

  @Column({ name: 'default_config', type: 'jsonb' })
  defaultConfig: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
