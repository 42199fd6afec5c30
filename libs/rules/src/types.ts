/**
 * Rule domain types shared by the gateway, the workflows and the activities.
 * Everything here is plain, serialisable data: it crosses the Temporal boundary.
 */

export const TRIGGER_TYPES = ['on_create', 'on_update', 'on_delete', 'scheduled', 'manual', 'webhook'] as const;
export type TriggerType = (typeof TRIGGER_TYPES)[number];

/** Trigger types an ingested entity event (`POST /v1/events`) may carry. */
export const EVENT_TYPES = ['on_create', 'on_update', 'on_delete'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export const OPERATORS = [
  'equals',
  'not_equals',
  'contains',
  'not_contains',
  'starts_with',
  'ends_with',
  'greater_than',
  'greater_than_or_equal',
  'less_than',
  'less_than_or_equal',
  'between',
  'in',
  'not_in',
  'exists',
  'not_exists',
  'matches',
  'changed',
  'changed_from',
  'changed_to',
] as const;
export type Operator = (typeof OPERATORS)[number];

export interface ConditionLeaf {
  field: string;
  operator: Operator;
  value?: unknown;
}
export interface AllGroup {
  all: ConditionNode[];
}
export interface AnyGroup {
  any: ConditionNode[];
}
export type ConditionGroup = AllGroup | AnyGroup;
export type ConditionNode = ConditionLeaf | ConditionGroup;
/** The stored form: always a group at the root. */
export type Conditions = ConditionGroup;

export const ACTION_TYPES = [
  'webhook',
  'send_notification',
  'create_alert',
  'allocate_inventory',
  'release_inventory',
  'delay',
  'ivr_call',
  'wait_for_approval',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** A duration as the contract writes it: "500ms", "30s", "5m", "1h", "2d", or integer milliseconds. */
export type DurationInput = string | number;

export interface RetrySpec {
  maximumAttempts: number;
  initialInterval: DurationInput;
  backoffCoefficient: number;
  maximumInterval: DurationInput;
}

export const DEFAULT_RETRY: RetrySpec = {
  maximumAttempts: 5,
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
};

export interface ActionSpec {
  name: string;
  type: ActionType;
  config: Record<string, unknown>;
  retry?: RetrySpec;
  templateId?: string;
  /** Run the action only when these conditions hold over the template context; else it is `skipped`. */
  when?: Conditions;
  /** A failure for good is recorded and the run goes on (it then ends `partial`, or `failed` if nothing succeeded). */
  continueOnError?: boolean;
}

/** What a run executes: the rule as it was when it fired (templates merged, retry defaults applied). */
export interface RuleSnapshot {
  id: string;
  tenantId: string;
  name: string;
  version: number;
  entity: string;
  triggerType: TriggerType;
  conditions: Conditions;
  actions: Array<ActionSpec & { retry: RetrySpec }>;
  /**
   * Actions run in order after the run ends `failed` or `partial` (after compensation), with `error`
   * and `errorAction` in their template context; they never change the run's status. Absent in
   * snapshots taken before it existed.
   */
  onFailure?: Array<ActionSpec & { retry: RetrySpec }>;
}

/** The event a run works on. `id` is the client's idempotency key (or a generated UUID). */
export interface RuleEvent {
  id: string;
  entity: string;
  type: TriggerType;
  data: Record<string, unknown>;
  previous: Record<string, unknown> | null;
  occurredAt: string;
}

/** The `parent` seen by a child rule's templates. */
export interface ParentContext {
  executionId: string;
  ruleId: string;
  ruleName: string;
  steps: Record<string, unknown>;
}

/** The context templates are rendered over. */
export interface TemplateContext {
  event: RuleEvent;
  data: Record<string, unknown>;
  previous: Record<string, unknown> | null;
  rule: { id: string; name: string; version: number };
  steps: Record<string, unknown>;
  parent: ParentContext | null;
  /** `onFailure` actions only: why the run failed and the action that failed. */
  error?: string | null;
  errorAction?: string | null;
}

/** Thrown for invalid rule input; `path` names the offending place, e.g. `conditions.all[1].any[0]`. */
export class RuleValidationError extends Error {
  /** The message without the path, for re-raising the error at another path. */
  public readonly reason: string;

  constructor(
    public readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'RuleValidationError';
    this.reason = message;
  }
}
