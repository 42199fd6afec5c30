import { isUtf8 } from 'node:buffer';
import type { NextFunction, Request, Response } from 'express';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
export const MAX_BODY_DEPTH = 100;

/** A NUL, or a UTF-16 surrogate without its partner: PostgreSQL refuses both in `text` and `jsonb`. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const UNSTORABLE_MESSAGE = 'contains a NUL byte or an unpaired surrogate';
const BAD_ESCAPE_MESSAGE = 'is not valid percent-encoded UTF-8';

/** True when PostgreSQL would refuse `text` as a `text` or `jsonb` value. */
export function isUnstorable(text: string): boolean {
  return UNSTORABLE.test(text);
}

/**
 * Where a parsed JSON body holds a prototype-pollution key, absurd nesting, or a string (value or key)
 * the database cannot store; null when it is fine. Paths read `body.data.tags[1]`.
 */
export function findHostileJson(body: unknown): string | null {
  // Iterative walk: a hostile body must not be able to exhaust the stack.
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: body, path: 'body', depth: 0 }];
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (isUnstorable(value)) return `${path}: ${UNSTORABLE_MESSAGE}`;
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) return `${path}: nested deeper than ${MAX_BODY_DEPTH} levels`;
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return `${path}.${key}: the key "${key}" is not allowed`;
      // The key itself is not echoed: it is the unprintable part.
      if (isUnstorable(key)) return `${path}: a key ${UNSTORABLE_MESSAGE}`;
      stack.push({ value: (value as Record<string, unknown>)[key], path: `${path}.${key}`, depth: depth + 1 });
    }
  }
  return null;
}

function decode(text: string): string | null {
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/**
 * What is wrong with the raw request target (`/v1/rules/a%00b?entity=x`), or null. Checked on the raw
 * text because the routers decode leniently: Express's query parser turns `%ED%A0%80` (an encoded
 * surrogate) into replacement characters, which would then quietly match nothing instead of a 400.
 */
export function findHostileUrl(url: string): string | null {
  const q = url.indexOf('?');
  const segments = (q < 0 ? url : url.slice(0, q)).split('/');
  for (const [i, segment] of segments.entries()) {
    const decoded = decode(segment);
    if (decoded === null) return `path segment ${i}: ${BAD_ESCAPE_MESSAGE}`;
    if (isUnstorable(decoded)) return `path segment ${i}: ${UNSTORABLE_MESSAGE}`;
  }
  if (q < 0) return null;
  for (const pair of url.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    const [rawName, rawValue] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    const name = decode(rawName.replace(/\+/g, ' '));
    if (name === null) return `query: a parameter name ${BAD_ESCAPE_MESSAGE}`;
    if (isUnstorable(name)) return `query: a parameter name ${UNSTORABLE_MESSAGE}`;
    const value = decode(rawValue.replace(/\+/g, ' '));
    if (value === null) return `query.${name}: ${BAD_ESCAPE_MESSAGE}`;
    if (isUnstorable(value)) return `query.${name}: ${UNSTORABLE_MESSAGE}`;
  }
  return null;
}

/**
 * The edge check of every request, before routing, auth and validation: a path or query that is not
 * valid percent-encoded UTF-8 or holds a NUL / unpaired surrogate, and a JSON body with
 * `__proto__` / `constructor` / `prototype` keys (class-transformer would silently drop or misapply
 * them), absurd nesting or unstorable strings, is a 400 naming the place. Headers need no check:
 * Node's HTTP parser refuses NUL in them and reads their bytes as Latin-1, which has no surrogates.
 */
export function inputGuard(req: Request, res: Response, next: NextFunction): void {
  const problem = findHostileUrl(req.originalUrl) ?? (req.body === undefined ? null : findHostileJson(req.body));
  if (!problem) return next();
  res.status(400).json({ statusCode: 400, error: 'Bad Request', message: problem });
}

/**
 * `verify` for the JSON body parser: a body that is not valid UTF-8 is a 400 rather than being decoded
 * with replacement characters. Bodies in another declared charset are left to the parser.
 */
export function verifyUtf8(req: Request, _res: Response, buf: Buffer): void {
  const charset = /charset=([^;]+)/i
    .exec(req.headers['content-type'] ?? '')?.[1]
    ?.trim()
    .toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') return;
  if (!isUtf8(buf)) throw Object.assign(new Error('body: is not valid UTF-8'), { status: 400, type: 'body.not.utf8' });
}
