import { createHash, randomBytes } from 'node:crypto';
import {
  createSecretBox,
  isSealedSecret,
  isSealedWithCurrentKey,
  keyIdOf,
  resealSecret,
  sealedKeyId,
  SecretBoxError,
} from './secret-box';

const PLAIN = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const SEALED_FORMAT = /^enc:v1:[0-9a-f]{8}:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+$/;

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

/** Flip one bit of the base64url part at `index` (2 = key id, 3 = iv, 4 = ciphertext+tag). */
function tamper(sealed: string, index: number): string {
  const parts = sealed.split(':');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[bytes.length - 1]! ^= 1;
  parts[index] = bytes.toString('base64url');
  return parts.join(':');
}

describe('secret box (AES-256-GCM)', () => {
  const key = randomBytes(32);
  const box = createSecretBox({ current: key, previous: [] });

  it('round-trips, in the enc:v1:<keyId>:<iv>:<ciphertext+tag> format', () => {
    const sealed = box.encrypt(PLAIN);
    expect(sealed).toMatch(SEALED_FORMAT);
    expect(sealed.split(':')[2]).toBe(keyIdOf(key));
    expect(box.keyId).toBe(keyIdOf(key));
    expect(sealed).not.toContain(PLAIN);
    expect(sealed).not.toContain(PLAIN.slice('whsec_'.length));
    expect(box.decrypt(sealed)).toBe(PLAIN);
    expect(box.decrypt(box.encrypt(''))).toBe('');
    expect(box.decrypt(box.encrypt('Bearer ünïcödé ✓'))).toBe('Bearer ünïcödé ✓');
  });

  it('uses a fresh random IV on every seal', () => {
    const a = box.encrypt(PLAIN);
    const b = box.encrypt(PLAIN);
    expect(a).not.toBe(b);
    expect(a.split(':')[3]).not.toBe(b.split(':')[3]);
    expect(Buffer.from(a.split(':')[3]!, 'base64url')).toHaveLength(12);
  });

  it('key id is the first 8 hex chars of sha256(key)', () => {
    const fixed = Buffer.alloc(32, 7);
    expect(keyIdOf(fixed)).toBe(createHash('sha256').update(fixed).digest('hex').slice(0, 8));
    expect(keyIdOf(fixed)).toMatch(/^[0-9a-f]{8}$/);
  });

  it.each([
    ['ciphertext', 4],
    ['IV', 3],
  ])('refuses a value whose %s was altered', (_what, index) => {
    const err = errorOf(() => box.decrypt(tamper(box.encrypt(PLAIN), index)));
    expect(err).toBeInstanceOf(SecretBoxError);
    expect(err.message).toMatch(/altered or the key is wrong/);
    expect(err.message).not.toContain(PLAIN);
  });

  it('refuses malformed and truncated values', () => {
    expect(errorOf(() => box.decrypt('enc:v1:nonsense'))).toBeInstanceOf(SecretBoxError);
    const sealed = box.encrypt(PLAIN).split(':');
    sealed[4] = 'AAAA';
    expect(errorOf(() => box.decrypt(sealed.join(':'))).message).toMatch(/truncated/);
  });

  it('opens values sealed with a previous key after a rotation, and seals with the new one', () => {
    const oldKey = randomBytes(32);
    const sealedBefore = createSecretBox({ current: oldKey, previous: [] }).encrypt(PLAIN);
    const rotated = createSecretBox({ current: randomBytes(32), previous: [oldKey] });
    expect(rotated.decrypt(sealedBefore)).toBe(PLAIN);
    const resealed = rotated.encrypt(rotated.decrypt(sealedBefore));
    expect(resealed.split(':')[2]).toBe(rotated.keyId);
    expect(resealed.split(':')[2]).not.toBe(keyIdOf(oldKey));
  });

  it('names the unknown key id, never the plaintext or a key, when the key is missing', () => {
    const otherKey = randomBytes(32);
    const sealed = createSecretBox({ current: otherKey, previous: [] }).encrypt(PLAIN);
    const err = errorOf(() => box.decrypt(sealed));
    expect(err).toBeInstanceOf(SecretBoxError);
    expect(err.message).toContain(keyIdOf(otherKey));
    expect(err.message).toMatch(/RULEFLOW_PREVIOUS_ENCRYPTION_KEYS/);
    for (const k of [key, otherKey]) {
      expect(err.message).not.toContain(k.toString('base64'));
      expect(err.message).not.toContain(k.toString('base64url'));
      expect(err.message).not.toContain(k.toString('hex'));
    }
    expect(err.message).not.toContain(PLAIN);
  });

  it('a wrong key with a colliding id still fails closed (the tag is checked)', () => {
    const sealed = box.encrypt(PLAIN);
    // Forge the key id of another key onto the value: the AAD binds the id, so it must not open.
    const other = randomBytes(32);
    const box2 = createSecretBox({ current: other, previous: [] });
    const forged = sealed.replace(`:${box.keyId}:`, `:${box2.keyId}:`);
    const err = errorOf(() => box2.decrypt(forged));
    expect(err.message).toMatch(/altered or the key is wrong/);
    expect(err.message).not.toContain(PLAIN);
  });

  it('passes through values that are not sealed (rows stored before encryption)', () => {
    expect(box.decrypt(PLAIN)).toBe(PLAIN);
    expect(box.isSealed(PLAIN)).toBe(false);
    expect(box.isSealed(box.encrypt(PLAIN))).toBe(true);
    expect(isSealedSecret(42)).toBe(false);
    expect(box.isSealed(undefined)).toBe(false);
  });

  it('sealedKeyId names the key of a sealed value without opening it; undefined for plaintext and malformed', () => {
    const other = randomBytes(32);
    expect(sealedKeyId(box.encrypt(PLAIN))).toBe(keyIdOf(key));
    expect(sealedKeyId(createSecretBox({ current: other, previous: [] }).encrypt(PLAIN))).toBe(keyIdOf(other));
    expect(sealedKeyId(PLAIN)).toBeUndefined();
    expect(sealedKeyId('enc:v1:nonsense')).toBeUndefined();
    expect(sealedKeyId(42)).toBeUndefined();
    expect(isSealedWithCurrentKey(box, box.encrypt(PLAIN))).toBe(true);
    expect(isSealedWithCurrentKey(box, PLAIN)).toBe(false);
    expect(isSealedWithCurrentKey(box, createSecretBox({ current: other, previous: [] }).encrypt(PLAIN))).toBe(false);
  });

  it('resealSecret: current values kept as is; previous-key and plaintext values sealed under the current key', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const rotated = createSecretBox({ current: newKey, previous: [oldKey] });
    const current = rotated.encrypt(PLAIN);
    expect(resealSecret(rotated, current)).toBe(current);

    const underOld = createSecretBox({ current: oldKey, previous: [] }).encrypt(PLAIN);
    const resealed = resealSecret(rotated, underOld);
    expect(sealedKeyId(resealed)).toBe(rotated.keyId);
    // The old key is no longer needed to open it.
    expect(createSecretBox({ current: newKey, previous: [] }).decrypt(resealed)).toBe(PLAIN);

    const fromPlain = resealSecret(rotated, PLAIN);
    expect(sealedKeyId(fromPlain)).toBe(rotated.keyId);
    expect(rotated.decrypt(fromPlain)).toBe(PLAIN);

    const unknown = createSecretBox({ current: randomBytes(32), previous: [] }).encrypt(PLAIN);
    const err = errorOf(() => resealSecret(rotated, unknown));
    expect(err).toBeInstanceOf(SecretBoxError);
    expect(err.message).not.toContain(PLAIN);
  });

  it('refuses keys that are not 32 bytes', () => {
    expect(errorOf(() => createSecretBox({ current: randomBytes(16), previous: [] })).message).toMatch(/32 bytes/);
    expect(errorOf(() => createSecretBox({ current: key, previous: [randomBytes(31)] })).message).toMatch(/32 bytes/);
  });
});
