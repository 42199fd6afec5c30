import { BadRequestException } from '@nestjs/common';
import { assertUrlAllowed, ForbiddenUrlError } from '@ruleflow/activities';
import type { RuleTrigger, StoredAction } from '@ruleflow/entities';
import type { ActionType, Conditions, TriggerType } from '@ruleflow/rules';
import { normalizeActions, normalizeConditions, RuleValidationError } from '@ruleflow/rules';
import { compileRegex } from '@ruleflow/rules/node/safe-regex';

/** Trigger types this release runs. The others in the contract come with schedules, manual runs and hooks. */
export const SUPPORTED_TRIGGERS: readonly TriggerType[] = ['on_create', 'on_update', 'on_delete'];
/** Action types this release's worker executes. */
export const SUPPORTED_ACTIONS: readonly ActionType[] = ['webhook', 'delay'];

export interface RuleDefinitionInput {
  trigger: { type: TriggerType; cron?: string; timezone?: string };
  conditions?: unknown;
  actions: unknown[];
}

export interface RuleDefinition {
  triggerType: TriggerType;
  trigger: RuleTrigger;
  conditions: Conditions;
  actions: StoredAction[];
}

/**
 * Validate and normalise the executable part of a rule. Every problem is a 400 naming the place
 * (`conditions.all[1]…`, `actions[0].config.url`); nothing is written on failure.
 */
export async function parseRuleDefinition(
  input: RuleDefinitionInput,
  opts: { allowPrivateNetworks: boolean },
): Promise<RuleDefinition> {
  const type = input.trigger.type;
  if (!SUPPORTED_TRIGGERS.includes(type)) {
    throw new BadRequestException(
      `trigger.type: "${type}" is not available in this release (supported: ${SUPPORTED_TRIGGERS.join(', ')})`,
    );
  }
  try {
    // Regexes are checked with the same linear-time engine that evaluates them.
    const conditions = normalizeConditions(input.conditions, 'conditions', { compileRegex, triggerType: type });
    const actions = normalizeActions(input.actions, { allowedTypes: SUPPORTED_ACTIONS });
    for (const [i, action] of actions.entries()) {
      if (action.type !== 'webhook') continue;
      if (action.config.webhookId !== undefined) {
        throw new RuleValidationError(
          `actions[${i}].config.webhookId`,
          'registered webhook endpoints are not available in this release; give config.url',
        );
      }
      const url = action.config.url;
      if (typeof url === 'string' && !url.includes('{{')) {
        try {
          await assertUrlAllowed(url, { allowPrivateNetworks: opts.allowPrivateNetworks });
        } catch (err) {
          if (err instanceof ForbiddenUrlError) {
            throw new RuleValidationError(`actions[${i}].config.url`, err.message);
          }
          throw err;
        }
      }
    }
    return { triggerType: type, trigger: { type }, conditions, actions };
  } catch (err) {
    if (err instanceof RuleValidationError) throw new BadRequestException(err.message);
    throw err;
  }
}
