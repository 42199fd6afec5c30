import { RuleValidationError } from '../types';
import { checkAllocateInventoryConfig, checkReleaseInventoryConfig } from './inventory';

function messageOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof RuleValidationError) return err.message;
    throw err;
  }
  throw new Error('expected a RuleValidationError');
}

describe('allocate_inventory config', () => {
  const check = (config: Record<string, unknown>) => checkAllocateInventoryConfig(config, 'actions[0].config');

  it.each([
    { orderId: 'o-1', lines: [{ sku: 'a', quantity: 1 }] },
    { orderId: 7, lines: [{ sku: 'a', quantity: '{{data.qty}}' }], mode: 'partial' },
    { orderId: '{{data.id}}', lines: '{{data.lines}}', mode: '{{data.mode}}' },
  ])('accepts %j', (config) => {
    expect(() => check(config)).not.toThrow();
  });

  it.each([
    [{ lines: [{ sku: 'a', quantity: 1 }] }, 'actions[0].config.orderId'],
    [{ orderId: 'o', lines: [] }, 'actions[0].config.lines'],
    [{ orderId: 'o', lines: 'not a template' }, 'actions[0].config.lines'],
    [{ orderId: 'o', lines: [{ sku: 'a', quantity: 0 }] }, 'actions[0].config.lines[0].quantity'],
    [{ orderId: 'o', lines: [{ sku: 'a', quantity: 1.5 }] }, 'actions[0].config.lines[0].quantity'],
    [{ orderId: 'o', lines: [{ quantity: 1 }] }, 'actions[0].config.lines[0].sku'],
    [{ orderId: 'o', lines: [{ sku: 'a', quantity: 1, x: 1 }] }, 'actions[0].config.lines[0].x'],
    [{ orderId: 'o', lines: [{ sku: 'a', quantity: 1 }], mode: 'some' }, 'actions[0].config.mode'],
    [{ orderId: 'o', lines: [{ sku: 'a', quantity: 1 }], extra: true }, 'actions[0].config.extra'],
  ])('refuses %j naming %s', (config, path) => {
    expect(messageOf(() => check(config))).toMatch(new RegExp(`^${path.replace(/[.[\]]/g, '\\$&')}:`));
  });
});

describe('release_inventory config', () => {
  const check = (config: Record<string, unknown>) => checkReleaseInventoryConfig(config, 'c');

  it('accepts no key, a key or a template', () => {
    expect(() => check({})).not.toThrow();
    expect(() => check({ idempotencyKey: 'k' })).not.toThrow();
    expect(() => check({ idempotencyKey: '{{steps.a.idempotencyKey}}' })).not.toThrow();
  });

  it('refuses an empty key and unknown keys', () => {
    expect(messageOf(() => check({ idempotencyKey: '' }))).toMatch(/^c\.idempotencyKey:/);
    expect(messageOf(() => check({ orderId: 'o' }))).toMatch(/^c\.orderId:/);
  });
});
