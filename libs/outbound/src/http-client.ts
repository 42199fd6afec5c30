import http from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { NetworkPolicy } from './ssrf';
import { ForbiddenAddressError, isAddressAllowed, safeLookup, urlHostname } from './ssrf';

/** Same as the `WEBHOOK_TIMEOUT_MS` default in `@ruleflow/config`; the worker passes the configured value. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;
/** At most this much of a response body is read from the socket; the rest is never downloaded. */
export const MAX_RESPONSE_BODY_BYTES = 64 * 1024;
export const WEBHOOK_USER_AGENT = 'Ruleflow-Webhooks/1.0';

export type WebhookMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'GET';

export interface WebhookRequest {
  url: string;
  method: WebhookMethod;
  headers: Record<string, string>;
  body: string;
  /** Hard limit on the whole exchange: DNS, connect, TLS, headers and body. */
  timeoutMs?: number;
  allowPrivateNetworks: boolean;
  /** Replaces DNS resolution in tests. */
  resolve?: NetworkPolicy['resolve'];
}

export interface WebhookResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  /** At most {@link MAX_RESPONSE_BODY_BYTES}, decoded as UTF-8. */
  body: string;
  durationMs: number;
}

/**
 * Why no HTTP status came back. `code` is ECONNREFUSED, ETIMEDOUT (our own total timeout),
 * ERR_FORBIDDEN_ADDRESS, ERR_INVALID_URL, ERR_INVALID_REQUEST, a TLS code, …
 */
export class WebhookNetworkError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly durationMs: number,
  ) {
    super(message);
    this.name = 'WebhookNetworkError';
  }

  /** Failures that another attempt cannot fix. */
  get permanent(): boolean {
    return PERMANENT_CODES.has(this.code);
  }
}

const PERMANENT_CODES = new Set(['ERR_FORBIDDEN_ADDRESS', 'ERR_INVALID_URL', 'ERR_INVALID_REQUEST']);

/**
 * Headers a caller may not set: framing and connection management belong to the client, and a
 * forged Content-Length or Transfer-Encoding would corrupt the request.
 */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'proxy-connection',
  'expect',
]);

/**
 * One outbound webhook request over node:http(s). Redirects are not followed (a 3xx comes back
 * as is), forbidden addresses are refused before connecting, and the whole exchange is bounded
 * by `timeoutMs`. Anything without an HTTP status is thrown as a {@link WebhookNetworkError}.
 */
export function sendWebhookRequest(req: WebhookRequest): Promise<WebhookResponse> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const policy: NetworkPolicy = { allowPrivateNetworks: req.allowPrivateNetworks, resolve: req.resolve };
  const target = checkTarget(req.url, policy);
  if ('code' in target) return Promise.reject(new WebhookNetworkError(target.code, target.message, elapsed()));
  return exchange({
    url: target,
    method: req.method,
    ...outgoingMessage(req),
    policy,
    timeoutMs: req.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS,
    elapsed,
  });
}

/** Why a request was refused before any connection: a {@link WebhookNetworkError}'s code and message. */
interface Refusal {
  code: string;
  message: string;
}

/** The URL to send to, or why it may not be used: not http(s), with credentials, or a forbidden literal IP. */
function checkTarget(raw: string, policy: NetworkPolicy): URL | Refusal {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { code: 'ERR_INVALID_URL', message: 'invalid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { code: 'ERR_INVALID_URL', message: 'only http and https URLs are allowed' };
  }
  // Saved URLs are checked for credentials; a templated one must not smuggle them in either.
  if (url.username !== '' || url.password !== '') {
    return { code: 'ERR_INVALID_URL', message: 'URL must not contain credentials' };
  }
  const host = urlHostname(url);
  // Node connects to a literal IP without calling `lookup`, so those are judged here.
  if (net.isIP(host) !== 0) {
    const verdict = isAddressAllowed(host, policy);
    if (!verdict.allowed) {
      const err = new ForbiddenAddressError(host, host, verdict.reason ?? '');
      return { code: err.code, message: err.message };
    }
  }
  return url;
}

/** The headers and body that go out: the caller's headers minus reserved ones, with defaults and framing. */
function outgoingMessage(req: WebhookRequest): { headers: OutgoingHttpHeaders; body: Buffer | undefined } {
  const headers: OutgoingHttpHeaders = {};
  const given = new Set<string>();
  for (const [name, value] of Object.entries(req.headers)) {
    const lower = name.toLowerCase();
    if (RESERVED_HEADERS.has(lower)) continue;
    headers[name] = value;
    given.add(lower);
  }
  if (!given.has('user-agent')) headers['User-Agent'] = WEBHOOK_USER_AGENT;
  const payload = Buffer.from(req.body, 'utf8');
  // A GET with nothing to send goes out bare; every other request carries a (possibly empty) body.
  const hasBody = req.method !== 'GET' || payload.length > 0;
  if (hasBody) {
    if (!given.has('content-type')) headers['Content-Type'] = 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  return { headers, body: hasBody ? payload : undefined };
}

interface Exchange {
  url: URL;
  method: WebhookMethod;
  headers: OutgoingHttpHeaders;
  body: Buffer | undefined;
  policy: NetworkPolicy;
  timeoutMs: number;
  /** Milliseconds since the request began (URL checks included). */
  elapsed: () => number;
}

type Settle = (outcome: { response: WebhookResponse } | { error: WebhookNetworkError }) => void;

/** Sends the request and settles once: with the response, a network error, or our own timeout. */
function exchange(x: Exchange): Promise<WebhookResponse> {
  return new Promise<WebhookResponse>((resolve, reject) => {
    let settled = false;
    // Declared before `finish` can run: a synchronous failure of `request()` settles before the timer exists.
    let timer: NodeJS.Timeout | undefined;
    const finish: Settle = (outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if ('response' in outcome) resolve(outcome.response);
      else reject(outcome.error);
    };

    let request: http.ClientRequest;
    try {
      request = (x.url.protocol === 'https:' ? https : http).request(x.url, {
        method: x.method,
        headers: x.headers,
        lookup: safeLookup(x.policy),
        // A fresh connection per attempt: no pooled socket outlives the address check it passed.
        agent: false,
      });
    } catch (err) {
      // Node validates header names and values synchronously (CR/LF injection, non-ASCII names).
      finish({
        error: new WebhookNetworkError('ERR_INVALID_REQUEST', `invalid request: ${shortMessage(err)}`, x.elapsed()),
      });
      return;
    }

    timer = setTimeout(() => {
      const error = new WebhookNetworkError('ETIMEDOUT', `timed out after ${x.timeoutMs}ms`, x.elapsed());
      finish({ error });
      request.destroy(error);
    }, x.timeoutMs);

    request.on('error', (err) => finish({ error: toNetworkError(err, x.elapsed()) }));
    request.on('response', (res: IncomingMessage) =>
      readResponse(res, { finish, isSettled: () => settled, elapsed: x.elapsed, drop: () => request.destroy() }),
    );
    request.end(x.body);
  });
}

/** Reads at most {@link MAX_RESPONSE_BODY_BYTES} of the body, then answers; a reset mid-body is a failure. */
function readResponse(
  res: IncomingMessage,
  c: { finish: Settle; isSettled: () => boolean; elapsed: () => number; drop: () => void },
): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const done = () =>
    c.finish({
      response: {
        statusCode: res.statusCode ?? 0,
        headers: res.headers,
        body: Buffer.concat(chunks, size).toString('utf8'),
        durationMs: c.elapsed(),
      },
    });
  res.on('data', (chunk: Buffer) => {
    if (c.isSettled()) return;
    const room = MAX_RESPONSE_BODY_BYTES - size;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    chunks.push(kept);
    size += kept.length;
    if (size >= MAX_RESPONSE_BODY_BYTES) {
      // Enough: answer with what we have and drop the connection rather than download the rest.
      done();
      res.destroy();
      c.drop();
    }
  });
  res.on('end', done);
  res.on('error', (err) => c.finish({ error: toNetworkError(err, c.elapsed()) }));
  // A reset after some of the body arrived is still a failed exchange.
  res.on('aborted', () =>
    c.finish({
      error: new WebhookNetworkError('ECONNRESET', 'connection reset while reading the response', c.elapsed()),
    }),
  );
}

const NETWORK_MESSAGES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed temporarily',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  HPE_INVALID_CONSTANT: 'invalid HTTP response',
  UND_ERR_SOCKET: 'socket error',
};

function toNetworkError(err: unknown, durationMs: number): WebhookNetworkError {
  if (err instanceof WebhookNetworkError) return err;
  if (err instanceof ForbiddenAddressError) return new WebhookNetworkError(err.code, err.message, durationMs);
  const code = (err as NodeJS.ErrnoException).code ?? 'ERR_NETWORK';
  const known = NETWORK_MESSAGES[code];
  if (known) return new WebhookNetworkError(code, `${known} (${code})`, durationMs);
  if (code.startsWith('HPE_')) return new WebhookNetworkError(code, `invalid HTTP response (${code})`, durationMs);
  if (isTlsCode(code)) {
    // OpenSSL messages run to file paths and error stacks; its `reason` ("wrong version number") says enough.
    const reason = (err as { reason?: unknown }).reason;
    const text = typeof reason === 'string' && reason !== '' ? reason : shortMessage(err).split('\n')[0];
    return new WebhookNetworkError(code, `TLS error: ${text} (${code})`, durationMs);
  }
  return new WebhookNetworkError(code, `${shortMessage(err)} (${code})`, durationMs);
}

function isTlsCode(code: string): boolean {
  return (
    code.startsWith('ERR_TLS_') ||
    code.startsWith('ERR_SSL_') ||
    code === 'EPROTO' ||
    /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/.test(code)
  );
}

function shortMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
