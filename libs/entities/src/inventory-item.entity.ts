import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/** Stock of one SKU of a tenant: reserved never exceeds on hand (a CHECK in the table). */
@Entity({ name: 'inventory_items' })
export class InventoryItemEntity {
  @PrimaryColumn({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @PrimaryColumn({ type: 'text' })
  sku: string;

  @Column({ name: 'quantity_on_hand', type: 'integer' })
  quantityOnHand: number;

  @Column({ name: 'quantity_reserved', type: 'integer', default: 0 })
  quantityReserved: number;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
