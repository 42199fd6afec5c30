import type { RuleEntity } from '@ruleflow/entities';
import { isPlainObject, maskActionSecrets } from '@ruleflow/rules';
import { hookUrl, maskedHookUrl } from '../inbound-hooks/hook-token';
import { ACTION_LISTS, mapActionLists } from './action-lists';

/**
 * The public representation of a rule: every secret (see ACTION_SECRET_FIELDS) of `actions` and
 * `onFailure` shown as the mask, and the hook URL masked unless `reveal.hookToken` (just made, shown
 * this once) is given. (An options object, so `rows.map(toRuleResponse)` passing an index reveals nothing.)
 */
export function toRuleResponse(rule: RuleEntity, reveal?: { hookToken?: string }) {
  const record = toRuleRecord(rule);
  const token = typeof reveal?.hookToken === 'string' ? reveal.hookToken : undefined;
  const trigger = token === undefined ? record.trigger : { ...record.trigger, hookUrl: hookUrl(token) };
  return { ...record, trigger, ...mapActionLists(record, (list) => maskActionSecrets(list)) };
}

/**
 * A stored rule version (sealed secrets) as the public representation: secrets masked. A version
 * recorded before `onFailure` existed had none, and shows `[]`.
 */
export function maskRuleRecord(record: object): object {
  const masked: Record<string, unknown> = { ...record };
  masked.onFailure ??= [];
  for (const path of ACTION_LISTS) {
    const actions = masked[path];
    if (!Array.isArray(actions)) continue;
    masked[path] = actions.map((a: unknown) =>
      isPlainObject(a) && isPlainObject(a.config)
        ? maskActionSecrets([{ ...a, type: a.type, config: a.config }])[0]
        : a,
    );
  }
  return masked;
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
    onFailure: rule.onFailure,
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
