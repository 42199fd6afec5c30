import { QueryFailedError } from 'typeorm';

/** What the 500 handler logs about an error: its kind, message and frames, never its data. */
export interface LoggedError {
  type: string;
  message?: string;
  code?: string;
  /** The stack frames only (the first line repeats the message). */
  frames?: string;
  /** A failed query: the SQL text with its `$1` placeholders, and what the driver said. */
  query?: string;
  driver?: Record<string, string>;
  cause?: LoggedError;
}

/** Errors whose message embeds the values they looked for (TypeORM's `matching: {…}`). */
const MESSAGE_HAS_VALUES = new Set(['EntityNotFoundError', 'EntityPropertyNotFoundError']);
/** Driver fields that name schema objects or say what went wrong; `detail` and `where` carry row values. */
const DRIVER_FIELDS = ['code', 'message', 'severity', 'table', 'column', 'constraint', 'routine'] as const;
const MAX_CAUSES = 3;

function isQueryFailed(err: Error): err is QueryFailedError {
  return err instanceof QueryFailedError || (err.name === 'QueryFailedError' && 'query' in err);
}

/**
 * A loggable description of anything thrown. An explicit allow-list, because loggers serialise every
 * enumerable field of an error: TypeORM's `parameters` (the event data of an INSERT), a driver's
 * `detail` ("Key (sku)=(…) already exists"), an HTTP client's `config` with its headers.
 */
export function describeErrorForLog(err: unknown, depth = 0): LoggedError {
  if (!(err instanceof Error)) return { type: err === null ? 'null' : typeof err };
  const out: LoggedError = { type: err.name };
  if (!MESSAGE_HAS_VALUES.has(err.name)) out.message = err.message;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = String(code);
  out.frames = err.stack
    ?.split('\n')
    .filter((line) => /^\s+at /.test(line))
    .join('\n');
  if (isQueryFailed(err)) {
    out.query = err.query;
    const driver = err.driverError as unknown as Record<string, unknown> | undefined;
    out.driver = Object.fromEntries(
      DRIVER_FIELDS.filter((f) => typeof driver?.[f] === 'string').map((f) => [f, driver![f] as string]),
    );
  } else if (err.cause !== undefined && depth < MAX_CAUSES) {
    out.cause = describeErrorForLog(err.cause, depth + 1);
  }
  return out;
}
