/**
 * `when` on an action: a conditions group (the grammar of rule conditions) over the template
 * context (`data.total`, `steps.check.statusCode`, `parent.steps.x`, `event.type`…) rather than the
 * event data. It is evaluated in the workflow, in plain deterministic code, just before the action
 * would start; when it does not hold, the action is recorded `skipped`.
 *
 * Decided here: `changed*` operators are refused (compare `data.x` with `previous.x` instead), and
 * so is `matches`: its linear-time RE2 engine is WebAssembly, which the workflow sandbox cannot run,
 * and a backtracking engine there would let one pattern stall a worker.
 */
import { CHANGE_OPERATORS, compileConditions, forEachLeaf, normalizeConditions } from './conditions';
import { describeValue, isPlainObject } from './json';
import { splitPath } from './path';
import { TEMPLATE_ROOTS } from './templates';
import { RuleValidationError } from './types';
import type { Conditions, TemplateContext } from './types';

const REFUSED_OPERATORS: ReadonlyMap<string, string> = new Map([
  ...CHANGE_OPERATORS.map((op): [string, string] => [op, 'compare "data.<field>" with "previous.<field>" instead']),
  ['matches', 'regular expressions cannot be evaluated inside the workflow; use starts_with, ends_with or contains'],
]);

/** A field path of a `when` leaf that reads an action's output: `steps.<name>…`. */
export interface WhenStepReference {
  path: string;
  step: string;
}

/**
 * The stored form of an action's `when`; throws RuleValidationError naming the leaf (e.g.
 * `actions[1].when.all[0]`) for an unknown path root or operator, or one `when` cannot use.
 */
export function normalizeWhen(input: unknown, path: string, roots: readonly string[] = TEMPLATE_ROOTS): Conditions {
  // A bare list or a single leaf is read as an `all` group first, so that every error names the
  // leaf by its stored path (`when.all[0]`), whichever check finds it.
  const when = normalizeConditions(asGroup(input), path);
  forEachLeaf(when, path, (leaf, leafPath) => {
    const root = splitPath(leaf.field)[0] ?? '';
    if (!roots.includes(root)) {
      throw new RuleValidationError(
        leafPath,
        `"field" ${describeValue(leaf.field)} must start with one of ${roots.join(', ')} (e.g. "data.total")`,
      );
    }
    const refused = REFUSED_OPERATORS.get(leaf.operator);
    if (refused)
      throw new RuleValidationError(leafPath, `operator "${leaf.operator}" is not allowed in "when": ${refused}`);
  });
  return when;
}

function asGroup(input: unknown): unknown {
  if (Array.isArray(input)) return { all: input };
  if (isPlainObject(input) && (hasOwn(input, 'field') || hasOwn(input, 'operator'))) return { all: [input] };
  return input;
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** The `steps.<name>` each leaf reads, to check that `<name>` is an earlier action. */
export function whenStepReferences(when: Conditions, path: string): WhenStepReference[] {
  const found: WhenStepReference[] = [];
  forEachLeaf(when, path, (leaf, leafPath) => {
    const [root, step] = splitPath(leaf.field);
    if (root === 'steps' && step !== undefined) found.push({ path: leafPath, step });
  });
  return found;
}

/** Whether an action's `when` holds over the context its templates would see (absent: it holds). */
export function whenHolds(when: Conditions | undefined, context: TemplateContext): boolean {
  if (when === undefined) return true;
  return compileConditions(when)({ data: context as unknown as Record<string, unknown> });
}
