import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { DeliverySource, DeliveryStatus } from '@ruleflow/entities';
import { DELIVERY_STATUSES } from '@ruleflow/entities';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsDateString,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  Max,
  MaxLength,
  Min,
  ValidateIf,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';

export const MAX_EVENTS = 50;
export const MAX_FIELD_SELECTION = 100;
export const MAX_RATE_LIMIT_PER_SECOND = 10_000;

const HEADERS_DOC = {
  type: 'object',
  additionalProperties: { type: 'string' },
  nullable: true,
  example: { 'X-Api-Key': 'abc123' },
  description:
    'request headers sent with every delivery; values are secrets (sealed at rest, shown as `********`; ' +
    'send `********` back to keep a value while the URL host stays the same). `webhook-*`, `host`, ' +
    '`content-length`, `content-type` and hop-by-hop names are refused; at most 20 headers',
} as const;

const RATE_LIMIT_DOC = {
  type: Number,
  nullable: true,
  minimum: 1,
  maximum: MAX_RATE_LIMIT_PER_SECOND,
  example: 10,
  description:
    'deliveries to the endpoint go out no faster than this per second (across all workers); they wait their turn, none is dropped',
} as const;

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
      '`<entity>.<type>`, `<entity>.*`, `*`, or a system event type (execution.succeeded, execution.failed, alert.created, call.started, call.ended, endpoint.disabled, delivery.exhausted)',
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
    description:
      'dot paths of `data` to keep (applied first); entity events and webhook.test only: system events arrive intact',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(MAX_FIELD_SELECTION)
  @IsString({ each: true })
  fieldSelection?: string[] | null;

  @ApiPropertyOptional({
    nullable: true,
    description:
      'JSON with `{{ data.… }}` / `{{ event.… }}` placeholders; becomes `data` (applied second; entity events and webhook.test only)',
    example: { orderId: '{{ data.id }}', kind: '{{ event.type }}' },
  })
  @Allow()
  payloadTemplate?: unknown;

  @ApiPropertyOptional({
    nullable: true,
    description: 'a JSONata expression over `data` (applied last; entity events and webhook.test only)',
    example: '$',
  })
  @IsOptional()
  @IsString()
  @MaxLength(10_000)
  transform?: string | null;

  @ApiPropertyOptional(HEADERS_DOC)
  @IsOptional()
  @IsObject()
  headers?: Record<string, string> | null;

  @ApiPropertyOptional(RATE_LIMIT_DOC)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RATE_LIMIT_PER_SECOND)
  rateLimitPerSecond?: number | null;
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

  @ApiPropertyOptional({ ...HEADERS_DOC, description: `${HEADERS_DOC.description}; \`null\` removes them all` })
  @IsOptional()
  @IsObject()
  headers?: Record<string, string> | null;

  @ApiPropertyOptional({ ...RATE_LIMIT_DOC, description: `${RATE_LIMIT_DOC.description}; \`null\` removes the limit` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_RATE_LIMIT_PER_SECOND)
  rateLimitPerSecond?: number | null;
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

export class RecoverWebhookDto {
  @ApiProperty({
    format: 'date-time',
    example: '2026-11-28T00:00:00Z',
    description: 'deliveries created at or after this',
  })
  @IsDateString({ strict: true })
  since: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'deliveries created before this (default: now)' })
  @IsOptional()
  @IsDateString({ strict: true })
  until?: string;
}

export class RecoverResultDto {
  @ApiProperty({ example: 3, description: 'how many failed deliveries were sent again (at most 1000 per call)' })
  count: number;
}

export class WebhookStatsQueryDto {
  @ApiPropertyOptional({ format: 'date-time', description: 'count deliveries created since (default: 24 h ago)' })
  @IsOptional()
  @IsDateString({ strict: true })
  since?: string;
}

export class WebhookStatsDto {
  @ApiProperty({ example: 120 })
  success: number;

  @ApiProperty({ example: 2 })
  failed: number;

  @ApiProperty({ example: 0 })
  pending: number;

  @ApiProperty({ example: 1 })
  retrying: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    example: 85,
    description:
      "median `durationMs` of the window's delivery attempts (request sent to answer, or to the error); null without attempts",
  })
  p50LatencyMs: number | null;

  @ApiProperty({ type: Number, nullable: true, example: 640, description: '99th percentile of the same' })
  p99LatencyMs: number | null;
}

/** OpenAPI shape of an endpoint (webhook.mapper.ts `WebhookResponse`): never its secrets. */
export class WebhookDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'ERP' })
  name: string;

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty({ example: 'https://erp.example.com/hooks/ruleflow' })
  url: string;

  @ApiProperty({ type: [String], example: ['orders.*', 'execution.failed'] })
  events: string[];

  @ApiProperty()
  enabled: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'why the system disabled it (a 410, the circuit breaker); null otherwise',
  })
  disabledReason: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  disabledAt: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'first failed attempt since the last success',
  })
  failingSince: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastSuccessAt: string | null;

  @ApiProperty({ type: [String], nullable: true, example: ['id', 'status'] })
  fieldSelection: string[] | null;

  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true, example: { orderId: '{{ data.id }}' } })
  payloadTemplate: unknown;

  @ApiProperty({ type: String, nullable: true })
  transform: string | null;

  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { 'X-Api-Key': '********' } })
  headers: Record<string, string>;

  @ApiProperty({ type: Number, nullable: true })
  rateLimitPerSecond: number | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  secretRotatedAt: string | null;

  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'until when the previous secret still signs',
  })
  previousSecretExpiresAt: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class WebhookSecretDto {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'shown here only; store it now' })
  secret: string;
}

/** The answer to POST /v1/webhooks: the endpoint and its signing secret, shown this once. */
export class CreatedWebhookDto extends WebhookDto {
  @ApiProperty({
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    description: 'shown here and on rotate-secret only',
  })
  secret: string;
}
