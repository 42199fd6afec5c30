/**
 * What the HTTP benchmarks share: a local receiver that notes when each message arrives, a bounded
 * pool of concurrent senders, and latency percentiles.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Receiver {
  /** `http://127.0.0.1:<port>`; post to any path under it. */
  base: string;
  /** Arrival time (performance.now) of each message by its `data.benchId`, per request path. */
  arrivals(path: string): Map<string, number>;
  /** Resolves when `n` messages have arrived on `path` since the last reset. */
  waitFor(path: string, n: number, timeoutMs: number): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

/** A receiver answering 204 to every POST; the first arrival of a benchId on a path counts. */
export async function startReceiver(): Promise<Receiver> {
  const byPath = new Map<string, Map<string, number>>();
  const waiters = new Set<{ path: string; n: number; resolve: () => void }>();
  const arrivals = (path: string) => {
    let map = byPath.get(path);
    if (!map) byPath.set(path, (map = new Map()));
    return map;
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const path = (req.url ?? '/').split('?')[0]!;
      let id: string | undefined;
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { benchId?: string } };
        id = body.data?.benchId;
      } catch {
        // not ours: counted under its arrival number
      }
      const map = arrivals(path);
      id ??= String(map.size);
      if (!map.has(id)) map.set(id, at);
      res.writeHead(204).end();
      for (const w of waiters) if (w.path === path && map.size >= w.n) w.resolve();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}`,
    arrivals,
    reset: () => byPath.clear(),
    waitFor: (path, n, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        if (arrivals(path).size >= n) return resolve();
        const waiter = {
          path,
          n,
          resolve: () => {
            clearTimeout(timer);
            waiters.delete(waiter);
            resolve();
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`only ${arrivals(path).size}/${n} messages on ${path} after ${timeoutMs / 1000} s`));
        }, timeoutMs);
        waiters.add(waiter);
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Runs `task(0…count-1)` with at most `concurrency` at once, each sender taking the next index. */
export async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The q-quantile of sorted values, to 0.1. */
export const quantile = (sorted: readonly number[], q: number): number =>
  Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN) * 10) / 10;

/**
 * CPU seconds used so far by this process and its descendants (the dev server, PostgreSQL), by command
 * name, from /proc (Linux; empty elsewhere). This process (gateway, worker and load) is `bench`. The
 * difference of two readings shows where a benchmark's time went, whatever else the machine runs.
 */
export function cpuByCommand(): Map<string, number> {
  const totals = new Map<string, number>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return totals;
  }
  const procs = new Map<number, { ppid: number; comm: string; seconds: number }>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      // After the command: state, ppid, …; utime and stime are the 12th and 13th (USER_HZ = 100).
      procs.set(Number(pid), {
        ppid: Number(fields[1]),
        comm,
        seconds: (Number(fields[11]) + Number(fields[12])) / 100,
      });
    } catch {
      // the process ended meanwhile
    }
  }
  const ours = (pid: number): boolean => {
    for (let at = pid, hops = 0; at > 1 && hops < 20; hops++) {
      if (at === process.pid) return true;
      at = procs.get(at)?.ppid ?? 0;
    }
    return false;
  };
  for (const [pid, { comm, seconds }] of procs) {
    if (!ours(pid)) continue;
    const name = pid === process.pid ? 'bench' : comm;
    totals.set(name, (totals.get(name) ?? 0) + seconds);
  }
  return totals;
}

/** CPU milliseconds per message by command between two readings, for the commands that used any. */
export function cpuPerMessage(before: Map<string, number>, after: Map<string, number>, messages: number): string {
  return [...after]
    .map(([comm, seconds]) => [comm, seconds - (before.get(comm) ?? 0)] as const)
    .filter(([, used]) => used >= 0.05)
    .sort((a, b) => b[1] - a[1])
    .map(([comm, used]) => `${comm} ${((used / messages) * 1000).toFixed(1)}`)
    .join(', ');
}
