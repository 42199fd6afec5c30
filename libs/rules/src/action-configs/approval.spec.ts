import { normalizeActions } from '../actions';
import { RuleValidationError } from '../types';
import { approvalTimeoutMs, checkApprovalConfig } from './approval';

function problem(config: Record<string, unknown>): string | null {
  try {
    checkApprovalConfig(config, 'actions[0].config');
    return null;
  } catch (err) {
    if (err instanceof RuleValidationError) return err.message;
    throw err;
  }
}

describe('wait_for_approval config', () => {
  it('accepts a timeout alone, and with a templated message, approvers and onTimeout', () => {
    expect(problem({ timeout: '2d' })).toBeNull();
    expect(
      problem({
        timeout: '90d',
        message: 'Refund {{ data.total }} for order {{data.id}}?',
        approvers: ['alice', '{{ data.manager }}'],
        onTimeout: 'continue',
      }),
    ).toBeNull();
    expect(
      problem({ timeout: 1000, onTimeout: 'fail', message: 'x'.repeat(2000), approvers: ['a'.repeat(200)] }),
    ).toBeNull();
    expect(problem({ timeout: '1h', message: `{{ data.note }}${'x'.repeat(3000)}` })).toBeNull();
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no timeout', {}, 'actions[0].config.timeout: is required'],
    ['a timeout that is no duration', { timeout: 'soon' }, 'actions[0].config.timeout'],
    ['a timeout under 1s', { timeout: '500ms' }, 'actions[0].config.timeout'],
    ['a timeout over 90 days', { timeout: '91d' }, 'actions[0].config.timeout'],
    ['a templated timeout', { timeout: '{{ data.t }}' }, 'actions[0].config.timeout'],
    ['a message that is no string', { timeout: '1d', message: 3 }, 'actions[0].config.message: must be a string'],
    ['a message over 2000 characters', { timeout: '1d', message: 'x'.repeat(2001) }, 'actions[0].config.message'],
    ['approvers that are no array', { timeout: '1d', approvers: 'alice' }, 'actions[0].config.approvers'],
    ['an empty approvers list', { timeout: '1d', approvers: [] }, 'actions[0].config.approvers'],
    ['51 approvers', { timeout: '1d', approvers: Array.from({ length: 51 }, (_, i) => `u${i}`) }, 'at most 50'],
    ['an empty approver', { timeout: '1d', approvers: ['alice', ' '] }, 'actions[0].config.approvers[1]'],
    ['an approver that is no string', { timeout: '1d', approvers: [7] }, 'actions[0].config.approvers[0]'],
    [
      'an approver over 200 characters',
      { timeout: '1d', approvers: ['a'.repeat(201)] },
      'actions[0].config.approvers[0]',
    ],
    [
      'an unknown onTimeout',
      { timeout: '1d', onTimeout: 'approve' },
      'actions[0].config.onTimeout: must be one of fail, continue',
    ],
    ['an unknown key', { timeout: '1d', approver: 'alice' }, 'actions[0].config.approver: unknown key'],
  ])('refuses %s, naming the field', (_name, config, expected) => {
    expect(problem(config)).toContain(expected);
  });

  it('approvalTimeoutMs reads the bounds the check enforces', () => {
    expect(approvalTimeoutMs('2d')).toBe(2 * 86_400_000);
    expect(approvalTimeoutMs('1s')).toBe(1000);
    expect(approvalTimeoutMs('999ms')).toBeUndefined();
    expect(approvalTimeoutMs(undefined)).toBeUndefined();
  });

  it('is checked when a rule is saved: a wait_for_approval action with a bad config names the action', () => {
    const actions = normalizeActions([{ name: 'ok', type: 'wait_for_approval', config: { timeout: '1h' } }]);
    expect(actions[0]).toMatchObject({ name: 'ok', type: 'wait_for_approval', config: { timeout: '1h' } });
    expect(() =>
      normalizeActions([
        { type: 'delay', config: { duration: '1s' } },
        { type: 'wait_for_approval', config: { timeout: '1h', approvers: [''] } },
      ]),
    ).toThrow('actions[1].config.approvers[0]');
  });
});
