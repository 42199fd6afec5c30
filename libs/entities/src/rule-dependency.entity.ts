import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** An edge of the rule DAG: the child runs after a successful run of the parent. */
@Entity({ name: 'rule_dependencies' })
@Index('uq_rule_dependencies_edge', ['parentRuleId', 'childRuleId'], { unique: true })
export class RuleDependencyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'parent_rule_id', type: 'uuid' })
  parentRuleId: string;

  @Column({ name: 'child_rule_id', type: 'uuid' })
  childRuleId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
