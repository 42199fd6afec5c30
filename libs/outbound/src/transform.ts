/**
 * An endpoint's `transform`: a JSONata expression applied to the shaped `data` of each delivery.
 *
 * Checked when the endpoint is saved (syntax, length) and bounded when it runs. This file is what
 * runs inside the sandbox's child process (transform-sandbox.ts, which adds the hard memory and
 * wall-clock limits): a time limit and a nesting limit checked at every evaluation step (JSONata
 * guardrails), regular expressions on RE2 (linear time, no catastrophic backtracking), and a cap on
 * the size of what comes out. It imports nothing but JSONata and RE2, so the sandbox process loads it alone.
 */
import jsonata from 'jsonata';
import { RE2 } from 're2-wasm';

export const TRANSFORM_LIMITS = {
  maxExpressionLength: 10_000,
  timeoutMs: 1_000,
  maxDepth: 200,
  maxOutputBytes: 1024 * 1024,
} as const;

/** The limits one evaluation runs under (the time limit comes from config `transforms.timeoutMs`). */
export type TransformLimits = { readonly [K in keyof typeof TRANSFORM_LIMITS]: number };

/** Which limit stopped an evaluation. */
export type TransformLimit = 'time' | 'memory' | 'depth' | 'size';

/** A transform that cannot be compiled or evaluated; the message names the problem and where. */
export class TransformError extends Error {
  constructor(
    message: string,
    /** Set when a limit stopped it (not an error of the expression on this data). */
    readonly limit?: TransformLimit,
  ) {
    super(message);
    this.name = 'TransformError';
  }
}

interface JsonataError {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

/**
 * The regexes compiled by the evaluation under way. re2-wasm's heap is a fixed 16 MiB and a compiled
 * RE2 is freed only by an explicit delete(), so each evaluation frees its own when it ends; without
 * that, a process fails every regex after a few thousand evaluations.
 */
const liveRegexes: RE2[] = [];

function freeRegexes(): void {
  for (const re of liveRegexes.splice(0)) {
    // `wrapper` is re2-wasm's private embind handle, as in @ruleflow/rules/node/safe-regex.
    (re as unknown as { wrapper?: { delete?: () => void } }).wrapper?.delete?.();
  }
}

/** JSONata's regex hook with RE2 behind it: JSONata calls `exec` repeatedly, reading `lastIndex`. */
class Re2Engine {
  private readonly re: RE2;
  lastIndex = 0;

  constructor(pattern: RegExp | string) {
    const source = pattern instanceof RegExp ? pattern.source : String(pattern);
    const flags = pattern instanceof RegExp ? pattern.flags.replace(/[^ims]/g, '') : '';
    this.re = new RE2(source, `${flags}gu`);
    liveRegexes.push(this.re);
  }

  exec(input: string): RegExpExecArray | null {
    this.re.lastIndex = this.lastIndex;
    const match = this.re.exec(input) as unknown as RegExpExecArray | null;
    this.lastIndex = this.re.lastIndex;
    return match;
  }
}

function failure(prefix: string, err: unknown, limits: TransformLimits): TransformError {
  const e = err as JsonataError;
  if (e?.code === 'D1012') return new TransformError(`${prefix}took longer than ${limits.timeoutMs} ms`, 'time');
  if (e?.code === 'D1011') return new TransformError(`${prefix}nests deeper than ${limits.maxDepth} levels`, 'depth');
  if (err instanceof RangeError) {
    return /call stack/i.test(err.message)
      ? new TransformError(`${prefix}nests too deeply`, 'depth')
      : new TransformError(`${prefix}grows too large (${err.message})`, 'size');
  }
  const at = typeof e?.position === 'number' ? ` at position ${e.position}` : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return new TransformError(`${prefix}${message}${at}${e?.code ? ` (${e.code})` : ''}`);
}

function compile(expression: string, limits: TransformLimits): jsonata.Expression {
  if (expression.length > limits.maxExpressionLength) {
    throw new TransformError(`is longer than ${limits.maxExpressionLength} characters`);
  }
  try {
    return jsonata(expression, {
      RegexEngine: Re2Engine as unknown as RegExpConstructor,
      timeout: limits.timeoutMs,
      stack: limits.maxDepth,
    });
  } catch (err) {
    throw failure('is not valid JSONata: ', err, limits);
  }
}

/** Throws a TransformError naming the problem when `expression` is not valid JSONata (for saving an endpoint). */
export function validateTransform(expression: string): void {
  compile(expression, TRANSFORM_LIMITS);
}

/**
 * `expression` over `data` in this process, within the step-checked limits: the result as JSON text
 * (`null` for no result). One at a time: only the sandbox process calls this; everyone else uses `applyTransform`.
 */
export async function evaluateTransformToJson(
  expression: string,
  data: unknown,
  limits: TransformLimits,
): Promise<string> {
  const compiled = compile(expression, limits);
  let result: unknown;
  try {
    result = await compiled.evaluate(data);
  } catch (err) {
    throw failure('transform failed: ', err, limits);
  } finally {
    freeRegexes();
  }
  if (result === undefined) return 'null';
  const tooLarge = () =>
    new TransformError(`transform failed: its result is larger than ${limits.maxOutputBytes} bytes`, 'size');
  let text: string | undefined;
  try {
    text = JSON.stringify(result);
  } catch (err) {
    throw err instanceof RangeError ? tooLarge() : new TransformError('transform failed: its result is not JSON');
  }
  if (text !== undefined && Buffer.byteLength(text) > limits.maxOutputBytes) throw tooLarge();
  // Through JSON: JSONata sequences and functions become plain data.
  return text ?? 'null';
}
