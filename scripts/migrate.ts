/**
 * `npm run migrate`: apply pending migrations to DATABASE_URL. Without DATABASE_URL it uses the
 * embedded PostgreSQL under RULEFLOW_DATA_DIR: the one a running `npm start` owns, or its own,
 * started for the occasion and stopped afterwards.
 */
import { ConfigError, loadConfig } from '@ruleflow/config';
import { runMigrations } from '@ruleflow/entities';
import type { EmbeddedPostgres } from '@ruleflow/local-stack';
import { acquireDataDirLock, dataDirOwner, labelled, startEmbeddedPostgres } from '@ruleflow/local-stack';

const say = labelled('migrate', 'green');
const pgLog = labelled('postgres', 'blue');

async function main(): Promise<number> {
  const config = loadConfig();
  let url = config.database.url;
  let embedded: EmbeddedPostgres | undefined;
  let release = () => undefined as void;
  if (!url) {
    const owner = dataDirOwner(config.dataDir);
    if (owner?.databaseUrl) {
      say(`using the embedded PostgreSQL of the running launcher (pid ${owner.pid})`);
      url = owner.databaseUrl;
    } else {
      const lock = acquireDataDirLock(config.dataDir, 'migrate');
      release = () => lock.release();
      embedded = await startEmbeddedPostgres({
        dataDir: config.dataDir,
        port: config.database.embeddedPort,
        // Routine LOG lines are noise for a one-shot command; warnings and errors are not.
        log: (line) => {
          if (!/\] LOG: /.test(line)) pgLog(line);
        },
      });
      url = embedded.url;
      say(`started the embedded PostgreSQL on 127.0.0.1:${config.database.embeddedPort}`);
    }
  }
  try {
    const applied = await runMigrations(url);
    say(
      applied.length
        ? `applied ${applied.length} migration(s): ${applied.join(', ')}`
        : 'nothing to apply: the schema is up to date',
    );
    return 0;
  } finally {
    await embedded?.stop();
    release();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message =
      err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    say(message, 'stderr');
    process.exit(1);
  },
);
