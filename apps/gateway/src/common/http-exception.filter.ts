import type { ArgumentsHost, ExceptionFilter } from '@nestjs/common';
import { Catch, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { RuleValidationError } from '@ruleflow/rules';
import type { Request, Response } from 'express';
import { describeErrorForLog } from './error-log';
import { routePattern } from './route-pattern';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * The one place errors become HTTP answers: `{statusCode, error, message}`. Domain validation errors
 * are 400s; body-parser errors (malformed JSON, too large) keep their status; anything unexpected
 * is logged and answered as a plain 500 with no stack trace.
 */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const res = ctx.getResponse<Response>();
    const req = ctx.getRequest<Request>();
    const { status, message } = this.describe(exception);
    if (status >= 500) {
      // Never the raw error (SQL parameters, driver details), the URL (hook tokens, query values) or the body.
      this.logger.error(
        {
          error: describeErrorForLog(exception),
          route: routePattern(req),
          method: req.method,
        },
        exception instanceof Error ? exception.name : 'unexpected error',
      );
    }
    if (res.headersSent) return;
    res.status(status).json({ statusCode: status, error: REASONS[status] ?? 'Error', message });
  }

  private describe(exception: unknown): { status: number; message: string | string[] } {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      if (typeof body === 'string') return { status, message: body };
      const msg = (body as { message?: string | string[] }).message;
      return { status, message: msg ?? exception.message };
    }
    if (exception instanceof RuleValidationError) return { status: 400, message: exception.message };
    // body-parser / raw-body errors carry an HTTP status and a `type`.
    const e = exception as { status?: number; statusCode?: number; type?: string; message?: string };
    const status = e?.status ?? e?.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      if (e.type === 'entity.parse.failed') return { status: 400, message: 'request body is not valid JSON' };
      if (e.type === 'entity.too.large') return { status: 413, message: 'request body exceeds 1 MiB' };
      return { status, message: e.message ?? 'bad request' };
    }
    if (isDatabaseUnavailable(exception)) return { status: 503, message: 'the database is unavailable; retry later' };
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, message: 'internal error' };
  }
}

/** Pool exhaustion and lost connections are an outage, not a bug in the request: 503, so clients retry. */
function isDatabaseUnavailable(exception: unknown): boolean {
  const e = exception as { message?: string; code?: string; driverError?: { code?: string } } | undefined;
  const code = e?.code ?? e?.driverError?.code;
  if (code && ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '53300'].includes(code)) return true;
  return /timeout exceeded when trying to connect|Connection terminated/i.test(e?.message ?? '');
}
