import type { ActivityInterceptorsFactory } from '@temporalio/worker';

/**
 * An error's stack (and its causes') with `root` cut off the file paths: `at x (/srv/ruleflow/libs/a.ts:1:2)`
 * reads `at x (libs/a.ts:1:2)`. A failure's stack goes into the run's history, which the Temporal UI shows
 * to whoever opens the run: it must not tell where the worker's files live.
 */
export function relativizeStack(err: unknown, root: string): void {
  const prefix = root.endsWith('/') ? root : `${root}/`;
  for (let e = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e.stack) e.stack = e.stack.split(prefix).join('');
  }
}

/** The worker's activity interceptor: an activity's failure leaves with paths relative to `root`. */
export function relativeStackInterceptors(root: string): ActivityInterceptorsFactory {
  return () => ({
    inbound: {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          relativizeStack(err, root);
          throw err;
        }
      },
    },
  });
}
