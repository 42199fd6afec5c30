/**
 * The entry point of a transform sandbox process (see transform-sandbox.ts): evaluates one task at
 * a time and answers over IPC with the result as JSON text or the TransformError's message.
 * Anything worse (V8 out of memory, a kill on overrun) ends the process, and the pool says why.
 */
import type { TransformLimit, TransformLimits } from './transform';
import { evaluateTransformToJson, TransformError } from './transform';

/** A task from the pool. */
export interface TransformTask {
  id: number;
  expression: string;
  data: unknown;
  limits: TransformLimits;
}

/** The process's answers: `ready` once loaded, then one reply per task. */
export type TransformReply =
  | { kind: 'ready' }
  | { kind: 'result'; id: number; json: string }
  | { kind: 'failed'; id: number; message: string; limit?: TransformLimit };

const send = (reply: TransformReply) => process.send?.(reply);

if (process.send) {
  process.on('message', (task: TransformTask) => {
    void evaluateTransformToJson(task.expression, task.data, task.limits).then(
      (json) => send({ kind: 'result', id: task.id, json }),
      (err: unknown) =>
        send(
          err instanceof TransformError
            ? { kind: 'failed', id: task.id, message: err.message, limit: err.limit }
            : { kind: 'failed', id: task.id, message: `transform failed: ${(err as Error)?.message ?? String(err)}` },
        ),
    );
  });
  // The pool went away (its process ended): nothing is left to answer.
  process.on('disconnect', () => process.exit(0));
  send({ kind: 'ready' });
}
