/**
 * Which action config values are secrets: sealed at rest (`enc:v1:…`, see
 * `@ruleflow/rules/node/secret-box`), shown as SECRET_MASK in every response, and kept unchanged
 * when a client sends the mask back. One entry per action type that has any.
 */
import { appendKey, isPlainObject } from './json';
import { RuleValidationError } from './types';
import type { ActionType } from './types';

/** What responses show in place of a secret; sent back on update, it keeps the stored value. */
export const SECRET_MASK = '********';

/** A config key holding a secret string, or (with `entries`) an object of which the matching entries are secrets. */
export interface SecretField {
  key: string;
  entries?: (name: string) => boolean;
}

const SECRET_HEADER_NAMES: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'x-api-key']);
const SECRET_HEADER_PATTERN = /(token|secret|key|password)/i;

/** Whether a request header carries credentials: Authorization, Proxy-Authorization, X-API-Key, or *token/secret/key/password*. */
export function isSecretHeaderName(name: string): boolean {
  return SECRET_HEADER_NAMES.has(name.toLowerCase()) || SECRET_HEADER_PATTERN.test(name);
}

export const ACTION_SECRET_FIELDS: Partial<Record<ActionType, readonly SecretField[]>> = {
  webhook: [{ key: 'secret' }, { key: 'headers', entries: isSecretHeaderName }],
};

/** Where a secret sits in a config: `['secret']` or `['headers', 'Authorization']`. */
export type SecretPath = readonly [string] | readonly [string, string];

/**
 * A copy of `config` with every secret string replaced by `fn(value, path)`; other values (and
 * non-string secrets, which validation rejects) are kept. Unknown types have no secrets.
 */
export function mapActionSecrets(
  type: unknown,
  config: Record<string, unknown>,
  fn: (value: string, path: SecretPath) => string,
): Record<string, unknown> {
  const fields = typeof type === 'string' ? ACTION_SECRET_FIELDS[type as ActionType] : undefined;
  if (!fields || !isPlainObject(config)) return config;
  const out: Record<string, unknown> = { ...config };
  for (const field of fields) {
    const value = out[field.key];
    if (!field.entries) {
      if (typeof value === 'string') out[field.key] = fn(value, [field.key]);
      continue;
    }
    if (!isPlainObject(value)) continue;
    const entries: Record<string, unknown> = { ...value };
    for (const [name, entry] of Object.entries(value)) {
      // A templated header (`Bearer {{ data.token }}`) is filled in by the workflow from the event:
      // the template is not a secret at rest, and sealing it would stop it from being rendered.
      if (typeof entry === 'string' && field.entries(name) && !entry.includes('{{')) {
        entries[name] = fn(entry, [field.key, name]);
      }
    }
    out[field.key] = entries;
  }
  return out;
}

/** Every secret value of a config, in path order. */
export function actionSecretValues(type: unknown, config: Record<string, unknown>): string[] {
  const values: string[] = [];
  mapActionSecrets(type, config, (value) => {
    values.push(value);
    return value;
  });
  return values;
}

/** The config with each secret shown as SECRET_MASK. */
export function maskActionConfig(type: unknown, config: Record<string, unknown>): Record<string, unknown> {
  return mapActionSecrets(type, config, () => SECRET_MASK);
}

/** Actions with each secret shown as SECRET_MASK (for responses). */
export function maskActionSecrets<T extends { type: unknown; config: Record<string, unknown> }>(
  actions: readonly T[],
): T[] {
  return actions.map((action) =>
    isPlainObject(action) && isPlainObject(action.config)
      ? { ...action, config: maskActionConfig(action.type, action.config) }
      : action,
  );
}

/** Whether an error path (`actions[0].config.headers.Authorization`) points at a secret, so its message may echo it. */
export function isSecretErrorPath(type: unknown, configPath: string, errorPath: string): boolean {
  const fields = typeof type === 'string' ? ACTION_SECRET_FIELDS[type as ActionType] : undefined;
  if (!fields || !errorPath.startsWith(configPath)) return false;
  return fields.some((field) => {
    const at = appendKey(configPath, field.key);
    if (!field.entries) return errorPath === at;
    if (!errorPath.startsWith(at) || errorPath === at) return false;
    const rest = errorPath.slice(at.length);
    const name = rest.startsWith('.') ? rest.slice(1) : rest.startsWith('[') ? safeParse(rest.slice(1, -1)) : null;
    return typeof name === 'string' && field.entries(name);
  });
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/**
 * Where a config sends its secrets: a registered endpoint (`webhookId`) or the URL's origin
 * (scheme, host and port, normalised: case and default ports do not count). A URL that does not
 * parse (a template, say) is compared as written.
 */
export function secretTarget(config: Record<string, unknown>): string | undefined {
  if (typeof config.webhookId === 'string') return `webhook:${config.webhookId}`;
  if (typeof config.url !== 'string') return undefined;
  try {
    const origin = new URL(config.url).origin;
    return origin === 'null' ? `url:${config.url}` : origin;
  } catch {
    return `url:${config.url}`;
  }
}

/**
 * Puts stored secrets back where a client sent SECRET_MASK (a GET → PATCH round trip). `stored`
 * holds the current config, opened; headers are matched by name case-insensitively. A mask with
 * nothing stored behind it is a RuleValidationError at `path` (never accepted as the literal value),
 * and so is a mask sent with a new target (secretTarget): a stored credential never follows a
 * request to another host unless it is given again.
 */
export function restoreMaskedConfig(
  type: unknown,
  config: Record<string, unknown>,
  stored: Record<string, unknown> | undefined,
  path: string,
): Record<string, unknown> {
  return mapActionSecrets(type, config, (value, secretPath) => {
    if (value !== SECRET_MASK) return value;
    const kept = stored ? storedAt(stored, secretPath) : undefined;
    const where = secretPath.reduce((p, key) => appendKey(p, key), path);
    if (kept === undefined) {
      throw new RuleValidationError(
        where,
        `is the mask "${SECRET_MASK}" but there is no stored secret here to keep; send the secret itself`,
      );
    }
    if (secretTarget(config) !== secretTarget(stored!)) {
      throw new RuleValidationError(where, "the URL's host changed; give the secret again");
    }
    return kept;
  });
}

function storedAt(stored: Record<string, unknown>, [key, name]: SecretPath): string | undefined {
  const value = stored[key];
  if (name === undefined) return typeof value === 'string' ? value : undefined;
  if (!isPlainObject(value)) return undefined;
  const exact = value[name];
  if (typeof exact === 'string') return exact;
  const lower = name.toLowerCase();
  const match = Object.entries(value).find(([k, v]) => k.toLowerCase() === lower && typeof v === 'string');
  return match?.[1] as string | undefined;
}

/**
 * restoreMaskedConfig over a rule's actions (as the client sent them, not validated yet): each action
 * is matched to the stored one of the same name (or default name `<type>_<index>`) and type.
 */
export function restoreMaskedActions(
  actions: unknown,
  stored: ReadonlyArray<{ name: string; type: string; config: Record<string, unknown> }>,
  path = 'actions',
): unknown {
  if (!Array.isArray(actions)) return actions;
  const byName = new Map(stored.map((a) => [a.name, a]));
  return actions.map((action: unknown, i) => {
    if (!isPlainObject(action) || !isPlainObject(action.config)) return action;
    const ownType = typeof action.type === 'string' ? action.type : undefined;
    const name = typeof action.name === 'string' ? action.name : ownType ? `${ownType}_${i}` : undefined;
    const match = name === undefined ? undefined : byName.get(name);
    const type = ownType ?? match?.type;
    const config = restoreMaskedConfig(
      type,
      action.config,
      match && match.type === type ? match.config : undefined,
      `${path}[${i}].config`,
    );
    return { ...action, config };
  });
}

/**
 * An action naming a template inherits the template's secrets only while it sends them where the
 * template does: an own `url` (or `webhookId`) with another target must give each inherited secret
 * again (a RuleValidationError at `path` otherwise). `own` is the action's config before the merge.
 */
export function assertTemplateSecretsStay(
  type: unknown,
  templateConfig: Record<string, unknown>,
  own: Record<string, unknown>,
  path: string,
): void {
  if (secretTarget({ ...templateConfig, ...own }) === secretTarget(templateConfig)) return;
  mapActionSecrets(type, templateConfig, (value, secretPath) => {
    // The merge is shallow: an own `secret` or `headers` replaces the template's.
    if (Object.hasOwn(own, secretPath[0])) return value;
    const where = secretPath.reduce((p, key) => appendKey(p, key), path);
    throw new RuleValidationError(where, "the URL's host differs from the template's; give the secret again");
  });
}
