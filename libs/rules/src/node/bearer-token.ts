import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer credentials (API keys, hook tokens, phone-line URL tokens) are stored as their SHA-256 and
 * found by it; the credential itself is never stored. One hash and one comparison for all of them.
 */

/** SHA-256 (hex) of a bearer credential: the stored lookup key. */
export function hashBearerToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** String equality in constant time for equal lengths (a length mismatch answers at once). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
