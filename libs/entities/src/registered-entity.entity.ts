import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** A table or view of the application database that rules watch; with `capture`, its row changes become events. */
@Entity({ name: 'registered_entities' })
@Index('uq_registered_entities_tenant_table', ['tenantId', 'schemaName', 'name'], { unique: true })
export class RegisteredEntityEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'schema_name', type: 'text', default: 'public' })
  schemaName: string;

  @Column({ type: 'text' })
  type: 'table' | 'view';

  @Column({ type: 'boolean', default: false })
  capture: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
