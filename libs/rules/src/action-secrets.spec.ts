import {
  actionSecretValues,
  isSecretErrorPath,
  maskActionConfig,
  isSecretHeaderName,
  maskActionSecrets,
  restoreMaskedActions,
  SECRET_MASK,
} from './action-secrets';

const webhook = (config: Record<string, unknown>, name = 'hook') => ({ name, type: 'webhook', config });

describe('action secrets registry', () => {
  it.each([
    ['Authorization', true],
    ['proxy-authorization', true],
    ['X-API-Key', true],
    ['X-Auth-Token', true],
    ['X-Client-Secret', true],
    ['X-Password', true],
    ['Content-Type', false],
    ['X-Tenant', false],
  ])('isSecretHeaderName(%s) is %s', (name, expected) => {
    expect(isSecretHeaderName(name)).toBe(expected);
  });

  it('leaves a templated credential header as written: the workflow renders it from the event', () => {
    const config = { url: 'https://x.test', headers: { Authorization: 'Bearer {{ data.token }}', 'X-Api-Key': 'k' } };
    expect(maskActionConfig('webhook', config)).toEqual({
      url: 'https://x.test',
      headers: { Authorization: 'Bearer {{ data.token }}', 'X-Api-Key': SECRET_MASK },
    });
  });

  it('masks the webhook secret and credential headers, nothing else, without touching the input', () => {
    const action = webhook({
      url: 'https://example.com',
      secret: 'whsec_x',
      headers: { Authorization: 'Bearer t', 'X-Tenant': 'acme', 'X-Api-Key': 'k' },
    });
    const [masked] = maskActionSecrets([action, { name: 'd', type: 'delay', config: { duration: '1s' } }]);
    expect(masked!.config).toEqual({
      url: 'https://example.com',
      secret: SECRET_MASK,
      headers: { Authorization: SECRET_MASK, 'X-Tenant': 'acme', 'X-Api-Key': SECRET_MASK },
    });
    expect(action.config.secret).toBe('whsec_x');
    expect(actionSecretValues('webhook', action.config)).toEqual(['whsec_x', 'Bearer t', 'k']);
    expect(actionSecretValues('delay', { secret: 'x' })).toEqual([]);
  });

  it('puts stored secrets back where the mask was sent, by action name and header name (any case)', () => {
    const stored = [webhook({ secret: 'whsec_old', headers: { Authorization: 'Bearer old' } })];
    const [restored] = restoreMaskedActions(
      [webhook({ secret: SECRET_MASK, headers: { authorization: SECRET_MASK, 'X-Token': 'new' } })],
      stored,
    ) as Array<{ config: Record<string, unknown> }>;
    expect(restored!.config).toEqual({
      secret: 'whsec_old',
      headers: { authorization: 'Bearer old', 'X-Token': 'new' },
    });
    // A new value replaces the stored one.
    const [replaced] = restoreMaskedActions([webhook({ secret: 'whsec_new' })], stored) as Array<{
      config: Record<string, unknown>;
    }>;
    expect(replaced!.config.secret).toBe('whsec_new');
  });

  it('keeps stored secrets only while the target (scheme, host, port or endpoint) stays the same', () => {
    const stored = [webhook({ url: 'https://erp.example.com/a', secret: 'whsec_old', headers: { 'X-API-Key': 'k' } })];
    const resend = (config: Record<string, unknown>) =>
      restoreMaskedActions([webhook({ secret: SECRET_MASK, ...config })], stored) as Array<{
        config: Record<string, unknown>;
      }>;
    expect(resend({ url: 'https://ERP.example.com:443/b?x=1' })[0]!.config.secret).toBe('whsec_old');
    for (const url of ['https://evil.example.net/a', 'http://erp.example.com/a', 'https://erp.example.com:8443/a']) {
      expect(() => resend({ url })).toThrow("actions[0].config.secret: the URL's host changed; give the secret again");
    }
    expect(() =>
      resend({ url: 'https://erp.example.com/a', webhookId: '0b0e2a4c-6b7e-4f5e-9d6c-7a1b2c3d4e5f' }),
    ).toThrow(/host changed/);
    // A credential header the same; a new value given again is fine.
    expect(() =>
      restoreMaskedActions(
        [webhook({ url: 'https://evil.example.net/', secret: 'whsec_new', headers: { 'x-api-key': SECRET_MASK } })],
        stored,
      ),
    ).toThrow(`actions[0].config.headers["x-api-key"]: the URL's host changed; give the secret again`);
    expect(resend({ url: 'https://evil.example.net/', secret: 'whsec_new' })[0]!.config.secret).toBe('whsec_new');
  });

  it('refuses a mask with nothing stored behind it, naming the place', () => {
    expect(() => restoreMaskedActions([webhook({ secret: SECRET_MASK }, 'other')], [webhook({ secret: 'a' })])).toThrow(
      /^actions\[0\]\.config\.secret: is the mask/,
    );
    expect(() => restoreMaskedActions([webhook({ headers: { 'X-API-Key': SECRET_MASK } })], [])).toThrow(
      /actions\[0\]\.config\.headers\["X-API-Key"\]: is the mask/,
    );
  });

  it('recognises error paths that point at a secret', () => {
    expect(isSecretErrorPath('webhook', 'actions[0].config', 'actions[0].config.secret')).toBe(true);
    expect(isSecretErrorPath('webhook', 'actions[0].config', 'actions[0].config.headers.Authorization')).toBe(true);
    expect(isSecretErrorPath('webhook', 'actions[0].config', 'actions[0].config.headers["X-API-Key"]')).toBe(true);
    expect(isSecretErrorPath('webhook', 'actions[0].config', 'actions[0].config.headers["X-Tenant"]')).toBe(false);
    expect(isSecretErrorPath('webhook', 'actions[0].config', 'actions[0].config.url')).toBe(false);
    expect(isSecretErrorPath('delay', 'actions[0].config', 'actions[0].config.secret')).toBe(false);
  });
});
