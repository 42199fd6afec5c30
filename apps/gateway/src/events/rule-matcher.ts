import type { RuleEntity } from '@ruleflow/entities';
import type { Conditions } from '@ruleflow/rules';
import { compileConditions } from '@ruleflow/rules';
import { compileRegex } from '@ruleflow/rules/node/safe-regex';

type Predicate = (input: { data: Record<string, unknown>; previous?: Record<string, unknown> | null }) => boolean;

/**
 * Compiled condition predicates, cached by rule id and version: a rule's conditions compile once,
 * and an edited rule (new version) compiles afresh, in every gateway process alike.
 */
export class RuleMatcher {
  private readonly cache = new Map<string, { version: number; predicate: Predicate }>();

  constructor(private readonly maxEntries = 10_000) {}

  /** Whether the rule's conditions hold for this event; a rule that cannot be evaluated does not match. */
  matches(
    rule: Pick<RuleEntity, 'id' | 'version' | 'conditions'>,
    data: Record<string, unknown>,
    previous: Record<string, unknown> | null,
  ): boolean {
    try {
      return this.predicate(rule.id, rule.version, rule.conditions)({ data, previous });
    } catch {
      return false;
    }
  }

  private predicate(id: string, version: number, conditions: Conditions): Predicate {
    const hit = this.cache.get(id);
    if (hit && hit.version === version) return hit.predicate;
    const predicate = compileConditions(conditions, { compileRegex });
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(id, { version, predicate });
    return predicate;
  }
}
