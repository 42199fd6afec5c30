import { compileConditions, normalizeConditions } from '../conditions';
import { RuleValidationError } from '../types';
import {
  MAX_CACHED_REGEXES,
  MAX_REGEX_INPUT_LENGTH,
  clearRegexCache,
  compileRegex,
  estimateRegexSize,
  regexCacheStats,
  validateRegex,
} from './safe-regex';

function errorOf(fn: () => unknown): RuleValidationError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RuleValidationError) return error;
    throw error;
  }
  throw new Error('expected a RuleValidationError');
}

/** Deterministic pseudo-random text, so failures reproduce. */
function randomText(length: number, alphabet: string, seed = 1): string {
  let state = seed;
  let out = '';
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    // The low bits of this generator cycle quickly; the high ones are usable.
    out += alphabet[(state >>> 16) % alphabet.length];
  }
  return out;
}

afterEach(() => clearRegexCache());

describe('compileRegex', () => {
  it.each<[string, string, boolean]>([
    ['^ORD-\\d+$', 'ORD-123', true],
    ['^ORD-\\d+$', 'ORD-12a', false],
    ['ship', 'reshipped', true],
    ['^ship', 'reshipped', false],
    ['^[^@\\s]+@example\\.com$', 'ann@example.com', true],
    ['^[^@\\s]+@example\\.com$', 'ann@example.org', false],
    ['(?i)^gold$', 'GOLD', true],
    ['^gold$', 'GOLD', false],
    ['^(?<year>\\d{4})-\\d{2}$', '2024-05', true],
    ['^\\p{Lu}', 'Élan', true],
    ['^.$', '😀', true],
    ['a/b', 'xa/by', true],
    ['', 'anything', true],
    ['^$', '', true],
    ['\\bcat\\b', 'a cat here', true],
    ['\\bcat\\b', 'concatenate', false],
  ])('/%s/ on %j → %s', (pattern, input, expected) => {
    expect(compileRegex(pattern)(input)).toBe(expected);
  });

  it('is not stateful between calls (no lastIndex surprises)', () => {
    const test = compileRegex('^a');
    expect([test('a'), test('a'), test('a')]).toEqual([true, true, true]);
  });

  it.each<[string, string]>([
    ['(unclosed', 'pattern: missing ): (unclosed'],
    ['[a-', 'pattern: missing ]: [a-'],
    ['a{2,1}', 'pattern: invalid repetition size: {2,1}'],
    ['(?=lookahead)', 'pattern: invalid perl operator: (?='],
    ['(?<!behind)x', 'pattern: invalid perl operator: (?<'],
    ['(a)\\1', 'pattern: invalid escape sequence: \\1'],
    ['*', 'pattern: no argument for repetition operator: *'],
    ['(?<n>a)(?<n>b)', 'pattern: '],
  ])('refuses %j', (pattern, message) => {
    const error = errorOf(() => compileRegex(pattern));
    expect(error.path).toBe('pattern');
    expect(error.message).toContain(message);
  });

  it('refuses patterns over 1024 characters', () => {
    expect(() => validateRegex('a'.repeat(1024).replace(/a{8}/g, 'a{1,2}b'))).not.toThrow();
    expect(errorOf(() => compileRegex('a'.repeat(1025))).message).toBe('pattern: is longer than 1024 characters');
  });

  it.each<[string]>([['(?:[a-z]{1,100}){10}!'], ['.{1,100}'.repeat(10)], ['(?:a?){600}'], ['.?'.repeat(300)]])(
    'refuses %j as too complex',
    (pattern) => {
      expect(errorOf(() => compileRegex(pattern)).message).toMatch(/^pattern: is too complex: about \d+ steps/);
    },
  );

  it('matches a catastrophic-backtracking pattern in linear time', () => {
    const test = compileRegex('(a+)+$');
    const hostile = `${'a'.repeat(MAX_REGEX_INPUT_LENGTH - 1)}!`;
    const started = performance.now();
    expect(test(hostile)).toBe(false);
    expect(test('aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!')).toBe(false);
    expect(test('aaaa')).toBe(true);
    // V8's backtracking RegExp needs longer than the age of the universe for this input.
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it.each<[string, string]>([
    ['(x+x+)+y', 'x'.repeat(30_000)],
    ['^(\\w+\\s?)*$', `${'word '.repeat(10_000)}!`],
    ['(a|aa)+$', `${'a'.repeat(30_000)}b`],
    ['^(([a-z])+.)+[A-Z]([a-z])+$', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!'],
  ])('%s stays fast on hostile input', (pattern, input) => {
    const started = performance.now();
    expect(compileRegex(pattern)(input)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('never matches inputs over the length limit', () => {
    const test = compileRegex('a');
    expect(test('a'.repeat(MAX_REGEX_INPUT_LENGTH))).toBe(true);
    expect(test('a'.repeat(MAX_REGEX_INPUT_LENGTH + 1))).toBe(false);
  });

  it('treats non-strings as non-matching', () => {
    expect(compileRegex('.*')(5 as unknown as string)).toBe(false);
  });
});

describe('memory of the wasm engine', () => {
  it('survives thousands of distinct compiles (re2-wasm never frees on its own)', () => {
    // Measured: without freeing, the 16 MiB wasm heap aborts after about 9,400 of these.
    for (let i = 0; i < 12_000; i++) {
      expect(compileRegex(`^[a-z]+-${i}$`)(`abc-${i}`)).toBe(true);
    }
    expect(regexCacheStats().size).toBeLessThanOrEqual(MAX_CACHED_REGEXES);
  });

  it('survives DFA-heavy patterns on hostile inputs (slow: ~5 s)', () => {
    // Each of these grows a DFA cache of ~2 MiB on this input; measured without eviction, the
    // sixth one aborts the module.
    const input = randomText(8192, 'ab');
    const matchers = Array.from({ length: 7 }, (_, i) => compileRegex(`(a|b)*a(a|b){20}${i}`));
    for (const test of matchers) expect(test(input)).toBe(false);
    expect(compileRegex('^ok$')('ok')).toBe(true);
  });

  it('keeps its estimated DFA memory within budget', () => {
    const tests = Array.from({ length: 10 }, (_, i) => compileRegex(`^[a-z]+${i}$`));
    const long = 'x'.repeat(MAX_REGEX_INPUT_LENGTH);
    for (const test of tests) {
      expect(test(long)).toBe(false);
      expect(regexCacheStats().retainedBytes).toBeLessThanOrEqual(3 * 1024 * 1024);
    }
    expect(tests[0]?.('abc0')).toBe(true);
  });

  it('keeps evicted matchers working by compiling them again', () => {
    const first = compileRegex('^first$');
    for (let i = 0; i <= MAX_CACHED_REGEXES; i++) compileRegex(`^filler${i}$`);
    expect(first('first')).toBe(true);
    expect(first('second')).toBe(false);
  });
});

describe('estimateRegexSize', () => {
  it.each<[string, number]>([
    ['', 0],
    ['abc', 3],
    ['a*', 2],
    ['a+?', 2],
    ['(a+)+$', 5],
    ['[a-z]', 1],
    ['[]a]', 1],
    ['[[:alpha:]x]', 1],
    ['\\d', 1],
    ['\\x{1F600}', 1],
    ['\\p{Greek}', 1],
    ['a{3}', 4],
    ['a{2,5}', 6],
    ['a{2,}', 4],
    ['(?:ab){10}', 3 * 10 + 1],
    ['(?:[a-z]{1,100}){10}', 102 * 10 + 1],
    ['(?i)abc', 3],
    ['(?P<n>ab)', 3],
    ['a{,5}', 5],
    ['a|b|c', 5],
  ])('%j ≈ %d', (pattern, expected) => {
    expect(estimateRegexSize(pattern)).toBe(expected);
  });
});

describe('with conditions', () => {
  it('validates and evaluates matches', () => {
    const conditions = normalizeConditions(
      [{ field: 'sku', operator: 'matches', value: '^[A-Z]-\\d+$' }],
      'conditions',
      {
        compileRegex,
      },
    );
    const predicate = compileConditions(conditions, { compileRegex });
    expect(predicate({ data: { sku: 'A-12' } })).toBe(true);
    expect(predicate({ data: { sku: 'a-12' } })).toBe(false);
    expect(predicate({ data: { sku: 12 } })).toBe(false);
    expect(predicate({ data: {} })).toBe(false);
  });

  it('names the condition for an invalid pattern', () => {
    const error = errorOf(() =>
      normalizeConditions({ all: [{ any: [{ field: 'a', operator: 'matches', value: '(?=x)' }] }] }, 'conditions', {
        compileRegex,
      }),
    );
    expect(error.message).toBe('conditions.all[0].any[0]: invalid regular expression: invalid perl operator: (?=');
  });
});
