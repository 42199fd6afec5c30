/**
 * `{{ path }}` templates in action configs, rendered over `{event, data, previous, rule, steps, parent}`.
 *
 * - A string that is exactly one expression (`"{{ data.total }}"`) yields the raw value: objects,
 *   arrays, numbers and booleans keep their type; a missing path yields `null`.
 * - In a mixed string (`"Order {{data.id}}"`) a missing or null value renders as `""`, objects and
 *   arrays as JSON, numbers and booleans with String().
 * - Text that is not a valid expression is left as it is when rendering; validateTemplates is
 *   what rejects it when a rule is saved.
 */
import { appendKey, describeValue, isPlainObject, setOwn } from './json';
import { FORBIDDEN_PATH_SEGMENTS, getPath, splitPath } from './path';
import { RuleValidationError } from './types';
import type { TemplateContext } from './types';

/** The roots an expression may start with. */
export const TEMPLATE_ROOTS = ['event', 'data', 'previous', 'rule', 'steps', 'parent'] as const;
export type TemplateRoot = (typeof TEMPLATE_ROOTS)[number];
/** A rule's `onFailure` actions also see why the run failed: `error` and `errorAction`. */
export const ON_FAILURE_TEMPLATE_ROOTS = [...TEMPLATE_ROOTS, 'error', 'errorAction'] as const;

export const TEMPLATE_LIMITS = {
  maxDepth: 20,
  maxStringBytes: 64 * 1024,
  maxExpressionLength: 256,
  /**
   * Text one render may produce in mixed strings (counted in UTF-16 units): 64 KiB of `{{data.big}}`
   * over a large event would otherwise grow to gigabytes. Whole-expression values are shared, not copied.
   */
  maxRenderedBytes: 8 * 1024 * 1024,
} as const;

const OPEN = '{{';
const CLOSE = '}}';
// The inner text may not hold braces, so `{{a}} {{b}}` is never one expression.
const EXPRESSION = /\{\{([^{}]*)\}\}/g;
const WHOLE_EXPRESSION = /^\{\{([^{}]*)\}\}$/;
// Any key without whitespace, braces or dots can be addressed.
const PATH_SYNTAX = /^[^\s{}.]+(?:\.[^\s{}.]+)*$/;

/** One `{{ … }}` found by validateTemplates: where it is and the path it reads. */
export interface TemplateReference {
  path: string;
  expression: string;
}

export interface ValidateTemplatesOptions {
  /** Allowed first segments; default TEMPLATE_ROOTS. */
  roots?: readonly string[];
}

/**
 * Deep-renders every string inside `value` (keys are left alone) over the template context; throws a
 * RuleValidationError naming the string where the output passes TEMPLATE_LIMITS.maxRenderedBytes.
 */
export function renderTemplate(value: unknown, ctx: TemplateContext | Record<string, unknown>): unknown {
  return renderValue(value, ctx, { left: TEMPLATE_LIMITS.maxRenderedBytes }, '');
}

function renderValue(value: unknown, ctx: unknown, budget: { left: number }, path: string): unknown {
  if (typeof value === 'string') return renderString(value, ctx, budget, path);
  if (Array.isArray(value)) {
    return value.map((item: unknown, i) => renderValue(item, ctx, budget, `${path}[${i}]`));
  }
  if (isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      setOwn(
        out,
        key,
        renderValue(value[key], ctx, budget, path ? appendKey(path, key) : appendKey('', key).replace(/^\./, '')),
      );
    }
    return out;
  }
  return value;
}

/** Whether a string holds at least one `{{`. */
export function hasTemplate(value: string): boolean {
  return value.includes(OPEN);
}

function renderString(text: string, ctx: unknown, budget: { left: number }, at: string): unknown {
  if (!text.includes(OPEN)) return text;
  const whole = WHOLE_EXPRESSION.exec(text);
  if (whole) {
    const path = (whole[1] as string).trim();
    if (!isExpressionPath(path)) return text;
    return getPath(ctx, path) ?? null;
  }
  const spend = (piece: string): string => {
    budget.left -= piece.length;
    if (budget.left < 0) {
      throw new RuleValidationError(
        at || 'template',
        `renders to more than ${TEMPLATE_LIMITS.maxRenderedBytes / 1024 / 1024} MiB`,
      );
    }
    return piece;
  };
  spend(text);
  return text.replace(EXPRESSION, (match: string, inner: string) => {
    const path = inner.trim();
    return isExpressionPath(path) ? spend(stringify(getPath(ctx, path))) : match;
  });
}

function stringify(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'object') {
    try {
      return JSON.stringify(value) ?? '';
    } catch {
      // Cycles or BigInts cannot come from JSON data; render nothing rather than fail the action.
      return '';
    }
  }
  return String(value);
}

function isExpressionPath(path: string): boolean {
  if (path.length === 0 || path.length > TEMPLATE_LIMITS.maxExpressionLength || !PATH_SYNTAX.test(path)) {
    return false;
  }
  for (const segment of splitPath(path)) if (FORBIDDEN_PATH_SEGMENTS.has(segment)) return false;
  return true;
}

/**
 * Checks every string under `value` for well-formed `{{ path }}` expressions over known roots and
 * bounds the structure (depth 20, 64 KiB per string); returns the expressions found.
 */
export function validateTemplates(
  value: unknown,
  path: string,
  options: ValidateTemplatesOptions = {},
): TemplateReference[] {
  const roots = new Set(options.roots ?? TEMPLATE_ROOTS);
  const found: TemplateReference[] = [];
  walk(value, path, 0, roots, found);
  return found;
}

function walk(value: unknown, path: string, depth: number, roots: ReadonlySet<string>, found: TemplateReference[]) {
  if (typeof value === 'string') {
    validateString(value, path, roots, found);
    return;
  }
  if (value === null || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RuleValidationError(path, `${value} is not a JSON number`);
    return;
  }
  if (typeof value !== 'object') throw new RuleValidationError(path, `${describeValue(value)} is not JSON data`);
  if (depth >= TEMPLATE_LIMITS.maxDepth) {
    throw new RuleValidationError(path, `nests deeper than ${TEMPLATE_LIMITS.maxDepth} levels`);
  }
  if (Array.isArray(value)) {
    value.forEach((item: unknown, i) => walk(item, `${path}[${i}]`, depth + 1, roots, found));
    return;
  }
  if (!isPlainObject(value)) throw new RuleValidationError(path, 'is not JSON data');
  for (const key of Object.keys(value)) {
    const item = value[key];
    if (item !== undefined) walk(item, appendKey(path, key), depth + 1, roots, found);
  }
}

function validateString(text: string, path: string, roots: ReadonlySet<string>, found: TemplateReference[]): void {
  // UTF-16 length is a lower bound of the UTF-8 size, so most strings skip the exact count.
  if (text.length * 3 > TEMPLATE_LIMITS.maxStringBytes && utf8Length(text) > TEMPLATE_LIMITS.maxStringBytes) {
    throw new RuleValidationError(path, `string is longer than ${TEMPLATE_LIMITS.maxStringBytes / 1024} KiB`);
  }
  let from = 0;
  for (;;) {
    const open = text.indexOf(OPEN, from);
    if (open === -1) return;
    const close = text.indexOf(CLOSE, open + OPEN.length);
    if (close === -1) throw new RuleValidationError(path, `"{{" at position ${open} is never closed by "}}"`);
    const inner = text.slice(open + OPEN.length, close);
    const expression = inner.trim();
    if (expression === '') throw new RuleValidationError(path, 'empty template expression "{{ }}"');
    if (inner.includes('{') || inner.includes('}') || !isExpressionPath(expression)) {
      throw new RuleValidationError(
        path,
        `invalid template expression ${describeValue(`{{${inner}}}`)}: use a dot path such as "{{ data.id }}"`,
      );
    }
    const root = splitPath(expression)[0] as string;
    if (!roots.has(root)) {
      throw new RuleValidationError(
        path,
        `template expression "{{ ${expression} }}" must start with one of ${[...roots].join(', ')}`,
      );
    }
    found.push({ path, expression });
    from = close + CLOSE.length;
  }
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i += 1;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
