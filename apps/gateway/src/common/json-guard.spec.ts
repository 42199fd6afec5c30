import { findHostileJson, findHostileUrl, parseForm } from './json-guard';

describe('findHostileJson: strings PostgreSQL cannot store', () => {
  it.each<[string, unknown, string | null]>([
    ['plain unicode and a surrogate pair', { a: 'заказ 📦', b: ['\ud83d\udce6'] }, null],
    [
      'NUL in a nested value',
      { data: { name: 'a\u0000b' } },
      'body.data.name: contains a NUL byte or an unpaired surrogate',
    ],
    ['NUL at the top', 'x\u0000', 'body: contains a NUL byte or an unpaired surrogate'],
    ['lone high surrogate at the end', { s: 'abc\ud800' }, 'body.s: contains a NUL byte or an unpaired surrogate'],
    ['lone low surrogate first', { s: '\udc00abc' }, 'body.s: contains a NUL byte or an unpaired surrogate'],
    ['reversed pair', { s: '\udc00\ud800' }, 'body.s: contains a NUL byte or an unpaired surrogate'],
    ['in an array', { l: ['ok', { t: '\ud800' }] }, 'body.l[1].t: contains a NUL byte or an unpaired surrogate'],
    ['in a key', { data: { ['k\u0000']: 1 } }, 'body.data: a key contains a NUL byte or an unpaired surrogate'],
    ['surrogate key', { ['\udfff']: 1 }, 'body: a key contains a NUL byte or an unpaired surrogate'],
    [
      'pollution key still first-class',
      JSON.parse('{"__proto__":{}}'),
      'body.__proto__: the key "__proto__" is not allowed',
    ],
  ])('%s', (_name, body, expected) => expect(findHostileJson(body)).toBe(expected));
});

describe('findHostileUrl: the raw path and query', () => {
  it.each<[string, string | null]>([
    ['/v1/rules/3f1c1f8e?entity=orders&limit=5', null],
    ['/v1/rules?entity=%D0%B7%D0%B0&x=a+b&flag&=', null],
    ['/v1/inventory/items/a%00b', 'path segment 4: contains a NUL byte or an unpaired surrogate'],
    ['/v1/rules/%ED%A0%80', 'path segment 3: is not valid percent-encoded UTF-8'],
    ['/v1/rules/%zz', 'path segment 3: is not valid percent-encoded UTF-8'],
    ['/v1/rules?entity=a%00b', 'query.entity: contains a NUL byte or an unpaired surrogate'],
    ['/v1/rules?entity=%ED%B0%80', 'query.entity: is not valid percent-encoded UTF-8'],
    ['/v1/rules?ok=1&e%00=1', 'query: a parameter name contains a NUL byte or an unpaired surrogate'],
    ['/v1/rules?%E0=1', 'query: a parameter name is not valid percent-encoded UTF-8'],
    ['/v1/rules?a[b]=%00', 'query.a[b]: contains a NUL byte or an unpaired surrogate'],
  ])('%s', (url, expected) => expect(findHostileUrl(url)).toBe(expected));
});

describe('parseForm: form bodies of the telephony webhooks', () => {
  const form = (text: string | Buffer) => parseForm(typeof text === 'string' ? Buffer.from(text) : text);

  it('decodes a flat form (+ is a space, escapes are UTF-8)', () => {
    expect(form('CallSid=CA1&From=%2B1555&Say=a+b%20%D0%B7')).toEqual({
      params: { CallSid: 'CA1', From: '+1555', Say: 'a b з' },
    });
    expect(form('')).toEqual({ params: {} });
  });

  it.each<[string, string | Buffer, string]>([
    ['a NUL', 'CallSid=a%00b', 'body.CallSid: contains a NUL byte or an unpaired surrogate'],
    ['a surrogate', 'Digits=%ED%A0%80', 'body.Digits: is not valid percent-encoded UTF-8'],
    ['a broken escape', 'From=%zz', 'body.From: is not valid percent-encoded UTF-8'],
    ['a NUL in a name', 'a%00=1', 'body: a field name contains a NUL byte or an unpaired surrogate'],
    ['a pollution key', '__proto__=1', 'body.__proto__: the key "__proto__" is not allowed'],
    ['a field twice', 'Digits=1&Digits=2', 'body.Digits: given more than once'],
    ['raw bytes that are not UTF-8', Buffer.from([0x41, 0x3d, 0xff]), 'body: is not valid UTF-8'],
    ['too many fields', Array.from({ length: 101 }, (_, i) => `f${i}=1`).join('&'), 'body: more than 100 fields'],
  ])('refuses %s', (_name, text, problem) => expect(form(text)).toEqual({ problem }));
});
