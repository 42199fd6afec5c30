import type { EndedStatus, RetentionTable } from '@ruleflow/contract';
import { ENDED_STATUSES } from '@ruleflow/contract';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Allow, IsDefined, IsIn, IsOptional } from 'class-validator';

export class CleanupExecutionsDto {
  @ApiProperty({
    description:
      'delete ended executions that completed, and ended endpoint deliveries that ended, longer ago than this: ' +
      '"30d", "12h", … or integer ms',
    oneOf: [
      { type: 'string', example: '30d' },
      { type: 'integer', minimum: 0 },
    ],
  })
  // Parsed by the service with the contract's duration grammar, so the message names the field.
  @IsDefined({ message: 'olderThan is required (a duration like "30d")' })
  @Allow()
  olderThan: string | number;

  @ApiPropertyOptional({
    enum: ENDED_STATUSES,
    description:
      'only executions that ended in this status; endpoint deliveries too for success and failed (none for the others)',
  })
  @IsOptional()
  @IsIn(ENDED_STATUSES)
  status?: EndedStatus;
}

/** Rows deleted per table (`RetentionSummary.tables` of the daily retention has the same shape). */
export class CleanupTablesDto implements Record<RetentionTable, number> {
  @ApiProperty({ description: 'ended executions' })
  executions: number;

  @ApiProperty({ description: 'delivery logs of those executions plus ended endpoint deliveries' })
  deliveries: number;

  @ApiProperty({ description: 'events received before the cut-off that no remaining execution refers to' })
  events: number;

  @ApiProperty({ description: 'notifications created before the cut-off' })
  notifications: number;

  @ApiProperty({ description: 'resolved or dismissed alerts (with their recipients and acknowledgments)' })
  alerts: number;

  @ApiProperty({ description: 'always 0 here: audit logs go only with the daily retention' })
  audit_logs: number;

  @ApiProperty({ description: "hourly usage counters of the tenant's API keys" })
  api_key_usage: number;

  @ApiProperty({ description: 'ended IVR sessions' })
  ivr_sessions: number;
}

export class CleanupResultDto {
  @ApiProperty({ description: 'executions deleted (their delivery logs go with them)' })
  deleted: number;

  @ApiProperty({
    description:
      'ended endpoint deliveries deleted (success or failed, ended before the cut-off; never pending or retrying)',
  })
  endpointDeliveries: number;

  @ApiProperty({ description: 'ended IVR sessions deleted (ended before the cut-off; none when `status` is given)' })
  ivrSessions: number;

  @ApiProperty({
    type: () => CleanupTablesDto,
    description:
      "rows deleted per table. Without `status`, the cleanup also removes the tenant's events no remaining " +
      'execution refers to, notifications, resolved or dismissed alerts and API-key usage counters older than ' +
      '`olderThan`; audit logs only ever go with the daily retention (RETENTION_AUDIT_LOG_DAYS)',
  })
  tables: CleanupTablesDto;
}
