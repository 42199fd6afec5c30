import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const IVR_PROVIDERS = ['twilio'] as const;
export type IvrProvider = (typeof IVR_PROVIDERS)[number];

/**
 * A phone line of a tenant: the provider's number whose calls run the line's IVR menu. `authToken` is
 * sealed (`enc:v1:…`); the voice/status URL token is kept only as its SHA-256 (`tokenHash`) and first
 * characters (`tokenPrefix`).
 */
@Entity({ name: 'ivr_lines' })
@Index('idx_ivr_lines_tenant_created', ['tenantId', 'createdAt', 'id'])
export class IvrLineEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'uuid' })
  tenantId: string;

  @Column({ type: 'text' })
  name: string;

  @Column({ name: 'menu_id', type: 'uuid' })
  menuId: string;

  @Column({ type: 'text', default: 'twilio' })
  provider: IvrProvider;

  @Column({ name: 'account_sid', type: 'text' })
  accountSid: string;

  /** Sealed with the secret box; never returned. */
  @Column({ name: 'auth_token', type: 'text' })
  authToken: string;

  @Column({ name: 'phone_number', type: 'text' })
  phoneNumber: string;

  @Column({ name: 'token_hash', type: 'text' })
  tokenHash: string;

  @Column({ name: 'token_prefix', type: 'text' })
  tokenPrefix: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
