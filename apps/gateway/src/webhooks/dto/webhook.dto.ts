import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { DeliverySource, DeliveryStatus } from '@ruleflow/entities';
import { DELIVERY_STATUSES } from '@ruleflow/entities';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsNotEmpty,
  IsOptional,
  IsString,
  MaxLength,
  ValidateIf,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';

export const MAX_EVENTS = 50;
export const MAX_FIELD_SELECTION = 100;

/** Present (even as null) in the body: validated, so `null` is refused where a field cannot be cleared. */
const present = (field: string) => (o: object) => (o as Record<string, unknown>)[field] !== undefined;

export class CreateWebhookDto {
  @ApiProperty({ example: 'ERP' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiProperty({
    example: 'https://erp.example.com/hooks/ruleflow',
    description: 'http(s); loopback, private, link-local and metadata addresses are refused',
  })
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url: string;

  @ApiProperty({
    type: [String],
    example: ['orders.on_update', 'customers.*', 'execution.failed'],
    description:
      '`<entity>.<type>`, `<entity>.*`, `*`, or a system event type (execution.succeeded, execution.failed, alert.created, call.started, call.ended)',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_EVENTS)
  @IsString({ each: true })
  @MaxLength(202, { each: true })
  events: string[];

  @ApiPropertyOptional({ default: true })
  @ValidateIf(present('enabled'))
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({
    type: [String],
    nullable: true,
    example: ['id', 'status', 'customer.email'],
    description: 'dot paths of `data` to keep (applied first)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_FIELD_SELECTION)
  @IsString({ each: true })
  fieldSelection?: string[] | null;

  @ApiPropertyOptional({
    nullable: true,
    description: 'JSON with `{{ data.… }}` / `{{ event.… }}` placeholders; becomes `data` (applied second)',
    example: { orderId: '{{ data.id }}', kind: '{{ event.type }}' },
  })
  @Allow()
  payloadTemplate?: unknown;

  @ApiPropertyOptional({ nullable: true, description: 'a JSONata expression over `data` (applied last)', example: '$' })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  transform?: string | null;
}

/** Any field; `null` clears description, fieldSelection, payloadTemplate and transform. */
export class UpdateWebhookDto {
  @ApiPropertyOptional()
  @ValidateIf(present('name'))
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional()
  @ValidateIf(present('url'))
  @IsString()
  @IsNotEmpty()
  @MaxLength(2048)
  url?: string;

  @ApiPropertyOptional({ type: [String] })
  @ValidateIf(present('events'))
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_EVENTS)
  @IsString({ each: true })
  @MaxLength(202, { each: true })
  events?: string[];

  @ApiPropertyOptional({
    description: '`true` on an endpoint the system disabled re-enables it and clears `disabledReason`',
  })
  @ValidateIf(present('enabled'))
  @IsBoolean()
  enabled?: boolean;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string | null;

  @ApiPropertyOptional({ type: [String], nullable: true })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_FIELD_SELECTION)
  @IsString({ each: true })
  fieldSelection?: string[] | null;

  @ApiPropertyOptional({ nullable: true })
  @Allow()
  payloadTemplate?: unknown;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  transform?: string | null;
}

export class TestWebhookDto {
  @ApiPropertyOptional({
    description: 'the `data` of the test message (default `{"message":"Test delivery from Ruleflow","webhookId":…}`)',
  })
  @Allow()
  payload?: unknown;
}

export class ListDeliveriesQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DELIVERY_STATUSES })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;
}

/** OpenAPI shape of one attempt (webhook.mapper.ts `toDeliveryResponse`). */
export class DeliveryAttemptDto {
  @ApiProperty({ example: 1 })
  attemptNumber: number;

  @ApiProperty({ type: Number, nullable: true, description: "the receiver's status code; null when none came" })
  statusCode: number | null;

  @ApiProperty({ type: String, nullable: true, example: '503 Service Unavailable' })
  error: string | null;

  @ApiProperty({ example: 120 })
  durationMs: number;

  @ApiProperty({ type: String, nullable: true, description: 'cut to 4 KiB' })
  responseBody: string | null;

  @ApiProperty({ format: 'date-time' })
  at: string;
}

/** OpenAPI shape of a delivery (webhook.mapper.ts `DeliveryResponse`). */
export class DeliveryDto {
  @ApiProperty({ format: 'uuid', description: 'also the `webhook-id` header of every attempt' })
  id: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  webhookId: string | null;

  @ApiProperty({ example: 'orders.on_update' })
  eventType: string;

  @ApiProperty({ enum: DELIVERY_STATUSES })
  status: DeliveryStatus;

  @ApiProperty({ type: [DeliveryAttemptDto] })
  attempts: DeliveryAttemptDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    example: 'endpoint disabled: the receiver answered 410 Gone',
    description:
      'why the delivery ended failed: the endpoint deleted or disabled before an attempt, a failed transform, ' +
      "the receiver's refusal, or the retry window spent (`gave up after N attempts over …`); null otherwise",
  })
  error: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  deliveredAt: string | null;

  @ApiProperty({ enum: ['rule_action', 'endpoint'] })
  source: DeliverySource;

  @ApiProperty()
  url: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  executionId: string | null;

  @ApiProperty({ type: String, nullable: true })
  actionName: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  redeliveryOf: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'while retrying' })
  nextAttemptAt: string | null;
}

export class DeliveryPageDto {
  @ApiProperty({ type: [DeliveryDto] })
  items: DeliveryDto[];

  @ApiProperty({ type: String, nullable: true })
  nextCursor: string | null;
}
