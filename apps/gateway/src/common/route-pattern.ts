import type { Request } from 'express';

/**
 * The route pattern that served a request (`/v1/rules/:id`), or `unmatched`: a bounded value safe for
 * metric labels and logs, unlike the raw URL (ids, hook tokens, query values, any path a caller invents).
 */
export function routePattern(req: Request): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  return typeof pattern === 'string' ? pattern : 'unmatched';
}
