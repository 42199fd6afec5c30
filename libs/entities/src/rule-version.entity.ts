import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** The rule as it was at each version (the public representation). */
@Entity({ name: 'rule_versions' })
@Index('uq_rule_versions_rule_version', ['ruleId', 'version'], { unique: true })
export class RuleVersionEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'rule_id', type: 'uuid' })
  ruleId: string;

  @Column({ type: 'integer' })
  version: number;

  @Column({ type: 'jsonb' })
  rule: object;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
