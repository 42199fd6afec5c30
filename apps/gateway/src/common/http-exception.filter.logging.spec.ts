import { Writable } from 'node:stream';
import type { ArgumentsHost } from '@nestjs/common';
import { Logger as NestLogger } from '@nestjs/common';
import { Logger as PinoNestLogger, PinoLogger } from 'nestjs-pino';
import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { AllExceptionsFilter } from './http-exception.filter';

/**
 * The 500 handler logs through the same nestjs-pino logger as the app, captured here as JSON lines:
 * it must log the query text and the driver's code and message, never SQL parameters (event data),
 * the driver's `detail` (row values), the request body or the raw URL (a hook token).
 */
describe('AllExceptionsFilter: what a 500 logs', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  beforeAll(() => {
    NestLogger.overrideLogger(new PinoNestLogger(new PinoLogger({ pinoHttp: [{ level: 'info' }, sink] }), {}));
  });
  beforeEach(() => (lines.length = 0));

  const SECRETS = [
    'param-secret-1',
    'param-secret-2',
    'detail-secret',
    'body-secret',
    'tok_url_secret',
    'config-secret',
  ];

  function answer(exception: unknown): { status?: number; body?: unknown } {
    const res: { status?: number; body?: unknown } = {};
    const response = {
      headersSent: false,
      status: (code: number) => ((res.status = code), response),
      json: (body: unknown) => ((res.body = body), response),
    };
    const req = {
      method: 'POST',
      url: '/v1/hooks/tok_url_secret?x=1',
      originalUrl: '/v1/hooks/tok_url_secret?x=1',
      route: { path: '/v1/hooks/:token' },
      body: { card: 'body-secret' },
      headers: { 'x-api-key': 'rf_header_secret' },
    };
    const host = { switchToHttp: () => ({ getRequest: () => req, getResponse: () => response }) };
    new AllExceptionsFilter().catch(exception, host as unknown as ArgumentsHost);
    return res;
  }

  function queryFailed(): QueryFailedError {
    const driver = new DatabaseError('duplicate key value violates unique constraint "uq_events_key"', 120, 'error');
    driver.code = '23505';
    driver.detail = 'Key (tenant_id, key)=(t, detail-secret) already exists.';
    driver.constraint = 'uq_events_key';
    driver.table = 'events';
    return new QueryFailedError(
      'INSERT INTO "events"("key", "data") VALUES ($1, $2)',
      ['param-secret-1', { nested: 'param-secret-2' }],
      driver,
    );
  }

  it('a QueryFailedError: the query text, code and message, and no parameter values', () => {
    const res = answer(queryFailed());
    expect(res).toEqual({
      status: 500,
      body: { statusCode: 500, error: 'Internal Server Error', message: 'internal error' },
    });
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(entry.level).toBe(50);
    const text = lines[0]!;
    expect(text).toContain('INSERT INTO \\"events\\"(\\"key\\", \\"data\\") VALUES ($1, $2)');
    expect(text).toContain('23505');
    expect(text).toContain('duplicate key value violates unique constraint');
    expect(text).toContain('/v1/hooks/:token');
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(text).not.toContain('rf_header_secret');
  });

  it('any other error: its own fields and a wrapped cause are not dumped either', () => {
    const err = Object.assign(new Error('boom', { cause: queryFailed() }), {
      parameters: ['param-secret-1'],
      config: { password: 'config-secret' },
      code: 'E_BOOM',
    });
    expect(answer(err).status).toBe(500);
    expect(lines).toHaveLength(1);
    const text = lines[0]!;
    expect(text).toContain('boom');
    expect(text).toContain('E_BOOM');
    expect(text).toContain('23505'); // the cause is described, safely
    for (const secret of SECRETS) expect(text).not.toContain(secret);
  });

  it('a thrown non-Error is logged by its type only', () => {
    expect(answer({ parameters: ['param-secret-1'], body: 'body-secret' }).status).toBe(500);
    expect(lines).toHaveLength(1);
    for (const secret of SECRETS) expect(lines[0]).not.toContain(secret);
  });
});
