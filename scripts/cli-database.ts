/** The database side of the operator CLIs (`npm run keys`, `npm run secrets`): where it is, and the system scope. */
import type { RuleflowConfig } from '@ruleflow/config';
import { dataDirOwner, EMBEDDED_PG_PASSWORD, EMBEDDED_PG_USER } from '@ruleflow/local-stack';
import type { Client } from 'pg';

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
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  return (
    ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN'].includes(code ?? '') ||
    // 3D000: no such database; 28P01/28000: authentication failed.
    ['3D000', '28P01', '28000'].includes(code ?? '') ||
    /timeout expired|Connection terminated/i.test((err as Error | null)?.message ?? '')
  );
}
