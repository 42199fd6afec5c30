import { normalizeActions } from '../actions';
import { RuleValidationError } from '../types';
import { checkAlertConfig } from './alert';

const VALID = {
  alertType: 'late_order',
  severity: 'high',
  title: 'Order {{data.id}} is late',
  message: 'Waiting since {{ data.since }}',
  recipients: [
    { type: 'user', id: 'u-1' },
    { type: 'role', id: 'ops' },
  ],
};

function errorOf(config: Record<string, unknown>): RuleValidationError {
  try {
    checkAlertConfig(config, 'actions[0].config');
  } catch (error) {
    if (error instanceof RuleValidationError) return error;
    throw error;
  }
  throw new Error('expected a RuleValidationError');
}

describe('checkAlertConfig', () => {
  it.each<[string, Record<string, unknown>]>([
    ['the minimal config', VALID],
    ['expiresIn and context', { ...VALID, expiresIn: '2d', context: { orderId: '{{ data.id }}' } }],
    ['expiresIn in ms', { ...VALID, expiresIn: 60000 }],
    ['a templated severity', { ...VALID, severity: '{{ data.severity }}' }],
    ['templated recipients', { ...VALID, recipients: '{{ data.watchers }}' }],
    ['a templated recipient', { ...VALID, recipients: ['{{ data.owner }}'] }],
    ['a templated recipient id', { ...VALID, recipients: [{ type: 'user', id: '{{ data.ownerId }}' }] }],
    ['a templated expiresIn', { ...VALID, expiresIn: '{{ data.ttl }}' }],
    ['a templated context', { ...VALID, context: '{{ data }}' }],
    ['a null expiresIn', { ...VALID, expiresIn: null }],
  ])('accepts %s', (_name, config) => {
    expect(() => checkAlertConfig(config, 'actions[0].config')).not.toThrow();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown key', { ...VALID, colour: 'red' }, 'actions[0].config'],
    ['no alertType', { ...VALID, alertType: undefined }, 'actions[0].config.alertType'],
    ['an empty alertType', { ...VALID, alertType: ' ' }, 'actions[0].config.alertType'],
    ['no severity', { ...VALID, severity: undefined }, 'actions[0].config.severity'],
    ['an unknown severity', { ...VALID, severity: 'urgent' }, 'actions[0].config.severity'],
    ['a numeric title', { ...VALID, title: 5 }, 'actions[0].config.title'],
    ['no message', { ...VALID, message: undefined }, 'actions[0].config.message'],
    ['a too long title', { ...VALID, title: 'x'.repeat(501) }, 'actions[0].config.title'],
    ['no recipients', { ...VALID, recipients: undefined }, 'actions[0].config.recipients'],
    ['empty recipients', { ...VALID, recipients: [] }, 'actions[0].config.recipients'],
    ['recipients as an object', { ...VALID, recipients: { type: 'user' } }, 'actions[0].config.recipients'],
    ['a string recipient', { ...VALID, recipients: ['u-1'] }, 'actions[0].config.recipients[0]'],
    ['a recipient type', { ...VALID, recipients: [{ type: 'team', id: 'x' }] }, 'actions[0].config.recipients[0].type'],
    ['a recipient without id', { ...VALID, recipients: [{ type: 'user' }] }, 'actions[0].config.recipients[0].id'],
    ['a recipient key', { ...VALID, recipients: [{ type: 'user', id: 'u', x: 1 }] }, 'actions[0].config.recipients[0]'],
    ['an invalid expiresIn', { ...VALID, expiresIn: 'tomorrow' }, 'actions[0].config.expiresIn'],
    ['a zero expiresIn', { ...VALID, expiresIn: 0 }, 'actions[0].config.expiresIn'],
    ['a context array', { ...VALID, context: [1] }, 'actions[0].config.context'],
  ])('rejects %s, naming the place', (_name, config, path) => {
    expect(errorOf(config).path).toBe(path);
  });

  it('runs as the create_alert check of normalizeActions', () => {
    expect(() => normalizeActions([{ type: 'create_alert', config: { ...VALID, severity: 'urgent' } }])).toThrow(
      'actions[0].config.severity',
    );
    expect(normalizeActions([{ type: 'create_alert', config: VALID }])[0]?.config).toEqual(VALID);
  });
});
