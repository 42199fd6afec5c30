import type { EndedStatus } from '@ruleflow/contract';
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
}
