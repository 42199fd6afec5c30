import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One request the receiver got. */
export interface ReceivedRequest {
  method: string;
  /** Path with query string, e.g. `/hooks/erp?x=1`. */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a handler answers. */
export interface ReceiverResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

/** Decides the answer to each request (the default answers 200 with an empty body). */
export type ReceiverHandler = (req: IncomingMessage, body: string) => ReceiverResponse | Promise<ReceiverResponse>;

/** A real HTTP server on 127.0.0.1 that records what it receives. */
export interface HttpReceiver {
  url: string;
  port: number;
  requests: ReceivedRequest[];
  setHandler(handler: ReceiverHandler): void;
  /** Resolve with the recorded requests once there are at least n (reject after timeoutMs). */
  waitFor(n: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

const defaultHandler: ReceiverHandler = () => ({ status: 200 });

/** Start an HTTP receiver on a random port, for webhook tests. */
export async function startHttpReceiver(handler: ReceiverHandler = defaultHandler): Promise<HttpReceiver> {
  let current = handler;
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      // Recorded before the handler runs so a test sees the attempt even when the handler throws.
      requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body });
      for (const wake of waiters) wake();
      Promise.resolve()
        .then(() => current(req, body))
        .then(
          (answer) => {
            res.writeHead(answer.status, answer.headers);
            res.end(answer.body ?? '');
          },
          (err: unknown) => {
            res.writeHead(500, { 'content-type': 'text/plain' });
            res.end(`receiver handler failed: ${(err as Error)?.message ?? String(err)}`);
          },
        );
    });
  });
  // Webhook clients may keep connections alive; close() must not wait for them.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setHandler(next) {
      current = next;
    },
    waitFor(n, timeoutMs = 30_000) {
      if (requests.length >= n) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${n} request(s) within ${timeoutMs} ms, got ${requests.length}`));
        }, timeoutMs);
        const check = () => {
          if (requests.length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(requests);
        };
        waiters.add(check);
      });
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/**
 * The body of a received webhook, verified against `secret` with the official Standard Webhooks
 * library: throws when no signature matches.
 */
export function verifyStandardWebhook(secret: string, req: Pick<ReceivedRequest, 'headers' | 'body'>): unknown {
  const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]));
  return new Webhook(secret).verify(req.body, headers);
}
