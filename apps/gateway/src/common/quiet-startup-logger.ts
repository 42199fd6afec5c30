import type { LoggerService } from '@nestjs/common';

/** The contexts of Nest's start-up listing: one line per module and per route (about 150 lines). */
const STARTUP_LISTING: ReadonlySet<string> = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * The gateway's logger with Nest's start-up listing at debug instead of info, so `npm start` and a
 * production log begin with what matters (`LOG_LEVEL=debug` shows the listing). Every other line, and
 * every warning and error whatever its context, goes through unchanged.
 */
export class QuietStartupLogger implements LoggerService {
  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...params: unknown[]): void {
    const context = params[params.length - 1];
    if (typeof context === 'string' && STARTUP_LISTING.has(context) && this.inner.debug) {
      this.inner.debug(message, ...params);
      return;
    }
    this.inner.log(message, ...params);
  }

  error(message: unknown, ...params: unknown[]): void {
    this.inner.error(message, ...params);
  }

  warn(message: unknown, ...params: unknown[]): void {
    this.inner.warn(message, ...params);
  }

  debug(message: unknown, ...params: unknown[]): void {
    this.inner.debug?.(message, ...params);
  }

  verbose(message: unknown, ...params: unknown[]): void {
    this.inner.verbose?.(message, ...params);
  }

  fatal(message: unknown, ...params: unknown[]): void {
    this.inner.fatal?.(message, ...params);
  }
}
