/**
 * An endpoint's `transform`: a JSONata expression applied to the shaped `data` of each delivery.
 *
 * Checked when the endpoint is saved (syntax) and bounded when it runs, so a hostile expression
 * cannot stall a worker: a time limit and a nesting limit checked at every evaluation step (JSONata
 * guardrails), regular expressions on RE2 (linear time, no catastrophic backtracking), and a cap on
 * the size of what comes out.
 */
import jsonata from 'jsonata';
import { RE2 } from 're2-wasm';

export const TRANSFORM_LIMITS = {
  maxExpressionLength: 10_000,
  timeoutMs: 1_000,
  maxDepth: 200,
  maxOutputBytes: 1024 * 1024,
} as const;

/** A transform that cannot be compiled or evaluated; the message names the problem and where. */
export class TransformError extends Error {
  constructor(message: string) {
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

/** JSONata's regex hook with RE2 behind it: JSONata calls `exec` repeatedly, reading `lastIndex`. */
class Re2Engine {
  private readonly re: RE2;
  lastIndex = 0;

  constructor(pattern: RegExp | string) {
    const source = pattern instanceof RegExp ? pattern.source : String(pattern);
    const flags = pattern instanceof RegExp ? pattern.flags.replace(/[^ims]/g, '') : '';
    this.re = new RE2(source, `${flags}gu`);
  }

  exec(input: string): RegExpExecArray | null {
    this.re.lastIndex = this.lastIndex;
    const match = this.re.exec(input) as unknown as RegExpExecArray | null;
    this.lastIndex = this.re.lastIndex;
    return match;
  }
}

function describe(err: unknown): string {
  const e = err as JsonataError;
  const at = typeof e?.position === 'number' ? ` at position ${e.position}` : '';
  if (e?.code === 'D1012') return `took longer than ${TRANSFORM_LIMITS.timeoutMs} ms`;
  if (e?.code === 'D1011') return `nests deeper than ${TRANSFORM_LIMITS.maxDepth} levels`;
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return `${message}${at}${e?.code ? ` (${e.code})` : ''}`;
}

function compile(expression: string): jsonata.Expression {
  if (expression.length > TRANSFORM_LIMITS.maxExpressionLength) {
    throw new TransformError(`is longer than ${TRANSFORM_LIMITS.maxExpressionLength} characters`);
  }
  try {
    return jsonata(expression, {
      RegexEngine: Re2Engine as unknown as RegExpConstructor,
      timeout: TRANSFORM_LIMITS.timeoutMs,
      stack: TRANSFORM_LIMITS.maxDepth,
    });
  } catch (err) {
    throw new TransformError(`is not valid JSONata: ${describe(err)}`);
  }
}

/** Throws a TransformError naming the problem when `expression` is not valid JSONata (for saving an endpoint). */
export function validateTransform(expression: string): void {
  compile(expression);
}

/** `expression` over `data`, within the limits; `undefined` results become `null`. */
export async function applyTransform(expression: string, data: unknown): Promise<unknown> {
  const compiled = compile(expression);
  let result: unknown;
  try {
    result = await compiled.evaluate(data);
  } catch (err) {
    throw new TransformError(`transform failed: ${describe(err)}`);
  }
  if (result === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(result);
  } catch {
    throw new TransformError('transform failed: its result is not JSON');
  }
  if (text !== undefined && Buffer.byteLength(text) > TRANSFORM_LIMITS.maxOutputBytes) {
    throw new TransformError(`transform failed: its result is larger than ${TRANSFORM_LIMITS.maxOutputBytes} bytes`);
  }
  // Through JSON: JSONata sequences and functions become plain data.
  return text === undefined ? null : (JSON.parse(text) as unknown);
}
