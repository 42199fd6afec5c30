import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EVENT_SOURCES, EXECUTION_STATUSES, type EventSource, type ExecutionStatus } from '@ruleflow/entities';
import { EVENT_TYPES, TRIGGER_TYPES, type EventType, type TriggerType } from '@ruleflow/rules';
import { IsIn, IsISO8601, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { ENTITY_NAME } from '../../rules/dto/rule.dto';

export class IngestEventDto {
  @ApiPropertyOptional({ description: 'idempotency key: the same id again returns the same answer and starts nothing' })
  @IsOptional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  @Matches(/^[A-Za-z0-9._:@-]+$/, { message: 'id may contain letters, digits and . _ : @ - only' })
  id?: string;

  @ApiProperty({ example: 'orders' })
  @IsString()
  @Matches(ENTITY_NAME, { message: 'entity must be a name like "orders" (letters, digits, _ . -)' })
  entity: string;

  @ApiProperty({ enum: EVENT_TYPES })
  @IsIn(EVENT_TYPES)
  type: EventType;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { id: 42, status: 'shipped', total: 150 } })
  @IsObject()
  data: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'the row before an update' })
  @IsOptional()
  @IsObject()
  previous?: Record<string, unknown>;

  @ApiPropertyOptional({ example: '2026-11-22T10:00:00Z' })
  @IsOptional()
  @IsISO8601({ strict: true })
  occurredAt?: string;
}

export interface IngestEventResponse {
  eventId: string;
  executions: Array<{ executionId: string; ruleId: string; workflowId: string }>;
}

export class StartedExecutionDto {
  @ApiProperty({ format: 'uuid' })
  executionId: string;

  @ApiProperty({ format: 'uuid' })
  ruleId: string;

  @ApiProperty({ description: 'the Temporal workflow id' })
  workflowId: string;
}

/** OpenAPI shape of `IngestEventResponse`. */
export class IngestEventResultDto implements IngestEventResponse {
  @ApiProperty({ description: "the event's id (the given `id`, or a generated one)" })
  eventId: string;

  @ApiProperty({ type: [StartedExecutionDto], description: 'one run per matching active rule, in priority order' })
  executions: StartedExecutionDto[];
}

/** `GET /v1/events` filters, on top of `?limit=` and `?cursor=`. */
export class ListEventsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'orders' })
  @IsOptional()
  @IsString()
  @Matches(ENTITY_NAME, { message: 'entity must be a name like "orders" (letters, digits, _ . -)' })
  entity?: string;

  @ApiPropertyOptional({
    enum: TRIGGER_TYPES,
    description: 'on_create | on_update | on_delete; webhook, scheduled and manual for hook, schedule and manual runs',
  })
  @IsOptional()
  @IsIn(TRIGGER_TYPES)
  type?: TriggerType;

  @ApiPropertyOptional({ enum: EVENT_SOURCES })
  @IsOptional()
  @IsIn(EVENT_SOURCES)
  source?: EventSource;

  @ApiPropertyOptional({ example: '2026-11-22T10:00:00Z', description: 'events received at or after this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ example: '2026-11-23T10:00:00Z', description: 'events received before this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;
}

export class EventExecutionDto {
  @ApiProperty({ format: 'uuid' })
  executionId: string;

  @ApiProperty({ format: 'uuid' })
  ruleId: string;

  @ApiProperty({ enum: EXECUTION_STATUSES })
  status: ExecutionStatus;
}

export class EventDto {
  @ApiProperty({ description: "the event's id: the client's idempotency key, or the one Ruleflow generated" })
  id: string;

  @ApiProperty({ example: 'orders' })
  entity: string;

  @ApiProperty({ enum: TRIGGER_TYPES })
  type: TriggerType;

  @ApiProperty({ type: 'object', additionalProperties: true })
  data: Record<string, unknown>;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true })
  previous: Record<string, unknown> | null;

  @ApiProperty({ format: 'date-time' })
  occurredAt: string;

  @ApiProperty({ format: 'date-time' })
  receivedAt: string;

  @ApiProperty({ enum: EVENT_SOURCES })
  source: EventSource;

  @ApiProperty({
    type: [EventExecutionDto],
    description: 'the runs it started (chained runs and reruns on the same event included), oldest first',
  })
  executions: EventExecutionDto[];
}

export class EventPageDto {
  @ApiProperty({ type: [EventDto] })
  items: EventDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}
