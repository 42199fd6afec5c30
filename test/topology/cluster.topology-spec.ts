/**
 * The production topology, proven: `npm run cluster -- --gateways 2 --workers 2` (the real Temporal
 * Server on PostgreSQL, two gateways, two workers). Events go alternately to both gateways; one worker is
 * killed with SIGKILL while runs wait in a delay and webhooks retry; every run still ends `success` once,
 * each webhook is received once per `webhook-id`; a scheduled rule fires once per tick; an API key's rate
 * limit holds across the gateways; the Web UI serves the namespace; Ctrl-C stops everything.
 *
 * Run by .ci/run after `npm test` (`npx jest -c test/topology/jest.config.js`); it builds dist/ when
 * stale, and the server (`npm run cluster -- --prepare`) when missing.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HttpReceiver } from '@ruleflow/testing';
import { freePort, killTree, startHttpReceiver } from '@ruleflow/testing';
import { isPortFree, isProcessAlive, signalPid } from '@ruleflow/local-stack';

const ROOT = path.resolve(__dirname, '../..');
const ADMIN_KEY = 'rf_topology_test_admin_key_0123456789';
/** Runs per rule: a few dozen in all. */
const RUNS = 12;

jest.setTimeout(240_000);

/** Two consecutive free ports (gateway 1 listens on PORT, gateway 2 on PORT + 1). */
async function twoFreePorts(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port < 65535 && (await isPortFree(port + 1))) return port;
  }
}

async function until<T>(what: string, timeoutMs: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

describe('production topology: Temporal Server on PostgreSQL, two gateways, two workers (npm run cluster)', () => {
  let dataDir: string;
  let cluster: ChildProcess;
  const output: string[] = [];
  let gateways: string[];
  let receiver: HttpReceiver;
  /** Answers per `webhook-id`: the first attempt of each gets a 500, later ones a 200. */
  const answers = new Map<string, number[]>();
  let tickRuleId: string;
  let tickRuleCreatedAt: number;

  const call = async (base: string, method: string, p: string, body?: unknown, key = ADMIN_KEY) => {
    const res = await fetch(`${base}${p}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const text = () => output.join('');
  const pidOf = (label: string): number => {
    const match = new RegExp(`\\[ruleflow\\]\\s+${label}\\s.*pid (\\d+)`).exec(text());
    if (!match) throw new Error(`no pid for ${label} in the output:\n${text()}`);
    return Number(match[1]);
  };

  beforeAll(async () => {
    // dist/ current (npm test's pretest did it in CI) and the server built (seconds when cached).
    const setup = spawnSync(process.execPath, ['scripts/bootstrap.js', 'setup'], { cwd: ROOT, encoding: 'utf8' });
    if (setup.status !== 0) throw new Error(`bootstrap setup failed:\n${setup.stderr}`);
    const prepare = spawnSync(process.execPath, ['dist/scripts/cluster.js', '--prepare'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    if (prepare.status !== 0) throw new Error(`npm run cluster -- --prepare failed:\n${prepare.stderr}`);

    receiver = await startHttpReceiver((req) => {
      const id = String(req.headers['webhook-id'] ?? '');
      if (!req.url?.startsWith('/hook')) return { status: 200 };
      const seen = answers.get(id) ?? [];
      const status = seen.length === 0 ? 500 : 200;
      answers.set(id, [...seen, status]);
      return { status };
    });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'ruleflow-topology-'));
    chmodSync(dataDir, 0o755); // embedded PostgreSQL runs as the "postgres" user when we are root
    const port = await twoFreePorts();
    gateways = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${port + 1}`];
    const { DATABASE_URL: _db, TEMPORAL_ADDRESS: _t, ...inherited } = process.env;
    const env = {
      ...inherited,
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      RULEFLOW_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      TEMPORAL_DEV_PORT: String(await freePort()),
      TEMPORAL_UI_PORT: String(await freePort()),
      EMBEDDED_PG_PORT: String(await freePort()),
      WORKER_METRICS_PORT: '0',
      RULEFLOW_ADMIN_KEY: ADMIN_KEY,
      RULEFLOW_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    };
    cluster = spawn(process.execPath, ['dist/scripts/cluster.js', '--gateways', '2', '--workers', '2'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    cluster.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    cluster.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    await until('the cluster to be up', 180_000, async () => {
      if (cluster.exitCode !== null) throw new Error(`npm run cluster exited ${cluster.exitCode}:\n${text()}`);
      return /Ruleflow cluster is up/.test(text()) ? true : undefined;
    });

    // The scheduled rule ticks while the other tests run; it is checked last.
    const tick = await call(gateways[1]!, 'POST', '/v1/rules', {
      name: 'topology tick',
      entity: 'topology_ticks',
      trigger: { type: 'scheduled', cron: '* * * * *' },
      actions: [{ name: 'tick', type: 'webhook', config: { url: `${receiver.url}/tick` } }],
    });
    expect(tick.status).toBe(201);
    tickRuleId = tick.body.id;
    tickRuleCreatedAt = Date.now();
    // The first build of the server (when CI's --prepare step did not run first) takes minutes.
  }, 1_200_000);

  afterAll(async () => {
    if (cluster?.pid && isProcessAlive(cluster.pid)) killTree(cluster.pid);
    await receiver?.close();
    await new Promise((r) => setTimeout(r, 500));
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints every address: both gateways, both workers, the Temporal frontend and its Web UI, which serves our namespace', async () => {
    for (const url of gateways) expect(text()).toContain(url);
    for (const label of ['gateway-1', 'gateway-2', 'worker-1', 'worker-2']) expect(pidOf(label)).toBeGreaterThan(0);
    expect(text()).toMatch(/Temporal Server 1\.32\.2 ready on 127\.0\.0\.1:\d+/);
    const ui = /Temporal UI\s+(http:\/\/\S+)/.exec(text())![1]!;
    expect((await fetch(ui)).status).toBe(200);
    const namespaces = (await (await fetch(`${ui}/api/v1/namespaces`)).json()) as any;
    expect(namespaces.namespaces.map((n: any) => n.namespaceInfo.name)).toContain('default');
  });

  it('events sent to both gateways all end success once, though a worker is SIGKILLed during delays and webhook retries', async () => {
    const retry = { maximumAttempts: 5, initialInterval: '1s', backoffCoefficient: 1, maximumInterval: '1s' };
    const rule = async (entity: string, delay: string) => {
      const res = await call(gateways[0]!, 'POST', '/v1/rules', {
        name: `topology ${entity}`,
        entity,
        trigger: { type: 'on_create' },
        actions: [
          { name: 'wait', type: 'delay', config: { duration: delay } },
          {
            name: 'notify',
            type: 'webhook',
            config: { url: `${receiver.url}/hook/${entity}`, body: { n: '{{data.n}}' } },
            retry,
          },
        ],
      });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    // Short delays reach their webhooks (and its retries) before the kill; long ones are still waiting.
    const rules = {
      topology_short: await rule('topology_short', '2s'),
      topology_long: await rule('topology_long', '12s'),
    };
    const executions = new Map<string, string>();
    for (let n = 0; n < RUNS * 2; n++) {
      const entity = n % 2 === 0 ? 'topology_short' : 'topology_long';
      const gateway = gateways[Math.floor(n / 2) % 2]!;
      const res = await call(gateway, 'POST', '/v1/events', {
        id: `topo-${n}`,
        entity,
        type: 'on_create',
        data: { n },
      });
      expect(res.status).toBe(202);
      expect(res.body.executions).toHaveLength(1);
      executions.set(res.body.executions[0].executionId, entity);
    }

    // The short runs' first webhook attempts have failed (retries pending); the long runs sit in their delay.
    await until('first webhook attempts of the short runs', 60_000, async () =>
      receiver.requests.filter((r) => r.path.startsWith('/hook/topology_short')).length >= RUNS / 2 ? true : undefined,
    );
    const victim = pidOf('worker-1');
    signalPid(-victim, 'SIGKILL');
    await until('worker-1 to die', 10_000, async () => (isProcessAlive(victim) ? undefined : true));
    expect(isProcessAlive(pidOf('worker-2'))).toBe(true);

    const ended = await until('every run to end', 150_000, async () => {
      const states = await Promise.all(
        [...executions.keys()].map(async (id, i) => (await call(gateways[i % 2]!, 'GET', `/v1/executions/${id}`)).body),
      );
      return states.every((e) => ['success', 'failed', 'partial', 'cancelled'].includes(e.status)) ? states : undefined;
    });
    expect(ended.map((e) => e.status)).toEqual(Array(RUNS * 2).fill('success'));
    expect(ended.map((e) => e.actions.map((a: { status: string }) => a.status))).toEqual(
      Array(RUNS * 2).fill(['success', 'success']),
    );
    // Exactly once: one execution per event and rule, whichever gateway took it and whichever worker ran it.
    for (const ruleId of Object.values(rules)) {
      const list = await call(gateways[1]!, 'GET', `/v1/executions?ruleId=${ruleId}&limit=200`);
      expect(list.body.items).toHaveLength(RUNS);
      expect(new Set(list.body.items.map((e: { eventId: string }) => e.eventId)).size).toBe(RUNS);
    }
    // Each webhook-id got its failing first attempt, then exactly one 200; one webhook-id per run.
    const hooks = receiver.requests.filter((r) => r.path.startsWith('/hook/'));
    const byId = new Map<string, Set<number>>();
    for (const r of hooks) {
      const id = String(r.headers['webhook-id']);
      byId.set(id, (byId.get(id) ?? new Set()).add(JSON.parse(r.body).n));
    }
    expect(byId.size).toBe(RUNS * 2);
    expect([...byId.values()].every((ns) => ns.size === 1)).toBe(true);
    for (const [id, statuses] of answers) {
      expect({ id, ok: statuses.filter((s) => s === 200).length }).toEqual({ id, ok: 1 });
    }
    expect(text()).toMatch(/worker-1 exited unexpectedly \(SIGKILL\); worker-2 carry on/);
  });

  it("an API key's rate limit holds across both gateways", async () => {
    const created = await call(gateways[0]!, 'POST', '/v1/api-keys', {
      name: 'topology limited',
      scopes: ['rules:read'],
      rateLimitPerHour: 6,
    });
    expect(created.status).toBe(201);
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await call(gateways[i % 2]!, 'GET', '/v1/rules', undefined, created.body.key)).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(4);
    expect(statuses.slice(6)).toEqual([429, 429, 429, 429]);
  });

  it('a scheduled rule fires once per tick with two gateways up', async () => {
    // At least two minute boundaries since the rule was created.
    const firstTick = Math.ceil(tickRuleCreatedAt / 60_000) * 60_000;
    const wait = firstTick + 60_000 + 15_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const list = await call(gateways[0]!, 'GET', `/v1/executions?ruleId=${tickRuleId}&limit=200`);
    const minutes = list.body.items.map((e: { startedAt: string }) => Math.floor(Date.parse(e.startedAt) / 60_000));
    const ticksPassed = Math.floor((Date.now() - 10_000) / 60_000) - Math.floor(tickRuleCreatedAt / 60_000);
    expect(ticksPassed).toBeGreaterThanOrEqual(2);
    // One run per tick: no minute twice, none missed.
    expect(new Set(minutes).size).toBe(minutes.length);
    expect(minutes.length).toBeGreaterThanOrEqual(ticksPassed);
    expect(minutes.length).toBeLessThanOrEqual(ticksPassed + 1);
    expect(receiver.requests.filter((r) => r.path === '/tick').length).toBe(minutes.length);
  });

  it('Ctrl-C stops everything: gateways, the surviving worker, the UI, Temporal Server and PostgreSQL', async () => {
    const pids = ['gateway-1', 'gateway-2', 'worker-2'].map(pidOf);
    const ui = Number(/Temporal UI\s+\S+\s+\(temporalio\/ui-server [\d.]+, pid (\d+)\)/.exec(text())![1]);
    const temporal = Number(/Temporal\s+127\.0\.0\.1:\d+ \(gRPC, namespace \S+, pid (\d+)\)/.exec(text())![1]);
    const exited = new Promise<number | null>((resolve) => cluster.once('exit', (code) => resolve(code)));
    cluster.kill('SIGINT');
    expect(await exited).toBe(0);
    for (const pid of [...pids, temporal, ui]) expect(isProcessAlive(pid)).toBe(false);
    expect(text()).toMatch(/stopping Temporal[\s\S]*stopping PostgreSQL[\s\S]*stopped/);
  });
});
