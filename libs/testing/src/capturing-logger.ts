import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

/** A Temporal SDK logger that keeps every entry, for asserting what an activity logged. */
export class CapturingLogger implements Logger {
  readonly entries: Array<{ level: LogLevel; message: string; meta?: LogMetadata }> = [];
  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.entries.push({ level, message, meta });
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}
