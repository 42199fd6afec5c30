import {
  CONDITION_LIMITS,
  compileConditions,
  conditionsUseChangeOperators,
  explainConditions,
  normalizeConditions,
  validateConditionsForTrigger,
  valueEquals,
} from './conditions';
import type { RegexCompiler } from './conditions';
import { OPERATORS, RuleValidationError } from './types';
import type { Conditions, Operator } from './types';

/** A stand-in engine: the real RE2 one is tested in node/safe-regex.spec.ts. */
const fakeRegex: RegexCompiler = (pattern) => {
  const regex = new RegExp(pattern, 'u');
  return (input) => regex.test(input);
};

type Data = Record<string, unknown>;

function holds(field: string, operator: Operator, value: unknown, data: Data, previous?: Data | null): boolean {
  const leaf = value === undefined ? { field, operator } : { field, operator, value };
  return compileConditions({ all: [leaf] }, { compileRegex: fakeRegex })({ data, previous });
}

function validationError(fn: () => unknown): RuleValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RuleValidationError) return error;
    throw error;
  }
  throw new Error('expected a RuleValidationError');
}

const order = {
  id: 'o-1',
  status: 'shipped',
  total: 150,
  totalText: '150',
  discount: 0,
  note: '',
  paid: true,
  cancelled: false,
  deletedAt: null,
  createdAt: '2024-05-01T10:00:00Z',
  customer: { tier: 'gold', email: 'ann@example.com', tags: ['vip', 'eu'] },
  lines: [
    { sku: 'A-1', qty: 2 },
    { sku: 'B-2', qty: 5 },
  ],
  tags: ['urgent', 'fragile', 42],
  meta: { source: 'web', flags: [1, 2] },
};

type Row = [field: string, value: unknown, expected: boolean];

describe('operators', () => {
  const covered = new Set<Operator>();
  const table = (operator: Operator, rows: Row[]): void => {
    covered.add(operator);
    describe(operator, () => {
      it.each(rows)(`${operator} %s %j → %s`, (field, value, expected) => {
        expect(holds(field, operator, value, order)).toBe(expected);
      });
    });
  };

  table('equals', [
    ['status', 'shipped', true],
    ['status', 'Shipped', false],
    ['status', 'ship', false],
    ['total', 150, true],
    ['total', '150', true],
    ['total', '150.0', true],
    ['totalText', 150, true],
    ['totalText', '150.0', false],
    ['total', 151, false],
    ['discount', 0, true],
    ['discount', false, false],
    ['note', '', true],
    ['note', 0, false],
    ['paid', true, true],
    ['paid', 'true', false],
    ['cancelled', false, true],
    ['deletedAt', null, true],
    ['missing', null, true],
    ['missing', 'x', false],
    ['missing', '', false],
    ['customer.tier', 'gold', true],
    ['lines.0.sku', 'A-1', true],
    ['lines.1.sku', 'A-1', false],
    ['lines.9.sku', 'A-1', false],
    ['customer.tags', ['vip', 'eu'], true],
    ['customer.tags', ['eu', 'vip'], false],
    ['customer.tags', ['vip'], false],
    ['meta', { source: 'web', flags: [1, 2] }, true],
    ['meta', { flags: [1, 2], source: 'web' }, true],
    ['meta', { source: 'web' }, false],
    ['meta', { source: 'web', flags: [1, 2], extra: 1 }, false],
    ['customer', 'gold', false],
    ['status', ['shipped'], false],
  ]);

  table('not_equals', [
    ['status', 'shipped', false],
    ['status', 'new', true],
    ['total', '150', false],
    ['missing', 'x', true],
    ['missing', null, false],
    ['meta', { source: 'app', flags: [1, 2] }, true],
  ]);

  table('contains', [
    ['status', 'hip', true],
    ['status', 'shipped', true],
    ['status', '', true],
    ['status', 'HIP', false],
    ['status', 'xyz', false],
    ['tags', 'urgent', true],
    ['tags', 'urg', false],
    ['tags', 42, true],
    ['tags', '42', true],
    ['tags', 43, false],
    ['customer.tags', 'vip', true],
    ['lines', { sku: 'A-1', qty: 2 }, true],
    ['lines', { sku: 'A-1' }, false],
    ['total', 15, false],
    ['total', '15', false],
    ['status', 5, false],
    ['customer', 'gold', false],
    ['missing', 'x', false],
    ['deletedAt', 'x', false],
  ]);

  table('not_contains', [
    ['status', 'hip', false],
    ['status', 'xyz', true],
    ['tags', 'urgent', false],
    ['tags', 'other', true],
    ['missing', 'x', true],
    ['total', 15, true],
  ]);

  table('starts_with', [
    ['status', 'ship', true],
    ['status', 'shipped', true],
    ['status', '', true],
    ['status', 'hip', false],
    ['status', 'Ship', false],
    ['lines.0.sku', 'A-', true],
    ['total', '15', false],
    ['tags', 'urg', false],
    ['missing', 'x', false],
    ['deletedAt', 'n', false],
  ]);

  table('ends_with', [
    ['status', 'ped', true],
    ['customer.email', '@example.com', true],
    ['status', 'ship', false],
    ['total', '50', false],
    ['missing', '', false],
  ]);

  table('greater_than', [
    ['total', 100, true],
    ['total', 150, false],
    ['total', 200, false],
    ['total', '100', true],
    ['total', '99.5', true],
    ['totalText', 100, true],
    ['totalText', '99', true],
    ['totalText', '1000', false],
    ['total', -1, true],
    ['discount', -0.5, true],
    ['createdAt', '2024-01-01T00:00:00Z', true],
    ['createdAt', '2024-12-01T00:00:00Z', false],
    ['status', 'a', true],
    ['status', 'z', false],
    ['total', 'abc', false],
    ['status', 5, false],
    ['paid', 0, false],
    ['deletedAt', -1, false],
    ['missing', -1, false],
    ['missing', '', false],
    ['tags', 0, false],
    ['meta', 0, false],
    ['lines.1.qty', 4, true],
  ]);

  table('greater_than_or_equal', [
    ['total', 150, true],
    ['total', '150', true],
    ['total', 151, false],
    ['createdAt', '2024-05-01T10:00:00Z', true],
    ['missing', 0, false],
  ]);

  table('less_than', [
    ['total', 200, true],
    ['total', 150, false],
    ['total', '1e3', true],
    ['discount', 1, true],
    ['createdAt', '2025-01-01', true],
    ['createdAt', '2023-01-01', false],
    ['missing', 100, false],
    ['deletedAt', 100, false],
    ['paid', 2, false],
  ]);

  table('less_than_or_equal', [
    ['total', 150, true],
    ['total', 149.99, false],
    ['discount', 0, true],
    ['missing', 0, false],
  ]);

  table('between', [
    ['total', [100, 200], true],
    ['total', [150, 150], true],
    ['total', [150, 200], true],
    ['total', [100, 150], true],
    ['total', [151, 200], false],
    ['total', [0, 149], false],
    ['totalText', [100, 200], true],
    ['totalText', ['100', '200'], true],
    ['createdAt', ['2024-01-01', '2024-12-31'], true],
    ['createdAt', ['2024-06-01', '2024-12-31'], false],
    ['status', ['a', 'z'], true],
    ['status', [0, 1000], false],
    ['missing', [0, 1000], false],
    ['deletedAt', [0, 1000], false],
    ['paid', [0, 1], false],
  ]);

  table('in', [
    ['customer.tier', ['gold', 'platinum'], true],
    ['customer.tier', ['silver'], false],
    ['customer.tier', [], false],
    ['total', [100, 150], true],
    ['total', ['150'], true],
    ['totalText', [150], true],
    ['totalText', ['150.0'], false],
    ['paid', [true], true],
    ['paid', ['true'], false],
    ['cancelled', [false, null], true],
    ['deletedAt', [null], true],
    ['missing', [null], true],
    ['missing', ['x'], false],
    ['meta', [{ source: 'web', flags: [1, 2] }], true],
    ['meta', [{ source: 'web' }], false],
    ['customer.tags', [['vip', 'eu']], true],
    ['customer.tags', ['vip'], false],
    ['lines.1.sku', ['A-1', 'B-2'], true],
  ]);

  table('not_in', [
    ['customer.tier', ['gold', 'platinum'], false],
    ['customer.tier', ['silver'], true],
    ['customer.tier', [], true],
    ['total', ['150'], false],
    ['missing', ['x'], true],
    ['missing', [null], false],
  ]);

  table('exists', [
    ['status', undefined, true],
    ['discount', undefined, true],
    ['note', undefined, true],
    ['cancelled', undefined, true],
    ['lines.0', undefined, true],
    ['deletedAt', undefined, false],
    ['missing', undefined, false],
    ['lines.7', undefined, false],
    ['customer.missing.deep', undefined, false],
  ]);

  table('not_exists', [
    ['status', undefined, false],
    ['discount', undefined, false],
    ['deletedAt', undefined, true],
    ['missing', undefined, true],
  ]);

  table('matches', [
    ['status', '^ship', true],
    ['status', 'PED$', false],
    ['status', '(?:ped)$', true],
    ['customer.email', '^[^@]+@example\\.com$', true],
    ['lines.1.sku', '^[A-Z]-\\d+$', true],
    ['total', '^150$', false],
    ['tags', 'urgent', false],
    ['missing', '.*', false],
    ['deletedAt', '.*', false],
  ]);

  it('every operator has a table (change operators have their own below)', () => {
    // Keeps the tables honest when an operator is added to OPERATORS.
    expect(new Set([...covered, 'changed', 'changed_from', 'changed_to'])).toEqual(new Set(OPERATORS));
  });
});

describe('change operators', () => {
  const before = { status: 'new', total: 100, tags: ['a'], address: { city: 'Oslo' }, note: null };
  type ChangeRow = [
    field: string,
    operator: Operator,
    value: unknown,
    data: Data,
    previous: Data | null,
    expected: boolean,
  ];

  it.each<ChangeRow>([
    ['status', 'changed', undefined, { ...before, status: 'shipped' }, before, true],
    ['status', 'changed', undefined, before, before, false],
    ['total', 'changed', undefined, { ...before, total: '100' }, before, false],
    ['total', 'changed', undefined, { ...before, total: 101 }, before, true],
    ['tags', 'changed', undefined, { ...before, tags: ['a'] }, before, false],
    ['tags', 'changed', undefined, { ...before, tags: ['a', 'b'] }, before, true],
    ['address', 'changed', undefined, { ...before, address: { city: 'Oslo' } }, before, false],
    ['address.city', 'changed', undefined, { ...before, address: { city: 'Bergen' } }, before, true],
    ['note', 'changed', undefined, { status: 'new' }, before, false],
    ['note', 'changed', undefined, { ...before, note: 'hi' }, before, true],
    ['added', 'changed', undefined, { ...before, added: 1 }, before, true],
    ['status', 'changed', undefined, { status: 'new' }, null, false],
    ['status', 'changed', undefined, { status: 'new' }, undefined as unknown as null, false],
    ['status', 'changed_from', 'new', { ...before, status: 'shipped' }, before, true],
    ['status', 'changed_from', 'new', before, before, false],
    ['status', 'changed_from', 'paid', { ...before, status: 'shipped' }, before, false],
    ['total', 'changed_from', '100', { ...before, total: 120 }, before, true],
    ['status', 'changed_from', 'new', { status: 'shipped' }, null, false],
    ['status', 'changed_from', null, { status: 'shipped' }, {}, true],
    ['status', 'changed_to', 'shipped', { ...before, status: 'shipped' }, before, true],
    ['status', 'changed_to', 'shipped', { ...before, status: 'shipped' }, { ...before, status: 'shipped' }, false],
    ['status', 'changed_to', 'shipped', { ...before, status: 'paid' }, before, false],
    ['status', 'changed_to', 'shipped', { status: 'shipped' }, {}, true],
    ['status', 'changed_to', 'shipped', { status: 'shipped' }, null, false],
    ['total', 'changed_to', 120, { ...before, total: '120' }, before, true],
    ['address.city', 'changed_to', 'Bergen', { address: { city: 'Bergen' } }, before, true],
    ['tags', 'changed_to', ['a', 'b'], { tags: ['a', 'b'] }, before, true],
  ])('%s %s %j', (field, operator, value, data, previous, expected) => {
    expect(holds(field, operator, value, data, previous)).toBe(expected);
  });

  it('conditionsUseChangeOperators finds them at any depth', () => {
    expect(conditionsUseChangeOperators({ all: [{ field: 'a', operator: 'equals', value: 1 }] })).toBe(false);
    expect(conditionsUseChangeOperators({ all: [] })).toBe(false);
    expect(
      conditionsUseChangeOperators({
        all: [{ any: [{ field: 'a', operator: 'equals', value: 1 }, { all: [{ field: 'b', operator: 'changed' }] }] }],
      }),
    ).toBe(true);
  });

  it.each<[string, 'on_create' | 'on_delete' | 'scheduled' | 'manual' | 'webhook']>([
    ['changed', 'on_create'],
    ['changed_from', 'on_delete'],
    ['changed_to', 'scheduled'],
    ['changed', 'manual'],
    ['changed_to', 'webhook'],
  ])('%s is refused for %s, naming the condition', (operator, trigger) => {
    const conditions = normalizeConditions({
      all: [
        { field: 'a', operator: 'equals', value: 1 },
        {
          any: [
            { field: 'b', operator: 'exists' },
            operator === 'changed' ? { field: 'status', operator } : { field: 'status', operator, value: 'x' },
          ],
        },
      ],
    });
    const error = validationError(() => validateConditionsForTrigger(conditions, trigger));
    expect(error.path).toBe('conditions.all[1].any[1]');
    expect(error.message).toBe(
      `conditions.all[1].any[1]: operator "${operator}" is only valid for rules triggered on_update`,
    );
  });

  it('allows change operators on_update and anything else everywhere', () => {
    const withChange = normalizeConditions([{ field: 'status', operator: 'changed_to', value: 'x' }]);
    expect(() => validateConditionsForTrigger(withChange, 'on_update')).not.toThrow();
    const plain = normalizeConditions([{ field: 'status', operator: 'equals', value: 'x' }]);
    expect(() => validateConditionsForTrigger(plain, 'on_create')).not.toThrow();
  });

  it('normalizeConditions can check the trigger with the input paths', () => {
    const error = validationError(() =>
      normalizeConditions(
        [
          { field: 'a', operator: 'exists' },
          { field: 'b', operator: 'changed' },
        ],
        'conditions',
        {
          triggerType: 'on_create',
        },
      ),
    );
    expect(error.message).toBe('conditions[1]: operator "changed" is only valid for rules triggered on_update');
    expect(() =>
      normalizeConditions([{ field: 'b', operator: 'changed' }], 'conditions', { triggerType: 'on_update' }),
    ).not.toThrow();
  });
});

describe('groups', () => {
  const t = { field: 'x', operator: 'equals', value: 1 } as const;
  const f = { field: 'x', operator: 'equals', value: 2 } as const;
  const data = { x: 1 };

  it.each<[string, Conditions, boolean]>([
    ['empty all holds', { all: [] }, true],
    ['empty any holds too', { any: [] }, true],
    ['all true', { all: [t, t] }, true],
    ['all with one false', { all: [t, f] }, false],
    ['all of three with the last false', { all: [t, t, f] }, false],
    ['any with one true', { any: [f, t] }, true],
    ['any of three with the last true', { any: [f, f, t] }, true],
    ['any all false', { any: [f, f] }, false],
    ['single-element any', { any: [f] }, false],
    ['nested any inside all', { all: [t, { any: [f, t] }] }, true],
    ['nested all inside any', { any: [f, { all: [t, f] }] }, false],
    ['empty nested any inside all', { all: [t, { any: [] }] }, true],
    ['deep nesting', { all: [{ any: [{ all: [{ any: [t] }] }] }] }, true],
  ])('%s', (_name, conditions, expected) => {
    expect(compileConditions(conditions)({ data })).toBe(expected);
  });

  it('short-circuits and compiles once: no reparsing per evaluation', () => {
    const predicate = compileConditions({ all: [{ field: 'lines.0.qty', operator: 'greater_than', value: 1 }] });
    for (let qty = 0; qty < 5; qty++) {
      expect(predicate({ data: { lines: [{ qty }] } })).toBe(qty > 1);
    }
  });
});

describe('normalizeConditions', () => {
  it.each<[string, unknown, Conditions]>([
    ['undefined', undefined, { all: [] }],
    ['null', null, { all: [] }],
    ['empty object', {}, { all: [] }],
    ['empty array', [], { all: [] }],
    [
      'bare array of leaves',
      [
        { field: 'a', operator: 'equals', value: 1 },
        { field: 'b', operator: 'exists' },
      ],
      {
        all: [
          { field: 'a', operator: 'equals', value: 1 },
          { field: 'b', operator: 'exists' },
        ],
      },
    ],
    [
      'legacy field_conditions',
      {
        field_conditions: [
          { field_name: 'status', operator: 'equals', value: 'paid' },
          { field_name: 'total', operator: 'greater_than', value: 10 },
        ],
      },
      {
        all: [
          { field: 'status', operator: 'equals', value: 'paid' },
          { field: 'total', operator: 'greater_than', value: 10 },
        ],
      },
    ],
    ['empty legacy list', { field_conditions: [] }, { all: [] }],
    [
      'a single leaf at the root',
      { field: 'a', operator: 'equals', value: 1 },
      { all: [{ field: 'a', operator: 'equals', value: 1 }] },
    ],
    [
      'stored form, nested',
      {
        all: [
          { field: 'status', operator: 'changed_to', value: 'shipped' },
          {
            any: [
              { field: 'total', operator: 'greater_than', value: 100 },
              { field: 'customer.tier', operator: 'in', value: ['gold', 'platinum'] },
            ],
          },
        ],
      },
      {
        all: [
          { field: 'status', operator: 'changed_to', value: 'shipped' },
          {
            any: [
              { field: 'total', operator: 'greater_than', value: 100 },
              { field: 'customer.tier', operator: 'in', value: ['gold', 'platinum'] },
            ],
          },
        ],
      },
    ],
    ['any at the root', { any: [] }, { any: [] }],
    [
      'null value on a no-value operator is dropped',
      [{ field: 'a', operator: 'exists', value: null }],
      { all: [{ field: 'a', operator: 'exists' }] },
    ],
    [
      'groups inside a bare array',
      [{ any: [{ field: 'a', operator: 'not_exists' }] }],
      { all: [{ any: [{ field: 'a', operator: 'not_exists' }] }] },
    ],
  ])('%s', (_name, input, expected) => {
    expect(normalizeConditions(input)).toEqual(expected);
  });

  it('is idempotent and copies values', () => {
    const value = ['gold', 'platinum'];
    const input = { all: [{ field: 'tier', operator: 'in', value }] };
    const once = normalizeConditions(input);
    expect(normalizeConditions(once)).toEqual(once);
    value.push('silver');
    expect(once).toEqual({ all: [{ field: 'tier', operator: 'in', value: ['gold', 'platinum'] }] });
  });

  it('keeps a JSON __proto__ key inside a value as data', () => {
    const input = JSON.parse('[{"field":"meta","operator":"equals","value":{"__proto__":{"x":1}}}]') as unknown;
    const normalized = normalizeConditions(input);
    const leaf = (normalized as { all: unknown[] }).all[0] as { value: Record<string, unknown> };
    expect(Object.getPrototypeOf(leaf.value)).toBe(Object.prototype);
    expect(Object.keys(leaf.value)).toEqual(['__proto__']);
  });

  type ErrorRow = [name: string, input: unknown, message: string];
  it.each<ErrorRow>([
    [
      'a string',
      'status = 1',
      'conditions: must be a group ({"all": [...]} or {"any": [...]}) or an array of conditions',
    ],
    ['a number', 5, 'conditions: must be a group'],
    [
      'unknown operator, deep',
      { all: [{ field: 'a', operator: 'exists' }, { any: [{ field: 'b', operator: 'foo', value: 1 }] }] },
      'conditions.all[1].any[0]: unknown operator "foo"',
    ],
    ['missing operator', [{ field: 'a', value: 1 }], 'conditions[0]: "operator" is required'],
    ['non-string operator', [{ field: 'a', operator: 5, value: 1 }], 'conditions[0]: unknown operator 5'],
    ['missing field', [{ operator: 'equals', value: 1 }], 'conditions[0]: "field" must be a non-empty string'],
    ['empty field', [{ field: '', operator: 'exists' }], 'conditions[0]: "field" must be a non-empty string'],
    ['numeric field', [{ field: 3, operator: 'exists' }], 'conditions[0]: "field" must be a non-empty string'],
    [
      'field with empty segment',
      [{ field: 'a..b', operator: 'exists' }],
      'conditions[0]: "field" "a..b" has an empty segment',
    ],
    ['field ending with a dot', [{ field: 'a.', operator: 'exists' }], 'has an empty segment'],
    [
      'field with __proto__',
      [{ field: 'a.__proto__.b', operator: 'exists' }],
      'conditions[0]: "field" may not contain the segment "__proto__"',
    ],
    [
      'field with constructor',
      [{ field: 'constructor', operator: 'exists' }],
      'may not contain the segment "constructor"',
    ],
    [
      'field too long',
      [{ field: 'a'.repeat(257), operator: 'exists' }],
      'conditions[0]: "field" is longer than 256 characters',
    ],
    ['unknown key on a leaf', [{ field: 'a', operator: 'exists', extra: 1 }], 'conditions[0]: unknown key "extra"'],
    ['unknown key on a group', { all: [], note: 'x' }, 'conditions: unknown key "note"'],
    ['unknown key on a nested group', { all: [{ any: [], not: [] }] }, 'conditions.all[0]: unknown key "not"'],
    ['both all and any', { all: [], any: [] }, 'conditions: a group has exactly one of "all" or "any"'],
    ['all not an array', { all: { field: 'a' } }, 'conditions: "all" must be an array'],
    ['any not an array', { all: [{ any: 'x' }] }, 'conditions.all[0]: "any" must be an array'],
    ['leaf is not an object', { all: ['status'] }, 'conditions.all[0]: must be a condition object'],
    ['leaf is null', [null], 'conditions[0]: must be a condition object'],
    ['leaf is an array', { any: [[]] }, 'conditions.any[0]: must be a condition object'],
    ['empty nested object', { all: [{}] }, 'conditions.all[0]: "field" must be a non-empty string'],
    ['legacy not an array', { field_conditions: {} }, 'conditions.field_conditions: must be an array'],
    ['legacy with extra root key', { field_conditions: [], logic: 'and' }, 'conditions: unknown key "logic"'],
    [
      'legacy item uses field instead of field_name',
      { field_conditions: [{ field: 'a', operator: 'exists' }] },
      'conditions.field_conditions[0]: unknown key "field"',
    ],
    [
      'legacy item bad operator',
      { field_conditions: [{ field_name: 'a', operator: 'eq', value: 1 }] },
      'conditions.field_conditions[0]: unknown operator "eq"',
    ],
    [
      'legacy item missing field_name',
      { field_conditions: [{ operator: 'exists' }] },
      '"field_name" must be a non-empty string',
    ],
    ['equals without value', [{ field: 'a', operator: 'equals' }], 'conditions[0]: operator "equals" needs a "value"'],
    ['changed_to without value', [{ field: 'a', operator: 'changed_to' }], 'operator "changed_to" needs a "value"'],
    [
      'exists with a value',
      [{ field: 'a', operator: 'exists', value: true }],
      'conditions[0]: operator "exists" takes no value',
    ],
    ['changed with a value', [{ field: 'a', operator: 'changed', value: 'x' }], 'operator "changed" takes no value'],
    [
      'not_exists with a value',
      [{ field: 'a', operator: 'not_exists', value: 0 }],
      'operator "not_exists" takes no value',
    ],
    [
      'starts_with a number',
      [{ field: 'a', operator: 'starts_with', value: 1 }],
      'operator "starts_with" needs a string value',
    ],
    [
      'ends_with null',
      [{ field: 'a', operator: 'ends_with', value: null }],
      'operator "ends_with" needs a string value',
    ],
    [
      'greater_than a boolean',
      [{ field: 'a', operator: 'greater_than', value: true }],
      'conditions[0]: operator "greater_than" needs a number or string value',
    ],
    ['less_than an array', [{ field: 'a', operator: 'less_than', value: [1] }], 'needs a number or string value'],
    [
      'less_than_or_equal null',
      [{ field: 'a', operator: 'less_than_or_equal', value: null }],
      'needs a number or string',
    ],
    ['between a number', [{ field: 'a', operator: 'between', value: 5 }], 'operator "between" needs a value [lo, hi]'],
    ['between one element', [{ field: 'a', operator: 'between', value: [5] }], 'needs a value [lo, hi]'],
    ['between three elements', [{ field: 'a', operator: 'between', value: [1, 2, 3] }], 'needs a value [lo, hi]'],
    ['between mixed types', [{ field: 'a', operator: 'between', value: [1, '2'] }], 'needs a value [lo, hi]'],
    ['between lo > hi', [{ field: 'a', operator: 'between', value: [10, 1] }], 'with lo <= hi'],
    ['between strings lo > hi', [{ field: 'a', operator: 'between', value: ['b', 'a'] }], 'with lo <= hi'],
    ['between booleans', [{ field: 'a', operator: 'between', value: [false, true] }], 'needs a value [lo, hi]'],
    [
      'in a string',
      [{ field: 'a', operator: 'in', value: 'gold' }],
      'conditions[0]: operator "in" needs an array value',
    ],
    ['not_in null', [{ field: 'a', operator: 'not_in', value: null }], 'operator "not_in" needs an array value'],
    ['matches a number', [{ field: 'a', operator: 'matches', value: 5 }], 'operator "matches" needs a string value'],
    [
      'matches too long',
      [{ field: 'a', operator: 'matches', value: 'a'.repeat(1025) }],
      'regular expression is longer than 1024 characters',
    ],
    [
      'value nested too deep',
      [{ field: 'a', operator: 'equals', value: JSON.parse('['.repeat(25) + ']'.repeat(25)) as unknown }],
      'nests deeper than 20 levels',
    ],
  ])('rejects %s', (_name, input, message) => {
    const error = validationError(() => normalizeConditions(input));
    expect(error.message.startsWith(message) || error.message.includes(message)).toBe(true);
    expect(error.message).toContain(message);
  });

  it('names the nested value path for non-JSON values', () => {
    const error = validationError(() =>
      normalizeConditions([{ field: 'a', operator: 'equals', value: { x: [1, Number.NaN] } }]),
    );
    expect(error.path).toBe('conditions[0].value.x[1]');
  });

  it('uses the given root path', () => {
    const error = validationError(() => normalizeConditions([{ field: 'a', operator: 'nope' }], 'rule.conditions'));
    expect(error.message).toBe('rule.conditions[0]: unknown operator "nope"');
  });

  it('validates regular expressions with the injected engine', () => {
    const error = validationError(() =>
      normalizeConditions({ all: [{ any: [{ field: 'a', operator: 'matches', value: '(unclosed' }] }] }, 'conditions', {
        compileRegex: fakeRegex,
      }),
    );
    expect(error.path).toBe('conditions.all[0].any[0]');
    expect(error.message).toMatch(/^conditions\.all\[0\]\.any\[0\]: invalid regular expression: /);
    // Without an engine only the type is checked.
    expect(() => normalizeConditions([{ field: 'a', operator: 'matches', value: '(unclosed' }])).not.toThrow();
  });

  describe('bounds against hostile input', () => {
    const nest = (levels: number): unknown => {
      let node: unknown = { field: 'a', operator: 'exists' };
      for (let i = 0; i < levels; i++) node = { all: [node] };
      return node;
    };

    it(`accepts ${CONDITION_LIMITS.maxDepth} levels of groups`, () => {
      expect(() => normalizeConditions(nest(10))).not.toThrow();
    });

    it('refuses 11 levels, naming the group', () => {
      const error = validationError(() => normalizeConditions(nest(11)));
      expect(error.message).toBe(`conditions${'.all[0]'.repeat(10)}: groups nest deeper than 10 levels`);
    });

    it('refuses absurd nesting without overflowing the stack', () => {
      expect(() => normalizeConditions(nest(100_000))).toThrow(RuleValidationError);
    });

    it('accepts 200 leaves and refuses 201', () => {
      const leaf = { field: 'a', operator: 'exists' };
      expect(() => normalizeConditions(Array.from({ length: 200 }, () => leaf))).not.toThrow();
      expect(validationError(() => normalizeConditions(Array.from({ length: 201 }, () => leaf))).message).toBe(
        'conditions: more than 200 conditions',
      );
      const spread = { all: Array.from({ length: 5 }, () => ({ any: Array.from({ length: 41 }, () => leaf) })) };
      expect(validationError(() => normalizeConditions(spread)).message).toBe(
        // 4 × 41 = 164 leaves before the last group, so its 37th leaf is the 201st.
        'conditions.all[4].any[36]: more than 200 conditions in total',
      );
    });

    it('refuses a huge list before walking it', () => {
      const huge = new Array(1_000_000).fill(null);
      expect(validationError(() => normalizeConditions({ any: huge })).message).toBe(
        'conditions.any: more than 200 conditions',
      );
    });

    it('refuses more than 200 groups', () => {
      const groups = { all: Array.from({ length: 150 }, () => ({ any: [{ all: [] }] })) };
      expect(validationError(() => normalizeConditions(groups)).message).toContain('more than 200 groups');
    });
  });
});

describe('compileConditions', () => {
  it('throws at compile time for matches without an engine', () => {
    expect(() => compileConditions({ all: [{ field: 'a', operator: 'matches', value: 'x' }] })).toThrow(
      'conditions.all[0]: operator "matches" needs a regex engine',
    );
  });

  it('turns an invalid pattern into a RuleValidationError naming the condition', () => {
    const error = validationError(() =>
      compileConditions(
        {
          any: [
            { field: 'a', operator: 'exists' },
            { field: 'b', operator: 'matches', value: '(' },
          ],
        },
        {
          compileRegex: fakeRegex,
        },
      ),
    );
    expect(error.path).toBe('conditions.any[1]');
  });

  it('validates what it compiles', () => {
    const bad = { all: [{ field: 'a', operator: 'bogus', value: 1 }] } as unknown as Conditions;
    expect(() => compileConditions(bad)).toThrow('conditions.all[0]: unknown operator "bogus"');
  });

  it('compiles the regex once, not per evaluation', () => {
    let compiles = 0;
    const counting: RegexCompiler = (pattern) => {
      compiles += 1;
      return fakeRegex(pattern);
    };
    const predicate = compileConditions(
      { all: [{ field: 's', operator: 'matches', value: '^a' }] },
      {
        compileRegex: counting,
      },
    );
    expect(predicate({ data: { s: 'abc' } })).toBe(true);
    expect(predicate({ data: { s: 'bcd' } })).toBe(false);
    expect(predicate({ data: { s: 42 } })).toBe(false);
    expect(compiles).toBe(1);
  });

  it('never reads through the prototype chain of event data', () => {
    const predicate = compileConditions({ all: [{ field: 'toString', operator: 'exists' }] });
    expect(predicate({ data: {} })).toBe(false);
    const polluted = JSON.parse('{"__proto__": {"admin": true}}') as Record<string, unknown>;
    expect(compileConditions({ all: [{ field: 'admin', operator: 'equals', value: true }] })({ data: polluted })).toBe(
      false,
    );
  });

  it('does not overflow the stack comparing deeply nested data', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = [deep];
    const predicate = compileConditions({ all: [{ field: 'x', operator: 'changed' }] });
    expect(() => predicate({ data: { x: deep }, previous: { x: deep } })).not.toThrow();
  });
});

describe('valueEquals', () => {
  it.each<[unknown, unknown, boolean]>([
    [1, 1, true],
    [1, '1', true],
    ['1', 1, true],
    ['1', '1.0', false],
    [1, '1.0', true],
    [0, '-0', true],
    [1, 'one', false],
    [1, '0x1', false],
    [1, ' 1', false],
    [null, undefined, true],
    [null, 0, false],
    [undefined, '', false],
    [true, 1, false],
    [[1, [2, { a: 3 }]], [1, [2, { a: 3 }]], true],
    [[1, 2], [2, 1], false],
    [{ a: 1, b: 2 }, { b: 2, a: 1 }, true],
    [{ a: 1 }, { a: 1, b: undefined }, false],
    [{ a: 1 }, [1], false],
    [[], {}, false],
  ])('%j vs %j → %s', (a, b, expected) => {
    expect(valueEquals(a, b)).toBe(expected);
    expect(valueEquals(b, a)).toBe(expected);
  });
});

describe('explainConditions', () => {
  const conditions: Conditions = {
    all: [
      { field: 'status', operator: 'changed_to', value: 'shipped' },
      {
        any: [
          { field: 'total', operator: 'greater_than', value: 100 },
          { field: 'customer.tier', operator: 'in', value: ['gold', 'platinum'] },
        ],
      },
      { field: 'deletedAt', operator: 'not_exists' },
    ],
  };

  it('lists every leaf in order, without short-circuiting', () => {
    const result = explainConditions(conditions, {
      data: { status: 'paid', total: 50, customer: { tier: 'gold' } },
      previous: { status: 'new' },
    });
    expect(result).toEqual({
      matched: false,
      conditions: [
        {
          field: 'status',
          operator: 'changed_to',
          expected: 'shipped',
          actual: 'paid',
          previous: 'new',
          passed: false,
        },
        { field: 'total', operator: 'greater_than', expected: 100, actual: 50, passed: false },
        { field: 'customer.tier', operator: 'in', expected: ['gold', 'platinum'], actual: 'gold', passed: true },
        { field: 'deletedAt', operator: 'not_exists', expected: null, actual: null, passed: true },
      ],
    });
  });

  it('matched is the tree result', () => {
    const result = explainConditions(conditions, {
      data: { status: 'shipped', total: 500 },
      previous: { status: 'paid' },
    });
    expect(result.matched).toBe(true);
    expect(result.conditions.map((c) => c.passed)).toEqual([true, true, false, true]);
    expect(
      compileConditions(conditions)({ data: { status: 'shipped', total: 500 }, previous: { status: 'paid' } }),
    ).toBe(true);
  });

  it('reports missing values as null so they survive JSON', () => {
    const result = explainConditions({ all: [{ field: 'status', operator: 'changed' }] }, { data: {}, previous: null });
    expect(result).toEqual({
      matched: false,
      conditions: [
        { field: 'status', operator: 'changed', expected: null, actual: null, previous: null, passed: false },
      ],
    });
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });

  it('explains empty conditions as matched with no leaves', () => {
    expect(explainConditions({ all: [] }, { data: {} })).toEqual({ matched: true, conditions: [] });
    expect(explainConditions({ any: [] }, { data: {} })).toEqual({ matched: true, conditions: [] });
  });

  it('accepts legacy input like every other entry point', () => {
    const legacy = { field_conditions: [{ field_name: 'a', operator: 'equals', value: 1 }] } as unknown as Conditions;
    expect(explainConditions(legacy, { data: { a: '1' } }).matched).toBe(true);
  });

  it('uses the injected engine for matches', () => {
    const result = explainConditions(
      { any: [{ field: 'sku', operator: 'matches', value: '^A-\\d+$' }] },
      { data: { sku: 'A-12' } },
      { compileRegex: fakeRegex },
    );
    expect(result.conditions[0]).toEqual({
      field: 'sku',
      operator: 'matches',
      expected: '^A-\\d+$',
      actual: 'A-12',
      passed: true,
    });
  });
});
