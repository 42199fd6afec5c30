import type { NextFunction, Request, Response } from 'express';

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
export const MAX_BODY_DEPTH = 100;

/** Where a parsed JSON body holds a prototype-pollution key or nests too deep; null when it is fine. */
export function findHostileJson(body: unknown): string | null {
  // Iterative walk: a hostile body must not be able to exhaust the stack.
  const stack: Array<{ value: unknown; path: string; depth: number }> = [{ value: body, path: 'body', depth: 0 }];
  while (stack.length) {
    const { value, path, depth } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_BODY_DEPTH) return `${path}: nested deeper than ${MAX_BODY_DEPTH} levels`;
    if (Array.isArray(value)) {
      value.forEach((item, i) => stack.push({ value: item, path: `${path}[${i}]`, depth: depth + 1 }));
      continue;
    }
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) return `${path}.${key}: the key "${key}" is not allowed`;
      stack.push({ value: (value as Record<string, unknown>)[key], path: `${path}.${key}`, depth: depth + 1 });
    }
  }
  return null;
}

/**
 * Rejects JSON bodies carrying `__proto__` / `constructor` / `prototype` keys or absurd nesting with a
 * 400 before any handler (or class-transformer, which would silently drop or misapply such keys) sees them.
 */
export function jsonGuard(req: Request, res: Response, next: NextFunction): void {
  const problem = req.body === undefined ? null : findHostileJson(req.body);
  if (!problem) return next();
  res.status(400).json({ statusCode: 400, error: 'Bad Request', message: problem });
}
