import { createHmac } from 'node:crypto';
import { constantTimeEqual, hashBearerToken } from './bearer-token';

/**
 * The token in a line's voice and status URLs is a bearer credential. It is not random and not stored:
 * it is HMAC-SHA256(encryption key, "ruleflow-ivr-line:" + line id), base64url, so the gateway can show
 * the URLs again (GET) while the database keeps only its SHA-256 (the lookup key) and first characters.
 * After a key rotation the stored hash still names the token made with the old key: `lineTokenFor`
 * tries the current key, then the previous ones, and answers the one whose hash matches.
 */
const LABEL = 'ruleflow-ivr-line:';
/** Characters of the token kept in clear. */
const PREFIX_LENGTH = 6;
/** A line token: 32 bytes in base64url (43 characters). Anything unlike one is not looked up. */
export const LINE_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

export interface LineTokenKeys {
  current: Buffer;
  previous: Buffer[];
}

export function deriveLineToken(key: Buffer, lineId: string): string {
  return createHmac('sha256', key).update(`${LABEL}${lineId}`, 'utf8').digest('base64url');
}

/** What a new line stores of its token (made with the current key). */
export function storedLineToken(keys: LineTokenKeys, lineId: string): { tokenHash: string; tokenPrefix: string } {
  const token = deriveLineToken(keys.current, lineId);
  return { tokenHash: hashBearerToken(token), tokenPrefix: token.slice(0, PREFIX_LENGTH) };
}

/** The line's token, recomputed: the one (current key first) whose hash is the stored one; null when no key made it. */
export function lineTokenFor(keys: LineTokenKeys, lineId: string, tokenHash: string): string | null {
  for (const key of [keys.current, ...keys.previous]) {
    const token = deriveLineToken(key, lineId);
    if (constantTimeEqual(hashBearerToken(token), tokenHash)) return token;
  }
  return null;
}

/** `<public>/v1/ivr/voice/<token>` and `<public>/v1/ivr/status/<token>`. */
export function lineUrls(publicUrl: string, token: string): { voiceUrl: string; statusCallbackUrl: string } {
  const base = publicUrl.replace(/\/+$/, '');
  return { voiceUrl: `${base}/v1/ivr/voice/${token}`, statusCallbackUrl: `${base}/v1/ivr/status/${token}` };
}
