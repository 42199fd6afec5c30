/**
 * Dot paths (`customer.tier`, `lines.0.sku`) into plain data. Only own properties are read, so a
 * path can never reach `Object.prototype` or a class's methods, whatever the data holds.
 */

/** Segments that would reach an object's prototype machinery; a path holding one reads nothing. */
export const FORBIDDEN_PATH_SEGMENTS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const hasOwn = Object.prototype.hasOwnProperty;

/** Splits a dot path into its segments (`'a.b.0'` → `['a', 'b', '0']`). */
export function splitPath(path: string): string[] {
  return path.split('.');
}

/** Whether a path can be read at all: no empty and no forbidden segment. */
export function isReadablePath(segments: readonly string[]): boolean {
  for (const segment of segments) {
    if (segment === '' || FORBIDDEN_PATH_SEGMENTS.has(segment)) return false;
  }
  return segments.length > 0;
}

/** Reads a dot path from `obj` through own properties only; `undefined` when any step is missing. */
export function getPath(obj: unknown, path: string | readonly string[]): unknown {
  const segments = typeof path === 'string' ? splitPath(path) : path;
  if (!isReadablePath(segments)) return undefined;
  return readSegments(obj, segments);
}

/** Returns a reader for a path, split and checked once so evaluation does no string work. */
export function compilePath(path: string | readonly string[]): (obj: unknown) => unknown {
  const segments = typeof path === 'string' ? splitPath(path) : [...path];
  if (!isReadablePath(segments)) return () => undefined;
  if (segments.length === 1) {
    const key = segments[0] as string;
    return (obj) => readOwn(obj, key);
  }
  if (segments.length === 2) {
    const first = segments[0] as string;
    const second = segments[1] as string;
    return (obj) => readOwn(readOwn(obj, first), second);
  }
  return (obj) => readSegments(obj, segments);
}

function readSegments(obj: unknown, segments: readonly string[]): unknown {
  let current = obj;
  for (let i = 0; i < segments.length; i++) {
    current = readOwn(current, segments[i] as string);
    if (current === undefined) return undefined;
  }
  return current;
}

function readOwn(obj: unknown, key: string): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const value = (obj as Record<string, unknown>)[key];
  // Only a found value can come from the prototype chain, so the own-property check runs on hits
  // alone: a miss is the common case in matching, and this halves the cost of an evaluation.
  return value === undefined || hasOwn.call(obj, key) ? value : undefined;
}
