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

/** Form bodies (the telephony webhooks): at most this many bytes and fields. */
export const MAX_FORM_BYTES = 64 * 1024;
export const MAX_FORM_FIELDS = 100;

/**
 * An `application/x-www-form-urlencoded` body as flat `name → value` strings, or the 400 message
 * naming what is wrong: not UTF-8, a broken percent-escape, a NUL or unpaired surrogate, a pollution
 * key, a field given twice (a signature over it would be ambiguous), too many fields.
 */
export function parseForm(raw: Buffer): { params: Record<string, string> } | { problem: string } {
  if (!isUtf8(raw)) return { problem: 'body: is not valid UTF-8' };
  const text = raw.toString('utf8');
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  if (text === '') return { params };
  const pairs = text.split('&');
  if (pairs.length > MAX_FORM_FIELDS) return { problem: `body: more than ${MAX_FORM_FIELDS} fields` };
  for (const pair of pairs) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decode((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
    if (name === null) return { problem: `body: a field name ${BAD_ESCAPE_MESSAGE}` };
    if (isUnstorable(name)) return { problem: `body: a field name ${UNSTORABLE_MESSAGE}` };
    if (FORBIDDEN_KEYS.has(name)) return { problem: `body.${name}: the key "${name}" is not allowed` };
    const value = decode((eq < 0 ? '' : pair.slice(eq + 1)).replace(/\+/g, ' '));
    if (value === null) return { problem: `body.${name}: ${BAD_ESCAPE_MESSAGE}` };
    if (isUnstorable(value)) return { problem: `body.${name}: ${UNSTORABLE_MESSAGE}` };
    if (name in params) return { problem: `body.${name}: given more than once` };
    params[name] = value;
  }
  return { params: { ...params } };
}

/** Requests whose body `formBody` read as a form (so a JSON body with the same fields is not taken for one). */
const FORM_REQUESTS = new WeakSet<Request>();

/** The form `formBody` read from this request; null when it sent no form (another content type). */
export function formOf(req: Request): Record<string, string> | null {
  return FORM_REQUESTS.has(req) ? (req.body as Record<string, string>) : null;
}

/**
 * Reads and checks a form body (see parseForm) into `req.body` for the routes it is mounted on (the
 * route then finds it with `formOf`). A body over MAX_FORM_BYTES is a 413, a bad form a 400; a target
 * that is hostile (findHostileUrl) is left to inputGuard, and other content types to the route.
 */
export function formBody(req: Request, res: Response, next: NextFunction): void {
  const refuse = (status: number, error: string, message: string) => {
    if (!res.headersSent) res.status(status).json({ statusCode: status, error, message });
  };
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (req.method !== 'POST' || type !== 'application/x-www-form-urlencoded' || findHostileUrl(req.originalUrl)) {
    return next();
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  req.on('data', (chunk: Buffer) => {
    if (done) return;
    size += chunk.length;
    if (size > MAX_FORM_BYTES) {
      done = true;
      refuse(413, 'Payload Too Large', `body: larger than ${MAX_FORM_BYTES} bytes`);
      req.resume();
      return;
    }
    chunks.push(chunk);
  });
  req.on('error', () => {
    if (done) return;
    done = true;
    refuse(400, 'Bad Request', 'body: could not be read');
  });
  req.on('end', () => {
    if (done) return;
    done = true;
    const parsed = parseForm(Buffer.concat(chunks));
    if ('problem' in parsed) return refuse(400, 'Bad Request', parsed.problem);
    req.body = parsed.params;
    FORM_REQUESTS.add(req);
    next();
  });
}
