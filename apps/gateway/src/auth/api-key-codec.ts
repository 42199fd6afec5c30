import { randomBytes } from 'node:crypto';
import { hashBearerToken } from '@ruleflow/rules/node/bearer-token';

/**
 * API key material, free of Nest and the database: the gateway and the `npm run keys` CLI both
 * mint and hash keys here, so a key made by either authenticates with the other.
 */

/** SHA-256 of a plaintext key, hex. */
export const hashApiKey = hashBearerToken;

/** A new plaintext key: `rf_` and 32 random bytes. */
export function generateApiKey(): string {
  return `rf_${randomBytes(32).toString('base64url')}`;
}

/** The part of a key that is stored in clear, to recognise it in lists. */
export function apiKeyPrefix(key: string): string {
  return key.slice(0, 10);
}
