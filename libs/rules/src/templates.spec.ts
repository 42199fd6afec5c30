import { renderTemplate, TEMPLATE_LIMITS, validateTemplates } from './templates';
import { RuleValidationError } from './types';
import type { TemplateContext } from './types';

const ctx: TemplateContext = {
  event: {
    id: 'evt-1',
    entity: 'orders',
    type: 'on_update',
    data: { id: 'o-1' },
    previous: null,
    occurredAt: '2024-05-01T10:00:00.000Z',
  },
  data: {
    id: 'o-1',
    total: 150.5,
    count: 0,
    paid: true,
    note: null,
    empty: '',
    customer: { name: 'Ann', email: 'ann@example.com', tags: ['vip'] },
    lines: [
      { sku: 'A-1', qty: 2 },
      { sku: 'B-2', qty: 1 },
    ],
  },
  previous: { status: 'new' },
  rule: { id: 'r-1', name: 'Ship it', version: 3 },
  steps: { erp: { statusCode: 200, body: { ticket: 'T-9' } } },
  parent: null,
};

describe('renderTemplate', () => {
  it.each<[string, unknown, unknown]>([
    ['plain string untouched', 'hello', 'hello'],
    ['string with single braces untouched', '{ "a": 1 }', '{ "a": 1 }'],
    ['whole expression: string', '{{data.id}}', 'o-1'],
    ['whole expression with inner spaces', '{{   data.id   }}', 'o-1'],
    ['whole expression: number keeps its type', '{{ data.total }}', 150.5],
    ['whole expression: zero', '{{ data.count }}', 0],
    ['whole expression: boolean', '{{ data.paid }}', true],
    ['whole expression: object', '{{ data.customer }}', ctx.data['customer']],
    ['whole expression: array', '{{ data.lines }}', ctx.data['lines']],
    ['whole expression: array element', '{{ data.lines.1 }}', { sku: 'B-2', qty: 1 }],
    ['whole expression: missing path is null', '{{ data.missing.deep }}', null],
    ['whole expression: null value is null', '{{ data.note }}', null],
    ['whole expression: empty string', '{{ data.empty }}', ''],
    ['whole expression: null root', '{{ parent.executionId }}', null],
    ['whole expression: previous', '{{ previous.status }}', 'new'],
    ['whole expression: rule', '{{ rule.version }}', 3],
    ['whole expression: steps', '{{ steps.erp.body.ticket }}', 'T-9'],
    ['whole expression: event', '{{ event.occurredAt }}', '2024-05-01T10:00:00.000Z'],
    ['outer whitespace makes it a mixed string', ' {{ data.total }} ', ' 150.5 '],
    ['mixed: string', 'Order {{data.id}} shipped', 'Order o-1 shipped'],
    ['mixed: number', 'Total: {{ data.total }}', 'Total: 150.5'],
    ['mixed: boolean', 'paid={{data.paid}}', 'paid=true'],
    ['mixed: zero', 'n={{data.count}}', 'n=0'],
    ['mixed: missing renders empty', 'x={{ data.missing }}.', 'x=.'],
    ['mixed: null renders empty', 'x={{ data.note }}.', 'x=.'],
    ['mixed: object renders JSON', 'c={{ data.customer }}', `c=${JSON.stringify(ctx.data['customer'])}`],
    ['mixed: array renders JSON', 'l={{data.lines}}', `l=${JSON.stringify(ctx.data['lines'])}`],
    ['two expressions', '{{data.id}}/{{data.lines.0.sku}}', 'o-1/A-1'],
    ['adjacent expressions are not one expression', '{{data.count}}{{data.paid}}', '0true'],
    ['prototype paths stay literal text', 'x{{ data.constructor }}y', 'x{{ data.constructor }}y'],
    ['__proto__ paths stay literal text', '{{ data.__proto__ }}', '{{ data.__proto__ }}'],
    ['inherited methods are not visible', '{{ data.toString }}', null],
    ['invalid expression left as is', 'a {{ data id }} b', 'a {{ data id }} b'],
    ['unclosed braces left as is', 'a {{ data.id', 'a {{ data.id'],
    ['empty expression left as is', '{{}}', '{{}}'],
    // validateTemplates refuses this; rendering just finds the brace-free expression inside.
    ['triple braces render the inner expression', '{{{data.id}}}', '{o-1}'],
  ])('%s', (_name, template, expected) => {
    expect(renderTemplate(template, ctx)).toEqual(expected);
  });

  it('renders deeply inside objects and arrays, leaving keys and non-strings alone', () => {
    const config = {
      url: 'https://erp.example.com/orders/{{ data.id }}',
      method: 'POST',
      retries: 3,
      enabled: true,
      nothing: null,
      headers: { 'X-Rule': '{{rule.name}}', '{{data.id}}': 'key stays' },
      body: {
        orderId: '{{data.id}}',
        total: '{{data.total}}',
        customer: '{{data.customer}}',
        lines: ['{{data.lines.0}}', 'sku {{data.lines.1.sku}}', 7],
        nested: [[{ deep: '{{ steps.erp.statusCode }}' }]],
      },
    };
    expect(renderTemplate(config, ctx)).toEqual({
      url: 'https://erp.example.com/orders/o-1',
      method: 'POST',
      retries: 3,
      enabled: true,
      nothing: null,
      headers: { 'X-Rule': 'Ship it', '{{data.id}}': 'key stays' },
      body: {
        orderId: 'o-1',
        total: 150.5,
        customer: ctx.data['customer'],
        lines: [{ sku: 'A-1', qty: 2 }, 'sku B-2', 7],
        nested: [[{ deep: 200 }]],
      },
    });
  });

  it('does not mutate its input', () => {
    const config = { body: { a: '{{data.id}}' }, list: ['{{data.total}}'] };
    const copy = JSON.parse(JSON.stringify(config)) as unknown;
    renderTemplate(config, ctx);
    expect(config).toEqual(copy);
  });

  it('keeps a JSON __proto__ key as data', () => {
    const config = JSON.parse('{"__proto__": {"x": "{{data.id}}"}}') as unknown;
    const rendered = renderTemplate(config, ctx) as Record<string, unknown>;
    expect(Object.getPrototypeOf(rendered)).toBe(Object.prototype);
    expect(Object.keys(rendered)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(rendered, '__proto__')?.value).toEqual({ x: 'o-1' });
  });

  it('works over any context object', () => {
    expect(renderTemplate('{{ payload.a }}-{{payload.b}}', { payload: { a: 1, b: 'x' } })).toBe('1-x');
  });

  it('renders a parent context for child rules', () => {
    const child: TemplateContext = {
      ...ctx,
      parent: { executionId: 'ex-1', ruleId: 'r-0', ruleName: 'Parent', steps: { erp: { statusCode: 201 } } },
    };
    expect(renderTemplate('{{ parent.steps.erp.statusCode }}', child)).toBe(201);
    expect(renderTemplate('from {{parent.ruleName}}', child)).toBe('from Parent');
  });
});

describe('validateTemplates', () => {
  it('returns every expression with its place', () => {
    const refs = validateTemplates(
      { url: 'https://x/{{data.id}}', body: { a: ['{{ steps.erp.body }}', 'n={{data.n}} m={{ data.m }}'] } },
      'actions[0].config',
    );
    expect(refs).toEqual([
      { path: 'actions[0].config.url', expression: 'data.id' },
      { path: 'actions[0].config.body.a[0]', expression: 'steps.erp.body' },
      { path: 'actions[0].config.body.a[1]', expression: 'data.n' },
      { path: 'actions[0].config.body.a[1]', expression: 'data.m' },
    ]);
  });

  it.each<[unknown]>([
    ['no templates'],
    [{ a: 1, b: [true, null, 'x'], c: {} }],
    ['{{data.id}}'],
    ['{{ event.data.x }} {{previous.y}} {{rule.name}} {{steps.a.b}} {{parent.steps.x}}'],
    ['single { braces } and }} closing ones are fine'],
    [{ 'key with {{': 'value' }],
    ['é'.repeat(32 * 1024)],
    ['x'.repeat(64 * 1024)],
  ])('accepts %#', (value) => {
    expect(() => validateTemplates(value, 'config')).not.toThrow();
  });

  const nested = (levels: number): unknown => {
    let value: unknown = 'leaf';
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };

  it.each<[string, unknown, string]>([
    [
      'unclosed {{',
      { body: { text: 'Hello {{ data.name' } },
      'config.body.text: "{{" at position 6 is never closed by "}}"',
    ],
    ['second expression unclosed', ['{{data.a}} and {{data.b'], 'config[0]: "{{" at position 15 is never closed'],
    ['empty expression', { a: 'x {{ }} y' }, 'config.a: empty template expression "{{ }}"'],
    ['spaces inside a path', { a: '{{ data. id }}' }, 'config.a: invalid template expression "{{ data. id }}"'],
    ['braces inside', { a: '{{{data.id}}}' }, 'config.a: invalid template expression'],
    ['empty segment', { a: '{{data..id}}' }, 'invalid template expression'],
    ['__proto__ segment', { a: '{{data.__proto__.x}}' }, 'invalid template expression'],
    ['constructor segment', { a: '{{data.constructor}}' }, 'invalid template expression'],
    [
      'unknown root',
      { a: '{{ date.id }}' },
      'config.a: template expression "{{ date.id }}" must start with one of event, data, previous, rule, steps, parent',
    ],
    ['string over 64 KiB', { big: 'x'.repeat(64 * 1024 + 1) }, 'config.big: string is longer than 64 KiB'],
    ['multi-byte string over 64 KiB', { big: 'é'.repeat(32 * 1024 + 1) }, 'config.big: string is longer than 64 KiB'],
    ['too deep', nested(21), 'nests deeper than 20 levels'],
    ['a function', { f: () => 1 }, 'config.f: a function is not JSON data'],
    ['NaN', { n: Number.NaN }, 'config.n: NaN is not a JSON number'],
    ['a Date', { d: new Date(0) }, 'config.d: is not JSON data'],
    [
      'quoted key path',
      { 'X-Header': '{{ nope }}' },
      'config["X-Header"]: template expression "{{ nope }}" must start',
    ],
  ])('rejects %s', (_name, value, message) => {
    const error = (() => {
      try {
        validateTemplates(value, 'config');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RuleValidationError);
    expect((error as Error).message).toContain(message);
  });

  it('accepts exactly 20 levels', () => {
    expect(() => validateTemplates(nested(20), 'config')).not.toThrow();
  });

  it('honours custom roots', () => {
    expect(() => validateTemplates('{{ payload.a }}', 'p', { roots: ['payload'] })).not.toThrow();
    expect(() => validateTemplates('{{ data.a }}', 'p', { roots: ['payload'] })).toThrow(
      'must start with one of payload',
    );
  });
});

describe('renderTemplate output bound', () => {
  it('refuses to render more than TEMPLATE_LIMITS.maxRenderedBytes of text instead of growing without end', () => {
    // 64 KiB of placeholders (a valid saved template) over a 256 KiB value: about 1.3 GB if rendered.
    const template = { body: '{{data.big}}'.repeat(5_000), again: ['{{data.big}} {{data.big}}'] };
    const data = { big: 'x'.repeat(256 * 1024) };
    const started = Date.now();
    expect(() => renderTemplate(template, { data })).toThrow(RuleValidationError);
    expect(() => renderTemplate(template, { data })).toThrow(
      new RegExp(`body: renders to more than ${TEMPLATE_LIMITS.maxRenderedBytes / 1024 / 1024} MiB`),
    );
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('still renders a large but bounded template', () => {
    const data = { big: 'x'.repeat(256 * 1024) };
    const out = renderTemplate({ a: 'A {{data.big}}', b: ['{{data.big}}!'] }, { data }) as { a: string; b: string[] };
    expect(out.a).toHaveLength(256 * 1024 + 2);
    expect(out.b[0]).toHaveLength(256 * 1024 + 1);
  });
});
