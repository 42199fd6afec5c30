import type { SearchAttributePair } from '@temporalio/common';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Keyword search attributes every rule run carries, so operators can filter runs in the Temporal UI and CLI. */
export const RuleIdKey = defineSearchAttributeKey('RuleId', SearchAttributeType.KEYWORD);
export const RuleNameKey = defineSearchAttributeKey('RuleName', SearchAttributeType.KEYWORD);
export const EntityNameKey = defineSearchAttributeKey('EntityName', SearchAttributeType.KEYWORD);
export const TriggerTypeKey = defineSearchAttributeKey('TriggerType', SearchAttributeType.KEYWORD);
export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
/** The call of an IVR session (`ivr-<sessionId>`): the provider's call id. */
export const CallIdKey = defineSearchAttributeKey('CallId', SearchAttributeType.KEYWORD);
/** The event a rule run handles: set when the run starts (a scheduled fire: as soon as its event is recorded). */
export const EventIdKey = defineSearchAttributeKey('EventId', SearchAttributeType.KEYWORD);
/** How a rule run ended, as recorded on its execution (`RunStatus`): set when the run ends. */
export const RunStatusKey = defineSearchAttributeKey('RunStatus', SearchAttributeType.KEYWORD);
/** What a Ruleflow workflow is (`RuleflowKind`), so the list can show rule runs only. */
export const RuleflowKindKey = defineSearchAttributeKey('RuleflowKind', SearchAttributeType.KEYWORD);

/** The values of `RuleflowKind`: a scheduled fire is a rule run (it runs the rule in the same workflow). */
export type RuleflowKind = 'rule_run' | 'delivery' | 'ivr_session' | 'maintenance';

/**
 * The values of `RunStatus`: a rule run's recorded outcome, or `skipped` for a scheduled fire that did
 * not run (the rule was gone, inactive or no longer scheduled).
 */
export type RunStatusValue = 'success' | 'failed' | 'partial' | 'cancelled' | 'skipped';

/** Every search attribute Ruleflow sets: registered at start-up (dev server flags, the worker's check). */
export const SEARCH_ATTRIBUTE_KEYS = [
  RuleIdKey,
  RuleNameKey,
  EntityNameKey,
  TriggerTypeKey,
  TenantIdKey,
  CallIdKey,
  EventIdKey,
  RunStatusKey,
  RuleflowKindKey,
] as const;

/** Their names, for the places that register them (all Keyword). */
export const SEARCH_ATTRIBUTE_NAMES: readonly string[] = SEARCH_ATTRIBUTE_KEYS.map((key) => key.name);

/** Keyword values are capped well below Temporal's 2 KiB limit so a long rule name never fails a start. */
const MAX_KEYWORD_LENGTH = 250;

/** What a rule run (or a rule's schedule) is labelled with. */
export interface RuleRunLabels {
  id: string;
  name: string;
  entity: string;
  triggerType: string;
  tenantId: string;
}

/**
 * The one builder of a rule run's search attributes: the gateway's starts, schedules and child runs use
 * it. `eventId` is known when a run starts; a schedule's fires learn theirs when they record it.
 */
export function ruleRunSearchAttributes(rule: RuleRunLabels, eventId?: string): SearchAttributePair[] {
  return [
    { key: RuleflowKindKey, value: 'rule_run' satisfies RuleflowKind },
    { key: RuleIdKey, value: rule.id },
    { key: RuleNameKey, value: rule.name.slice(0, MAX_KEYWORD_LENGTH) },
    { key: EntityNameKey, value: rule.entity },
    { key: TriggerTypeKey, value: rule.triggerType },
    { key: TenantIdKey, value: rule.tenantId },
    ...(eventId ? [{ key: EventIdKey, value: eventId.slice(0, MAX_KEYWORD_LENGTH) }] : []),
  ];
}

/** Search attributes of a webhook endpoint delivery. */
export function deliverySearchAttributes(tenantId: string): SearchAttributePair[] {
  return [
    { key: RuleflowKindKey, value: 'delivery' satisfies RuleflowKind },
    { key: TenantIdKey, value: tenantId },
  ];
}

/** Search attributes of an IVR session's workflow: its tenant and its call. */
export function ivrSessionSearchAttributes(tenantId: string, callId: string): SearchAttributePair[] {
  return [
    { key: RuleflowKindKey, value: 'ivr_session' satisfies RuleflowKind },
    { key: TenantIdKey, value: tenantId },
    { key: CallIdKey, value: callId.slice(0, MAX_KEYWORD_LENGTH) },
  ];
}

/** Search attributes of the worker's own maintenance runs (the retention cleanup). */
export function maintenanceSearchAttributes(): SearchAttributePair[] {
  return [{ key: RuleflowKindKey, value: 'maintenance' satisfies RuleflowKind }];
}
