import http from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import type { DeliveryAttempt, DeliveryRef, DeliveryStatus, DeliveryStore } from '@ruleflow/entities';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { CapturingLogger, verifyStandardWebhook } from '@ruleflow/testing';
import { MAX_RESPONSE_BODY_BYTES, WEBHOOK_USER_AGENT } from '@ruleflow/outbound';
import { generateWebhookSecret } from '@ruleflow/outbound';
import type { WebhookActionInput, WebhookActionOutput } from './webhook.activities';
import { createWebhookActivities, RECORDED_RESPONSE_BYTES } from './webhook.activities';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

/** Records every attempt exactly as the activity reports it. */
class MemoryDeliveryStore implements DeliveryStore {
  readonly calls: Array<{ delivery: DeliveryRef; attempt: DeliveryAttempt; status: DeliveryStatus }> = [];
  recordAttempt(delivery: DeliveryRef, attempt: DeliveryAttempt, status: DeliveryStatus): Promise<void> {
    this.calls.push({ delivery, attempt, status });
    return Promise.resolve();
  }
  get statuses(): DeliveryStatus[] {
    return this.calls.map((c) => c.status);
  }
}

describe('deliverWebhook against a real local HTTP server', () => {
  let server: http.Server;
  let base: string;
  let port: number;
  let received: Received[];
  let handler: Handler;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });

  beforeEach(() => {
    received = [];
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ ok: true }));
    };
  });

  // The timeout test leaves a request hanging on purpose.
  afterEach(() => server.closeAllConnections());
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const secret = generateWebhookSecret();

  function input(overrides: Partial<WebhookActionInput> = {}): WebhookActionInput {
    return {
      tenantId: '00000000-0000-4000-8000-000000000001',
      executionId: '00000000-0000-4000-8000-000000000002',
      actionName: 'erp',
      webhookId: null,
      deliveryId: '00000000-0000-4000-8000-0000000000d1',
      eventType: 'orders.on_update',
      url: `${base}/hook`,
      method: 'POST',
      headers: { 'X-Custom': 'yes' },
      body: { type: 'orders.on_update', data: { id: 42 } },
      secrets: [secret],
      maximumAttempts: 5,
      ...overrides,
    };
  }

  function setup(opts: { allowPrivateNetworks?: boolean; timeoutMs?: number; now?: () => Date } = {}) {
    const store = new MemoryDeliveryStore();
    const { deliverWebhook } = createWebhookActivities({
      deliveries: store,
      allowPrivateNetworks: opts.allowPrivateNetworks ?? true,
      timeoutMs: opts.timeoutMs ?? 5000,
      now: opts.now,
    });
    const run = (attempt: number, args: WebhookActionInput): Promise<WebhookActionOutput> =>
      new MockActivityEnvironment({ attempt }, { logger: new CapturingLogger() }).run(deliverWebhook, args);
    return { store, run };
  }

  /** The ApplicationFailure an attempt threw; fails the test when it did not throw one. */
  async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    return err as ApplicationFailure;
  }

  it('signs per Standard Webhooks and returns the parsed response', async () => {
    const { store, run } = setup();
    const out = await run(1, input());

    expect(out).toEqual({ statusCode: 200, body: { ok: true }, attempts: 1, deliveryId: input().deliveryId });
    expect(received).toHaveLength(1);
    const req = received[0]!;
    expect(req.method).toBe('POST');
    expect(req.body).toBe(JSON.stringify(input().body));
    expect(req.headers['user-agent']).toBe(WEBHOOK_USER_AGENT);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-custom']).toBe('yes');
    expect(req.headers['webhook-id']).toBe(input().deliveryId);
    expect(req.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
    expect(verifyStandardWebhook(secret, req)).toEqual(input().body);
    // A different secret must not verify: the check above is not vacuous.
    expect(() => verifyStandardWebhook(generateWebhookSecret(), req)).toThrow(/No matching signature/);

    expect(store.calls).toHaveLength(1);
    expect(store.calls[0]).toEqual({
      delivery: {
        id: input().deliveryId,
        tenantId: input().tenantId,
        webhookId: null,
        executionId: input().executionId,
        actionName: 'erp',
        eventType: 'orders.on_update',
        url: `${base}/hook`,
      },
      attempt: {
        attemptNumber: 1,
        statusCode: 200,
        error: null,
        durationMs: expect.any(Number),
        responseBody: '{"ok":true}',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      },
      status: 'success',
    });
  });

  it('sends one signature per active secret during a rotation, each verifiable on its own', async () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const { run } = setup();
    await run(1, input({ secrets: [newSecret, oldSecret] }));

    const req = received[0]!;
    expect(String(req.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verifyStandardWebhook(newSecret, req)).toEqual(input().body);
    expect(verifyStandardWebhook(oldSecret, req)).toEqual(input().body);
    expect(() => verifyStandardWebhook(secret, req)).toThrow();
  });

  it('sends a string body as is, and no signature without secrets', async () => {
    const { run } = setup();
    await run(1, input({ body: 'plain <text>', secrets: [], headers: { 'Content-Type': 'text/plain' } }));
    const req = received[0]!;
    expect(req.body).toBe('plain <text>');
    expect(req.headers['content-type']).toBe('text/plain');
    expect(req.headers['webhook-id']).toBe(input().deliveryId);
    expect(req.headers['webhook-signature']).toBeUndefined();
  });

  it('a GET carries no body and its signature covers the empty string', async () => {
    const { run } = setup();
    await run(1, input({ method: 'GET' }));
    const req = received[0]!;
    expect(req.method).toBe('GET');
    expect(req.body).toBe('');
    expect(req.headers['content-length']).toBeUndefined();
    expect(verifyStandardWebhook(secret, { ...req, body: '' })).toBeUndefined();
  });

  it('503 is retryable, with attempt and status in the details, and recorded as retrying', async () => {
    handler = (_req, res) => {
      res.writeHead(503);
      res.end('down for maintenance');
    };
    const { store, run } = setup();
    const failure = await failureOf(run(2, input()));

    expect(failure.type).toBe('WebhookRetryableError');
    expect(failure.nonRetryable).toBeFalsy();
    expect(failure.details).toEqual([{ attempt: 2, statusCode: 503 }]);
    expect(failure.nextRetryDelay).toBeUndefined();
    expect(failure.message).toBe('webhook answered 503 Service Unavailable: down for maintenance');
    expect(store.calls[0]?.attempt).toMatchObject({
      attemptNumber: 2,
      statusCode: 503,
      error: '503 Service Unavailable',
      responseBody: 'down for maintenance',
    });
    expect(store.statuses).toEqual(['retrying']);
  });

  it('numbers on from firstAttempt after a local first attempt, and records the last attempt by that number as failed', async () => {
    handler = (_req, res) => {
      res.writeHead(503);
      res.end('down');
    };
    const { store, run } = setup();
    // Temporal's attempt 1 of the regular activity is the action's attempt 2; with 3 in all, its attempt 2 is the last.
    const retrying = await failureOf(run(1, { ...input(), maximumAttempts: 3, firstAttempt: 2 }));
    expect(retrying.details).toEqual([{ attempt: 2, statusCode: 503 }]);
    expect(retrying.nonRetryable).toBeFalsy();
    const last = await failureOf(run(2, { ...input(), maximumAttempts: 3, firstAttempt: 2 }));
    expect(last.details).toEqual([{ attempt: 3, statusCode: 503 }]);
    expect(store.calls.map((c) => c.attempt.attemptNumber)).toEqual([2, 3]);
    expect(store.statuses).toEqual(['retrying', 'failed']);
  });

  it('honours Retry-After in seconds and as an HTTP date, capped at one hour', async () => {
    const fixed = new Date('2030-01-01T00:00:00Z');
    const { run } = setup({ now: () => fixed });
    const answer = (retryAfter: string, status = 429) => {
      handler = (_req, res) => {
        res.writeHead(status, { 'retry-after': retryAfter });
        res.end();
      };
    };

    answer('7');
    expect((await failureOf(run(1, input()))).nextRetryDelay).toBe(7000);

    answer(new Date(fixed.getTime() + 30_000).toUTCString(), 503);
    expect((await failureOf(run(1, input()))).nextRetryDelay).toBe(30_000);

    answer('86400');
    expect((await failureOf(run(1, input()))).nextRetryDelay).toBe(3_600_000);

    answer('soon');
    expect((await failureOf(run(1, input()))).nextRetryDelay).toBeUndefined();
  });

  it('408 is retryable too', async () => {
    handler = (_req, res) => {
      res.writeHead(408);
      res.end();
    };
    const failure = await failureOf(setup().run(1, input()));
    expect(failure.type).toBe('WebhookRetryableError');
    expect(failure.nonRetryable).toBeFalsy();
  });

  it('400 fails at once, naming the status and the start of the body', async () => {
    const long = `{"error":"bad field","pad":"${'x'.repeat(500)}"}`;
    handler = (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(long);
    };
    const { store, run } = setup();
    const failure = await failureOf(run(1, input()));

    expect(failure.type).toBe('WebhookRejectedError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.details).toEqual([{ attempt: 1, statusCode: 400 }]);
    expect(failure.message).toBe(`webhook answered 400 Bad Request: ${long.slice(0, 200)}`);
    expect(store.statuses).toEqual(['failed']);
  });

  it('302 fails at once and the redirect is not followed', async () => {
    handler = (req, res) => {
      if (req.url === '/target') {
        res.end('followed');
        return;
      }
      res.writeHead(302, { location: `${base}/target` });
      res.end();
    };
    const { store, run } = setup();
    const failure = await failureOf(run(1, input()));

    expect(failure.type).toBe('WebhookRejectedError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^webhook answered 302 Found.*not followed/);
    expect(received.map((r) => r.url)).toEqual(['/hook']);
    expect(store.calls[0]).toMatchObject({ attempt: { statusCode: 302 }, status: 'failed' });
  });

  it('a refused connection is retryable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const { store, run } = setup();
    const failure = await failureOf(run(1, input({ url: `http://127.0.0.1:${deadPort}/hook` })));
    expect(failure.type).toBe('WebhookRetryableError');
    expect(failure.nonRetryable).toBeFalsy();
    expect(failure.message).toMatch(/ECONNREFUSED/);
    expect(failure.details).toEqual([{ attempt: 1, statusCode: null }]);
    expect(store.calls[0]).toMatchObject({
      attempt: { statusCode: null, error: expect.stringMatching(/ECONNREFUSED/) },
    });
  });

  it('a TLS failure (https to a plain HTTP port) is retryable with a short TLS message', async () => {
    const failure = await failureOf(setup().run(1, input({ url: `https://127.0.0.1:${port}/hook` })));
    expect(failure.type).toBe('WebhookRetryableError');
    expect(failure.message).toMatch(/^webhook request failed: TLS error: .*\(EPROTO\)$/);
    expect(failure.message.length).toBeLessThan(300);
  });

  it('a server that never answers times out, retryably, within about a second', async () => {
    handler = () => undefined;
    const { store, run } = setup({ timeoutMs: 300 });
    const started = Date.now();
    const failure = await failureOf(run(1, input()));
    const took = Date.now() - started;

    expect(received).toHaveLength(1);
    expect(failure.type).toBe('WebhookRetryableError');
    expect(failure.message).toBe('webhook request failed: timed out after 300ms');
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(1000);
    expect(store.calls[0]?.attempt.error).toBe('timed out after 300ms');
  });

  it('a slow body is bounded by the same total timeout', async () => {
    handler = (_req, res) => {
      res.writeHead(200);
      res.write('partial');
    };
    const failure = await failureOf(setup({ timeoutMs: 300 }).run(1, input()));
    expect(failure.message).toBe('webhook request failed: timed out after 300ms');
  });

  it('refuses 127.0.0.1 and localhost when private networks are closed, before any request is sent', async () => {
    const { store, run } = setup({ allowPrivateNetworks: false });

    const literal = await failureOf(run(1, input()));
    expect(literal.type).toBe('WebhookForbiddenUrl');
    expect(literal.nonRetryable).toBe(true);
    expect(literal.message).toMatch(/127\.0\.0\.1 is not allowed: loopback/);

    // A host name goes through DNS and is refused at connect time by safeLookup.
    const named = await failureOf(run(1, input({ url: `http://localhost:${port}/hook` })));
    expect(named.type).toBe('WebhookForbiddenUrl');
    expect(named.nonRetryable).toBe(true);
    expect(named.message).toMatch(/"localhost" resolved to .*loopback/);

    expect(received).toHaveLength(0);
    expect(store.statuses).toEqual(['failed', 'failed']);
  });

  it('keeps the webhook-id across attempts with a fresh timestamp each time; retrying then success', async () => {
    let calls = 0;
    handler = (_req, res) => {
      calls++;
      res.writeHead(calls === 1 ? 500 : 200, { 'content-type': 'text/plain' });
      res.end(calls === 1 ? 'boom' : 'thanks');
    };
    let clock = Date.now() - 60_000;
    const { store, run } = setup({ now: () => new Date(clock) });

    await failureOf(run(1, input()));
    clock += 45_000;
    const out = await run(2, input());

    expect(out).toEqual({ statusCode: 200, body: 'thanks', attempts: 2, deliveryId: input().deliveryId });
    const [first, second] = received;
    expect(first!.headers['webhook-id']).toBe(input().deliveryId);
    expect(second!.headers['webhook-id']).toBe(input().deliveryId);
    expect(Number(second!.headers['webhook-timestamp']) - Number(first!.headers['webhook-timestamp'])).toBe(45);
    expect(first!.headers['webhook-signature']).not.toBe(second!.headers['webhook-signature']);
    for (const r of received) expect(verifyStandardWebhook(secret, r)).toEqual(input().body);

    expect(store.statuses).toEqual(['retrying', 'success']);
    expect(store.calls.map((c) => c.attempt.attemptNumber)).toEqual([1, 2]);
    expect(store.calls.every((c) => c.delivery.id === input().deliveryId)).toBe(true);
  });

  it('marks the delivery failed on the last attempt', async () => {
    handler = (_req, res) => {
      res.writeHead(502);
      res.end();
    };
    const { store, run } = setup();
    await failureOf(run(2, input({ maximumAttempts: 3 })));
    const last = await failureOf(run(3, input({ maximumAttempts: 3 })));

    expect(last.type).toBe('WebhookRetryableError');
    expect(last.details).toEqual([{ attempt: 3, statusCode: 502 }]);
    expect(store.statuses).toEqual(['retrying', 'failed']);
  });

  it('never puts a secret in a message, even when the receiver echoes it', async () => {
    const echoed = generateWebhookSecret();
    handler = (_req, res) => {
      res.writeHead(400);
      res.end(`your secret ${echoed} and its key ${echoed.slice('whsec_'.length)}`);
    };
    const { store, run } = setup();
    const failure = await failureOf(run(1, input({ secrets: [echoed] })));
    expect(failure.message).not.toContain(echoed.slice('whsec_'.length));
    expect(failure.message).toContain('[redacted]');
    expect(store.calls[0]?.attempt.responseBody).not.toContain(echoed.slice('whsec_'.length));

    const bad = 'whsec_not*base64!secret-value';
    const invalid = await failureOf(run(1, input({ secrets: [bad] })));
    expect(invalid.type).toBe('WebhookInvalidRequest');
    expect(invalid.nonRetryable).toBe(true);
    expect(invalid.message).not.toContain('not*base64');
  });

  it('a header that would inject CR/LF fails at once without a request', async () => {
    const { store, run } = setup();
    const failure = await failureOf(run(1, input({ headers: { 'X-Evil': 'a\r\nX-Injected: 1' } })));
    expect(failure.type).toBe('WebhookInvalidRequest');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toMatch(/^invalid request: .*X-Evil/);
    expect(received).toHaveLength(0);
    expect(store.statuses).toEqual(['failed']);
  });

  it('an unsupported method fails at once without a request', async () => {
    const failure = await failureOf(setup().run(1, input({ method: 'TRACE' as 'GET' })));
    expect(failure.type).toBe('WebhookInvalidRequest');
    expect(failure.message).toBe('unsupported HTTP method "TRACE"');
    expect(received).toHaveLength(0);
  });

  it('reads at most 64 KiB of a huge response and records at most 4 KiB', async () => {
    let produced = 0;
    const total = 64 * 1024 * 1024;
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(16 * 1024, 'a');
      Readable.from(
        (function* () {
          while (produced < total) {
            produced += chunk.length;
            yield chunk;
          }
        })(),
      )
        .on('error', () => undefined)
        .pipe(res)
        .on('error', () => undefined);
    };
    const { store, run } = setup();
    const out = await run(1, input());

    expect(out.statusCode).toBe(200);
    expect(out.body).toHaveLength(MAX_RESPONSE_BODY_BYTES);
    expect(Buffer.byteLength(store.calls[0]!.attempt.responseBody!)).toBe(RECORDED_RESPONSE_BYTES);
    // The client hung up: the server stopped long before producing the whole body.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(produced).toBeLessThan(total / 4);
  });

  it('a failing delivery store does not change the outcome', async () => {
    const { deliverWebhook } = createWebhookActivities({
      deliveries: { recordAttempt: () => Promise.reject(new Error('database is down')) },
      allowPrivateNetworks: true,
      timeoutMs: 5000,
    });
    const logger = new CapturingLogger();
    const out: WebhookActionOutput = await new MockActivityEnvironment({ attempt: 1 }, { logger }).run(
      deliverWebhook,
      input(),
    );
    expect(out.statusCode).toBe(200);
    expect(received).toHaveLength(1);
    expect(logger.entries).toContainEqual(
      expect.objectContaining({
        level: 'WARN',
        message: 'could not record webhook delivery attempt',
        meta: expect.objectContaining({ error: 'database is down' }),
      }),
    );
  });
});
