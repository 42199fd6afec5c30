/**
 * Secrets at rest (webhook signing secrets, credential headers): AES-256-GCM under
 * RULEFLOW_ENCRYPTION_KEY, sealed as `enc:v1:<keyId>:<iv>:<ciphertext+tag>` (base64url, 12-byte
 * random IV per seal). The key id (first 8 hex chars of sha256(key)) picks the key on open, so a
 * rotated-out key stays usable from RULEFLOW_PREVIOUS_ENCRYPTION_KEYS until every value is re-sealed.
 * Node-only (node:crypto), hence under `node/` and not re-exported by `@ruleflow/rules`.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export const SEALED_PREFIX = 'enc:v1:';
const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SEALED = /^enc:v1:([0-9a-f]{8}):([A-Za-z0-9_-]+):([A-Za-z0-9_-]+)$/;

export interface SecretBoxKeys {
  current: Buffer;
  /** Keys rotated out, still accepted for opening. */
  previous: Buffer[];
}

export interface SecretBox {
  /** The id of the key new values are sealed with. */
  readonly keyId: string;
  encrypt(plain: string): string;
  /** Opens a sealed value; a value that is not `enc:v1:…` (stored before encryption) is returned as is. */
  decrypt(sealed: string): string;
  isSealed(value: unknown): value is string;
}

/** A sealed value that cannot be opened. The message never holds the plaintext or a key. */
export class SecretBoxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretBoxError';
  }
}

/** The public id of a key: the first 8 hex characters of its SHA-256. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Whether `value` is a sealed secret (`enc:v1:…`). */
export function isSealedSecret(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
}

const SEALED_HEADER = /^enc:v1:([0-9a-f]{8}):/;

/**
 * The id of the key a sealed value (`enc:v1:<keyId>:…`) was sealed with; undefined for a value that
 * is not sealed (plaintext stored before encryption) or whose header is malformed. Opens nothing.
 */
export function sealedKeyId(value: unknown): string | undefined {
  if (!isSealedSecret(value)) return undefined;
  return SEALED_HEADER.exec(value)?.[1];
}

/** Whether `value` is sealed under the box's current key (so re-sealing it would change nothing). */
export function isSealedWithCurrentKey(box: Pick<SecretBox, 'keyId'>, value: unknown): boolean {
  return sealedKeyId(value) === box.keyId;
}

/**
 * `value` sealed under the box's current key: returned as is when it already is, else opened
 * (a previous key, or plaintext stored before encryption) and sealed again. Throws SecretBoxError
 * when it cannot be opened (an unknown key id, altered or malformed).
 */
export function resealSecret(box: SecretBox, value: string): string {
  if (isSealedWithCurrentKey(box, value)) return value;
  return box.encrypt(box.decrypt(value));
}

/** An AES-256-GCM sealer over the current key that also opens values sealed with the previous keys. */
export function createSecretBox(keys: SecretBoxKeys): SecretBox {
  const byId = new Map<string, Buffer>();
  for (const key of [keys.current, ...keys.previous]) {
    if (key.length !== KEY_BYTES) throw new SecretBoxError(`an encryption key must be ${KEY_BYTES} bytes`);
    const id = keyIdOf(key);
    if (!byId.has(id)) byId.set(id, Buffer.from(key));
  }
  const currentId = keyIdOf(keys.current);
  const current = byId.get(currentId)!;

  return {
    keyId: currentId,
    isSealed: isSealedSecret,
    encrypt(plain: string): string {
      if (typeof plain !== 'string') throw new SecretBoxError('only strings can be sealed');
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv(ALGORITHM, current, iv, { authTagLength: TAG_BYTES });
      // The header is authenticated too: a value moved to another key id or version does not open.
      cipher.setAAD(Buffer.from(`${SEALED_PREFIX}${currentId}`));
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${SEALED_PREFIX}${currentId}:${iv.toString('base64url')}:${body.toString('base64url')}`;
    },
    decrypt(sealed: string): string {
      if (!isSealedSecret(sealed)) return sealed;
      const match = SEALED.exec(sealed);
      if (!match) throw new SecretBoxError('cannot open a secret: it is not a well-formed enc:v1 value');
      const [, id, ivText, bodyText] = match as unknown as [string, string, string, string];
      const key = byId.get(id);
      if (!key) {
        throw new SecretBoxError(
          `cannot open a secret sealed with key ${id}: it is neither RULEFLOW_ENCRYPTION_KEY (key ${currentId}) ` +
            'nor one of RULEFLOW_PREVIOUS_ENCRYPTION_KEYS',
        );
      }
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (iv.length !== IV_BYTES || body.length < TAG_BYTES) {
        throw new SecretBoxError(`cannot open a secret sealed with key ${id}: it is truncated`);
      }
      try {
        const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(`${SEALED_PREFIX}${id}`));
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
          'utf8',
        );
      } catch {
        throw new SecretBoxError(`cannot open a secret sealed with key ${id}: it was altered or the key is wrong`);
      }
    },
  };
}
