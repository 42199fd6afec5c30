import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EXECUTION_STATUSES, type ExecutionStatus } from '@ruleflow/entities';
import { TRIGGER_TYPES, type TriggerType } from '@ruleflow/rules';

/** A rule's trigger as responses show it. */
export class RuleTriggerDto {
  @ApiProperty({ enum: TRIGGER_TYPES })
  type: TriggerType;

  @ApiPropertyOptional({ example: '*/5 * * * *', description: 'scheduled rules' })
  cron?: string;

  @ApiPropertyOptional({ example: 'UTC', description: 'scheduled rules' })
  timezone?: string;

  @ApiPropertyOptional({
    example: '/v1/hooks/kokjkYQS********',
    description:
      "webhook rules: the path to POST to (on the gateway's base URL); its token is masked except when the rule " +
      'is created or its hook rotated',
  })
  hookUrl?: string;
}

const ACTION_ITEMS = { type: 'object', additionalProperties: true } as const;

/** A rule as the API shows it (rule.mapper.ts `toRuleResponse`): secrets of actions masked. */
export class RuleDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'Notify when order ships' })
  name: string;

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty({ example: 'orders' })
  entity: string;

  @ApiProperty({ type: RuleTriggerDto })
  trigger: RuleTriggerDto;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'stored in the `{"all":[...]}` form',
    example: { all: [{ field: 'status', operator: 'changed_to', value: 'shipped' }] },
  })
  conditions: unknown;

  @ApiProperty({
    type: 'array',
    items: ACTION_ITEMS,
    description:
      'each `{name, type, config, retry?, templateId?, when?, continueOnError?}`; secrets shown as `********`',
    example: [{ name: 'erp', type: 'webhook', config: { url: 'https://erp.example.com/hooks', method: 'POST' } }],
  })
  actions: unknown[];

  @ApiProperty({ type: 'array', items: ACTION_ITEMS, description: 'failure handlers (see the create body)' })
  onFailure: unknown[];

  @ApiProperty({ example: 10, description: 'higher runs first' })
  priority: number;

  @ApiProperty()
  isActive: boolean;

  @ApiProperty({ example: 1, description: '1 at creation, +1 on every change' })
  version: number;

  @ApiProperty({ example: 0 })
  executionCount: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastExecutedAt: string | null;

  @ApiProperty({ enum: EXECUTION_STATUSES, nullable: true })
  lastExecutionStatus: ExecutionStatus | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

export class RuleListDto {
  @ApiProperty({ type: [RuleDto], description: 'highest priority first' })
  items: RuleDto[];
}

export class RuleVersionDto {
  @ApiProperty({ example: 2 })
  version: number;

  @ApiProperty({ type: RuleDto, description: 'the rule as it was at that version' })
  rule: RuleDto;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;
}

export class ConditionResultDto {
  @ApiProperty({ example: 'status' })
  field: string;

  @ApiProperty({ example: 'changed_to' })
  operator: string;

  @ApiProperty({ description: "the condition's value", example: 'shipped' })
  expected: unknown;

  @ApiProperty({ description: 'what the data holds at `field`', example: 'shipped' })
  actual: unknown;

  @ApiProperty()
  passed: boolean;
}

export class RenderedActionDto {
  @ApiProperty({ example: 'erp' })
  name: string;

  @ApiProperty({ example: 'webhook' })
  type: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'rendered with the given data; secrets stay masked',
  })
  config: Record<string, unknown>;
}

export class RuleTestResultDto {
  @ApiProperty()
  matched: boolean;

  @ApiProperty({ type: [ConditionResultDto] })
  conditions: ConditionResultDto[];

  @ApiProperty({ type: [RenderedActionDto] })
  actions: RenderedActionDto[];
}

export class BacktestItemDto {
  @ApiProperty()
  eventId: string;

  @ApiProperty({ format: 'date-time' })
  occurredAt: string;

  @ApiProperty()
  matched: boolean;
}

export class BacktestResultDto {
  @ApiProperty({ example: 1200, description: 'events evaluated in the window' })
  evaluated: number;

  @ApiProperty({ example: 37 })
  matched: number;

  @ApiProperty({ type: [BacktestItemDto], description: 'the newest `limit` events with their result' })
  items: BacktestItemDto[];
}

export class HookUrlDto {
  @ApiProperty({
    example: '/v1/hooks/kokjkYQSfndeV5Hd5LCID1OweOi6q7',
    description: "the path to POST to, on the gateway's base URL; the token in full is shown only here",
  })
  hookUrl: string;
}

/** The example body of POST /v1/rules: a valid rule (openapi.spec.ts checks it as the API would). */
export const CREATE_RULE_EXAMPLE = {
  name: 'Big order: tell the ERP and the customer',
  description: 'Orders over 100 are posted to the ERP, then the customer gets an email.',
  entity: 'orders',
  trigger: { type: 'on_create' },
  conditions: {
    all: [
      { field: 'total', operator: 'greater_than', value: 100 },
      { field: 'customer.tier', operator: 'in', value: ['gold', 'platinum'] },
    ],
  },
  actions: [
    {
      name: 'erp',
      type: 'webhook',
      config: {
        url: 'https://erp.example.com/hooks/orders',
        method: 'POST',
        body: { orderId: '{{data.id}}', total: '{{data.total}}' },
      },
      retry: { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
    },
    {
      name: 'mail',
      type: 'send_notification',
      config: {
        channel: 'email',
        to: ['{{data.customer.email}}'],
        subject: 'Order {{data.id}} received',
        body: 'Thank you: order {{data.id}} is on its way to our warehouse.',
      },
    },
  ],
  priority: 10,
  isActive: true,
};
