import { normalizeActions } from './actions';
import type { TemplateContext } from './types';
import { normalizeWhen, whenHolds } from './when';

const context: TemplateContext = {
  event: {
    id: 'e1',
    entity: 'orders',
    type: 'on_update',
    data: { total: 150 },
    previous: { total: 90 },
    occurredAt: '2026-11-22T00:00:00.000Z',
  },
  data: { total: 150 },
  previous: { total: 90 },
  rule: { id: 'r', name: 'rule', version: 1 },
  steps: { check: { statusCode: 200 } },
  parent: null,
};

describe('action when', () => {
  it('reads the template context: data, previous, steps, event, rule, parent', () => {
    expect(whenHolds(undefined, context)).toBe(true);
    expect(whenHolds(normalizeWhen({ field: 'data.total', operator: 'greater_than', value: 100 }, 'w'), context)).toBe(
      true,
    );
    const when = normalizeWhen(
      {
        all: [
          { field: 'steps.check.statusCode', operator: 'equals', value: 200 },
          { field: 'previous.total', operator: 'less_than', value: 100 },
          { field: 'event.type', operator: 'equals', value: 'on_update' },
          { field: 'rule.version', operator: 'equals', value: 1 },
        ],
      },
      'w',
    );
    expect(whenHolds(when, context)).toBe(true);
    expect(whenHolds(normalizeWhen([{ field: 'parent.steps.x', operator: 'exists' }], 'w'), context)).toBe(false);
    expect(whenHolds(normalizeWhen([{ field: 'steps.missing', operator: 'exists' }], 'w'), context)).toBe(false);
  });

  it.each([
    [
      { field: 'total', operator: 'equals', value: 1 },
      'actions[1].when.all[0]: "field" "total" must start with one of',
    ],
    [[{ field: 'data.total', operator: 'bogus', value: 1 }], 'actions[1].when.all[0]: unknown operator "bogus"'],
    [
      { field: 'data.status', operator: 'changed' },
      'actions[1].when.all[0]: operator "changed" is not allowed in "when"',
    ],
    [{ field: 'data.s', operator: 'changed_to', value: 'x' }, 'operator "changed_to" is not allowed in "when"'],
    [{ field: 'data.s', operator: 'matches', value: '^a' }, 'operator "matches" is not allowed in "when"'],
    [
      { any: [{ field: 'data.s', operator: 'in', value: 'x' }] },
      'actions[1].when.any[0]: operator "in" needs an array',
    ],
    ['nope', 'actions[1].when: must be a group'],
  ])('refuses %j', (when, message) => {
    expect(() => normalizeWhen(when, 'actions[1].when')).toThrow(message);
  });

  it('is validated with the actions, stepping only back to earlier actions, with continueOnError', () => {
    const webhook = { type: 'webhook', config: { url: 'https://example.com/x' } };
    const [first, second] = normalizeActions([
      { ...webhook, name: 'check', continueOnError: true },
      { ...webhook, name: 'notify', when: { field: 'steps.check.statusCode', operator: 'equals', value: 200 } },
    ]);
    expect(first).toMatchObject({ name: 'check', continueOnError: true });
    expect(second!.when).toEqual({ all: [{ field: 'steps.check.statusCode', operator: 'equals', value: 200 }] });
    expect(() =>
      normalizeActions([{ ...webhook, name: 'a', when: [{ field: 'steps.b.ok', operator: 'exists' }] }, webhook]),
    ).toThrow('actions[0].when.all[0]: refers to step "b", which is not an earlier action of this rule');
    expect(() => normalizeActions([{ ...webhook, continueOnError: 'yes' }])).toThrow(
      'actions[0].continueOnError: must be true or false',
    );
  });
});
