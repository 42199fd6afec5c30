import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { TRIGGER_TYPES, type TriggerType } from '@ruleflow/rules';
import { Transform, Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsNotEmpty,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { PageQueryDto } from '../../common/pagination';

export const ENTITY_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

export class TriggerDto {
  @ApiProperty({ enum: TRIGGER_TYPES })
  @IsIn(TRIGGER_TYPES)
  type: TriggerType;

  @ApiPropertyOptional({ description: '5-field cron (scheduled triggers)', example: '*/5 * * * *' })
  @IsOptional()
  @IsString()
  @MaxLength(120)
  cron?: string;

  @ApiPropertyOptional({ description: 'IANA time zone (scheduled triggers)', default: 'UTC' })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  timezone?: string;
}

export class CreateRuleDto {
  @ApiProperty({ example: 'Notify when order ships' })
  @IsString()
  @IsNotEmpty()
  @MaxLength(200)
  name: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiProperty({ example: 'orders', description: 'the entity (table) the rule watches' })
  @IsString()
  @Matches(ENTITY_NAME, { message: 'entity must be a name like "orders" (letters, digits, _ . -)' })
  entity: string;

  @ApiProperty({ type: TriggerDto })
  @ValidateNested()
  @Type(() => TriggerDto)
  trigger: TriggerDto;

  @ApiPropertyOptional({
    description: '{"all":[...]} or {"any":[...]} groups nesting freely; leaves {field, operator, value}',
    type: 'object',
    additionalProperties: true,
    example: { all: [{ field: 'status', operator: 'changed_to', value: 'shipped' }] },
  })
  @Allow()
  conditions?: unknown;

  @ApiProperty({
    description:
      'actions run in order: {name?, type, config, retry?, templateId?, when?, continueOnError?}. ' +
      '`when`: conditions (the grammar of `conditions`) over the template context (fields start with ' +
      'event, data, previous, rule, steps or parent; no changed*/matches): when they do not hold the action is ' +
      'recorded `skipped`. `continueOnError: true`: a failure for good is recorded and the run goes on, ' +
      'ending `partial` (`failed` when no action succeeded).',
    type: 'array',
    items: {
      type: 'object',
      additionalProperties: true,
      properties: {
        when: {
          type: 'object',
          additionalProperties: true,
          example: { all: [{ field: 'steps.check.statusCode', operator: 'equals', value: 200 }] },
        },
        continueOnError: { type: 'boolean', default: false },
      },
    },
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  actions: unknown[];

  @ApiPropertyOptional({
    description:
      'failure handlers: actions (the shape and checks of `actions`) run in order after a run ends `failed` or ' +
      '`partial`, after compensation. Their templates and `when` may also read `error` (the failure message) and ' +
      "`errorAction` (the name of the action that failed), and `steps` of the rule's actions. Names are unique " +
      'across both lists. Recorded in the execution\'s `actions` with `"phase":"on_failure"` (`skipped` after a ' +
      "success); a failing handler is recorded `failed` and the next still runs; none changes the run's status. " +
      'Secrets are sealed and masked as in `actions`. `allocate_inventory` and `release_inventory` are refused ' +
      "(the run's allocations are already returned). The dry run (`POST /v1/rules/:id/test`) does not list them. " +
      'Default: none; `[]` (or null) removes them.',
    type: 'array',
    default: [],
    items: { type: 'object', additionalProperties: true },
    example: [
      {
        name: 'alert_ops',
        type: 'webhook',
        config: {
          url: 'https://ops.example.com/hooks/rule-failed',
          body: { rule: '{{rule.name}}', failedAction: '{{errorAction}}', error: '{{error}}' },
        },
      },
    ],
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  onFailure?: unknown[];

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @IsInt()
  @Min(-1_000_000)
  @Max(1_000_000)
  priority?: number;

  @ApiPropertyOptional({ default: true })
  @IsOptional()
  @IsBoolean()
  isActive?: boolean;
}

export class UpdateRuleDto extends PartialType(CreateRuleDto) {}

const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

export class ListRulesQueryDto extends PageQueryDto {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(128)
  entity?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  isActive?: boolean;

  @ApiPropertyOptional({ enum: TRIGGER_TYPES })
  @IsOptional()
  @IsIn(TRIGGER_TYPES)
  triggerType?: TriggerType;
}

export class ReorderRulesDto {
  @ApiProperty({ type: [String], description: 'rule ids, highest priority first' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  ruleIds: string[];
}

export class TestRuleDto {
  @ApiPropertyOptional({ enum: TRIGGER_TYPES, description: 'event type to evaluate as (default: the rule trigger)' })
  @IsOptional()
  @IsIn(TRIGGER_TYPES)
  type?: TriggerType;

  @ApiProperty({ type: 'object', additionalProperties: true })
  @IsObject()
  data: Record<string, unknown>;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsObject()
  previous?: Record<string, unknown>;
}

export class RunRuleDto {
  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'the event data (default {})' })
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;
}

/** At most this many events are listed in a backtest's `items`. */
export const BACKTEST_MAX_ITEMS = 1000;
/** At most this many stored events are evaluated by one backtest; narrow `since`/`until` for more. */
export const BACKTEST_MAX_EVENTS = 1_000_000;

export class BacktestDraftDto {
  @ApiPropertyOptional({
    description: "draft conditions evaluated instead of the rule's (same grammar and validation as at save)",
    type: 'object',
    additionalProperties: true,
  })
  @Allow()
  conditions?: unknown;

  @ApiPropertyOptional({
    type: TriggerDto,
    description: "a draft trigger: its type picks the events (default: the rule's trigger type)",
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => TriggerDto)
  trigger?: TriggerDto;
}

export class BacktestRuleDto {
  @ApiPropertyOptional({ example: '2026-11-22T00:00:00Z', description: 'events received at or after this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  since?: string;

  @ApiPropertyOptional({ example: '2026-11-29T00:00:00Z', description: 'events received before this instant' })
  @IsOptional()
  @IsISO8601({ strict: true })
  until?: string;

  @ApiPropertyOptional({
    default: BACKTEST_MAX_ITEMS,
    maximum: BACKTEST_MAX_ITEMS,
    description: 'events listed in `items`',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(BACKTEST_MAX_ITEMS)
  limit?: number;

  @ApiPropertyOptional({ type: BacktestDraftDto, description: "draft fields evaluated instead of the rule's" })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => BacktestDraftDto)
  rule?: BacktestDraftDto;
}
