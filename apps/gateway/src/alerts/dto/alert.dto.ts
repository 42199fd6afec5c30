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
