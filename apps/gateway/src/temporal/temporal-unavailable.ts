import type { Logger } from '@nestjs/common';
import { ServiceUnavailableException } from '@nestjs/common';

/** The one answer a client gets when Temporal fails a call: its own text (addresses, internals) is only logged. */
export const TEMPORAL_UNAVAILABLE = 'Temporal is unavailable; retry later';

/** A 503 with the fixed message; `what` and Temporal's error go to the log. */
export function temporalUnavailable(logger: Logger, what: string, err: unknown): ServiceUnavailableException {
  logger.warn(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  return new ServiceUnavailableException(TEMPORAL_UNAVAILABLE);
}
