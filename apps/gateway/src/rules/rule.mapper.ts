import type { RuleEntity } from '@ruleflow/entities';
import { isPlainObject, maskActionSecrets } from '@ruleflow/rules';
import { hookUrl, maskedHookUrl } from '../inbound-hooks/hook-token';

/**
 * The public representation of a rule: every secret (see ACTION_SECRET_FIELDS) shown as the mask,
 * and the hook URL masked unless `reveal.hookToken` (just made, shown this once) is given. (An
 * options object, so `rows.map(toRuleResponse)` passing an index reveals nothing.)
 */
export function toRuleResponse(rule: RuleEntity, reveal?: { hookToken?: string }) {
  const record = toRuleRecord(rule);
  const token = typeof reveal?.hookToken === 'string' ? reveal.hookToken : undefined;
  const trigger = token === undefined ? record.trigger : { ...record.trigger, hookUrl: hookUrl(token) };
  return { ...record, trigger, actions: maskActionSecrets(record.actions) };
}

/** A stored rule version (sealed secrets) as the public representation: secrets masked. */
export function maskRuleRecord(record: object): object {
  const actions = (record as { actions?: unknown }).actions;
  if (!Array.isArray(actions)) return record;
  const masked = actions.map((a: unknown) =>
    isPlainObject(a) && isPlainObject(a.config) ? maskActionSecrets([{ ...a, type: a.type, config: a.config }])[0] : a,
  );
  return { ...record, actions: masked };
}

/** The rule as `rule_versions` keeps it: the response shape, secrets sealed as stored (not masked), the hook URL masked. */
export function toRuleRecord(rule: RuleEntity) {
  return {
    id: rule.id,
    name: rule.name,
    description: rule.description,
    entity: rule.entity,
    trigger: {
      ...rule.trigger,
      type: rule.triggerType,
      ...(rule.hookTokenHash ? { hookUrl: maskedHookUrl(rule.hookTokenPrefix) } : {}),
    },
    conditions: rule.conditions,
    actions: rule.actions,
    priority: rule.priority,
    isActive: rule.isActive,
    version: rule.version,
    executionCount: rule.executionCount,
    lastExecutedAt: rule.lastExecutedAt?.toISOString() ?? null,
    lastExecutionStatus: rule.lastExecutionStatus,
    createdAt: rule.createdAt.toISOString(),
    updatedAt: rule.updatedAt.toISOString(),
  };
}
export type RuleResponse = ReturnType<typeof toRuleRecord>;
