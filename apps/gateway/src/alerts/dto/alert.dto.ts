import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { AlertRecipientType, AlertSeverity, AlertStatus } from '@ruleflow/entities';
import { ALERT_RECIPIENT_TYPES, ALERT_SEVERITIES, ALERT_STATUSES } from '@ruleflow/entities';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';

export class ListAlertsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ALERT_STATUSES, description: 'an expired active alert reads (and filters as) resolved' })
  @IsOptional()
  @IsIn(ALERT_STATUSES)
  status?: AlertStatus;

  @ApiPropertyOptional({ enum: ALERT_SEVERITIES })
  @IsOptional()
  @IsIn(ALERT_SEVERITIES)
  severity?: AlertSeverity;

  @ApiPropertyOptional({ enum: ALERT_RECIPIENT_TYPES })
  @IsOptional()
  @IsIn(ALERT_RECIPIENT_TYPES)
  recipientType?: AlertRecipientType;

  @ApiPropertyOptional({ description: 'alerts with a recipient of this id (of `recipientType` when given)' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  recipientId?: string;
}

export class AcknowledgeAlertDto {
  @ApiProperty({ description: 'who acknowledges' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  userId: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  notes?: string;
}

export class AlertRecipientDto {
  @ApiProperty({ enum: ALERT_RECIPIENT_TYPES })
  type: AlertRecipientType;

  @ApiProperty({ example: 'ops' })
  id: string;
}

export class AlertAcknowledgmentDto {
  @ApiProperty({ example: 'u-42' })
  userId: string;

  @ApiProperty({ type: String, nullable: true })
  notes: string | null;

  @ApiProperty({ format: 'date-time' })
  acknowledgedAt: string;
}

/** An alert (alert.mapper.ts `toAlertResponse`). */
export class AlertDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'big_order' })
  alertType: string;

  @ApiProperty({ enum: ALERT_SEVERITIES })
  severity: AlertSeverity;

  @ApiProperty({ example: 'Order over 10 000' })
  title: string;

  @ApiProperty({ example: 'Order 1001 totals 12 500' })
  message: string;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  context: Record<string, unknown> | null;

  @ApiProperty({ type: String, nullable: true, example: 'orders' })
  sourceEntityName: string | null;

  @ApiProperty({ type: String, nullable: true, example: '1001' })
  sourceEntityId: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  sourceRuleId: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  sourceExecutionId: string | null;

  @ApiProperty({ enum: ALERT_STATUSES, description: 'an active alert past its expiresAt reads resolved' })
  status: AlertStatus;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  expiresAt: string | null;

  @ApiProperty({ type: [AlertRecipientDto] })
  recipients: AlertRecipientDto[];

  @ApiProperty({ type: [AlertAcknowledgmentDto] })
  acknowledgments: AlertAcknowledgmentDto[];

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}
