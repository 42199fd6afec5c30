/**
 * `npm start`: the whole system on one machine. Starts what is not configured (embedded PostgreSQL
 * without DATABASE_URL, a Temporal dev server without TEMPORAL_ADDRESS), applies migrations, runs
 * the worker and the gateway as child processes, and stops everything in order on Ctrl-C/SIGTERM:
 * gateway, worker, Temporal, PostgreSQL.
 */
import path from 'node:path';
import type { EncryptionKeys, RuleflowConfig } from '@ruleflow/config';
import { ConfigError, encryptionKeyId, loadConfig, resolveEncryptionKeys } from '@ruleflow/config';
import { SEARCH_ATTRIBUTE_NAMES } from '@ruleflow/contract';
import { runMigrations } from '@ruleflow/entities';
import {
  acquireDataDirLock,
  assertPortFree,
  findTemporalCli,
  labelled,
  startEmbeddedPostgres,
  startTemporalDevServer,
  FILE_BACKED_SQLITE_PRAGMAS,
  startBannerLines,
  temporalCliHelp,
} from '@ruleflow/local-stack';
import { adminKey, localGatewayUrl, repoRoot, say, sayError, Stack } from './launcher';

const stack = new Stack();
const shutdown = (code: number, reason?: string) => stack.shutdown(code, reason);

async function main(): Promise<void> {
  let config: RuleflowConfig;
  let encryption: EncryptionKeys;
  try {
    config = loadConfig();
    // Resolved once, before anything starts (generated into <dataDir>/encryption.key on the first
    // start), and handed to both children so the worker opens exactly what the gateway seals.
    encryption = resolveEncryptionKeys(config);
  } catch (err) {
    if (err instanceof ConfigError) {
      sayError(err.message);
      process.exit(1);
    }
    throw err;
  }
  const root = repoRoot();
  const started = Date.now();

  stack.handleSignals();

  const embeddedPg = !config.database.url;
  const devTemporal = !config.temporal.address;
  const cliPath = devTemporal ? findTemporalCli(config.temporal.cliPath) : undefined;
  if (devTemporal && !cliPath) {
    sayError(temporalCliHelp(config.temporal.cliPath));
    process.exit(1);
  }
  if (embeddedPg || devTemporal) stack.lock = acquireDataDirLock(config.dataDir, 'start');
  await assertPortFree(config.http.port, 'PORT', 'gateway HTTP', config.http.host || '0.0.0.0');

  // PostgreSQL and Temporal are independent: start them side by side.
  const services = Promise.allSettled([
    embeddedPg
      ? startEmbeddedPostgres({
          dataDir: config.dataDir,
          port: config.database.embeddedPort,
          log: labelled('postgres', 'blue'),
        }).then((p) => (stack.postgres = p))
      : undefined,
    devTemporal
      ? startTemporalDevServer({
          cliPath: cliPath!,
          dbFile: path.join(config.dataDir, 'temporal.db'),
          sqlitePragmas: FILE_BACKED_SQLITE_PRAGMAS,
          port: config.temporal.devPort,
          uiPort: config.temporal.uiPort,
          namespace: config.temporal.namespace,
          searchAttributes: SEARCH_ATTRIBUTE_NAMES,
          log: labelled('temporal', 'yellow'),
        }).then((t) => (stack.temporal = t))
      : undefined,
  ]);
  stack.starting = services;
  const [pg, temporal] = await services;
  if (stack.isExiting) return;
  if (pg.status === 'rejected') return void shutdown(1, `PostgreSQL: ${(pg.reason as Error).message}`);
  if (temporal.status === 'rejected') return void shutdown(1, `Temporal: ${(temporal.reason as Error).message}`);

  const databaseUrl = stack.postgres?.url ?? config.database.url!;
  const temporalAddress = stack.temporal?.address ?? config.temporal.address!;
  if (stack.postgres) {
    stack.lock?.update({ databaseUrl });
    say(
      `PostgreSQL ready on 127.0.0.1:${config.database.embeddedPort} (data in ${path.join(config.dataDir, 'postgres')})`,
    );
  }
  if (stack.temporal)
    say(`Temporal dev server ready on ${temporalAddress} (state in ${path.join(config.dataDir, 'temporal.db')})`);

  const applied = await runMigrations(databaseUrl);
  say(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');
  if (stack.isExiting) return;

  const admin = adminKey(config.adminKey, config.dataDir);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RULEFLOW_ADMIN_KEY: admin.key,
    RULEFLOW_ENCRYPTION_KEY: encryption.current.toString('base64'),
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    RULEFLOW_DATA_DIR: config.dataDir,
    // The children write to pipes; keep colours when we are on a terminal.
    ...(process.stdout.isTTY && !process.env.NO_COLOR && !process.env.FORCE_COLOR ? { FORCE_COLOR: '1' } : {}),
  };
  stack.spawnApp('worker', root, env);
  stack.spawnApp('gateway', root, env);

  await stack.waitForGateway(localGatewayUrl(config.http.host, config.http.port));
  if (stack.isExiting) return;
  const api = config.http.publicUrl.replace(/\/+$/, '');
  const banner = startBannerLines({
    seconds: (Date.now() - started) / 1000,
    api,
    temporalUi: config.temporal.uiUrl,
    adminKey: admin.key,
    adminKeySource: admin.source,
    secretsKeyId: encryptionKeyId(encryption.current),
    secretsKeySource: encryption.source,
  });
  for (const line of banner) say(line);
}

main().catch((err: unknown) => void shutdown(1, err instanceof Error ? err.message : String(err)));
