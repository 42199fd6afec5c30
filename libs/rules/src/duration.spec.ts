import { formatDuration, parseDuration, tryParseDuration } from './duration';
import { RuleValidationError } from './types';

describe('parseDuration', () => {
  it.each<[unknown, number]>([
    ['500ms', 500],
    ['0ms', 0],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['2d', 172_800_000],
    ['365d', 31_536_000_000],
    [0, 0],
    [1500, 1500],
    ['1500', 1500],
    ['0', 0],
    [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  ])('%j → %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
    expect(tryParseDuration(input)).toBe(expected);
  });

  it.each<[unknown]>([
    ['1.5s'],
    ['-1s'],
    [-1],
    [1.5],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [''],
    ['s'],
    ['10'.repeat(10)],
    ['5 m'],
    [' 5m'],
    ['5m '],
    ['5M'],
    ['5min'],
    ['1w'],
    ['1h30m'],
    ['0x10'],
    ['1e3'],
    ['99999999999999999d'],
    [null],
    [undefined],
    [true],
    [['5m']],
    [{ ms: 5 }],
  ])('rejects %j', (input) => {
    expect(tryParseDuration(input)).toBeUndefined();
    expect(() => parseDuration(input, 'actions[1].config.duration')).toThrow(RuleValidationError);
  });

  it('names the path in the error', () => {
    expect(() => parseDuration('soon', 'actions[1].config.duration')).toThrow(
      /^actions\[1\]\.config\.duration: invalid duration "soon"/,
    );
    try {
      parseDuration('soon', 'x.y');
    } catch (error) {
      expect(error).toBeInstanceOf(RuleValidationError);
      expect((error as RuleValidationError).path).toBe('x.y');
    }
  });

  it('applies bounds', () => {
    expect(parseDuration('365d', 'd', { maxMs: 365 * 86_400_000 })).toBe(31_536_000_000);
    expect(() => parseDuration('366d', 'd', { maxMs: 365 * 86_400_000 })).toThrow('d: duration must be at most 365d');
    expect(() => parseDuration('0ms', 'r', { minMs: 1 })).toThrow('r: duration must be at least 1ms');
    expect(parseDuration('1ms', 'r', { minMs: 1 })).toBe(1);
  });
});

describe('formatDuration', () => {
  it.each<[number, string]>([
    [0, '0ms'],
    [500, '500ms'],
    [1000, '1s'],
    [1500, '1500ms'],
    [90_000, '90s'],
    [300_000, '5m'],
    [3_600_000, '1h'],
    [5_400_000, '90m'],
    [172_800_000, '2d'],
  ])('%d → %s', (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
    expect(parseDuration(expected)).toBe(ms);
  });

  it('rejects non-durations', () => {
    expect(() => formatDuration(-1)).toThrow(RangeError);
    expect(() => formatDuration(1.5)).toThrow(RangeError);
  });
});
