/**
 * The promise of the product: kill the whole `npm start` process tree with SIGKILL while runs sit in
 * a durable delay, start it again on the same data directory, and every run finishes; a phone call
 * (IVR session) killed mid-menu resumes where it was.
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

  /** SIGKILL of the whole tree of `launch`; resolves once every process of it is gone. */
  async function crash(launch: Launch): Promise<void> {
    const killed = killTree(launch.child.pid!);
    expect(killed.length).toBeGreaterThanOrEqual(5); // launcher, Postgres, Temporal, worker, gateway at least
    await until(async () => (killed.some(isProcessAlive) ? undefined : true), 10_000, 'the tree to die');
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

      await crash(first);
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

  it('a call killed mid-menu (SIGKILL of the whole tree) resumes on the same menu, stack, retries and history', async () => {
    const live = launches.at(-1);
    const launch = live && live.child.exitCode === null && live.child.signalCode === null ? live : await start();
    // Main → 1 Billing → 2 Disputes; the timeouts are long so no timer fires while the system is down.
    const menu = async (body: Record<string, unknown>): Promise<string> => {
      const res = await call('POST', '/v1/ivr/menus', { timeoutMs: 120_000, maxRetries: 2, ...body });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const disputes = await menu({
      name: 'Disputes',
      prompt: 'Press 9 for an agent, star to go back.',
      items: [
        { digit: '9', label: 'Agent', action: 'agent', target: 'disputes-queue' },
        { digit: '*', label: 'Back', action: 'back' },
      ],
    });
    const billing = await menu({
      name: 'Billing',
      prompt: 'Press 2 for disputes, 1 for a transfer, star to go back.',
      items: [
        { digit: '2', label: 'Disputes', action: 'submenu', target: disputes },
        { digit: '1', label: 'Transfer', action: 'transfer', target: '+15550001' },
        { digit: '*', label: 'Back', action: 'back' },
      ],
    });
    const root = await menu({
      name: 'Main',
      prompt: 'Press 1 for billing.',
      items: [{ digit: '1', label: 'Billing', action: 'submenu', target: billing }],
    });
    const started = await call('POST', '/v1/ivr/sessions', { menuId: root, callId: 'CA-crash-1', caller: '+15551234' });
    expect(started.status).toBe(201);
    const id = started.body.sessionId as string;
    const press = async (digit: string) => {
      const res = await call('POST', `/v1/ivr/sessions/${id}/input`, { digit });
      expect(res.status).toBe(200);
      return res.body;
    };
    expect(await press('1')).toMatchObject({ state: 'awaiting_input', menuId: billing, action: 'submenu' });
    expect(await press('2')).toMatchObject({ state: 'awaiting_input', menuId: disputes, action: 'submenu' });
    expect(await press('7')).toMatchObject({ state: 'awaiting_input', menuId: disputes, action: null });
    const before = (await call('GET', `/v1/ivr/sessions/${id}`)).body;
    expect(before).toMatchObject({
      state: 'awaiting_input',
      menuId: disputes,
      menuStack: [root, billing],
      retryCount: 1,
      outcome: null,
    });
    expect(before.history.map((h: { input: string | null; result: string }) => [h.input, h.result])).toEqual([
      ['1', 'submenu'],
      ['2', 'submenu'],
      ['7', 'invalid'],
    ]);

    await crash(launch);
    await start();

    // The same call, exactly where it was.
    const after = await call('GET', `/v1/ivr/sessions/${id}`);
    expect(after.status).toBe(200);
    expect(after.body).toEqual(before);
    // The session's workflow kept its state, not only the stored copy: a second invalid digit is the
    // second consecutive retry, `*` pops back to Billing, then a transfer ends the call.
    expect(await press('8')).toMatchObject({ state: 'awaiting_input', menuId: disputes, action: null });
    expect((await call('GET', `/v1/ivr/sessions/${id}`)).body).toMatchObject({ menuId: disputes, retryCount: 2 });
    expect(await press('*')).toMatchObject({ state: 'awaiting_input', menuId: billing, action: 'back' });
    expect(await press('1')).toMatchObject({
      state: 'ended',
      action: 'transfer',
      outcome: { type: 'transfer', target: '+15550001' },
    });
    const ended = (await call('GET', `/v1/ivr/sessions/${id}`)).body;
    expect(ended).toMatchObject({ state: 'ended', outcome: { type: 'transfer', target: '+15550001' } });
    expect(ended.history.map((h: { input: string | null; result: string }) => [h.input, h.result])).toEqual([
      ['1', 'submenu'],
      ['2', 'submenu'],
      ['7', 'invalid'],
      ['8', 'invalid'],
      ['*', 'back'],
      ['1', 'transfer'],
    ]);
    expect((await call('POST', `/v1/ivr/sessions/${id}/input`, { digit: '1' })).status).toBe(409);
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
