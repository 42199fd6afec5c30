/**
 * What the operator CLIs (`npm run keys`, `npm run secrets`) share: their error kinds, finding and
 * opening the database, the system scope, and how a command ends (exit code and message).
 */
import type { RuleflowConfig } from '@ruleflow/config';
import { ConfigError } from '@ruleflow/config';
import { dataDirOwner, EMBEDDED_PG_PASSWORD, EMBEDDED_PG_USER } from '@ruleflow/local-stack';
import { Client } from 'pg';

/** Bad command-line arguments: the usage is printed and the exit code is 2. */
export class UsageError extends Error {}
/** A failure the user can act on: its message alone is printed (no stack) and the exit code is 1. */
export class CliError extends Error {}

/** DATABASE_URL, else the URL a running `npm start` published for its embedded PostgreSQL, else the embedded default. */
export function databaseUrl(config: RuleflowConfig): { url: string; source: string } {
  if (config.database.url) return { url: config.database.url, source: 'DATABASE_URL' };
  const owner = dataDirOwner(config.dataDir);
  if (owner?.databaseUrl) return { url: owner.databaseUrl, source: `the embedded PostgreSQL of pid ${owner.pid}` };
  const url = `postgres://${EMBEDDED_PG_USER}:${EMBEDDED_PG_PASSWORD}@127.0.0.1:${config.database.embeddedPort}/ruleflow`;
  return { url, source: 'the embedded PostgreSQL (default port)' };
}

/**
 * Run `fn` in one transaction in the system scope: with row-level security on, tenant-owned rows
 * are visible only to a transaction that declared `ruleflow.scope` (see libs/entities/src/db-scope.ts).
 */
export async function inSystemTransaction<T>(client: Client, fn: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    await client.query(`SELECT set_config('ruleflow.scope', 'system', true)`);
    const result = await fn();
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  }
}

/** Whether `err` means the database cannot be reached (not running, wrong URL, bad credentials). */
function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return (
    ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(code ?? '') ||
    // 3D000: no such database; 28P01/28000: authentication failed.
    ['3D000', '28P01', '28000'].includes(code ?? '') ||
    /timeout expired|Connection terminated/i.test((err as Error | null)?.message ?? '')
  );
}

/**
 * Open the Ruleflow database, run `fn`, close it. Unreachable database and missing schema become
 * CliErrors telling the user what to do.
 */
export async function withDatabase<T>(
  config: RuleflowConfig,
  applicationName: string,
  fn: (client: Client, source: string) => Promise<T>,
): Promise<T> {
  const db = databaseUrl(config);
  const client = new Client({
    connectionString: db.url,
    application_name: applicationName,
    connectionTimeoutMillis: 5_000,
  });
  try {
    await client.connect();
  } catch (err) {
    if (!isConnectionError(err)) throw err;
    throw new CliError(
      `cannot reach the database (${db.source}): ${(err as Error).message}.\n` +
        'Start Ruleflow with `npm start` first (it runs the embedded PostgreSQL), or set DATABASE_URL.',
    );
  }
  try {
    return await fn(client, db.source);
  } catch (err) {
    // 42P01: a table is missing.
    if ((err as { code?: string }).code === '42P01') {
      throw new CliError(`the database (${db.source}) has no Ruleflow schema yet: run \`npm run migrate\` first`);
    }
    throw err;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Run a CLI's `main` and exit with its code; errors of the `expected` kinds (and CliError,
 * ConfigError) print their message alone, anything else its stack, prefixed with `name:`.
 */
export function runCli(
  name: string,
  main: (argv: readonly string[]) => Promise<number>,
  expected: ReadonlyArray<abstract new (...args: never[]) => Error> = [],
): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const known = [CliError, ConfigError, ...expected].some((kind) => err instanceof kind);
      const message = known ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`${name}: ${message}\n`);
      process.exit(1);
    },
  );
}
