import {
  isHttpUrl,
  isWebhookSecret,
  normalizeActions,
  normalizeOnFailure,
  normalizeRetry,
  toRetryPolicy,
} from './actions';
import { DEFAULT_RETRY, RuleValidationError } from './types';
import type { ActionType } from './types';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'; // 24 bytes
const webhook = (config: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
  type: 'webhook',
  config: { url: 'https://erp.example.com/hooks', ...config },
  ...extra,
});

/** A complete create_alert config (the type has config checks of its own). */
const ALERT = {
  alertType: 'late_order',
  severity: 'high',
  title: 'Order {{data.id}} is late',
  message: 'late',
  recipients: [{ type: 'role', id: 'ops' }],
};

function errorOf(fn: () => unknown): RuleValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RuleValidationError) return error;
    throw error;
  }
  throw new Error('expected a RuleValidationError');
}

describe('normalizeActions', () => {
  it('fills in names, method and retry defaults', () => {
    const result = normalizeActions([
      webhook({ body: { orderId: '{{data.id}}' } }),
      { type: 'delay', config: { duration: '10m' } },
      {
        name: 'mail',
        type: 'send_notification',
        config: { channel: 'email', to: ['{{data.customer.email}}'], body: 'Shipped' },
      },
      { type: 'create_alert', config: ALERT },
    ]);
    expect(result).toEqual([
      {
        name: 'webhook_0',
        type: 'webhook',
        config: { url: 'https://erp.example.com/hooks', method: 'POST', body: { orderId: '{{data.id}}' } },
        retry: DEFAULT_RETRY,
      },
      { name: 'delay_1', type: 'delay', config: { duration: '10m' }, retry: DEFAULT_RETRY },
      {
        name: 'mail',
        type: 'send_notification',
        config: { channel: 'email', to: ['{{data.customer.email}}'], body: 'Shipped' },
        retry: DEFAULT_RETRY,
      },
      { name: 'create_alert_3', type: 'create_alert', config: ALERT, retry: DEFAULT_RETRY },
    ]);
    expect(result[0]?.retry).not.toBe(DEFAULT_RETRY);
  });

  it('keeps the contract example as it is', () => {
    const actions = [
      {
        name: 'erp',
        type: 'webhook',
        config: {
          url: 'https://erp.example.com/hooks',
          method: 'POST',
          headers: {},
          body: { orderId: '{{data.id}}', note: 'Order {{data.id}} shipped' },
        },
        retry: { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
      },
      { name: 'wait', type: 'delay', config: { duration: '10m' } },
      {
        name: 'mail',
        type: 'send_notification',
        config: { channel: 'email', to: ['{{data.customer.email}}'], subject: 'Shipped', body: 'Order {{data.id}}' },
      },
    ];
    expect(normalizeActions(actions)).toEqual(actions.map((a) => ({ retry: DEFAULT_RETRY, ...a })));
  });

  it('copies configs instead of aliasing the input', () => {
    const body = { a: 1 };
    const [action] = normalizeActions([webhook({ body })]);
    body.a = 2;
    expect(action?.config['body']).toEqual({ a: 1 });
  });

  it('keeps templateId', () => {
    const [action] = normalizeActions([{ type: 'create_alert', templateId: 'tpl-1', config: ALERT }]);
    expect(action?.templateId).toBe('tpl-1');
  });

  it('upper-cases the method', () => {
    expect(normalizeActions([webhook({ method: 'patch' })])[0]?.config['method']).toBe('PATCH');
  });

  it.each<[string, unknown]>([
    [
      'webhook by registered endpoint',
      { type: 'webhook', config: { webhookId: '0b0d3c9e-1111-4a4a-9a9a-123456789abc' } },
    ],
    ['templated URL', webhook({ url: '{{data.callbackUrl}}' })],
    ['URL with a template in the path', webhook({ url: 'https://x.example.com/{{data.id}}' })],
    ['http URL with port, query and fragment', webhook({ url: 'http://localhost:8080/a/b?c=d#e' })],
    ['IPv6 host', webhook({ url: 'http://[::1]:3000/' })],
    ['userinfo', webhook({ url: 'https://user:pass@example.com/' })],
    ['every method', webhook({ method: 'DELETE' })],
    ['headers with templates', webhook({ headers: { 'X-Order': '{{data.id}}', Authorization: 'Bearer x' } })],
    ['a Standard Webhooks secret', webhook({ secret: SECRET })],
    ['an unpadded secret', webhook({ secret: 'whsec_AAAAAAAAAAAAAAAAAAAAAAA' })],
    ['delay in ms', { type: 'delay', config: { duration: 5000 } }],
    ['delay of 365 days', { type: 'delay', config: { duration: '365d' } }],
    [
      'a steps reference to an earlier action',
      { type: 'create_alert', config: { ...ALERT, message: '{{steps.webhook_0.body}}' } },
    ],
    ['null name and retry mean defaults', { type: 'release_inventory', name: null, retry: null, config: {} }],
    [
      'allocate_inventory',
      {
        type: 'allocate_inventory',
        config: { orderId: '{{data.id}}', lines: [{ sku: '{{data.lines.0.sku}}', quantity: 1 }] },
      },
    ],
  ])('accepts %s', (_name, action) => {
    const list = [webhook(), action];
    expect(() => normalizeActions(list)).not.toThrow();
  });

  it.each<[string, unknown, string]>([
    ['not an array', { type: 'webhook' }, 'actions: must be an array of actions'],
    ['an empty array', [], 'actions: at least one action is required'],
    [
      '51 actions',
      Array.from({ length: 51 }, () => ({ type: 'create_alert' })),
      'actions: at most 50 actions are allowed',
    ],
    ['an action that is not an object', [webhook(), 'webhook'], 'actions[1]: must be an object'],
    ['an unknown key', [webhook({}, { onError: 'now' })], 'actions[0]: unknown key "onError"'],
    ['no type', [{ config: {} }], 'actions[0].type: action type is required'],
    ['an unknown type', [webhook(), { type: 'sms' }], 'actions[1].type: action type "sms" is not supported'],
    ['a numeric type', [{ type: 1 }], 'actions[0].type: action type 1 is not supported'],
    ['an invalid name', [webhook({}, { name: '1st' })], 'actions[0].name: "1st" is not a valid action name'],
    [
      'a name with spaces',
      [webhook({}, { name: 'my action' })],
      'actions[0].name: "my action" is not a valid action name',
    ],
    ['a name too long', [webhook({}, { name: 'a'.repeat(65) })], 'actions[0].name:'],
    ['a numeric name', [webhook({}, { name: 5 })], 'actions[0].name: 5 is not a valid action name'],
    [
      'duplicate names',
      [webhook({}, { name: 'a' }), { type: 'delay', config: { duration: '1s' } }, webhook({}, { name: 'a' })],
      'actions[2].name: duplicate action name "a"',
    ],
    [
      'an explicit name clashing with a default one',
      [webhook({}, { name: 'webhook_1' }), webhook()],
      'actions[1].name: duplicate action name "webhook_1"',
    ],
    ['config not an object', [{ type: 'create_alert', config: 'x' }], 'actions[0].config: must be an object'],
    ['config an array', [{ type: 'create_alert', config: [] }], 'actions[0].config: must be an object'],
    [
      'a bad template',
      [{ type: 'create_alert', config: { t: 'x {{ data.id' } }],
      'actions[0].config.t: "{{" at position 2',
    ],
    [
      'a template with an unknown root',
      [webhook({ body: { a: '{{ order.id }}' } })],
      'actions[0].config.body.a: template',
    ],
    [
      'a steps reference to a later action',
      [{ type: 'create_alert', config: { ...ALERT, message: '{{ steps.erp.body }}' } }, webhook({}, { name: 'erp' })],
      'actions[0].config.message: template "{{ steps.erp.body }}" refers to step "erp", which is not an earlier action',
    ],
    [
      'a steps reference to itself',
      [webhook({ body: '{{steps.self}}' }, { name: 'self' })],
      'actions[0].config.body: template "{{ steps.self }}" refers to step "self"',
    ],
    [
      'a webhook without url',
      [{ type: 'webhook', config: {} }],
      'actions[0].config.url: is required (or give "webhookId")',
    ],
    ['a webhook without config', [{ type: 'webhook' }], 'actions[0].config.url: is required'],
    [
      'a non-http URL',
      [webhook({ url: 'ftp://example.com/x' })],
      'actions[0].config.url: "ftp://example.com/x" is not an http(s) URL',
    ],
    ['a relative URL', [webhook({ url: '/hooks' })], 'is not an http(s) URL'],
    ['a URL without host', [webhook({ url: 'https:///x' })], 'is not an http(s) URL'],
    ['a URL with spaces', [webhook({ url: 'https://exa mple.com/' })], 'is not an http(s) URL'],
    ['a URL with a bad port', [webhook({ url: 'https://example.com:99999/' })], 'is not an http(s) URL'],
    ['a javascript URL', [webhook({ url: 'javascript:alert(1)' })], 'is not an http(s) URL'],
    ['a numeric URL', [webhook({ url: 5 })], 'actions[0].config.url: must be a string'],
    ['a URL over 2048 chars', [webhook({ url: `https://example.com/${'a'.repeat(2048)}` })], 'is longer than 2048'],
    [
      'both url and webhookId',
      [webhook({ webhookId: 'w-1' })],
      'actions[0].config: give either "url" or "webhookId", not both',
    ],
    ['an empty webhookId', [{ type: 'webhook', config: { webhookId: '' } }], 'actions[0].config.webhookId: must be'],
    [
      'an unsupported method',
      [webhook({ method: 'HEAD' })],
      'actions[0].config.method: method "HEAD" is not supported',
    ],
    ['a numeric method', [webhook({ method: 1 })], 'actions[0].config.method: method 1 is not supported'],
    ['headers not an object', [webhook({ headers: ['a'] })], 'actions[0].config.headers: must be an object of strings'],
    ['a non-string header', [webhook({ headers: { 'X-N': 1 } })], 'actions[0].config.headers["X-N"]: must be a string'],
    [
      'a bad header name',
      [webhook({ headers: { 'X Bad': 'v' } })],
      'actions[0].config.headers["X Bad"]: is not a valid header name',
    ],
    ['a header with a line break', [webhook({ headers: { 'X-A': 'a\r\nX-B: b' } })], 'may not contain line breaks'],
    [
      'a secret without prefix',
      [webhook({ secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' })],
      'actions[0].config.secret: must be "whsec_"',
    ],
    ['a short secret', [webhook({ secret: 'whsec_AAAAAAAAAAAAAAAAAAAA' })], 'actions[0].config.secret:'],
    [
      'a secret that is not base64',
      [webhook({ secret: 'whsec_!!!!!!!!!!!!!!!!!!!!!!!!!!!!' })],
      'actions[0].config.secret:',
    ],
    [
      'a secret with bad padding',
      [webhook({ secret: 'whsec_AAAAAAAAAAAAAAAAAAAAAAAA=' })],
      'actions[0].config.secret:',
    ],
    ['a numeric secret', [webhook({ secret: 12345 })], 'actions[0].config.secret:'],
    [
      'a delay without duration',
      [{ type: 'delay', config: {} }],
      'actions[0].config.duration: invalid duration undefined',
    ],
    [
      'a bad delay',
      [{ type: 'delay', config: { duration: '10 minutes' } }],
      'actions[0].config.duration: invalid duration',
    ],
    [
      'a delay over 365 days',
      [{ type: 'delay', config: { duration: '366d' } }],
      'actions[0].config.duration: duration must be at most 365d',
    ],
    [
      'a templated delay',
      [{ type: 'delay', config: { duration: '{{data.wait}}' } }],
      'actions[0].config.duration: invalid duration',
    ],
    ['a bad templateId', [webhook({}, { templateId: 5 })], 'actions[0].templateId: must be a non-empty string'],
    ['retry not an object', [webhook({}, { retry: 3 })], 'actions[0].retry: must be an object'],
    ['an unknown retry key', [webhook({}, { retry: { attempts: 3 } })], 'actions[0].retry: unknown key "attempts"'],
  ])('rejects %s', (_name, input, message) => {
    expect(errorOf(() => normalizeActions(input)).message).toContain(message);
  });

  it('honours allowedTypes', () => {
    const allowedTypes: readonly ActionType[] = ['webhook', 'delay'];
    expect(() =>
      normalizeActions([webhook(), { type: 'delay', config: { duration: '1s' } }], { allowedTypes }),
    ).not.toThrow();
    const error = errorOf(() => normalizeActions([webhook(), { type: 'create_alert' }], { allowedTypes }));
    expect(error.path).toBe('actions[1].type');
    expect(error.message).toBe('actions[1].type: action type "create_alert" is not supported');
  });

  it('can skip the steps reference check', () => {
    const later = [
      { type: 'create_alert', config: { ...ALERT, message: '{{ steps.later }}' } },
      webhook({}, { name: 'later' }),
    ];
    expect(() => normalizeActions(later, { checkStepReferences: false })).not.toThrow();
  });

  it('uses the given path prefix', () => {
    expect(errorOf(() => normalizeActions([{ type: 'x' }], { path: 'rule.actions' })).path).toBe(
      'rule.actions[0].type',
    );
  });
});

describe('normalizeRetry', () => {
  it.each<[string, unknown, unknown]>([
    ['omitted', undefined, DEFAULT_RETRY],
    ['empty', {}, DEFAULT_RETRY],
    ['attempts only', { maximumAttempts: 1 }, { ...DEFAULT_RETRY, maximumAttempts: 1 }],
    ['max attempts 100', { maximumAttempts: 100 }, { ...DEFAULT_RETRY, maximumAttempts: 100 }],
    ['coefficient 1', { backoffCoefficient: 1 }, { ...DEFAULT_RETRY, backoffCoefficient: 1 }],
    ['coefficient 1.5', { backoffCoefficient: 1.5 }, { ...DEFAULT_RETRY, backoffCoefficient: 1.5 }],
    ['coefficient 10', { backoffCoefficient: 10 }, { ...DEFAULT_RETRY, backoffCoefficient: 10 }],
    [
      'intervals in ms',
      { initialInterval: 500, maximumInterval: 5000 },
      { ...DEFAULT_RETRY, initialInterval: 500, maximumInterval: 5000 },
    ],
    ['equal intervals', { initialInterval: '1m', maximumInterval: '1m' }, { ...DEFAULT_RETRY, initialInterval: '1m' }],
    [
      'initial above the default maximum raises the defaulted maximum',
      { initialInterval: '2m' },
      { ...DEFAULT_RETRY, initialInterval: '2m', maximumInterval: '2m' },
    ],
    [
      'everything',
      { maximumAttempts: 3, initialInterval: '2s', backoffCoefficient: 3, maximumInterval: '1h' },
      { maximumAttempts: 3, initialInterval: '2s', backoffCoefficient: 3, maximumInterval: '1h' },
    ],
  ])('%s', (_name, input, expected) => {
    expect(normalizeRetry(input, 'retry')).toEqual(expected);
  });

  it.each<[unknown, string]>([
    [{ maximumAttempts: 0 }, 'retry.maximumAttempts: must be an integer from 1 to 100'],
    [{ maximumAttempts: 101 }, 'retry.maximumAttempts: must be an integer from 1 to 100'],
    [{ maximumAttempts: 2.5 }, 'retry.maximumAttempts:'],
    [{ maximumAttempts: '3' }, 'retry.maximumAttempts:'],
    [{ backoffCoefficient: 0.5 }, 'retry.backoffCoefficient: must be a number from 1 to 10'],
    [{ backoffCoefficient: 11 }, 'retry.backoffCoefficient:'],
    [{ backoffCoefficient: '2' }, 'retry.backoffCoefficient:'],
    [{ initialInterval: '0s' }, 'retry.initialInterval: duration must be at least 1ms'],
    [{ initialInterval: 'fast' }, 'retry.initialInterval: invalid duration "fast"'],
    [{ maximumInterval: -5 }, 'retry.maximumInterval: invalid duration'],
    [{ maximumInterval: '400d' }, 'retry.maximumInterval: duration must be at most 365d'],
    [
      { initialInterval: '10s', maximumInterval: '5s' },
      'retry.maximumInterval: must not be shorter than initialInterval',
    ],
    [{ initialInterval: '2m', maximumInterval: '1m' }, 'retry.maximumInterval: must not be shorter'],
  ])('rejects %j', (input, message) => {
    expect(errorOf(() => normalizeRetry(input, 'retry')).message).toContain(message);
  });
});

describe('toRetryPolicy', () => {
  it('turns durations into milliseconds', () => {
    expect(toRetryPolicy(DEFAULT_RETRY)).toEqual({
      maximumAttempts: 5,
      initialIntervalMs: 1000,
      backoffCoefficient: 2,
      maximumIntervalMs: 60_000,
    });
    expect(
      toRetryPolicy({ maximumAttempts: 2, initialInterval: 250, backoffCoefficient: 1.5, maximumInterval: '2h' }),
    ).toEqual({ maximumAttempts: 2, initialIntervalMs: 250, backoffCoefficient: 1.5, maximumIntervalMs: 7_200_000 });
  });
});

describe('isHttpUrl / isWebhookSecret', () => {
  it.each<[string, boolean]>([
    ['https://example.com', true],
    ['HTTPS://EXAMPLE.COM/x', true],
    ['http://127.0.0.1:65535/', true],
    ['http://127.0.0.1:65536/', false],
    ['https://bücher.example/', true],
    ['https://', false],
    ['https://exa mple.com', false],
    ['mailto:a@b.c', false],
    ['https:/example.com', false],
  ])('isHttpUrl(%s) is %s', (url, expected) => {
    expect(isHttpUrl(url)).toBe(expected);
  });

  it.each<[unknown, boolean]>([
    [SECRET, true],
    ['whsec_AAAAAAAAAAAAAAAAAAAAAA==', true],
    ['whsec_AAAAAAAAAAAAAAAAAAAAAA=', false],
    ['whsec_AAAAAAAAAAAAAAAAAAAA', false],
    ['whsec_', false],
    ['whsec_A', false],
    ['WHSEC_AAAAAAAAAAAAAAAAAAAAAA==', false],
    ['whsec_AAAAAAAAAAAAAAAA AAAAAA==', false],
    [null, false],
  ])('isWebhookSecret(%j) is %s', (secret, expected) => {
    expect(isWebhookSecret(secret)).toBe(expected);
  });
});

describe('normalizeOnFailure', () => {
  const actions = [{ name: 'erp' }, { name: 'pause' }];

  it('takes the action shape, may be empty, and reads error, errorAction and the rule actions steps', () => {
    expect(normalizeOnFailure([], actions)).toEqual([]);
    const [handler] = normalizeOnFailure(
      [
        webhook(
          { body: { why: '{{error}}', where: '{{ errorAction }}', status: '{{steps.erp.statusCode}}' } },
          { name: 'notify', when: { all: [{ field: 'errorAction', operator: 'equals', value: 'erp' }] } },
        ),
      ],
      actions,
    );
    expect(handler).toMatchObject({ name: 'notify', type: 'webhook', retry: DEFAULT_RETRY });
    expect(handler!.config['body']).toEqual({
      why: '{{error}}',
      where: '{{ errorAction }}',
      status: '{{steps.erp.statusCode}}',
    });
  });

  it.each([
    ['not a list', { a: 1 }, 'onFailure: must be an array of actions'],
    ['a bad url', [webhook({ url: 'ftp://x' })], 'onFailure[0].config.url:'],
    ['an unknown type', [{ type: 'nope' }], 'onFailure[0].type:'],
    ['a name used by an action', [webhook({}, { name: 'erp' })], 'onFailure[0].name: duplicate action name "erp"'],
    ['a name used twice', [webhook({}, { name: 'x' }), webhook({}, { name: 'x' })], 'onFailure[1].name: duplicate'],
    ['a step that is not an action', [webhook({ body: '{{steps.other}}' })], 'onFailure[0].config.body:'],
    ['an unknown root', [webhook({ body: '{{oops.x}}' })], 'onFailure[0].config.body:'],
    [
      'an unknown when root',
      [webhook({}, { when: [{ field: 'oops', operator: 'exists' }] })],
      'onFailure[0].when.all[0]:',
    ],
  ])('refuses %s, naming the place', (_, input, message) => {
    expect(errorOf(() => normalizeOnFailure(input, actions)).message).toContain(message);
  });

  it('error and errorAction are not roots of the rule actions', () => {
    expect(errorOf(() => normalizeActions([webhook({ body: '{{error}}' })])).path).toBe('actions[0].config.body');
  });
});
