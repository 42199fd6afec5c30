/**
 * The `matches` operator's regex engine: RE2 compiled to WebAssembly (`re2-wasm`). RE2 never
 * backtracks, so `(a+)+$` cannot hang the process the way it hangs V8's RegExp.
 *
 * re2-wasm has two traps this module works around:
 * - Its heap is a fixed 16 MiB and a compiled RE2 is only freed by an explicit `delete()`; RE2
 *   also grows a per-regex DFA cache (measured up to ~3.5 MiB) while matching. Left alone, a few
 *   thousand compiles, or a handful of regexes matched against large hostile inputs, abort the
 *   module. So compiled regexes live in one bounded cache: at most MAX_CACHED_REGEXES, evicted
 *   (and deleted) least recently used first, and also when the estimated DFA memory of all cached
 *   entries passes DFA_MEMORY_BUDGET. Matchers look their regex up by pattern on every call, so an
 *   evicted regex is simply compiled again; nothing ever uses a deleted one.
 * - "Linear" is linear in input length times program size, and a pattern like
 *   `(?:[a-z]{1,100}){10}` expands to a program big enough to take seconds per 100 KB once the
 *   DFA gives up. Patterns are therefore capped by an estimate of their expanded size, and
 *   inputs longer than MAX_REGEX_INPUT_LENGTH never match (which also bounds the copy of the
 *   input into the wasm heap).
 *
 * What remains: building DFA states is slow in wasm (~80 µs each), so a pattern whose DFA is
 * exponential, such as `(a|b)*a(a|b){20}x`, on random a/b text costs up to ~1.5 s per evaluation
 * before RE2 runs out of DFA budget and falls back to its NFA. That is bounded, not a hang, but
 * callers evaluating untrusted patterns on untrusted data at volume should rate-limit or move
 * evaluation off the request thread.
 *
 * Syntax is RE2's as translated by re2-wasm from JavaScript syntax, always in unicode mode.
 * Lookarounds and backreferences are rejected; case-insensitivity is written inline: `(?i)abc`.
 */
import { RE2 } from 're2-wasm';
import { RuleValidationError } from '../types';

export const MAX_REGEX_PATTERN_LENGTH = 1024;
/** Upper bound of estimateRegexSize(pattern), roughly RE2 instructions after expanding repetitions. */
export const MAX_REGEX_PROGRAM_SIZE = 512;
/** Longer strings never match. */
export const MAX_REGEX_INPUT_LENGTH = 64 * 1024;
export const MAX_CACHED_REGEXES = 32;
const DFA_MEMORY_BUDGET = 3 * 1024 * 1024;

interface CacheEntry {
  regex: RE2;
  /** Estimated DFA bytes added per input character scanned (measured ~250 B for a 22-instruction program). */
  bytesPerChar: number;
  retainedBytes: number;
}

const cache = new Map<string, CacheEntry>();
let retainedBytes = 0;

/** Compiles a pattern into a linear-time matcher; throws RuleValidationError for an invalid or too complex one. */
export function compileRegex(pattern: string): (input: string) => boolean {
  acquire(pattern);
  return (input: string): boolean => {
    if (typeof input !== 'string' || input.length > MAX_REGEX_INPUT_LENGTH) return false;
    const entry = acquire(pattern);
    let matched: boolean;
    try {
      matched = entry.regex.test(input);
    } catch (error) {
      // An abort inside the module leaves its heap in an unknown state; start over from nothing.
      clearRegexCache();
      throw error;
    }
    const grown = input.length * entry.bytesPerChar;
    entry.retainedBytes += grown;
    retainedBytes += grown;
    if (retainedBytes > DFA_MEMORY_BUDGET) trimToBudget();
    return matched;
  };
}

/** Throws RuleValidationError (path `pattern`) when `pattern` is not a usable regular expression. */
export function validateRegex(pattern: string): void {
  acquire(pattern);
}

/** Frees every compiled regex (tests, and recovery after an engine failure). */
export function clearRegexCache(): void {
  for (const entry of cache.values()) release(entry);
  cache.clear();
  retainedBytes = 0;
}

/** Cache occupancy, for metrics and tests. */
export function regexCacheStats(): { size: number; retainedBytes: number } {
  return { size: cache.size, retainedBytes };
}

function acquire(pattern: string): CacheEntry {
  const hit = cache.get(pattern);
  if (hit) {
    // Re-inserting keeps Map order = least recently used first.
    cache.delete(pattern);
    cache.set(pattern, hit);
    return hit;
  }
  const size = checkPattern(pattern);
  const entry: CacheEntry = { regex: construct(pattern), bytesPerChar: 64 + 8 * size, retainedBytes: 0 };
  cache.set(pattern, entry);
  while (cache.size > MAX_CACHED_REGEXES) evictOldest();
  return entry;
}

function construct(pattern: string): RE2 {
  try {
    return new RE2(pattern, 'u');
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new RuleValidationError('pattern', reasonOf(message, pattern));
  }
}

// re2-wasm reports `Invalid regular expression: /<escaped pattern>/u: <reason>`; keep the reason.
function reasonOf(message: string, pattern: string): string {
  const prefix = 'Invalid regular expression: /';
  if (!message.startsWith(prefix)) return message;
  const marker = message.indexOf('/u: ', prefix.length + pattern.length - 1);
  return marker === -1 ? message : message.slice(marker + '/u: '.length);
}

function checkPattern(pattern: string): number {
  if (typeof pattern !== 'string') throw new RuleValidationError('pattern', 'must be a string');
  if (pattern.length > MAX_REGEX_PATTERN_LENGTH) {
    throw new RuleValidationError('pattern', `is longer than ${MAX_REGEX_PATTERN_LENGTH} characters`);
  }
  const size = estimateRegexSize(pattern);
  if (size > MAX_REGEX_PROGRAM_SIZE) {
    throw new RuleValidationError(
      'pattern',
      `is too complex: about ${size} steps once repetitions are expanded (limit ${MAX_REGEX_PROGRAM_SIZE}); ` +
        'use smaller {n,m} counts',
    );
  }
  return size;
}

function trimToBudget(): void {
  // Down to half the budget, so a busy regex does not trigger a trim on every call.
  for (const [pattern, entry] of cache) {
    if (retainedBytes <= DFA_MEMORY_BUDGET / 2) return;
    if (entry.retainedBytes === 0) continue;
    cache.delete(pattern);
    release(entry);
  }
}

function evictOldest(): void {
  const oldest = cache.entries().next();
  if (oldest.done) return;
  const [pattern, entry] = oldest.value;
  cache.delete(pattern);
  release(entry);
}

function release(entry: CacheEntry): void {
  retainedBytes -= entry.retainedBytes;
  entry.retainedBytes = 0;
  // `wrapper` is re2-wasm's private embind handle; without delete() its memory is never returned.
  const handle = (entry.regex as unknown as { wrapper?: { delete?: () => void } }).wrapper;
  handle?.delete?.();
}

/**
 * An upper-bound estimate of a pattern's RE2 program size with counted repetitions expanded:
 * every atom counts 1, a group counts its contents, `x{n,m}` counts x × m. Syntax errors are left
 * to RE2; this only has to be generous, not exact.
 */
export function estimateRegexSize(pattern: string): number {
  // One frame per open group: `total` so far, `last` = size of the latest atom (what a quantifier repeats).
  const stack: Array<{ total: number; last: number }> = [{ total: 0, last: 0 }];
  const top = (): { total: number; last: number } => stack[stack.length - 1] as { total: number; last: number };
  const atom = (size: number): void => {
    const frame = top();
    frame.total += size;
    frame.last = size;
  };
  let i = 0;
  while (i < pattern.length) {
    const c = pattern[i] as string;
    if (c === '\\') {
      i = skipEscape(pattern, i);
      atom(1);
    } else if (c === '[') {
      i = skipClass(pattern, i);
      atom(1);
    } else if (c === '(') {
      if (pattern[i + 1] === '?') {
        const end = pattern.slice(i + 2).search(/[:>)]/);
        const stop = end === -1 ? pattern.length : i + 2 + end;
        if (pattern[stop] === ')') {
          // A flag setting such as `(?i)`: no group, no atom.
          i = stop + 1;
          continue;
        }
        i = stop + 1;
      } else {
        i += 1;
      }
      stack.push({ total: 0, last: 0 });
    } else if (c === ')') {
      i += 1;
      if (stack.length > 1) {
        const group = stack.pop() as { total: number; last: number };
        atom(group.total + 1);
      }
    } else if (c === '|') {
      i += 1;
      const frame = top();
      frame.total += 1;
      frame.last = 0;
    } else if (c === '*' || c === '+' || c === '?') {
      i += 1;
      if (pattern[i] === '?') i += 1;
      const frame = top();
      frame.total += 1;
      frame.last = 0;
    } else if (c === '{') {
      const counted = /^\{(\d{1,6})(,(\d{0,6}))?\}/.exec(pattern.slice(i, i + 16));
      if (counted) {
        const min = Number(counted[1]);
        const max = counted[2] === undefined ? min : counted[3] === '' ? min + 1 : Number(counted[3]);
        const frame = top();
        frame.total += frame.last * (Math.max(max, 1) - 1) + 1;
        frame.last = 0;
        i += counted[0].length;
        if (pattern[i] === '?') i += 1;
      } else {
        i += 1;
        atom(1);
      }
    } else {
      i += 1;
      atom(1);
    }
  }
  while (stack.length > 1) {
    const group = stack.pop() as { total: number; last: number };
    atom(group.total + 1);
  }
  return top().total;
}

function skipEscape(pattern: string, i: number): number {
  const next = pattern[i + 1];
  if ((next === 'x' || next === 'u' || next === 'p' || next === 'P') && pattern[i + 2] === '{') {
    const close = pattern.indexOf('}', i + 3);
    return close === -1 ? pattern.length : close + 1;
  }
  return Math.min(i + 2, pattern.length);
}

function skipClass(pattern: string, i: number): number {
  let j = i + 1;
  if (pattern[j] === '^') j += 1;
  if (pattern[j] === ']') j += 1;
  while (j < pattern.length && pattern[j] !== ']') {
    if (pattern[j] === '\\') j += 2;
    else if (pattern[j] === '[' && pattern[j + 1] === ':') {
      const close = pattern.indexOf(':]', j + 2);
      j = close === -1 ? j + 1 : close + 2;
    } else j += 1;
  }
  return j + 1;
}
