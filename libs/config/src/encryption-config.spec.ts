import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, maskConfig, resolveEncryptionKeys } from './config';

const KEY_B64 = Buffer.alloc(32, 1).toString('base64');
const KEY_HEX = Buffer.alloc(32, 2).toString('hex');

describe('encryption key configuration', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'ruleflow-key-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes RULEFLOW_ENCRYPTION_KEY as base64 or hex, and previous keys comma-separated', () => {
    const config = loadConfig({
      RULEFLOW_ENCRYPTION_KEY: KEY_B64,
      RULEFLOW_PREVIOUS_ENCRYPTION_KEYS: `${KEY_HEX}, ${Buffer.alloc(32, 3).toString('base64url')}`,
    });
    expect(config.encryption.key).toEqual(Buffer.alloc(32, 1));
    expect(config.encryption.previousKeys).toEqual([Buffer.alloc(32, 2), Buffer.alloc(32, 3)]);
    const keys = resolveEncryptionKeys(config);
    expect(keys.current).toEqual(Buffer.alloc(32, 1));
    expect(keys.source).toMatch(/RULEFLOW_ENCRYPTION_KEY/);
  });

  it.each(['too-short', Buffer.alloc(16).toString('base64'), 'z'.repeat(64), Buffer.alloc(33).toString('hex')])(
    'refuses %s naming the variable and not echoing the value',
    (value) => {
      let err: Error | undefined;
      try {
        loadConfig({ RULEFLOW_ENCRYPTION_KEY: value });
      } catch (e) {
        err = e as Error;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect(err!.message).toMatch(/RULEFLOW_ENCRYPTION_KEY: must be 32 bytes/);
      expect(err!.message).not.toContain(value);
    },
  );

  it('names the bad entry of RULEFLOW_PREVIOUS_ENCRYPTION_KEYS', () => {
    expect(() => loadConfig({ RULEFLOW_PREVIOUS_ENCRYPTION_KEYS: `${KEY_B64},nope` })).toThrow(
      /RULEFLOW_PREVIOUS_ENCRYPTION_KEYS \(entry 2\)/,
    );
  });

  it('refuses to go without a key in production', () => {
    const config = loadConfig({ NODE_ENV: 'production', RULEFLOW_DATA_DIR: dir });
    expect(() => resolveEncryptionKeys(config)).toThrow(/RULEFLOW_ENCRYPTION_KEY is not set/);
  });

  it('outside production generates <dataDir>/encryption.key once (0600) and reuses it', () => {
    const config = loadConfig({ NODE_ENV: 'development', RULEFLOW_DATA_DIR: dir });
    const first = resolveEncryptionKeys(config);
    const file = path.join(dir, 'encryption.key');
    expect(first.current).toHaveLength(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64')).toEqual(first.current);
    expect(resolveEncryptionKeys(config).current).toEqual(first.current);
    writeFileSync(file, 'garbage\n');
    expect(() => resolveEncryptionKeys(config)).toThrow(/encryption\.key: must be 32 bytes/);
  });

  it('never logs a key', () => {
    const masked = JSON.stringify(maskConfig(loadConfig({ RULEFLOW_ENCRYPTION_KEY: KEY_B64 })));
    expect(masked).not.toContain(KEY_B64);
    expect(masked).not.toContain(Buffer.alloc(32, 1).toString('hex'));
    expect(masked).toMatch(/"key":"key [0-9a-f]{8}"/);
  });
});
