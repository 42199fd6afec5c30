import type { RuleEntity } from '@ruleflow/entities';

/** The public representation of a rule. */
export function toRuleResponse(rule: RuleEntity) {
  return {
    id: rule.id,
    name: rule.name,
    description: rule.description,
    entity: rule.entity,
    trigger: {
      ...rule.trigger,
      type: rule.triggerType,
      ...(rule.hookToken ? { hookUrl: `/v1/hooks/${rule.hookToken}` } : {}),
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
export type RuleResponse = ReturnType<typeof toRuleResponse>;
