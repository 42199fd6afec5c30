import type { AllocationLine, AllocationMode, AllocationStatus } from '@ruleflow/rules';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One allocation request, stored under its idempotency key so a repeat returns it instead of reserving again. */
@Entity({ name: 'inventory_allocations' })
@Index('uq_inventory_allocations_tenant_key', ['tenantId', 'idempotencyKey'], { unique: true })
export class InventoryAllocationEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey: string;

  @Column({ name: 'order_id', type: 'text' })
  orderId: string;

  @Column({ type: 'text' })
  mode: AllocationMode;

  @Column({ type: 'text' })
  status: AllocationStatus;

  @Column({ type: 'jsonb' })
  lines: AllocationLine[];

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'released_at', type: 'timestamptz', nullable: true })
  releasedAt: Date | null;
}
