import { describeValue } from './json';
import { RuleValidationError } from './types';

/** Milliseconds per unit of the contract's duration strings. */
export const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type DurationUnit = keyof typeof DURATION_UNITS_MS;

export const DAY_MS = DURATION_UNITS_MS.d;

// Whole amounts only: fractions ("1.5h") would need rounding rules nobody asked for.
const DURATION_PATTERN = /^(\d{1,16})(ms|s|m|h|d)$/;
const DIGITS_PATTERN = /^\d{1,16}$/;

export interface ParseDurationOptions {
  /** Inclusive upper bound in ms. */
  maxMs?: number;
  /** Inclusive lower bound in ms (default 0). */
  minMs?: number;
}

/**
 * Milliseconds of a contract duration: `"500ms"`, `"30s"`, `"5m"`, `"1h"`, `"2d"`, or a non-negative
 * integer of ms (a number or a digits-only string); throws RuleValidationError at `path` otherwise.
 */
export function parseDuration(input: unknown, path = 'duration', options: ParseDurationOptions = {}): number {
  const ms = tryParseDuration(input);
  if (ms === undefined) {
    throw new RuleValidationError(
      path,
      `invalid duration ${describeValue(input)}: use "500ms", "30s", "5m", "1h", "2d" or integer milliseconds`,
    );
  }
  const { minMs = 0, maxMs } = options;
  if (ms < minMs) throw new RuleValidationError(path, `duration must be at least ${formatDuration(minMs)}`);
  if (maxMs !== undefined && ms > maxMs) {
    throw new RuleValidationError(path, `duration must be at most ${formatDuration(maxMs)}`);
  }
  return ms;
}

/** Like parseDuration, but returns `undefined` instead of throwing. */
export function tryParseDuration(input: unknown): number | undefined {
  if (typeof input === 'number') {
    return Number.isSafeInteger(input) && input >= 0 ? input : undefined;
  }
  if (typeof input !== 'string') return undefined;
  if (DIGITS_PATTERN.test(input)) return checkedMs(Number(input));
  const match = DURATION_PATTERN.exec(input);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = match[2] as DurationUnit;
  return checkedMs(amount * DURATION_UNITS_MS[unit]);
}

/** The shortest exact contract form of `ms` (`90000` → `"90s"`, `3600000` → `"1h"`). */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`not a duration in ms: ${ms}`);
  if (ms === 0) return '0ms';
  const units: DurationUnit[] = ['d', 'h', 'm', 's'];
  for (const unit of units) {
    const size = DURATION_UNITS_MS[unit];
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function checkedMs(ms: number): number | undefined {
  return Number.isSafeInteger(ms) ? ms : undefined;
}
