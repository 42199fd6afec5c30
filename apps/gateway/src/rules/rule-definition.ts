import { BadRequestException } from '@nestjs/common';
import { assertUrlAllowed, ForbiddenUrlError } from '@ruleflow/outbound';
import type { ActionTemplateEntity, RuleTrigger, StoredAction } from '@ruleflow/entities';
import type { ActionType, Conditions, TriggerType } from '@ruleflow/rules';
import {
  assertTemplateSecretsStay,
  isPlainObject,
  normalizeActions,
  normalizeConditions,
  normalizeOnFailure,
  RuleValidationError,
} from '@ruleflow/rules';
import { compileRegex } from '@ruleflow/rules/node/safe-regex';
import { parseScheduleSpec } from '../schedules/schedule-spec';

/** Action types this release's worker executes (the others in the contract come with their features). */
export const SUPPORTED_ACTIONS: readonly ActionType[] = [
  'webhook',
  'delay',
  'create_alert',
  'allocate_inventory',
  'release_inventory',
  'send_notification',
  'ivr_call',
  'wait_for_approval',
];

/**
 * Action types an `onFailure` action may not have: the run's allocations are already returned
 * (compensation) when its handlers run, so stock reserved there would stay reserved for a run that
 * gave up, and "release what this run allocated" has nothing left to release.
 */
const NOT_ON_FAILURE: ReadonlySet<string> = new Set<ActionType>(['allocate_inventory', 'release_inventory']);

export interface RuleDefinitionInput {
  trigger: { type: TriggerType; cron?: string; timezone?: string };
  conditions?: unknown;
  actions: unknown[];
  /** The rule's failure handlers (default none). */
  onFailure?: unknown[];
}

export interface RuleDefinition {
  triggerType: TriggerType;
  trigger: RuleTrigger;
  conditions: Conditions;
  actions: StoredAction[];
  onFailure: StoredAction[];
}

export interface RuleDefinitionContext {
  allowPrivateNetworks: boolean;
  /** The caller's action templates by id (only those the actions name). */
  loadTemplates: (ids: string[]) => Promise<Map<string, ActionTemplateEntity>>;
  /** Whether the caller's tenant has a webhook endpoint with this id. */
  webhookExists: (id: string) => Promise<boolean>;
  /** Whether the caller's tenant has a phone line with this id. */
  ivrLineExists: (id: string) => Promise<boolean>;
  /** Whether the caller's tenant has an IVR menu with this id. */
  ivrMenuExists: (id: string) => Promise<boolean>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Validate and normalise the executable part of a rule. Every problem is a 400 naming the place
 * (`conditions.all[1]…`, `actions[0].config.url`, `onFailure[0].name`, `trigger.cron`); nothing is
 * written on failure.
 */
export async function parseRuleDefinition(
  input: RuleDefinitionInput,
  ctx: RuleDefinitionContext,
): Promise<RuleDefinition> {
  try {
    const type = input.trigger.type;
    const trigger: RuleTrigger = type === 'scheduled' ? { type, ...parseScheduleSpec(input.trigger) } : { type };
    if (type !== 'scheduled' && (input.trigger.cron !== undefined || input.trigger.timezone !== undefined)) {
      throw new RuleValidationError('trigger.cron', 'cron and timezone apply to scheduled triggers only');
    }
    // Regexes are checked with the same linear-time engine that evaluates them.
    const conditions = normalizeConditions(input.conditions, 'conditions', { compileRegex, triggerType: type });
    const actions = normalizeActions(await mergeTemplates(input.actions, ctx, 'actions'), {
      allowedTypes: SUPPORTED_ACTIONS,
    });
    const onFailure = normalizeOnFailure(await mergeTemplates(input.onFailure ?? [], ctx, 'onFailure'), actions, {
      allowedTypes: SUPPORTED_ACTIONS,
    });
    onFailure.forEach((action, i) => {
      if (NOT_ON_FAILURE.has(action.type)) {
        throw new RuleValidationError(
          `onFailure[${i}].type`,
          `"${action.type}" cannot be an onFailure action: the run's allocations are already returned when its onFailure actions run`,
        );
      }
    });
    await assertActionTargets(actions, 'actions', ctx);
    await assertActionTargets(onFailure, 'onFailure', ctx);
    return { triggerType: type, trigger, conditions, actions, onFailure };
  } catch (err) {
    if (err instanceof RuleValidationError) throw new BadRequestException(err.message);
    throw err;
  }
}

/**
 * What an action sends to is the caller's: a webhook's `webhookId` one of its endpoints (and then no
 * own `secret`), a literal `url` allowed by the SSRF policy, an `ivr_call`'s line and menu its own.
 * `path` is the list's (`actions` or `onFailure`).
 */
async function assertActionTargets(
  actions: readonly StoredAction[],
  path: string,
  ctx: RuleDefinitionContext,
): Promise<void> {
  for (const [i, action] of actions.entries()) {
    const at = `${path}[${i}].config`;
    if (action.type === 'ivr_call') {
      await assertIvrCallTargets(action.config, at, ctx);
      continue;
    }
    if (action.type !== 'webhook') continue;
    const webhookId = action.config.webhookId;
    if (webhookId !== undefined) {
      if (typeof webhookId !== 'string' || !UUID.test(webhookId) || !(await ctx.webhookExists(webhookId))) {
        throw new RuleValidationError(`${at}.webhookId`, 'is not the id of one of your webhook endpoints');
      }
      if (action.config.secret !== undefined) {
        throw new RuleValidationError(
          `${at}.secret`,
          "cannot be given with webhookId: the endpoint's own secret signs the request",
        );
      }
      continue;
    }
    const url = action.config.url;
    if (typeof url === 'string' && !url.includes('{{')) {
      try {
        await assertUrlAllowed(url, { allowPrivateNetworks: ctx.allowPrivateNetworks });
      } catch (err) {
        if (err instanceof ForbiddenUrlError) throw new RuleValidationError(`${at}.url`, err.message);
        throw err;
      }
    }
  }
}

/**
 * An `ivr_call` names a phone line (and maybe a menu) of the caller's tenant, like a webhook action
 * names one of its endpoints: an unknown id, or another tenant's, is refused at save rather than
 * failing the run later. `{{ templates }}` are rendered per run and checked then (IvrLineNotFound).
 */
async function assertIvrCallTargets(
  config: Record<string, unknown>,
  path: string,
  ctx: RuleDefinitionContext,
): Promise<void> {
  const { lineId, menuId } = config;
  if (typeof lineId === 'string' && !lineId.includes('{{')) {
    if (!UUID.test(lineId) || !(await ctx.ivrLineExists(lineId))) {
      throw new RuleValidationError(`${path}.lineId`, 'is not the id of one of your phone lines');
    }
  }
  if (typeof menuId === 'string' && !menuId.includes('{{')) {
    if (!UUID.test(menuId) || !(await ctx.ivrMenuExists(menuId))) {
      throw new RuleValidationError(`${path}.menuId`, 'is not the id of one of your IVR menus');
    }
  }
}

/**
 * Actions naming a `templateId` get the template's `defaultConfig` under their own `config`, at save
 * time: the stored (and versioned) rule is what runs, so editing a template never silently changes
 * a rule; re-saving the rule picks up the template's new defaults.
 */
async function mergeTemplates(actions: unknown[], ctx: RuleDefinitionContext, path: string): Promise<unknown[]> {
  const ids = new Set<string>();
  actions.forEach((action, i) => {
    if (!isPlainObject(action) || action.templateId === undefined) return;
    if (typeof action.templateId !== 'string' || !UUID.test(action.templateId)) {
      throw new RuleValidationError(`${path}[${i}].templateId`, 'must be the id of an action template');
    }
    ids.add(action.templateId);
  });
  if (ids.size === 0) return actions;
  const templates = await ctx.loadTemplates([...ids]);
  return actions.map((action, i) => {
    if (!isPlainObject(action) || typeof action.templateId !== 'string') return action;
    const template = templates.get(action.templateId);
    if (!template)
      throw new RuleValidationError(`${path}[${i}].templateId`, `action template ${action.templateId} not found`);
    const type = action.type ?? template.actionType;
    if (type !== template.actionType) {
      throw new RuleValidationError(
        `${path}[${i}].type`,
        `"${String(type)}" does not match the template's action type "${template.actionType}"`,
      );
    }
    const own = action.config === undefined ? {} : action.config;
    if (!isPlainObject(own)) throw new RuleValidationError(`${path}[${i}].config`, 'must be an object');
    assertTemplateSecretsStay(type, template.defaultConfig, own, `${path}[${i}].config`);
    return { ...action, type, config: { ...template.defaultConfig, ...own } };
  });
}
