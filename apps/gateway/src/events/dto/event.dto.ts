import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EVENT_TYPES, type EventType } from '@ruleflow/rules';
import { IsIn, IsISO8601, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
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
