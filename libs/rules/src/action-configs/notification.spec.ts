import { RuleValidationError } from '../types';
import { checkNotificationConfig } from './notification';

function pathOf(config: Record<string, unknown>): string | null {
  try {
    checkNotificationConfig(config, 'actions[0].config');
    return null;
  } catch (err) {
    if (err instanceof RuleValidationError) return err.path;
    throw err;
  }
}

describe('checkNotificationConfig', () => {
  it.each([
    [{ channel: 'email', to: ['a@example.com'], subject: 'S', body: 'B' }],
    [{ channel: 'sms', to: ['{{data.phone}}'], body: 'B' }],
    [{ channel: 'push', to: ['d1', 'd2'], body: 'B', data: { k: 1 } }],
    [{ channel: 'in_app', to: '{{ data.userIds }}', body: 'B', data: '{{data.payload}}' }],
    [{ channel: 'email', to: Array.from({ length: 100 }, (_, i) => `u${i}@x`), body: 'B' }],
  ])('accepts %j', (config) => {
    expect(pathOf(config)).toBeNull();
  });

  it.each([
    [{ to: ['x'], body: 'B' }, 'channel'],
    [{ channel: 'fax', to: ['x'], body: 'B' }, 'channel'],
    [{ channel: 'email', body: 'B' }, 'to'],
    [{ channel: 'email', to: [], body: 'B' }, 'to'],
    [{ channel: 'email', to: 'a@example.com', body: 'B' }, 'to'],
    [{ channel: 'email', to: Array.from({ length: 101 }, (_, i) => `u${i}@x`), body: 'B' }, 'to'],
    [{ channel: 'email', to: ['ok', ''], body: 'B' }, 'to[1]'],
    [{ channel: 'email', to: [{ id: 1 }], body: 'B' }, 'to[0]'],
    [{ channel: 'email', to: ['x'] }, 'body'],
    [{ channel: 'email', to: ['x'], body: 1 }, 'body'],
    [{ channel: 'email', to: ['x'], body: 'B', subject: 2 }, 'subject'],
    [{ channel: 'email', to: ['x'], body: 'B', data: [1] }, 'data'],
    [{ channel: 'email', to: ['x'], body: 'B', cc: ['y'] }, 'cc'],
  ])('refuses %j at %s', (config, field) => {
    expect(pathOf(config)).toBe(`actions[0].config.${field}`);
  });
});
