/**
 * Rule actions: validating what clients send, filling in names and retry defaults, and turning a
 * retry spec into plain numbers for a Temporal RetryPolicy.
 */
import { DAY_MS, parseDuration } from './duration';
import { appendKey, cloneJson, describeValue, isPlainObject } from './json';
import { splitPath } from './path';
import {
  ON_FAILURE_TEMPLATE_ROOTS,
  TEMPLATE_LIMITS,
  TEMPLATE_ROOTS,
  hasTemplate,
  validateTemplates,
} from './templates';
import { ACTION_CONFIG_CHECKS } from './action-configs';
import { normalizeWhen, whenStepReferences } from './when';
import type { TemplateReference } from './templates';
import { ACTION_TYPES, DEFAULT_RETRY, RuleValidationError } from './types';
import type { ActionSpec, ActionType, Conditions, RetrySpec } from './types';

export type NormalizedAction = ActionSpec & { retry: RetrySpec };

export const ACTION_LIMITS = {
  minActions: 1,
  maxActions: 50,
  maxDelayMs: 365 * DAY_MS,
  maxRetryIntervalMs: 365 * DAY_MS,
  maxRetryAttempts: 100,
  minBackoffCoefficient: 1,
  maxBackoffCoefficient: 10,
  maxUrlLength: 2048,
  maxIdLength: 128,
  minSecretBytes: 16,
  maxSecretLength: 1024,
} as const;

export const ACTION_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
export const WEBHOOK_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'GET'] as const;
export type WebhookMethod = (typeof WEBHOOK_METHODS)[number];

const ACTION_KEYS: ReadonlySet<string> = new Set([
  'name',
  'type',
  'config',
  'retry',
  'templateId',
  'when',
  'continueOnError',
]);
const RETRY_KEYS: ReadonlySet<string> = new Set([
  'maximumAttempts',
  'initialInterval',
  'backoffCoefficient',
  'maximumInterval',
]);
const ACTION_TYPE_SET: ReadonlySet<string> = new Set(ACTION_TYPES);
const METHOD_SET: ReadonlySet<string> = new Set(WEBHOOK_METHODS);
// RFC 9110 token characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// http(s), optional userinfo, a host (bracketed IPv6 or a name without delimiters), optional port, then path/query/fragment.
const HTTP_URL = /^https?:\/\/(?:[^\s/?#@]*@)?(?:\[[0-9A-Fa-f:.]+\]|[^\s/?#@:[\]\\]+)(?::(\d{1,5}))?(?:[/?#]\S*)?$/i;

export interface NormalizeActionsOptions {
  /** Types this deployment can run; others get `action type "x" is not supported`. */
  allowedTypes?: readonly ActionType[];
  /** Prefix of error paths (default `actions`). */
  path?: string;
  /**
   * Reject `{{ steps.<name> }}` unless `<name>` is an earlier action of the same rule (default
   * true): a later or unknown step always renders empty, which is never what the author meant.
   */
  checkStepReferences?: boolean;
  /** Allowed template and `when` path roots (default TEMPLATE_ROOTS). */
  roots?: readonly string[];
  /**
   * The names of the rule's other action list: taken (names are unique across both lists), and the
   * only steps these actions may read (instead of the earlier actions of this list).
   */
  otherNames?: ReadonlySet<string>;
  /** Whether an empty list is accepted (default false). */
  allowEmpty?: boolean;
}

/** Plain-number retry settings; the workflow builds a Temporal RetryPolicy from them. */
export interface RetryPolicyMs {
  maximumAttempts: number;
  initialIntervalMs: number;
  backoffCoefficient: number;
  maximumIntervalMs: number;
}

/**
 * Validates an actions array (1..50) and returns copies with default names (`<type>_<index>`)
 * and complete retry specs; throws RuleValidationError naming the field, e.g. `actions[2].name`.
 */
export function normalizeActions(input: unknown, opts: NormalizeActionsOptions = {}): NormalizedAction[] {
  const root = opts.path ?? 'actions';
  if (!Array.isArray(input)) throw new RuleValidationError(root, 'must be an array of actions');
  if (input.length < ACTION_LIMITS.minActions && !opts.allowEmpty) {
    throw new RuleValidationError(root, 'at least one action is required');
  }
  if (input.length > ACTION_LIMITS.maxActions) {
    throw new RuleValidationError(root, `at most ${ACTION_LIMITS.maxActions} actions are allowed`);
  }
  const allowed = opts.allowedTypes ? new Set<string>(opts.allowedTypes) : ACTION_TYPE_SET;
  const names = new Set<string>();
  const roots = opts.roots ?? TEMPLATE_ROOTS;
  // Names seen so far are exactly the earlier actions, so steps references are checked in the same pass.
  const readable = opts.otherNames ?? names;
  return input.map((item: unknown, index) => {
    const { action, references } = normalizeAction(item, index, `${root}[${index}]`, allowed, roots);
    if (names.has(action.name) || opts.otherNames?.has(action.name)) {
      throw new RuleValidationError(`${root}[${index}].name`, `duplicate action name "${action.name}"`);
    }
    if (opts.checkStepReferences !== false) {
      checkStepReferences(references, readable);
      if (action.when) checkWhenStepReferences(action.when, `${root}[${index}].when`, readable);
    }
    names.add(action.name);
    return action;
  });
}

function normalizeAction(
  item: unknown,
  index: number,
  path: string,
  allowed: ReadonlySet<string>,
  roots: readonly string[],
): { action: NormalizedAction; references: TemplateReference[] } {
  if (!isPlainObject(item)) throw new RuleValidationError(path, 'must be an object');
  for (const key of Object.keys(item)) {
    if (!ACTION_KEYS.has(key)) throw new RuleValidationError(path, `unknown key ${JSON.stringify(key)}`);
  }
  const type = item['type'];
  if (type === undefined) throw new RuleValidationError(`${path}.type`, 'action type is required');
  if (typeof type !== 'string' || !ACTION_TYPE_SET.has(type) || !allowed.has(type)) {
    throw new RuleValidationError(`${path}.type`, `action type ${describeValue(type)} is not supported`);
  }
  const actionType = type as ActionType;

  const rawName = item['name'];
  let name: string;
  if (rawName === undefined || rawName === null) {
    name = `${actionType}_${index}`;
  } else if (typeof rawName !== 'string' || !ACTION_NAME_PATTERN.test(rawName)) {
    throw new RuleValidationError(
      `${path}.name`,
      `${describeValue(rawName)} is not a valid action name (a letter or "_", then up to 63 letters, digits, "_" or "-")`,
    );
  } else {
    name = rawName;
  }

  const rawConfig = item['config'] ?? {};
  if (!isPlainObject(rawConfig)) throw new RuleValidationError(`${path}.config`, 'must be an object');
  const config = cloneJson(rawConfig, `${path}.config`, TEMPLATE_LIMITS.maxDepth) as Record<string, unknown>;
  const references = validateTemplates(config, `${path}.config`, { roots });
  if (actionType === 'webhook') checkWebhookConfig(config, `${path}.config`);
  if (actionType === 'delay') {
    parseDuration(config['duration'], `${path}.config.duration`, { maxMs: ACTION_LIMITS.maxDelayMs });
  }
  ACTION_CONFIG_CHECKS[actionType]?.(config, `${path}.config`);

  const action: NormalizedAction = {
    name,
    type: actionType,
    config,
    retry: normalizeRetry(item['retry'], `${path}.retry`),
  };
  const templateId = item['templateId'];
  if (templateId !== undefined && templateId !== null) {
    if (typeof templateId !== 'string' || templateId === '' || templateId.length > ACTION_LIMITS.maxIdLength) {
      throw new RuleValidationError(`${path}.templateId`, 'must be a non-empty string');
    }
    action.templateId = templateId;
  }
  const when = item['when'];
  if (when !== undefined && when !== null) {
    action.when = normalizeWhen(when, `${path}.when`, roots);
  }
  const continueOnError = item['continueOnError'];
  if (continueOnError !== undefined && continueOnError !== null) {
    if (typeof continueOnError !== 'boolean') {
      throw new RuleValidationError(`${path}.continueOnError`, 'must be true or false');
    }
    action.continueOnError = continueOnError;
  }
  return { action, references };
}

/**
 * A rule's `onFailure` actions (0..50): the shape and checks of `actions`, errors named
 * `onFailure[i]…`, names unique across both lists; their templates and `when` may also read `error`
 * and `errorAction`, and `steps.<name>` only of the rule's `actions`.
 */
export function normalizeOnFailure(
  input: unknown,
  actions: ReadonlyArray<{ name: string }>,
  opts: Pick<NormalizeActionsOptions, 'allowedTypes'> = {},
): NormalizedAction[] {
  return normalizeActions(input, {
    ...opts,
    path: 'onFailure',
    roots: ON_FAILURE_TEMPLATE_ROOTS,
    otherNames: new Set(actions.map((a) => a.name)),
    allowEmpty: true,
  });
}

/** Mutates `config` only to fill in `method: "POST"` and upper-case the method. */
function checkWebhookConfig(config: Record<string, unknown>, path: string): void {
  const url = config['url'];
  const webhookId = config['webhookId'];
  if (url !== undefined && webhookId !== undefined) {
    throw new RuleValidationError(path, 'give either "url" or "webhookId", not both');
  }
  if (webhookId !== undefined) {
    if (typeof webhookId !== 'string' || webhookId === '' || webhookId.length > ACTION_LIMITS.maxIdLength) {
      throw new RuleValidationError(`${path}.webhookId`, 'must be a non-empty string');
    }
  } else {
    if (url === undefined) throw new RuleValidationError(`${path}.url`, 'is required (or give "webhookId")');
    if (typeof url !== 'string') throw new RuleValidationError(`${path}.url`, 'must be a string');
    if (url.length > ACTION_LIMITS.maxUrlLength) {
      throw new RuleValidationError(`${path}.url`, `is longer than ${ACTION_LIMITS.maxUrlLength} characters`);
    }
    // A templated URL is only known at run time; the activity checks it then.
    if (!hasTemplate(url) && !isHttpUrl(url)) {
      throw new RuleValidationError(`${path}.url`, `${describeValue(url)} is not an http(s) URL`);
    }
  }

  const method = config['method'];
  if (method === undefined) {
    config['method'] = 'POST';
  } else if (typeof method !== 'string' || !METHOD_SET.has(method.toUpperCase())) {
    throw new RuleValidationError(
      `${path}.method`,
      `method ${describeValue(method)} is not supported (use ${WEBHOOK_METHODS.join(', ')})`,
    );
  } else {
    config['method'] = method.toUpperCase();
  }

  const headers = config['headers'];
  if (headers !== undefined) {
    if (!isPlainObject(headers)) throw new RuleValidationError(`${path}.headers`, 'must be an object of strings');
    for (const [key, value] of Object.entries(headers)) {
      const headerPath = appendKey(`${path}.headers`, key);
      if (!HEADER_NAME.test(key)) throw new RuleValidationError(headerPath, 'is not a valid header name');
      if (typeof value !== 'string') throw new RuleValidationError(headerPath, 'must be a string');
      if (/[\r\n\0]/.test(value)) throw new RuleValidationError(headerPath, 'may not contain line breaks');
    }
  }

  const secret = config['secret'];
  if (secret !== undefined && !isWebhookSecret(secret)) {
    throw new RuleValidationError(
      `${path}.secret`,
      `must be "whsec_" followed by base64 of at least ${ACTION_LIMITS.minSecretBytes} bytes`,
    );
  }
}

/** Whether `url` is syntactically an http(s) URL with a host and a valid port. */
export function isHttpUrl(url: string): boolean {
  const match = HTTP_URL.exec(url);
  if (!match) return false;
  const port = match[1];
  return port === undefined || Number(port) <= 65535;
}

/** Whether `value` is a Standard Webhooks secret: `whsec_` + base64 of at least 16 bytes. */
export function isWebhookSecret(value: unknown): boolean {
  if (typeof value !== 'string' || !value.startsWith('whsec_') || value.length > ACTION_LIMITS.maxSecretLength) {
    return false;
  }
  const encoded = value.slice('whsec_'.length);
  if (!BASE64.test(encoded)) return false;
  const unpadded = encoded.replace(/=+$/, '');
  if (encoded.length !== unpadded.length && encoded.length % 4 !== 0) return false;
  if (unpadded.length % 4 === 1) return false;
  return Math.floor((unpadded.length * 3) / 4) >= ACTION_LIMITS.minSecretBytes;
}

function checkStepReferences(references: readonly TemplateReference[], earlier: ReadonlySet<string>): void {
  for (const ref of references) {
    const [first, step] = splitPath(ref.expression);
    if (first === 'steps' && step !== undefined && !earlier.has(step)) {
      throw new RuleValidationError(
        ref.path,
        `template "{{ ${ref.expression} }}" refers to step "${step}", which is not an earlier action of this rule`,
      );
    }
  }
}

/** A `when` leaf reading `steps.<name>` must name an earlier action, like a template does. */
function checkWhenStepReferences(when: Conditions, path: string, earlier: ReadonlySet<string>): void {
  for (const ref of whenStepReferences(when, path)) {
    if (!earlier.has(ref.step)) {
      throw new RuleValidationError(
        ref.path,
        `refers to step "${ref.step}", which is not an earlier action of this rule`,
      );
    }
  }
}

/**
 * A complete retry spec from an optional partial one: each missing field comes from DEFAULT_RETRY,
 * except that a defaulted `maximumInterval` never falls below the given `initialInterval`.
 */
export function normalizeRetry(input: unknown, path = 'retry'): RetrySpec {
  if (input === undefined || input === null) return { ...DEFAULT_RETRY };
  if (!isPlainObject(input)) throw new RuleValidationError(path, 'must be an object');
  for (const key of Object.keys(input)) {
    if (!RETRY_KEYS.has(key)) throw new RuleValidationError(path, `unknown key ${JSON.stringify(key)}`);
  }
  const retry: RetrySpec = { ...DEFAULT_RETRY };

  const attempts = input['maximumAttempts'];
  if (attempts !== undefined) {
    if (
      typeof attempts !== 'number' ||
      !Number.isInteger(attempts) ||
      attempts < 1 ||
      attempts > ACTION_LIMITS.maxRetryAttempts
    ) {
      throw new RuleValidationError(
        `${path}.maximumAttempts`,
        `must be an integer from 1 to ${ACTION_LIMITS.maxRetryAttempts}`,
      );
    }
    retry.maximumAttempts = attempts;
  }

  const coefficient = input['backoffCoefficient'];
  if (coefficient !== undefined) {
    if (
      typeof coefficient !== 'number' ||
      !Number.isFinite(coefficient) ||
      coefficient < ACTION_LIMITS.minBackoffCoefficient ||
      coefficient > ACTION_LIMITS.maxBackoffCoefficient
    ) {
      throw new RuleValidationError(
        `${path}.backoffCoefficient`,
        `must be a number from ${ACTION_LIMITS.minBackoffCoefficient} to ${ACTION_LIMITS.maxBackoffCoefficient}`,
      );
    }
    retry.backoffCoefficient = coefficient;
  }

  // Temporal refuses a zero interval, hence the 1 ms floor.
  const intervalBounds = { minMs: 1, maxMs: ACTION_LIMITS.maxRetryIntervalMs };
  const initialInput = input['initialInterval'];
  const maximumInput = input['maximumInterval'];
  if (initialInput !== undefined) {
    parseDuration(initialInput, `${path}.initialInterval`, intervalBounds);
    retry.initialInterval = initialInput as string | number;
  }
  if (maximumInput !== undefined) {
    parseDuration(maximumInput, `${path}.maximumInterval`, intervalBounds);
    retry.maximumInterval = maximumInput as string | number;
  }
  const initialMs = parseDuration(retry.initialInterval, `${path}.initialInterval`);
  const maximumMs = parseDuration(retry.maximumInterval, `${path}.maximumInterval`);
  if (maximumMs < initialMs) {
    if (maximumInput !== undefined) {
      throw new RuleValidationError(`${path}.maximumInterval`, 'must not be shorter than initialInterval');
    }
    retry.maximumInterval = retry.initialInterval;
  }
  return retry;
}

/** Plain-millisecond retry settings from a (normalised) retry spec. */
export function toRetryPolicy(retry: RetrySpec): RetryPolicyMs {
  return {
    maximumAttempts: retry.maximumAttempts,
    initialIntervalMs: parseDuration(retry.initialInterval, 'retry.initialInterval'),
    backoffCoefficient: retry.backoffCoefficient,
    maximumIntervalMs: parseDuration(retry.maximumInterval, 'retry.maximumInterval'),
  };
}
