/**
 * Rule conditions: normalising what clients send into the stored `{all|any}` form, validating it,
 * compiling it once into closures, and explaining a result for dry runs.
 *
 * Semantics decided here (the contract leaves them open):
 * - Omitted or empty conditions hold, and so does an empty group: `{all: []}` and `{any: []}` are
 *   both true, so an empty `any` never silently disables a rule.
 * - A missing field reads as `undefined`, which equals `null` (JSON cannot tell them apart anyway).
 * - Equality is deep for arrays and objects; a number equals a numeric string of the same value
 *   (`5` equals `"5"`), but two strings compare as strings (`"01"` does not equal `"1"`).
 * - Ordering (`greater_than`…, `between`): numerically when both sides are numbers or numeric
 *   strings, else by string order when both are strings (ISO timestamps sort correctly), else false.
 * - `not_equals`, `not_contains`, `not_in`, `not_exists` are exact negations of their positive
 *   operators, so a missing field is `not_in` any list.
 * - `starts_with`, `ends_with`, `matches` on a non-string value are false; `contains` works on
 *   strings (substring) and arrays (an element equal to the value), and is false on anything else.
 * - `changed`, `changed_from`, `changed_to` are false when there is no `previous` snapshot at all:
 *   nothing is known to have changed. A field missing from a given snapshot reads as null.
 * - `exists`, `not_exists`, `changed` accept `"value": null` (form builders send it) and drop it;
 *   any other value is rejected, since it usually means a different operator was intended.
 */
import { cloneJson, describeValue, isPlainObject } from './json';
import { compilePath, FORBIDDEN_PATH_SEGMENTS, splitPath } from './path';
import { OPERATORS, RuleValidationError } from './types';
import type { ConditionGroup, ConditionLeaf, ConditionNode, Conditions, Operator, TriggerType } from './types';

/** Bounds that keep a hostile condition tree cheap to validate and evaluate. */
export const CONDITION_LIMITS = {
  maxDepth: 10,
  maxLeaves: 200,
  maxGroups: 200,
  maxFieldLength: 256,
  maxValueDepth: 20,
  maxPatternLength: 1024,
} as const;

export const CHANGE_OPERATORS = ['changed', 'changed_from', 'changed_to'] as const satisfies readonly Operator[];
const CHANGE_OPERATOR_SET: ReadonlySet<string> = new Set(CHANGE_OPERATORS);
const OPERATOR_SET: ReadonlySet<string> = new Set(OPERATORS);
const NO_VALUE_OPERATORS: ReadonlySet<string> = new Set<Operator>(['exists', 'not_exists', 'changed']);
const LEAF_KEYS: ReadonlySet<string> = new Set(['field', 'operator', 'value']);
const LEGACY_LEAF_KEYS: ReadonlySet<string> = new Set(['field_name', 'operator', 'value']);

/** A linear-time regex compiler; throws for an invalid pattern. See `@ruleflow/rules/node/safe-regex`. */
export type RegexCompiler = (pattern: string) => (input: string) => boolean;

export interface ConditionOptions {
  /** Needed to compile `matches`; when given to normalizeConditions, patterns are validated with it. */
  compileRegex?: RegexCompiler;
}

export interface NormalizeConditionsOptions extends ConditionOptions {
  /** When given, change operators are rejected unless it is `on_update`. */
  triggerType?: TriggerType;
}

/** What conditions are evaluated against. */
export interface EvaluationInput {
  data: Record<string, unknown>;
  previous?: Record<string, unknown> | null;
}

export type ConditionPredicate = (input: EvaluationInput) => boolean;

/** One leaf of a dry run. `expected`/`actual` are null when absent, so they survive JSON. */
export interface ConditionExplanation {
  field: string;
  operator: Operator;
  expected: unknown;
  actual: unknown;
  /** The value in `previous`, for change operators only. */
  previous?: unknown;
  passed: boolean;
}

export interface ConditionsExplanation {
  matched: boolean;
  conditions: ConditionExplanation[];
}

interface NormalizeState {
  leaves: number;
  groups: number;
  options: NormalizeConditionsOptions;
}

// ---------------------------------------------------------------------------------------------
// Normalisation and validation

/**
 * The stored `{all|any}` form of any accepted input (nothing, a bare array, legacy
 * `field_conditions`, nested groups); throws RuleValidationError naming the offending condition.
 */
export function normalizeConditions(
  input: unknown,
  path = 'conditions',
  options: NormalizeConditionsOptions = {},
): Conditions {
  const state: NormalizeState = { leaves: 0, groups: 1, options };
  if (input === undefined || input === null) return { all: [] };
  if (Array.isArray(input)) return { all: normalizeList(input, path, 1, state) };
  if (!isPlainObject(input)) {
    throw new RuleValidationError(path, 'must be a group ({"all": [...]} or {"any": [...]}) or an array of conditions');
  }
  const keys = Object.keys(input);
  if (keys.length === 0) return { all: [] };
  if (hasOwn(input, 'field_conditions')) return { all: normalizeLegacy(input, path, state) };
  if (!hasOwn(input, 'all') && !hasOwn(input, 'any')) {
    // A single leaf at the root is unambiguous; store it like a one-element bare array.
    return { all: [normalizeLeaf(input, path, state)] };
  }
  return normalizeGroup(input, path, 1, state);
}

/** Throws when a change operator is used by a rule whose trigger is not `on_update`. */
export function validateConditionsForTrigger(
  conditions: Conditions,
  triggerType: TriggerType,
  path = 'conditions',
): void {
  if (triggerType === 'on_update') return;
  forEachLeaf(conditions, path, (leaf, leafPath) => {
    if (CHANGE_OPERATOR_SET.has(leaf.operator)) throw changeOperatorError(leaf.operator, leafPath);
  });
}

/** Whether any leaf uses `changed`, `changed_from` or `changed_to`. */
export function conditionsUseChangeOperators(conditions: Conditions): boolean {
  let found = false;
  forEachLeaf(conditions, '', (leaf) => {
    if (CHANGE_OPERATOR_SET.has(leaf.operator)) found = true;
  });
  return found;
}

/** Calls `visit` for every leaf in document order, with its path (`conditions.all[1].any[0]`). */
export function forEachLeaf(
  conditions: ConditionNode,
  path: string,
  visit: (leaf: ConditionLeaf, path: string) => void,
): void {
  if (isGroup(conditions)) {
    const [key, children] = groupEntries(conditions);
    children.forEach((child, i) => forEachLeaf(child, `${path}.${key}[${i}]`, visit));
  } else {
    visit(conditions, path);
  }
}

/** Whether a node is an `all`/`any` group rather than a leaf. */
export function isGroup(node: ConditionNode): node is ConditionGroup {
  return hasOwn(node, 'all') || hasOwn(node, 'any');
}

function groupEntries(group: ConditionGroup): ['all' | 'any', ConditionNode[]] {
  return 'all' in group ? ['all', group.all] : ['any', group.any];
}

function normalizeLegacy(input: Record<string, unknown>, path: string, state: NormalizeState): ConditionLeaf[] {
  for (const key of Object.keys(input)) {
    if (key !== 'field_conditions') throw new RuleValidationError(path, `unknown key ${JSON.stringify(key)}`);
  }
  const listPath = `${path}.field_conditions`;
  const list = input['field_conditions'];
  if (!Array.isArray(list)) throw new RuleValidationError(listPath, 'must be an array');
  checkListLength(list, listPath);
  return list.map((item: unknown, i) => {
    const itemPath = `${listPath}[${i}]`;
    if (!isPlainObject(item)) throw new RuleValidationError(itemPath, 'must be a condition object');
    for (const key of Object.keys(item)) {
      if (!LEGACY_LEAF_KEYS.has(key)) throw new RuleValidationError(itemPath, `unknown key ${JSON.stringify(key)}`);
    }
    return buildLeaf(item['field_name'], item['operator'], item['value'], itemPath, 'field_name', state);
  });
}

function normalizeGroup(
  input: Record<string, unknown>,
  path: string,
  depth: number,
  state: NormalizeState,
): ConditionGroup {
  for (const key of Object.keys(input)) {
    if (key !== 'all' && key !== 'any') throw new RuleValidationError(path, `unknown key ${JSON.stringify(key)}`);
  }
  const hasAll = hasOwn(input, 'all');
  if (hasAll && hasOwn(input, 'any')) {
    throw new RuleValidationError(path, 'a group has exactly one of "all" or "any"');
  }
  const key = hasAll ? 'all' : 'any';
  const list = input[key];
  if (!Array.isArray(list)) throw new RuleValidationError(path, `"${key}" must be an array`);
  const children = normalizeList(list, `${path}.${key}`, depth, state);
  return key === 'all' ? { all: children } : { any: children };
}

function normalizeList(list: unknown[], listPath: string, depth: number, state: NormalizeState): ConditionNode[] {
  checkListLength(list, listPath);
  return list.map((item: unknown, i) => normalizeNode(item, `${listPath}[${i}]`, depth, state));
}

function normalizeNode(item: unknown, path: string, depth: number, state: NormalizeState): ConditionNode {
  if (!isPlainObject(item)) throw new RuleValidationError(path, 'must be a condition object');
  if (hasOwn(item, 'all') || hasOwn(item, 'any')) {
    if (depth + 1 > CONDITION_LIMITS.maxDepth) {
      throw new RuleValidationError(path, `groups nest deeper than ${CONDITION_LIMITS.maxDepth} levels`);
    }
    state.groups += 1;
    if (state.groups > CONDITION_LIMITS.maxGroups) {
      throw new RuleValidationError(path, `more than ${CONDITION_LIMITS.maxGroups} groups`);
    }
    return normalizeGroup(item, path, depth + 1, state);
  }
  return normalizeLeaf(item, path, state);
}

function normalizeLeaf(item: Record<string, unknown>, path: string, state: NormalizeState): ConditionLeaf {
  for (const key of Object.keys(item)) {
    if (!LEAF_KEYS.has(key)) throw new RuleValidationError(path, `unknown key ${JSON.stringify(key)}`);
  }
  return buildLeaf(item['field'], item['operator'], item['value'], path, 'field', state);
}

function checkListLength(list: unknown[], path: string): void {
  // Checked before walking so a huge array is refused without visiting it.
  if (list.length > CONDITION_LIMITS.maxLeaves) {
    throw new RuleValidationError(path, `more than ${CONDITION_LIMITS.maxLeaves} conditions`);
  }
}

function buildLeaf(
  field: unknown,
  operator: unknown,
  value: unknown,
  path: string,
  fieldKey: string,
  state: NormalizeState,
): ConditionLeaf {
  state.leaves += 1;
  if (state.leaves > CONDITION_LIMITS.maxLeaves) {
    throw new RuleValidationError(path, `more than ${CONDITION_LIMITS.maxLeaves} conditions in total`);
  }
  checkField(field, path, fieldKey);
  if (operator === undefined) throw new RuleValidationError(path, '"operator" is required');
  if (typeof operator !== 'string' || !OPERATOR_SET.has(operator)) {
    throw new RuleValidationError(path, `unknown operator ${describeValue(operator)}`);
  }
  const op = operator as Operator;
  if (state.options.triggerType !== undefined && state.options.triggerType !== 'on_update') {
    if (CHANGE_OPERATOR_SET.has(op)) throw changeOperatorError(op, path);
  }
  if (NO_VALUE_OPERATORS.has(op)) {
    if (value !== undefined && value !== null) {
      throw new RuleValidationError(path, `operator "${op}" takes no value`);
    }
    return { field, operator: op };
  }
  return { field, operator: op, value: checkValue(op, value, path, state.options) };
}

function checkField(field: unknown, path: string, fieldKey: string): asserts field is string {
  if (typeof field !== 'string' || field === '') {
    throw new RuleValidationError(path, `"${fieldKey}" must be a non-empty string`);
  }
  if (field.length > CONDITION_LIMITS.maxFieldLength) {
    throw new RuleValidationError(path, `"${fieldKey}" is longer than ${CONDITION_LIMITS.maxFieldLength} characters`);
  }
  for (const segment of splitPath(field)) {
    if (segment === '')
      throw new RuleValidationError(path, `"${fieldKey}" ${describeValue(field)} has an empty segment`);
    if (FORBIDDEN_PATH_SEGMENTS.has(segment)) {
      throw new RuleValidationError(path, `"${fieldKey}" may not contain the segment "${segment}"`);
    }
  }
}

function checkValue(op: Operator, value: unknown, path: string, options: ConditionOptions): unknown {
  if (value === undefined) throw new RuleValidationError(path, `operator "${op}" needs a "value"`);
  const copy = cloneJson(value, `${path}.value`, CONDITION_LIMITS.maxValueDepth);
  switch (op) {
    case 'starts_with':
    case 'ends_with':
      if (typeof copy !== 'string') throw new RuleValidationError(path, `operator "${op}" needs a string value`);
      break;
    case 'greater_than':
    case 'greater_than_or_equal':
    case 'less_than':
    case 'less_than_or_equal':
      if (typeof copy !== 'number' && typeof copy !== 'string') {
        throw new RuleValidationError(path, `operator "${op}" needs a number or string value`);
      }
      break;
    case 'between': {
      const shapeError = `operator "between" needs a value [lo, hi] of two numbers or two strings, with lo <= hi`;
      if (!Array.isArray(copy) || copy.length !== 2) throw new RuleValidationError(path, shapeError);
      const [lo, hi] = copy as [unknown, unknown];
      const numbers = typeof lo === 'number' && typeof hi === 'number';
      const strings = typeof lo === 'string' && typeof hi === 'string';
      if (!numbers && !strings) throw new RuleValidationError(path, shapeError);
      if (!(compileCompare(hi)(lo) <= 0)) throw new RuleValidationError(path, shapeError);
      break;
    }
    case 'in':
    case 'not_in':
      if (!Array.isArray(copy)) throw new RuleValidationError(path, `operator "${op}" needs an array value`);
      break;
    case 'matches':
      if (typeof copy !== 'string') throw new RuleValidationError(path, 'operator "matches" needs a string value');
      if (copy.length > CONDITION_LIMITS.maxPatternLength) {
        throw new RuleValidationError(
          path,
          `regular expression is longer than ${CONDITION_LIMITS.maxPatternLength} characters`,
        );
      }
      if (options.compileRegex) compileMatcher(copy, path, options.compileRegex);
      break;
    default:
      // equals, not_equals, contains, not_contains, changed_from, changed_to take any JSON value.
      break;
  }
  return copy;
}

function changeOperatorError(op: string, path: string): RuleValidationError {
  return new RuleValidationError(path, `operator "${op}" is only valid for rules triggered on_update`);
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

// ---------------------------------------------------------------------------------------------
// Compilation and evaluation

const ALWAYS: ConditionPredicate = () => true;

/**
 * Compiles conditions once into a predicate over `{data, previous}`; validates them first and
 * throws when `matches` is used without `options.compileRegex`.
 */
export function compileConditions(conditions: Conditions, options: ConditionOptions = {}): ConditionPredicate {
  // Normalising again is cheap and guards against snapshots that never went through the gateway.
  const normalized = normalizeConditions(conditions, 'conditions');
  return compileNode(normalized, 'conditions', options);
}

/** Evaluates every leaf (no short-circuit) and reports each one, for the dry-run endpoint. */
export function explainConditions(
  conditions: Conditions,
  input: EvaluationInput,
  options: ConditionOptions = {},
): ConditionsExplanation {
  const normalized = normalizeConditions(conditions, 'conditions');
  const explanations: ConditionExplanation[] = [];
  const matched = explainNode(normalized, 'conditions', input, options, explanations);
  return { matched, conditions: explanations };
}

function explainNode(
  node: ConditionNode,
  path: string,
  input: EvaluationInput,
  options: ConditionOptions,
  out: ConditionExplanation[],
): boolean {
  if (isGroup(node)) {
    const [key, children] = groupEntries(node);
    const results = children.map((child, i) => explainNode(child, `${path}.${key}[${i}]`, input, options, out));
    return key === 'all' ? results.every(Boolean) : results.length === 0 || results.some(Boolean);
  }
  const passed = compileLeaf(node, path, options)(input);
  const read = compilePath(node.field);
  const explanation: ConditionExplanation = {
    field: node.field,
    operator: node.operator,
    expected: node.value ?? null,
    actual: read(input.data) ?? null,
    passed,
  };
  if (CHANGE_OPERATOR_SET.has(node.operator)) {
    explanation.previous = input.previous == null ? null : (read(input.previous) ?? null);
  }
  out.push(explanation);
  return passed;
}

function compileNode(node: ConditionNode, path: string, options: ConditionOptions): ConditionPredicate {
  if (!isGroup(node)) return compileLeaf(node, path, options);
  const [key, children] = groupEntries(node);
  const parts = children.map((child, i) => compileNode(child, `${path}.${key}[${i}]`, options));
  return key === 'all' ? allOf(parts) : anyOf(parts);
}

function allOf(parts: ConditionPredicate[]): ConditionPredicate {
  const [first, second] = parts;
  if (first === undefined) return ALWAYS;
  if (parts.length === 1) return first;
  if (parts.length === 2 && second) return (input) => first(input) && second(input);
  return (input) => {
    for (const part of parts) if (!part(input)) return false;
    return true;
  };
}

function anyOf(parts: ConditionPredicate[]): ConditionPredicate {
  const [first, second] = parts;
  if (first === undefined) return ALWAYS;
  if (parts.length === 1) return first;
  if (parts.length === 2 && second) return (input) => first(input) || second(input);
  return (input) => {
    for (const part of parts) if (part(input)) return true;
    return false;
  };
}

function compileLeaf(leaf: ConditionLeaf, path: string, options: ConditionOptions): ConditionPredicate {
  const read = compilePath(leaf.field);
  const expected = leaf.value;
  switch (leaf.operator) {
    case 'equals': {
      const equals = compileEquals(expected);
      return ({ data }) => equals(read(data));
    }
    case 'not_equals': {
      const equals = compileEquals(expected);
      return ({ data }) => !equals(read(data));
    }
    case 'contains': {
      const contains = compileContains(expected);
      return ({ data }) => contains(read(data));
    }
    case 'not_contains': {
      const contains = compileContains(expected);
      return ({ data }) => !contains(read(data));
    }
    case 'starts_with': {
      const prefix = String(expected);
      return ({ data }) => {
        const actual = read(data);
        return typeof actual === 'string' && actual.startsWith(prefix);
      };
    }
    case 'ends_with': {
      const suffix = String(expected);
      return ({ data }) => {
        const actual = read(data);
        return typeof actual === 'string' && actual.endsWith(suffix);
      };
    }
    // An incomparable pair yields NaN, and every comparison with NaN is false.
    case 'greater_than': {
      const compare = compileCompare(expected);
      return ({ data }) => compare(read(data)) > 0;
    }
    case 'greater_than_or_equal': {
      const compare = compileCompare(expected);
      return ({ data }) => compare(read(data)) >= 0;
    }
    case 'less_than': {
      const compare = compileCompare(expected);
      return ({ data }) => compare(read(data)) < 0;
    }
    case 'less_than_or_equal': {
      const compare = compileCompare(expected);
      return ({ data }) => compare(read(data)) <= 0;
    }
    case 'between': {
      const [lo, hi] = expected as [unknown, unknown];
      const compareLo = compileCompare(lo);
      const compareHi = compileCompare(hi);
      return ({ data }) => {
        const actual = read(data);
        return compareLo(actual) >= 0 && compareHi(actual) <= 0;
      };
    }
    case 'in': {
      const isMember = compileMembership(expected as unknown[]);
      return ({ data }) => isMember(read(data));
    }
    case 'not_in': {
      const isMember = compileMembership(expected as unknown[]);
      return ({ data }) => !isMember(read(data));
    }
    case 'exists':
      return ({ data }) => read(data) != null;
    case 'not_exists':
      return ({ data }) => read(data) == null;
    case 'matches': {
      if (!options.compileRegex) {
        throw new Error(`${path}: operator "matches" needs a regex engine (options.compileRegex)`);
      }
      const test = compileMatcher(String(expected), path, options.compileRegex);
      return ({ data }) => {
        const actual = read(data);
        return typeof actual === 'string' && test(actual);
      };
    }
    case 'changed':
      return ({ data, previous }) => previous != null && !valueEquals(read(data), read(previous));
    case 'changed_from': {
      const equalsFrom = compileEquals(expected);
      return ({ data, previous }) => {
        if (previous == null) return false;
        const before = read(previous);
        return equalsFrom(before) && !valueEquals(read(data), before);
      };
    }
    case 'changed_to': {
      const equalsTo = compileEquals(expected);
      return ({ data, previous }) => {
        if (previous == null) return false;
        const after = read(data);
        return equalsTo(after) && !valueEquals(after, read(previous));
      };
    }
    default:
      throw new RuleValidationError(path, `unknown operator ${describeValue((leaf as ConditionLeaf).operator)}`);
  }
}

function compileMatcher(pattern: string, path: string, compileRegex: RegexCompiler): (input: string) => boolean {
  try {
    return compileRegex(pattern);
  } catch (error) {
    const reason =
      error instanceof RuleValidationError ? error.reason : error instanceof Error ? error.message : String(error);
    throw new RuleValidationError(path, `invalid regular expression: ${reason}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Value semantics

// Decimal only: "0x10", "Infinity" and "" are strings, not numbers, whatever Number() thinks.
const NUMERIC_STRING = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** The number a numeric string spells, or NaN. */
function parseNumeric(value: string): number {
  if (value.length > 400 || !NUMERIC_STRING.test(value)) return NaN;
  const n = Number(value);
  return Number.isFinite(n) ? n : NaN;
}

function toComparableNumber(value: unknown): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return parseNumeric(value);
  return NaN;
}

// Beyond this, structures are treated as different rather than risking the stack on hostile data.
const MAX_EQUALITY_DEPTH = 256;

/** The rule engine's equality: deep, null ≡ missing, number ≡ numeric string of the same value. */
export function valueEquals(a: unknown, b: unknown, depth = 0): boolean {
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  const typeA = typeof a;
  const typeB = typeof b;
  if (typeA === 'number') return typeB === 'string' && parseNumeric(b as string) === a;
  if (typeB === 'number') return typeA === 'string' && parseNumeric(a as string) === b;
  if (typeA !== 'object' || typeB !== 'object' || depth >= MAX_EQUALITY_DEPTH) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valueEquals(a[i], b[i], depth + 1)) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const objA = a as Record<string, unknown>;
  const objB = b as Record<string, unknown>;
  const keysA = Object.keys(objA);
  if (keysA.length !== Object.keys(objB).length) return false;
  for (const key of keysA) {
    if (!hasOwn(objB, key) || !valueEquals(objA[key], objB[key], depth + 1)) return false;
  }
  return true;
}

function compileEquals(expected: unknown): (actual: unknown) => boolean {
  if (expected === null || expected === undefined) return (actual) => actual == null;
  if (typeof expected === 'string') {
    const asNumber = parseNumeric(expected);
    return (actual) => actual === expected || (typeof actual === 'number' && actual === asNumber);
  }
  if (typeof expected === 'number') {
    return (actual) => actual === expected || (typeof actual === 'string' && parseNumeric(actual) === expected);
  }
  if (typeof expected === 'boolean') return (actual) => actual === expected;
  return (actual) => valueEquals(actual, expected);
}

/** Returns a sign (or NaN when the pair cannot be ordered) of `actual` against `expected`. */
function compileCompare(expected: unknown): (actual: unknown) => number {
  if (typeof expected === 'number') return (actual) => toComparableNumber(actual) - expected;
  if (typeof expected !== 'string') return () => NaN;
  const expectedNumber = parseNumeric(expected);
  const compareStrings = (actual: string): number => (actual < expected ? -1 : actual > expected ? 1 : 0);
  if (Number.isNaN(expectedNumber)) {
    return (actual) => (typeof actual === 'string' ? compareStrings(actual) : NaN);
  }
  return (actual) => {
    if (typeof actual === 'number') return actual - expectedNumber;
    if (typeof actual !== 'string') return NaN;
    const actualNumber = parseNumeric(actual);
    return Number.isNaN(actualNumber) ? compareStrings(actual) : actualNumber - expectedNumber;
  };
}

function compileContains(expected: unknown): (actual: unknown) => boolean {
  const equals = compileEquals(expected);
  const needle = typeof expected === 'string' ? expected : undefined;
  return (actual) => {
    if (typeof actual === 'string') return needle !== undefined && actual.includes(needle);
    if (Array.isArray(actual)) {
      for (const element of actual) if (equals(element)) return true;
    }
    return false;
  };
}

/** Membership with Set lookups for primitives, so a long `in` list costs O(1) per evaluation. */
function compileMembership(list: readonly unknown[]): (actual: unknown) => boolean {
  const strings = new Set<string>();
  const numbers = new Set<number>();
  const numericStrings = new Set<number>();
  const structures: unknown[] = [];
  let hasNull = false;
  let hasTrue = false;
  let hasFalse = false;
  for (const item of list) {
    if (item === null || item === undefined) hasNull = true;
    else if (item === true) hasTrue = true;
    else if (item === false) hasFalse = true;
    else if (typeof item === 'number') numbers.add(item);
    else if (typeof item === 'string') {
      strings.add(item);
      const n = parseNumeric(item);
      if (!Number.isNaN(n)) numericStrings.add(n);
    } else structures.push(item);
  }
  return (actual) => {
    switch (typeof actual) {
      case 'string': {
        if (strings.has(actual)) return true;
        if (numbers.size === 0) return false;
        const n = parseNumeric(actual);
        return !Number.isNaN(n) && numbers.has(n);
      }
      case 'number':
        return numbers.has(actual) || numericStrings.has(actual);
      case 'boolean':
        return actual ? hasTrue : hasFalse;
      case 'undefined':
        return hasNull;
      case 'object':
        if (actual === null) return hasNull;
        for (const item of structures) if (valueEquals(actual, item)) return true;
        return false;
      default:
        return false;
    }
  };
}
