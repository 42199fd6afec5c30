/**
 * Helpers for the plain JSON data rules are made of: shape checks, defensive copies, readable
 * paths for error messages.
 */
import { RuleValidationError } from './types';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** True for `{}`-style objects (including `Object.create(null)`), false for arrays, class instances and null. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** Sets an own property; a `__proto__` key from JSON stays data instead of swapping the prototype. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `config` + `url` → `config.url`; keys that are not identifiers are quoted: `headers["X-Id"]`. */
export function appendKey(path: string, key: string): string {
  return IDENTIFIER.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** A short description of a value for error messages (strings quoted and cut). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * A deep copy of JSON data, refusing what JSON cannot carry (functions, NaN, class instances)
 * and nesting beyond `maxDepth` containers; errors name the exact place under `path`.
 */
export function cloneJson(value: unknown, path: string, maxDepth: number, depth = 0): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (!Number.isFinite(value)) throw new RuleValidationError(path, `${value} is not a JSON number`);
      return value;
    case 'object':
      break;
    default:
      throw new RuleValidationError(path, `${describeValue(value)} is not JSON data`);
  }
  if (value === null) return null;
  if (depth >= maxDepth) throw new RuleValidationError(path, `nests deeper than ${maxDepth} levels`);
  if (Array.isArray(value)) {
    const out: JsonValue[] = new Array<JsonValue>(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneJson(value[i], `${path}[${i}]`, maxDepth, depth + 1);
    return out;
  }
  if (!isPlainObject(value)) throw new RuleValidationError(path, 'is not JSON data');
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = value[key];
    // JSON.stringify drops undefined properties too; callers building objects with optional fields rely on it.
    if (item === undefined) continue;
    setOwn(out, key, cloneJson(item, appendKey(path, key), maxDepth, depth + 1));
  }
  return out as { [key: string]: JsonValue };
}
