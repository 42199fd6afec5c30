import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { NOTIFICATION_CHANNELS, type NotificationChannel, type NotificationStatus } from '@ruleflow/entities';
import { NOTIFICATION_STATUSES } from '@ruleflow/entities';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';

export class ListNotificationsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: NOTIFICATION_STATUSES })
  @IsOptional()
  @IsIn(NOTIFICATION_STATUSES)
  status?: NotificationStatus;

  @ApiPropertyOptional({ enum: NOTIFICATION_CHANNELS })
  @IsOptional()
  @IsIn(NOTIFICATION_CHANNELS)
  channel?: NotificationChannel;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(500)
  recipientId?: string;
}

/** The statuses a provider receipt may report. */
export const RECEIPT_STATUSES = ['delivered', 'bounced', 'failed'] as const;
export type ReceiptStatus = (typeof RECEIPT_STATUSES)[number];

export class NotificationReceiptDto {
  @ApiProperty({ enum: RECEIPT_STATUSES })
  @IsIn(RECEIPT_STATUSES)
  status: ReceiptStatus;

  @ApiPropertyOptional({ description: 'the provider callback as received (any JSON)' })
  @IsOptional()
  providerResponse?: unknown;
}

export class InboxQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'only notifications not read yet' })
  @IsOptional()
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  unread?: boolean;
}

/** A notification delivery (one per recipient). */
export class NotificationDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  executionId: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  ruleId: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'the send_notification action that sent it' })
  actionName: string | null;

  @ApiProperty({ enum: NOTIFICATION_CHANNELS })
  channel: NotificationChannel;

  @ApiProperty({ example: 'ada@example.com' })
  recipientId: string;

  @ApiProperty({ enum: NOTIFICATION_STATUSES })
  status: NotificationStatus;

  @ApiProperty({ example: 1 })
  attempts: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  sentAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  failedAt: string | null;

  @ApiProperty({ type: String, nullable: true })
  error: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  providerResponse: Record<string, unknown> | null;

  @ApiProperty({ type: String, nullable: true })
  subject: string | null;

  @ApiProperty({ example: 'Order 1001 shipped' })
  body: string;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  data: Record<string, unknown> | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'in-app: when it was read' })
  readAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}
