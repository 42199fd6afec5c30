import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One acknowledgment of an alert; acknowledging again adds another row. */
@Entity({ name: 'alert_acknowledgments' })
@Index('idx_alert_acknowledgments_alert', ['alertId', 'acknowledgedAt'])
export class AlertAcknowledgmentEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'alert_id', type: 'uuid' })
  alertId: string;

  @Column({ name: 'user_id', type: 'text' })
  userId: string;

  @Column({ type: 'text', nullable: true })
  notes: string | null;

  @CreateDateColumn({ name: 'acknowledged_at', type: 'timestamptz' })
  acknowledgedAt: Date;
}
