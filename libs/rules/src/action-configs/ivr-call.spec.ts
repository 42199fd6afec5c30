import { RuleValidationError } from '../types';
import { checkIvrCallConfig, ivrCallTimeoutMs } from './ivr-call';

const LINE = '7b0c6f3e-3d4a-4b1e-9c55-2f1a0e5d9b11';

function problem(config: Record<string, unknown>): string | null {
  try {
    checkIvrCallConfig(config, 'actions[0].config');
    return null;
  } catch (err) {
    if (err instanceof RuleValidationError) return err.message;
    throw err;
  }
}

describe('ivr_call config', () => {
  it('accepts a line, a number, an optional menu and timeout, and templates for ids and number', () => {
    expect(problem({ lineId: LINE, to: '+15551230000' })).toBeNull();
    expect(problem({ lineId: LINE, to: '{{data.phone}}', menuId: LINE, timeout: '5m' })).toBeNull();
    expect(problem({ lineId: '{{data.line}}', to: '+15551230000', timeout: 60000 })).toBeNull();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no line', { to: '+15551230000' }, 'actions[0].config.lineId'],
    ['a line that is no id', { lineId: 'x', to: '+15551230000' }, 'actions[0].config.lineId'],
    ['no number', { lineId: LINE }, 'actions[0].config.to'],
    ['a number that is not E.164', { lineId: LINE, to: '555-1234' }, 'actions[0].config.to'],
    ['a menu that is no id', { lineId: LINE, to: '+15551230000', menuId: 3 }, 'actions[0].config.menuId'],
    [
      'a timeout that is no duration',
      { lineId: LINE, to: '+15551230000', timeout: 'soon' },
      'actions[0].config.timeout',
    ],
    ['a timeout over 24 h', { lineId: LINE, to: '+15551230000', timeout: '2d' }, 'actions[0].config.timeout'],
    ['a templated timeout', { lineId: LINE, to: '+15551230000', timeout: '{{data.t}}' }, 'actions[0].config.timeout'],
    ['an unknown key', { lineId: LINE, to: '+15551230000', from: '+1' }, 'actions[0].config.from'],
  ])('refuses %s, naming the field', (_name, config, field) => {
    expect(problem(config)).toContain(field);
  });

  it('waits 30 minutes by default', () => {
    expect(ivrCallTimeoutMs(undefined)).toBe(30 * 60_000);
    expect(ivrCallTimeoutMs('90s')).toBe(90_000);
  });
});
