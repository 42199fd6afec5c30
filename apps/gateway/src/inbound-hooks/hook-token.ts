import { randomBytes } from 'node:crypto';
import { hashBearerToken } from '@ruleflow/rules/node/bearer-token';

/** Characters of a hook token kept in clear, to tell hooks apart in the masked URL. */
const PREFIX_LENGTH = 6;
const MASK = '********';

/** What the database keeps of a hook token: its SHA-256 (hex) and first characters, never the token. */
export interface StoredHookToken {
  hookTokenHash: string;
  hookTokenPrefix: string;
}

/** A new hook token (32 random bytes, base64url) and what is stored of it. */
export function newHookToken(): { token: string; stored: StoredHookToken } {
  const token = randomBytes(32).toString('base64url');
  return { token, stored: { hookTokenHash: hashBearerToken(token), hookTokenPrefix: token.slice(0, PREFIX_LENGTH) } };
}

/** The full hook URL: shown only in the response that makes the token. */
export function hookUrl(token: string): string {
  return `/v1/hooks/${token}`;
}

/** The hook URL as every other response (and every rule version) shows it. */
export function maskedHookUrl(prefix: string | null): string {
  return `/v1/hooks/${prefix ?? ''}${MASK}`;
}
