import { compilePath, getPath, isReadablePath, splitPath } from './path';

describe('getPath / compilePath', () => {
  const data = {
    id: 7,
    status: 'shipped',
    customer: { tier: 'gold', address: { city: 'Oslo' } },
    lines: [
      { sku: 'A-1', qty: 2 },
      { sku: 'B-2', qty: 0 },
    ],
    empty: '',
    nothing: null,
    zero: 0,
    '': 'empty key',
  };
  const inherited = Object.create({ secret: 'from prototype' }) as Record<string, unknown>;
  inherited['own'] = 'mine';

  it.each<[string, unknown, string, unknown]>([
    ['top-level field', data, 'status', 'shipped'],
    ['nested object', data, 'customer.tier', 'gold'],
    ['three levels', data, 'customer.address.city', 'Oslo'],
    ['array index', data, 'lines.0.sku', 'A-1'],
    ['second array element', data, 'lines.1.qty', 0],
    ['whole array', data, 'lines', data.lines],
    ['array length is an own property', data, 'lines.length', 2],
    ['falsy values are returned as they are', data, 'zero', 0],
    ['empty string value', data, 'empty', ''],
    ['null value', data, 'nothing', null],
    ['missing top-level', data, 'missing', undefined],
    ['missing nested', data, 'customer.missing.deeper', undefined],
    ['index out of range', data, 'lines.5.sku', undefined],
    ['non-canonical index', data, 'lines.01.sku', undefined],
    ['negative index', data, 'lines.-1', undefined],
    ['through a primitive', data, 'status.length', undefined],
    ['through null', data, 'nothing.x', undefined],
    ['__proto__ segment', data, '__proto__', undefined],
    ['constructor segment', data, 'constructor', undefined],
    ['constructor.prototype', data, 'customer.constructor.prototype', undefined],
    ['prototype segment', { prototype: { x: 1 } }, 'prototype.x', undefined],
    ['inherited Object.prototype method', data, 'toString', undefined],
    ['inherited hasOwnProperty', data, 'customer.hasOwnProperty', undefined],
    ['inherited custom prototype property', inherited, 'secret', undefined],
    ['own property next to a prototype', inherited, 'own', 'mine'],
    ['empty segment', data, 'customer..tier', undefined],
    ['empty path', data, '', undefined],
    ['root is not an object', 'text', 'length', undefined],
    ['root is null', null, 'a', undefined],
    ['root is undefined', undefined, 'a', undefined],
  ])('%s', (_name, obj, path, expected) => {
    expect(getPath(obj, path)).toEqual(expected);
    expect(compilePath(path)(obj)).toEqual(expected);
    expect(getPath(obj, splitPath(path))).toEqual(expected);
  });

  it('reads an own __proto__ data property only by refusing it', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    expect(getPath(parsed, '__proto__.polluted')).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('works for paths of every length through compilePath', () => {
    const deep = { a: { b: { c: { d: { e: 5 } } } } };
    expect(compilePath('a')(deep)).toBe(deep.a);
    expect(compilePath('a.b')(deep)).toBe(deep.a.b);
    expect(compilePath('a.b.c.d.e')(deep)).toBe(5);
    expect(compilePath(['a', 'b', 'c'])(deep)).toBe(deep.a.b.c);
  });

  it.each<[string[], boolean]>([
    [['a'], true],
    [['a', '0', 'b'], true],
    [[], false],
    [['a', ''], false],
    [['__proto__'], false],
    [['a', 'constructor'], false],
  ])('isReadablePath(%j) is %s', (segments, expected) => {
    expect(isReadablePath(segments)).toBe(expected);
  });
});
