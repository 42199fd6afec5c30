import type { RuleEntity } from '@ruleflow/entities';
import type { RuleSnapshot } from '@ruleflow/rules';

/** The public representation of a rule. */
export function toRuleResponse(rule: RuleEntity) {
  const { hookToken: _hidden, ...trigger } = rule.trigger;
  return {
    id: rule.id,
    name: rule.name,
    description: rule.description,
    entity: rule.entity,
    trigger: { ...trigger, type: rule.triggerType },
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
export type RuleResponse = ReturnType<typeof toRuleResponse>;

/** What a run executes: plain data, detached from the entity. */
export function toRuleSnapshot(rule: RuleEntity): RuleSnapshot {
  return {
    id: rule.id,
    tenantId: rule.tenantId,
    name: rule.name,
    version: rule.version,
    entity: rule.entity,
    triggerType: rule.triggerType,
    conditions: rule.conditions,
    actions: rule.actions,
  };
}
