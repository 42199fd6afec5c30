import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EXECUTION_STATUSES, type ExecutionStatus } from '@ruleflow/entities';
import { IsIn, IsISO8601, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';

export class ListExecutionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  ruleId?: string;

  @ApiPropertyOptional({ enum: EXECUTION_STATUSES })
  @IsOptional()
  @IsIn(EXECUTION_STATUSES)
  status?: ExecutionStatus;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(200)
  eventId?: string;
}

/** Where a rerun starts: `start` runs the rule's current version from its first action; `failed` resumes. */
export const RERUN_FROM = ['start', 'failed'] as const;
export type RerunFrom = (typeof RERUN_FROM)[number];

const RERUN_FROM_DESCRIPTION =
  '`start` (default): the rule runs again at its current version. `failed`: a resume of a failed or ' +
  "partial run, at the original's rule version: the actions that succeeded are not run again " +
  "(`reused`, with the original's output in `steps`); the others run with the original's idempotency keys " +
  '(a webhook keeps its `webhook-id`).';

export class RerunDto {
  @ApiPropertyOptional({ enum: RERUN_FROM, default: 'start', description: RERUN_FROM_DESCRIPTION })
  @IsOptional()
  @IsIn(RERUN_FROM)
  from?: RerunFrom;
}

/** The statuses a bulk rerun may select: runs that ended in a failure. */
export const RERUNNABLE_STATUSES = ['failed', 'partial'] as const;
export type RerunnableStatus = (typeof RERUNNABLE_STATUSES)[number];

/** At most this many executions are rerun by one bulk call; call again for the rest. */
export const BULK_RERUN_CAP = 1000;

/** `from`: as for one rerun; `failed` resumes each run (statuses `failed` and `partial` both resume). */
export class BulkRerunDto extends RerunDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'only executions of this rule' })
  @IsOptional()
  @IsUUID()
  ruleId?: string;

  @ApiProperty({ enum: RERUNNABLE_STATUSES })
  @IsIn(RERUNNABLE_STATUSES)
  status: RerunnableStatus;

  @ApiPropertyOptional({
    example: '2026-11-22T10:00:00Z',
    description: 'only executions created at or after this instant (default: the last 7 days)',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;
}

/** The statuses a bulk cancel may select: runs that have not ended. */
export const CANCELLABLE_STATUSES = ['pending', 'running'] as const;
export type CancellableStatus = (typeof CANCELLABLE_STATUSES)[number];

/** At most this many executions are cancelled by one bulk call; call again for the rest. */
export const BULK_CANCEL_CAP = 1000;

export class BulkCancelDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'only executions of this rule' })
  @IsOptional()
  @IsUUID()
  ruleId?: string;

  @ApiPropertyOptional({ enum: CANCELLABLE_STATUSES, description: 'default: both' })
  @IsOptional()
  @IsIn(CANCELLABLE_STATUSES)
  status?: CancellableStatus;

  @ApiPropertyOptional({
    example: '2026-11-22T10:00:00Z',
    description: 'only executions created at or after this instant (default: any time)',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;
}

export class ExecutionSummaryQueryDto {
  @ApiPropertyOptional({
    example: '2026-11-22T10:00:00Z',
    description: 'count executions created at or after this instant (default: the last 7 days)',
  })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;
}

/** Executions per status; every status is present, zero included. */
export type ExecutionSummary = Record<ExecutionStatus, number>;
