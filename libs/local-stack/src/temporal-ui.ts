/**
 * The Temporal Web UI for a Temporal Server that has none built in: `temporalio/ui-server` (the program of
 * the `temporalio/ui` image docker-compose.temporal.yml runs, same version) built from the Go module proxy on
 * first use into `~/.cache/ruleflow/temporal-ui/v<version>`, with the module's `config/docker.yaml`.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { goInstall } from './go-build';
import { assertPortFree } from './ports';
import { failureDuringStartup, sleep, spawnService, stopService } from './processes';

/** The UI release: the `temporalio/ui` image tag in docker-compose.temporal.yml. */
export const TEMPORAL_UI_VERSION = '2.54.1';
const MODULE = 'github.com/temporalio/ui-server/v2';

export interface TemporalUiBuild {
  dir: string;
  server: string;
}

/** Build (first time) or reuse the pinned UI server. */
export async function ensureTemporalUi(options: { log?: (line: string) => void } = {}): Promise<TemporalUiBuild> {
  const dir = path.join(os.homedir(), '.cache', 'ruleflow', 'temporal-ui', `v${TEMPORAL_UI_VERSION}`);
  const build = { dir, server: path.join(dir, 'temporal-ui-server') };
  await goInstall({
    dir,
    what: `Temporal UI ${TEMPORAL_UI_VERSION}`,
    module: MODULE,
    version: TEMPORAL_UI_VERSION,
    commands: { 'cmd/server': build.server },
    copies: {
      'config/base.yaml': path.join(dir, 'config', 'base.yaml'),
      'config/docker.yaml': path.join(dir, 'config', 'docker.yaml'),
    },
    log: options.log,
  });
  return build;
}

/** A running UI. */
export interface TemporalUi {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Serve the UI for the frontend at `address` on 127.0.0.1:`port`: the image's config (`docker.yaml`, read
 * from the same variables the image takes) plus `host: 127.0.0.1`, which the image leaves open.
 */
export async function startTemporalUi(options: {
  build: TemporalUiBuild;
  address: string;
  namespace: string;
  port: number;
  log?: (line: string) => void;
}): Promise<TemporalUi> {
  const { build, port } = options;
  await assertPortFree(port, 'TEMPORAL_UI_PORT', 'Temporal Web UI');
  const config = path.join(build.dir, 'config', 'ruleflow.yaml');
  const image = readFileSync(path.join(build.dir, 'config', 'docker.yaml'), 'utf8');
  writeFileSync(config, `${image}\nhost: 127.0.0.1\n`, { mode: 0o644 });
  const child = spawnService(build.server, ['--root', build.dir, '--env', 'ruleflow', 'start'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: options.address,
      TEMPORAL_UI_PORT: String(port),
      TEMPORAL_DEFAULT_NAMESPACE: options.namespace,
      TEMPORAL_DISABLE_NEWS_FETCH: 'true',
    },
    parentDeathSignal: 'SIGTERM',
    onLine: (line) => {
      // Config loading chatter and the per-request log: not worth a line each.
      if (/level=(error|fatal)|"level":"(error|fatal)"|panic/i.test(line)) options.log?.(line);
    },
  });
  const failed = failureDuringStartup(child, (exit) =>
    exit instanceof Error
      ? new Error(`could not start ${build.server}: ${exit.message}`)
      : new Error(`the Temporal UI exited during start-up (${exit.signal ?? `code ${exit.code}`})`),
  );
  if (child.pid === undefined) return failed;
  const url = `http://127.0.0.1:${port}`;
  const stop = () => stopService(child, { signal: 'SIGTERM', timeoutMs: 10_000 });
  const ready = (async () => {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).status === 200) return;
      } catch {
        // Not listening yet.
      }
      await sleep(200);
    }
    throw new Error(`the Temporal UI did not answer on ${url} within 30 s`);
  })();
  try {
    await Promise.race([ready, failed]);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, pid: child.pid, stop };
}
