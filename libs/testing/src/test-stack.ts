/**
 * The services shared by one integration test run: one PostgreSQL, one Temporal dev server, one
 * workflow bundle. Used by global-setup/global-teardown, which jest loads without moduleNameMapper,
 * hence relative imports only here and in what this file imports.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, chmodSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SEARCH_ATTRIBUTE_NAMES } from '../../workflows/src/contract/search-attributes';
import type { EmbeddedPostgres } from '../../local-stack/src/embedded-postgres';
import { startEmbeddedPostgres } from '../../local-stack/src/embedded-postgres';
import { freePort } from '../../local-stack/src/ports';
import { isProcessAlive } from '../../local-stack/src/processes';
import { findTemporalCli, temporalCliHelp } from '../../local-stack/src/temporal-cli';
import type { TemporalDevServer } from '../../local-stack/src/temporal-dev-server';
import { startTemporalDevServer } from '../../local-stack/src/temporal-dev-server';
import { workflowBundlerOptions, workflowsPath } from '../../workflows/bundler-options';

const TMP_PREFIX = 'ruleflow-test-';

/** What global-teardown needs to undo. */
export interface TestStack {
  tmpDir: string;
  postgres?: EmbeddedPostgres;
  temporal?: TemporalDevServer;
}

const say = (message: string) => process.stderr.write(`[test-stack] ${message}\n`);
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** Temp folders of runs that were interrupted (Ctrl-C skips globalTeardown) are removed on the next run. */
function removeAbandonedTmpDirs(): void {
  for (const name of readdirSync(os.tmpdir())) {
    if (!name.startsWith(TMP_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      const pid = Number.parseInt(readFileSync(path.join(dir, 'owner.pid'), 'utf8'), 10);
      if (!isProcessAlive(pid)) rmSync(dir, { recursive: true, force: true });
    } catch {
      // Not ours or already gone.
    }
  }
}

async function startPostgres(stack: TestStack): Promise<string> {
  const existing = process.env.RULEFLOW_TEST_PG_URL ?? process.env.DATABASE_URL;
  if (existing) {
    say(`PostgreSQL: using ${existing.replace(/:\/\/([^:@/]+):([^@]+)@/, '://$1:***@')}`);
    return existing;
  }
  const started = Date.now();
  stack.postgres = await startEmbeddedPostgres({
    dataDir: stack.tmpDir,
    port: await freePort(),
    database: false,
    durable: false,
    // Every test file opens its own pools on its own database.
    settings: { max_connections: 400 },
  });
  say(
    `PostgreSQL (embedded, cold) ready in ${seconds(started)} on ${stack.postgres.adminUrl.replace(/\/\/.*@/, '//')}`,
  );
  return stack.postgres.adminUrl;
}

async function startTemporal(stack: TestStack): Promise<string> {
  const existing = process.env.TEMPORAL_ADDRESS;
  if (existing) {
    say(`Temporal: using ${existing}`);
    return existing;
  }
  const explicit = process.env.TEMPORAL_CLI_PATH?.trim() || undefined;
  const cliPath = findTemporalCli(explicit);
  if (!cliPath) throw new Error(temporalCliHelp(explicit));
  const started = Date.now();
  stack.temporal = await startTemporalDevServer({
    cliPath,
    port: await freePort(),
    uiPort: await freePort(),
    headless: true,
    namespace: 'default',
    searchAttributes: SEARCH_ATTRIBUTE_NAMES,
    log: (line) => {
      if (/level=(ERROR|FATAL)/.test(line)) say(`temporal: ${line}`);
    },
  });
  say(`Temporal dev server ready in ${seconds(started)} on ${stack.temporal.address}`);
  return stack.temporal.address;
}

/** Bundle the workflows once; a failure is reported by workflowBundle() in the tests that need it. */
async function bundleWorkflows(stack: TestStack): Promise<{ path?: string; error?: string }> {
  const entry = workflowsPath();
  if (!existsSync(entry)) return { error: `${entry} does not exist` };
  const started = Date.now();
  try {
    const { bundleWorkflowCode, DefaultLogger } = await import('@temporalio/worker');
    const { code } = await bundleWorkflowCode({
      workflowsPath: entry,
      ...workflowBundlerOptions(),
      logger: new DefaultLogger('WARN'),
    });
    const file = path.join(stack.tmpDir, 'workflow-bundle.js');
    writeFileSync(file, code);
    say(`workflows bundled in ${seconds(started)}`);
    return { path: file };
  } catch (err) {
    say(`workflow bundle FAILED: ${(err as Error).message}`);
    return { error: (err as Error).stack ?? String(err) };
  }
}

/** Start (or adopt) the shared services and publish them through process.env for the test workers. */
export async function startTestStack(): Promise<TestStack> {
  const started = Date.now();
  removeAbandonedTmpDirs();
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), TMP_PREFIX));
  // mkdtemp makes 0700; PostgreSQL runs as the "postgres" user when we are root and must get in.
  chmodSync(tmpDir, 0o755);
  writeFileSync(path.join(tmpDir, 'owner.pid'), String(process.pid));
  const stack: TestStack = { tmpDir };
  try {
    const [pg, temporal, bundle] = await Promise.allSettled([
      startPostgres(stack),
      startTemporal(stack),
      bundleWorkflows(stack),
    ]);
    if (pg.status === 'rejected') throw pg.reason;
    if (temporal.status === 'rejected') throw temporal.reason;
    process.env.RULEFLOW_TEST_PG_URL = pg.value;
    process.env.TEMPORAL_ADDRESS = temporal.value;
    // One secrets key per run, shared by every gateway and worker the tests start (test-system.ts).
    process.env.RULEFLOW_TEST_ENCRYPTION_KEY ??= randomBytes(32).toString('base64');
    if (bundle.status === 'fulfilled' && bundle.value.path) {
      process.env.RULEFLOW_TEST_WORKFLOW_BUNDLE = bundle.value.path;
    } else {
      delete process.env.RULEFLOW_TEST_WORKFLOW_BUNDLE;
      process.env.RULEFLOW_TEST_WORKFLOW_BUNDLE_ERROR =
        bundle.status === 'fulfilled' ? bundle.value.error : String(bundle.reason);
    }
    say(`stack ready in ${seconds(started)}`);
    return stack;
  } catch (err) {
    await stopTestStack(stack);
    throw err;
  }
}

/** Stop what startTestStack started and remove its temp folder. */
export async function stopTestStack(stack: TestStack): Promise<void> {
  const started = Date.now();
  await Promise.allSettled([stack.temporal?.stop(), stack.postgres?.stop()]);
  rmSync(stack.tmpDir, { recursive: true, force: true });
  say(`stack stopped in ${seconds(started)}`);
}
