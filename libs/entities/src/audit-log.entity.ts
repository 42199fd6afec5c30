import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One change made through the API: who (the API key), what (action, resource) and a summary of the
 * request. `api_key_id` has no foreign key so a revoked or deleted key keeps its history; `details`
 * holds field names and a display name only, never body values (they may carry secrets).
 */
@Entity({ name: 'audit_logs' })
@Index('idx_audit_logs_tenant_created', ['tenantId', 'createdAt', 'id'])
@Index('idx_audit_logs_tenant_resource', ['tenantId', 'resourceType', 'resourceId'])
export class AuditLogEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ name: 'api_key_id', type: 'uuid', nullable: true })
  apiKeyId: string | null;

  @Column({ type: 'text' })
  action: string;

  @Column({ name: 'resource_type', type: 'text' })
  resourceType: string;

  @Column({ name: 'resource_id', type: 'text', nullable: true })
  resourceId: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  details: Record<string, unknown>;

  /** The caller's address as Express reports it (honouring the gateway's `trust proxy` setting). */
  @Column({ type: 'text', nullable: true })
  ip: string | null;

  /** The caller's User-Agent header, cut to a bounded length. */
  @Column({ name: 'user_agent', type: 'text', nullable: true })
  userAgent: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
