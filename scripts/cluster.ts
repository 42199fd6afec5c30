/**
 * `npm run cluster [-- --gateways 2 --workers 2 --history-shards 4]`: the production topology on one
 * machine. Builds (first time) or reuses the pinned Temporal Server, sets up or upgrades its schemas on
 * PostgreSQL (the embedded one in `<RULEFLOW_DATA_DIR>/cluster`, or DATABASE_URL's server) in the
 * databases `temporal` and `temporal_visibility`, starts it with scripts/cluster/temporal-server.yaml,
 * registers the namespace and our search attributes, serves the Temporal Web UI (temporalio/ui-server, the
 * compose file's UI version) on TEMPORAL_UI_PORT, applies the migrations and runs N gateways and M workers
 * against it. Ctrl-C stops everything in order: gateways, workers, Temporal (UI, server), PostgreSQL.
 *
 * `--prepare` only builds the server and the UI (CI runs it before the topology test).
 */
import path from 'node:path';
import type { EncryptionKeys, RuleflowConfig } from '@ruleflow/config';
import { ConfigError, encryptionKeyId, loadConfig, resolveEncryptionKeys } from '@ruleflow/config';
import { SEARCH_ATTRIBUTE_NAMES } from '@ruleflow/contract';
import { runMigrations } from '@ruleflow/entities';
import type { TemporalUi, TemporalUiBuild } from '@ruleflow/local-stack';
import {
  acquireDataDirLock,
  assertPortFree,
  ensureTemporalNamespace,
  ensureTemporalServer,
  ensureTemporalUi,
  startTemporalUi,
  TEMPORAL_UI_VERSION,
  freeTemporalServerPorts,
  labelled,
  setupTemporalSchemas,
  startEmbeddedPostgres,
  startTemporalServer,
  TEMPORAL_SERVER_VERSION,
} from '@ruleflow/local-stack';
import { temporalSchemaScript, temporalServerConfigFiles } from './cluster/config-files';
import { TEMPORAL_RETENTION_DAYS } from './cluster/temporal-setup';
import { flagValue, intFlag } from './flags';
import { adminKey, localGatewayUrl, repoRoot, say, sayError, Stack } from './launcher';

/** What the command line asks for. */
export interface ClusterOptions {
  gateways: number;
  workers: number;
  historyShards: number;
  /** Build the server and exit. */
  prepareOnly: boolean;
}

/** `--gateways N` (default 2), `--workers M` (default 2), `--history-shards S` (default 4), `--prepare`. */
export function clusterOptions(argv: string[] = process.argv.slice(2)): ClusterOptions {
  const known = ['gateways', 'workers', 'history-shards', 'prepare'];
  const unknown = argv.filter((a) => a.startsWith('--') && !known.includes(a.slice(2).split('=')[0]!));
  if (unknown.length) throw new Error(`unknown option ${unknown[0]}; known: ${known.map((k) => `--${k}`).join(', ')}`);
  return {
    gateways: intFlag(argv, 'gateways', 2, 16),
    workers: intFlag(argv, 'workers', 2, 16),
    historyShards: intFlag(argv, 'history-shards', 4, 16_384),
    prepareOnly: flagValue(argv, 'prepare') !== undefined,
  };
}

const stack = new Stack();
// One worker or gateway of several may die (the topology test kills one): the rest carry on.
stack.survivable = true;
const shutdown = (code: number, reason?: string) => stack.shutdown(code, reason);

/** The UI beside the server, stopped with it; the error instead when it cannot be served. */
async function startUi(
  build: TemporalUiBuild | Error,
  address: string,
  config: RuleflowConfig,
): Promise<TemporalUi | Error> {
  if (build instanceof Error) return build;
  try {
    const ui = await startTemporalUi({
      build,
      address,
      namespace: config.temporal.namespace,
      port: config.temporal.uiPort,
      log: labelled('temporal-ui', 'yellow'),
    });
    const server = stack.temporal!;
    stack.temporal = {
      address: server.address,
      pid: server.pid,
      stop: () => ui.stop().then(() => server.stop()),
    };
    return ui;
  } catch (err) {
    sayError(`no Temporal UI: ${(err as Error).message}`);
    return err as Error;
  }
}

async function main(): Promise<void> {
  let options: ClusterOptions;
  let config: RuleflowConfig;
  let encryption: EncryptionKeys;
  try {
    options = clusterOptions();
    config = loadConfig();
    if (config.temporal.address) {
      throw new ConfigError(
        `npm run cluster runs its own Temporal Server; TEMPORAL_ADDRESS (${config.temporal.address}) is for apps ` +
          'that use another one (npm run start:gateway, npm run start:worker). Unset it here.',
      );
    }
    encryption = resolveEncryptionKeys(config);
  } catch (err) {
    sayError((err as Error).message);
    process.exit(1);
  }
  const root = repoRoot();
  const started = Date.now();
  stack.handleSignals();

  const build = await ensureTemporalServer({ log: labelled('temporal', 'yellow') });
  // The Web UI is a nicety: without it (no network for its first build, say) the cluster still runs.
  const uiBuild = await ensureTemporalUi({ log: labelled('temporal-ui', 'yellow') }).catch((err: Error) => err);
  if (options.prepareOnly) {
    say(`Temporal Server ${TEMPORAL_SERVER_VERSION}: ${build.server}`);
    say(
      uiBuild instanceof Error
        ? `no Temporal UI: ${uiBuild.message}`
        : `Temporal UI ${TEMPORAL_UI_VERSION}: ${uiBuild.server}`,
    );
    return;
  }

  // Its own data directory: the runs in this Temporal are not the ones `npm start`'s dev server knows.
  const dataDir = path.join(config.dataDir, 'cluster');
  const gatewayPorts = Array.from({ length: options.gateways }, (_, i) => config.http.port + i);
  for (const port of gatewayPorts) await assertPortFree(port, 'PORT', 'gateway HTTP', config.http.host || '0.0.0.0');
  const embeddedPg = !config.database.url;
  if (embeddedPg) {
    stack.lock = acquireDataDirLock(dataDir, 'cluster');
    const starting = startEmbeddedPostgres({
      dataDir,
      port: config.database.embeddedPort,
      log: labelled('postgres', 'blue'),
    }).then((p) => (stack.postgres = p));
    stack.starting = starting;
    await starting;
    say(`PostgreSQL ready on 127.0.0.1:${config.database.embeddedPort} (data in ${path.join(dataDir, 'postgres')})`);
  }
  if (stack.isExiting) return;
  const databaseUrl = stack.postgres?.url ?? config.database.url!;
  // Temporal's databases sit beside Ruleflow's, created by the superuser (embedded) or DATABASE_URL's role.
  const temporalDb = { url: stack.postgres?.adminUrl ?? databaseUrl };
  try {
    await setupTemporalSchemas(build, temporalDb, {
      script: temporalSchemaScript(root),
      log: labelled('temporal', 'yellow'),
    });
  } catch (err) {
    if (embeddedPg) throw err;
    throw new Error(
      `${(err as Error).message}\nTemporal's databases (temporal, temporal_visibility) are created by DATABASE_URL's role: ` +
        'give it CREATEDB, or create both databases owned by it first.',
    );
  }

  await assertPortFree(config.temporal.devPort, 'TEMPORAL_DEV_PORT', 'Temporal Server (gRPC)');
  const ports = await freeTemporalServerPorts({ frontendGrpc: config.temporal.devPort });
  const starting = startTemporalServer({
    build,
    ...temporalServerConfigFiles(root),
    databases: temporalDb,
    ports,
    historyShards: options.historyShards,
    log: labelled('temporal', 'yellow'),
  }).then((t) => (stack.temporal = t));
  stack.starting = starting;
  const temporal = await starting;
  if (stack.isExiting) return;
  await ensureTemporalNamespace({
    address: temporal.address,
    namespace: config.temporal.namespace,
    searchAttributes: SEARCH_ATTRIBUTE_NAMES,
    retentionDays: TEMPORAL_RETENTION_DAYS,
    log: labelled('temporal', 'yellow'),
  });
  const ui = await startUi(uiBuild, temporal.address, config);
  say(
    `Temporal Server ${TEMPORAL_SERVER_VERSION} ready on ${temporal.address} (${options.historyShards} history shards)`,
  );

  const applied = await runMigrations(databaseUrl);
  say(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
  if (stack.isExiting) return;

  const admin = adminKey(config.adminKey, dataDir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RULEFLOW_ADMIN_KEY: admin.key,
    RULEFLOW_ENCRYPTION_KEY: encryption.current.toString('base64'),
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporal.address,
    RULEFLOW_DATA_DIR: config.dataDir,
    ...(process.stdout.isTTY && !process.env.NO_COLOR && !process.env.FORCE_COLOR ? { FORCE_COLOR: '1' } : {}),
  };
  const metricsPort = (i: number) => (config.workerMetrics.port ? config.workerMetrics.port + i : 0);
  const workers = Array.from({ length: options.workers }, (_, i) =>
    stack.spawnApp('worker', root, { ...env, WORKER_METRICS_PORT: String(metricsPort(i)) }, `worker-${i + 1}`),
  );
  const gateways = gatewayPorts.map((port, i) =>
    stack.spawnApp('gateway', root, { ...env, PORT: String(port) }, `gateway-${i + 1}`),
  );
  const urls = gatewayPorts.map((port) => localGatewayUrl(config.http.host, port));
  await Promise.all(urls.map((url) => stack.waitForGateway(url)));
  if (stack.isExiting) return;

  say(`Ruleflow cluster is up in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  for (const [i, app] of gateways.entries()) {
    say(`  ${app.label.padEnd(12)} ${urls[i]}   (docs ${urls[i]}/docs, pid ${app.child.pid})`);
  }
  for (const [i, app] of workers.entries()) {
    const metrics = metricsPort(i) ? `metrics ${localGatewayUrl(config.http.host, metricsPort(i))}/metrics, ` : '';
    say(`  ${app.label.padEnd(12)} ${metrics}pid ${app.child.pid}`);
  }
  say(`  Temporal     ${temporal.address} (gRPC, namespace ${config.temporal.namespace}, pid ${temporal.pid})`);
  say(`  Temporal metrics ${temporal.metricsUrl}`);
  say(
    ui instanceof Error
      ? `  Temporal UI  none (${ui.message}); use: temporal workflow list --address ${temporal.address}`
      : `  Temporal UI  ${config.temporal.uiUrl}   (temporalio/ui-server ${TEMPORAL_UI_VERSION}, pid ${ui.pid})`,
  );
  say(
    `  PostgreSQL   ${new URL(databaseUrl).host} (Ruleflow: ${new URL(databaseUrl).pathname.slice(1)}; Temporal: temporal, temporal_visibility)`,
  );
  say(`  Admin key    ${admin.key.slice(0, 7)}…   (${admin.source})`);
  say(`  Secrets key  id ${encryptionKeyId(encryption.current)}   (${encryption.source})`);
  say('  Stop with Ctrl-C.');
}

if (require.main === module) {
  main().catch((err: unknown) => void shutdown(1, err instanceof Error ? err.message : String(err)));
}
