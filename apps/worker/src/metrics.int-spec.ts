import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { HttpReceiver } from '@ruleflow/testing';
import { freePort, killTree, startHttpReceiver, testTemporalAddress, writeTsRegister } from '@ruleflow/testing';
import type { TestSystem } from '../../gateway/test/test-system';
import { eventually, startTestSystem, TEST_ENCRYPTION_KEY } from '../../gateway/test/test-system';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** The value of the first sample of `name` whose labels include every one of `labels` (undefined: none). */
function sample(metrics: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of metrics.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ?? '';
    if (Object.entries(labels).every(([k, v]) => present.includes(`${k}="${v}"`))) return Number(match[3]);
  }
  return undefined;
}

/**
 * The worker process as `npm start` runs it (apps/worker/src/main.ts) with WORKER_METRICS_PORT: a
 * rule run and an endpoint delivery, then a real scrape of `GET /metrics` holding the Temporal
 * SDK's own worker metrics and Ruleflow's run, action and delivery metrics, none labelled with
 * anything a tenant named.
 */
describe('worker metrics (a real worker process)', () => {
  let sys: TestSystem;
  let receiver: HttpReceiver;
  let tmpDir: string;
  let worker: ChildProcess;
  const output: string[] = [];
  let metricsUrl: string;

  beforeAll(async () => {
    sys = await startTestSystem({ withoutWorker: true });
    receiver = await startHttpReceiver(() => ({ status: 200, body: '{"ok":true}' }));
    tmpDir = mkdtempSync(path.join(os.tmpdir(), 'ruleflow-worker-metrics-'));
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    const { DATABASE_URL: _d, LOG_LEVEL: _l, ...inherited } = process.env;
    worker = spawn(process.execPath, ['-r', writeTsRegister(tmpDir), path.join(ROOT, 'apps/worker/src/main.ts')], {
      cwd: ROOT,
      env: {
        ...inherited,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        HOST: '127.0.0.1',
        WORKER_METRICS_PORT: String(port),
        DATABASE_URL: sys.databaseUrl,
        DATABASE_POOL_SIZE: '4',
        TEMPORAL_ADDRESS: testTemporalAddress(),
        TEMPORAL_TASK_QUEUE: sys.config.temporal.taskQueue,
        RULEFLOW_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        RULEFLOW_DATA_DIR: tmpDir,
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    worker.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  });
  afterAll(async () => {
    if (worker?.pid && worker.exitCode === null) {
      const exited = new Promise((r) => worker.once('exit', r));
      worker.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
      clearTimeout(timer);
      if (worker.exitCode === null) killTree(worker.pid);
    }
    await receiver?.close();
    await sys?.close();
    if (tmpDir) rmSync(tmpDir, { recursive: true, force: true });
  });

  /** A real HTTP GET of the worker's /metrics (no keep-alive: nothing left open after the test). */
  const scrape = async (): Promise<string> => {
    if (worker.exitCode !== null) throw new Error(`worker exited ${worker.exitCode}:\n${output.join('')}`);
    const { status, type, body } = await new Promise<{ status?: number; type?: string; body: string }>(
      (resolve, reject) => {
        get(metricsUrl, { agent: false }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: text }));
        }).on('error', reject);
      },
    );
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain/);
    return body;
  };

  it('serves the SDK worker metrics and ruleflow_runs_total, ruleflow_action_duration_seconds, ruleflow_deliveries_total', async () => {
    const secretName = 'Tenant Named Rule 7f3a';
    const endpoint = await sys.http
      .post('/v1/webhooks')
      .set(sys.auth)
      .send({ name: 'Tenant Named Endpoint 7f3a', url: `${receiver.url}/endpoint`, events: ['execution.succeeded'] })
      .expect(201);
    const rule = await sys.http
      .post('/v1/rules')
      .set(sys.auth)
      .send({
        name: secretName,
        entity: 'tenant_entity_7f3a',
        trigger: { type: 'manual' },
        actions: [{ name: 'tenant_action_7f3a', type: 'webhook', config: { url: `${receiver.url}/action` } }],
      })
      .expect(201);
    const run = await sys.http.post(`/v1/rules/${rule.body.id}/run`).set(sys.auth).send({ data: {} }).expect(202);
    // The worker is still starting (compiling from sources) when the run is queued: Temporal holds it.
    await eventually(
      async () =>
        (await sys.http.get(`/v1/executions/${run.body.executionId}`).set(sys.auth)).body.status === 'success',
      120_000,
      250,
    );
    await eventually(
      async () => {
        const res = await sys.http.get(`/v1/webhooks/${endpoint.body.id}/deliveries`).set(sys.auth);
        return (res.body.items as Array<{ status: string }> | undefined)?.some((d) => d.status === 'success');
      },
      60_000,
      250,
    );

    // The exporter reads the meter as it scrapes: the samples are there at once.
    const metrics = await eventually(async () => {
      const text = await scrape();
      return sample(text, 'ruleflow_deliveries_total', { status: 'success' }) ? text : undefined;
    }, 30_000);
    expect(sample(metrics, 'ruleflow_runs_total', { status: 'success' })).toBeGreaterThanOrEqual(1);
    expect(
      sample(metrics, 'ruleflow_action_duration_seconds_count', { type: 'webhook', status: 'success' }),
    ).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^ruleflow_action_duration_seconds_bucket\{[^}]*le="0\.05"/m);
    expect(sample(metrics, 'ruleflow_deliveries_total', { status: 'success' })).toBeGreaterThanOrEqual(1);
    // The SDK's own worker metrics, on the same endpoint.
    expect(
      sample(metrics, 'temporal_workflow_completed', { workflow_type: 'RuleExecutionWorkflow' }),
    ).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^temporal_workflow_task_schedule_to_start_latency_bucket\{/m);
    // The run's records and first attempts are local activities (no schedule-to-start: they run in the task).
    expect(metrics).toMatch(/^temporal_local_activity_execution_latency_bucket\{/m);
    // Nothing a tenant named is a label value.
    for (const named of ['7f3a', 'tenant_action', 'tenant_entity']) expect(metrics).not.toContain(named);
  });
});
