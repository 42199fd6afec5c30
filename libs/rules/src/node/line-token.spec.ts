import { createHash, createHmac, randomBytes } from 'node:crypto';
import { deriveLineToken, LINE_TOKEN_SHAPE, lineTokenFor, lineUrls, storedLineToken } from './line-token';

const LINE = '7b0c6f3e-3d4a-4b1e-9c55-2f1a0e5d9b11';

describe('line tokens', () => {
  const current = randomBytes(32);
  const old = randomBytes(32);

  it('is HMAC-SHA256(key, label + line id) in base64url, 43 characters', () => {
    const expected = createHmac('sha256', current).update(`ruleflow-ivr-line:${LINE}`).digest('base64url');
    expect(deriveLineToken(current, LINE)).toBe(expected);
    expect(expected).toMatch(LINE_TOKEN_SHAPE);
  });

  it('stores only the SHA-256 and a 6-character prefix', () => {
    const token = deriveLineToken(current, LINE);
    const stored = storedLineToken({ current, previous: [] }, LINE);
    expect(stored.tokenHash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(stored.tokenPrefix).toBe(token.slice(0, 6));
    expect(JSON.stringify(stored)).not.toContain(token);
  });

  it('recomputes the token under the key that made it, also after a rotation', () => {
    const { tokenHash } = storedLineToken({ current: old, previous: [] }, LINE);
    expect(lineTokenFor({ current, previous: [old] }, LINE, tokenHash)).toBe(deriveLineToken(old, LINE));
    expect(lineTokenFor({ current, previous: [] }, LINE, tokenHash)).toBeNull();
    expect(lineTokenFor({ current: old, previous: [] }, 'another-line', tokenHash)).toBeNull();
  });

  it('builds the voice and status URLs under the public base URL', () => {
    expect(lineUrls('https://rf.example.com/', 'tok')).toEqual({
      voiceUrl: 'https://rf.example.com/v1/ivr/voice/tok',
      statusCallbackUrl: 'https://rf.example.com/v1/ivr/status/tok',
    });
  });
});
