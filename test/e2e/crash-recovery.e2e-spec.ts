/**
 * The promise of the product: kill the whole `npm start` process tree with SIGKILL while runs sit in
 * a durable delay, start it again on the same data directory, and every run finishes.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, killTree, startHttpReceiver } from '@ruleflow/testing';
import { isProcessAlive } from '@ruleflow/local-stack';

const ROOT = path.resolve(__dirname, '../..');
const ADMIN_KEY = 'rf_crash_test_admin_key_0123456789';

interface Launch {
  child: ChildProcess;
  output: string[];
}

describe('crash recovery of the whole system (npm start)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let api: string;
  const launches: Launch[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ruleflow-crash-'));
    chmodSync(dataDir, 0o755); // embedded PostgreSQL runs as the "postgres" user when we are root
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    const { DATABASE_URL: _db, TEMPORAL_ADDRESS: _t, ...inherited } = process.env;
    env = {
      ...inherited,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      RULEFLOW_DATA_DIR: dataDir,
      PORT: String(port),
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      EMBEDDED_PG_PORT: String(await freePort()),
      RULEFLOW_ADMIN_KEY: ADMIN_KEY,
      // Production refuses to start without one; the same key across both launches, like a real deployment.
      RULEFLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    };
  });

  afterAll(async () => {
    for (const l of launches) if (l.child.pid && isProcessAlive(l.child.pid)) killTree(l.child.pid);
    await new Promise((r) => setTimeout(r, 500));
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** `npm start` is `node scripts/bootstrap.js start` → the compiled launcher; run the launcher itself. */
  async function start(): Promise<Launch> {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist/scripts/start.js')], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const launch: Launch = { child, output: [] };
    child.stdout!.on('data', (d: Buffer) => launch.output.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => launch.output.push(d.toString()));
    launches.push(launch);
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`launcher exited ${child.exitCode}:\n${launch.output.join('')}`);
      try {
        const res = await fetch(`${api}/health`);
        if (res.status === 200) return launch;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error(`not up after 90 s:\n${launch.output.join('')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${api}${p}`, {
      method,
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  async function until<T>(fn: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  it('five runs in a delay survive SIGKILL of the whole tree and finish after a restart', async () => {
    const receiver = await startHttpReceiver();
    try {
      const first = await start();
      const rule = await call('POST', '/v1/rules', {
        name: 'crash test',
        entity: 'shipments',
        trigger: { type: 'on_create' },
        actions: [
          { name: 'wait', type: 'delay', config: { duration: '8s' } },
          { name: 'notify', type: 'webhook', config: { url: `${receiver.url}/done`, body: { n: '{{data.n}}' } } },
        ],
      });
      expect(rule.status).toBe(201);
      const ids: string[] = [];
      for (let n = 1; n <= 5; n++) {
        const ev = await call('POST', '/v1/events', {
          id: `crash-${n}`,
          entity: 'shipments',
          type: 'on_create',
          data: { n },
        });
        expect(ev.status).toBe(202);
        ids.push(ev.body.executions[0].executionId);
      }
      // All five are inside the delay: the timer lives in Temporal, not in any process.
      await until(
        async () => {
          const states = await Promise.all(ids.map(async (id) => (await call('GET', `/v1/executions/${id}`)).body));
          return states.every((e) => e.status === 'running' && e.actions[0].status === 'running') ? true : undefined;
        },
        30_000,
        'five runs in the delay',
      );

      const killed = killTree(first.child.pid!);
      expect(killed.length).toBeGreaterThanOrEqual(5); // launcher, Postgres, Temporal, worker, gateway at least
      await until(async () => (killed.some(isProcessAlive) ? undefined : true), 10_000, 'the tree to die');
      expect(receiver.requests).toHaveLength(0);

      await start();
      const done = await until(
        async () => {
          const states = await Promise.all(ids.map(async (id) => (await call('GET', `/v1/executions/${id}`)).body));
          return states.every((e) => e.status === 'success') ? states : undefined;
        },
        60_000,
        'five runs to finish after the restart',
      );
      expect(done.map((e) => e.actions.map((a: { status: string }) => a.status))).toEqual(
        Array(5).fill(['success', 'success']),
      );
      expect(receiver.requests.map((r) => JSON.parse(r.body).n).sort()).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await receiver.close();
    }
  });

  it('Ctrl-C (SIGINT) stops everything cleanly with no orphans', async () => {
    const launch = launches.at(-1)!;
    const pids = [launch.child.pid!, ...(await import('@ruleflow/testing')).descendants(launch.child.pid!)];
    expect(launch.child.exitCode).toBeNull();
    const exited = new Promise<number | null>((resolve) => launch.child.once('exit', (code) => resolve(code)));
    launch.child.kill('SIGINT');
    expect(await exited).toBe(0);
    await until(
      async () => (pids.some(isProcessAlive) ? undefined : true),
      15_000,
      'every process of the tree to exit',
    );
  });
});
