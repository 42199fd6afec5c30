import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** Keyword search attributes every rule run carries, so operators can filter runs in the Temporal UI and CLI. */
export const RuleIdKey = defineSearchAttributeKey('RuleId', SearchAttributeType.KEYWORD);
export const RuleNameKey = defineSearchAttributeKey('RuleName', SearchAttributeType.KEYWORD);
export const EntityNameKey = defineSearchAttributeKey('EntityName', SearchAttributeType.KEYWORD);
export const TriggerTypeKey = defineSearchAttributeKey('TriggerType', SearchAttributeType.KEYWORD);
export const TenantIdKey = defineSearchAttributeKey('TenantId', SearchAttributeType.KEYWORD);
