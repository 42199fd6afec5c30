import type { Logger } from '@nestjs/common';
import { asSystem } from '@ruleflow/entities';

/** A background sweep that runs every `intervalMs`, one pass at a time, until stopped. */
export interface SweepLoop {
  /** Stop scheduling passes and wait for the one under way. */
  stop(): Promise<void>;
}

/**
 * Run `pass` now and then `intervalMs` after each pass ends, in the system database scope (sweeps
 * look at every tenant's rows). A failed pass is logged as `<what> failed: …` and the loop goes on.
 */
export function startSweepLoop(
  what: string,
  intervalMs: number,
  logger: Logger,
  pass: () => Promise<unknown>,
): SweepLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = () => {
    if (stopped) return;
    running = asSystem(pass)
      .then(() => undefined)
      .catch((err: unknown) => logger.warn(`${what} failed: ${(err as Error).message}`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
