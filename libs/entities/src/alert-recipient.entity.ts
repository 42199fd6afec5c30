import { Entity, PrimaryColumn } from 'typeorm';
import type { AlertRecipientType } from './alert.entity';

/** Who an alert is for: a user or a role, by the id the client uses for them. */
@Entity({ name: 'alert_recipients' })
export class AlertRecipientEntity {
  @PrimaryColumn({ name: 'alert_id', type: 'uuid' })
  alertId: string;

  @PrimaryColumn({ name: 'recipient_type', type: 'text' })
  recipientType: AlertRecipientType;

  @PrimaryColumn({ name: 'recipient_id', type: 'text' })
  recipientId: string;
}
