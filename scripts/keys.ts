/**
 * `npm run keys -- <command>`: manage tenants' API keys straight in the database, for the first key
 * of a tenant (before any API key exists to call `POST /v1/api-keys` with) and for operators.
 *
 *   create --tenant <name> --name <keyName> [--scopes a,b] [--expires-in-days N]
 *          [--rate-limit-per-hour N] [--usage-quota N] [--json]
 *   list   --tenant <name> [--json]
 *   revoke <keyId>
 *
 * The database is DATABASE_URL, else the embedded PostgreSQL of a running `npm start` (the URL it
 * publishes in <RULEFLOW_DATA_DIR>/owner.json, else the embedded default on EMBEDDED_PG_PORT).
 * Keys are minted and hashed by the gateway's own codec, so the plaintext is never stored.
 */
import { loadConfig } from '@ruleflow/config';
import type { Client } from 'pg';
import { CliError, inSystemTransaction, runCli, UsageError, withDatabase } from './cli';
import { apiKeyPrefix, generateApiKey, hashApiKey } from '../apps/gateway/src/auth/api-key-codec';
import type { Scope } from '../apps/gateway/src/auth/scopes';
import { SCOPES } from '../apps/gateway/src/auth/scopes';

const DAY_MS = 86_400_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The same rules as the API's CreateTenantDto and CreateApiKeyDto.
const TENANT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;
const LIMITS = { expiresInDays: 3650, rateLimitPerHour: 100_000_000, usageQuota: 2_000_000_000 } as const;

const USAGE = `Usage:
  npm run keys -- create --tenant <name> --name <keyName> [--scopes a,b] [--expires-in-days N]
                         [--rate-limit-per-hour N] [--usage-quota N] [--json]
  npm run keys -- list --tenant <name> [--json]
  npm run keys -- revoke <keyId>

create makes the tenant when it does not exist yet and prints the new key once (default scopes: admin).
Scopes: ${SCOPES.join(', ')}.
Database: DATABASE_URL, else the embedded PostgreSQL of a running \`npm start\`.`;

export type KeysCommand =
  | {
      command: 'create';
      tenant: string;
      name: string;
      scopes: Scope[];
      expiresInDays?: number;
      rateLimitPerHour?: number;
      usageQuota?: number;
      json: boolean;
    }
  | { command: 'list'; tenant: string; json: boolean }
  | { command: 'revoke'; keyId: string };

const OPTIONS: Record<string, readonly string[]> = {
  create: ['tenant', 'name', 'scopes', 'expires-in-days', 'rate-limit-per-hour', 'usage-quota', 'json'],
  list: ['tenant', 'json'],
  revoke: [],
};
const FLAGS = new Set(['json']);

function positiveInt(option: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    throw new UsageError(`--${option} must be an integer from 1 to ${max} (got "${value}")`);
  }
  return Number(value);
}

/** Parse the command line (after `--`); throws UsageError naming the problem. */
export function parseKeysArgs(argv: readonly string[]): KeysCommand {
  const [command, ...rest] = argv;
  if (!command) throw new UsageError('a command is needed: create, list or revoke');
  const allowed = OPTIONS[command];
  if (!allowed) throw new UsageError(`unknown command "${command}": use create, list or revoke`);
  const options = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const option = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!allowed.includes(option)) throw new UsageError(`unknown option --${option} for "${command}"`);
    if (options.has(option)) throw new UsageError(`--${option} is given twice`);
    if (FLAGS.has(option)) {
      if (eq !== -1) throw new UsageError(`--${option} takes no value`);
      options.set(option, 'true');
      continue;
    }
    const value = eq === -1 ? rest[++i] : arg.slice(eq + 1);
    if (value === undefined || (eq === -1 && value.startsWith('--')) || value.trim() === '') {
      throw new UsageError(`--${option} needs a value`);
    }
    options.set(option, value);
  }
  const json = options.has('json');
  if (command === 'revoke') {
    if (positional.length !== 1) throw new UsageError('revoke takes exactly one key id');
    const keyId = positional[0]!;
    if (!UUID.test(keyId)) throw new UsageError(`the key id must be a UUID (got "${keyId}")`);
    return { command, keyId };
  }
  if (positional.length) throw new UsageError(`unexpected argument "${positional[0]}"`);
  const tenant = options.get('tenant');
  if (tenant === undefined) throw new UsageError('--tenant <name> is required');
  if (!TENANT_NAME.test(tenant)) {
    throw new UsageError('--tenant must be 1..100 letters, digits, _ . - (starting alphanumeric)');
  }
  if (command === 'list') return { command, tenant, json };

  const name = options.get('name');
  if (name === undefined) throw new UsageError('--name <keyName> is required');
  if (name.length > 200) throw new UsageError('--name must be at most 200 characters');
  const scopes = (options.get('scopes') ?? 'admin').split(',').map((s) => s.trim());
  for (const scope of scopes) {
    if (!(SCOPES as readonly string[]).includes(scope)) {
      throw new UsageError(`unknown scope "${scope}" in --scopes (known: ${SCOPES.join(', ')})`);
    }
  }
  if (new Set(scopes).size !== scopes.length) throw new UsageError('--scopes lists a scope twice');
  return {
    command: 'create',
    tenant,
    name,
    scopes: scopes as Scope[],
    expiresInDays: positiveInt('expires-in-days', options.get('expires-in-days'), LIMITS.expiresInDays),
    rateLimitPerHour: positiveInt('rate-limit-per-hour', options.get('rate-limit-per-hour'), LIMITS.rateLimitPerHour),
    usageQuota: positiveInt('usage-quota', options.get('usage-quota'), LIMITS.usageQuota),
    json,
  };
}

interface KeyRow {
  id: string;
  tenant_id: string;
  name: string;
  prefix: string;
  scopes: string[];
  expires_at: Date | null;
  rate_limit_per_hour: number | null;
  usage_quota: number | null;
  usage_count: number;
  last_used_at: Date | null;
  enabled: boolean;
  revoked_at: Date | null;
  created_at: Date;
}

const KEY_COLUMNS = `id, tenant_id, name, prefix, scopes, expires_at, rate_limit_per_hour, usage_quota, usage_count,
  last_used_at, enabled, revoked_at, created_at`;

/** The API's shape of a key (`GET /v1/api-keys`), never the key itself. */
function keyView(k: KeyRow) {
  return {
    id: k.id,
    name: k.name,
    tenantId: k.tenant_id,
    prefix: k.prefix,
    scopes: k.scopes,
    expiresAt: k.expires_at?.toISOString() ?? null,
    rateLimitPerHour: k.rate_limit_per_hour,
    usageQuota: k.usage_quota,
    usageCount: k.usage_count,
    lastUsedAt: k.last_used_at?.toISOString() ?? null,
    enabled: k.enabled,
    revokedAt: k.revoked_at?.toISOString() ?? null,
    createdAt: k.created_at.toISOString(),
  };
}

async function create(client: Client, cmd: Extract<KeysCommand, { command: 'create' }>): Promise<void> {
  const key = generateApiKey();
  const { tenant, created, row } = await inSystemTransaction(client, async () => {
    const inserted = await client.query<{ id: string }>(
      `INSERT INTO tenants (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id`,
      [cmd.tenant],
    );
    const tenantId =
      inserted.rows[0]?.id ??
      (await client.query<{ id: string }>(`SELECT id FROM tenants WHERE name = $1`, [cmd.tenant])).rows[0]!.id;
    const keys = await client.query<KeyRow>(
      `INSERT INTO api_keys (tenant_id, name, prefix, key_hash, scopes, expires_at, rate_limit_per_hour, usage_quota)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${KEY_COLUMNS}`,
      [
        tenantId,
        cmd.name,
        apiKeyPrefix(key),
        hashApiKey(key),
        cmd.scopes,
        cmd.expiresInDays ? new Date(Date.now() + cmd.expiresInDays * DAY_MS) : null,
        cmd.rateLimitPerHour ?? null,
        cmd.usageQuota ?? null,
      ],
    );
    return { tenant: tenantId, created: inserted.rows.length > 0, row: keys.rows[0]! };
  });
  const { usageCount: _u, lastUsedAt: _l, enabled: _e, revokedAt: _r, ...shown } = keyView(row);
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify({ ...shown, key, tenantName: cmd.tenant, tenantCreated: created })}\n`);
    return;
  }
  const lines = [
    `${created ? 'Created tenant' : 'Tenant'} "${cmd.tenant}" (id ${tenant})`,
    `Created API key "${row.name}" (id ${row.id})`,
    `  scopes     ${row.scopes.join(', ')}`,
    ...(row.expires_at ? [`  expires    ${row.expires_at.toISOString()}`] : []),
    ...(row.rate_limit_per_hour !== null ? [`  rate limit ${row.rate_limit_per_hour} requests/hour`] : []),
    ...(row.usage_quota !== null ? [`  quota      ${row.usage_quota} requests`] : []),
    '',
    `  key        ${key}`,
    '',
    'This is the only time the key is shown: only its prefix and a SHA-256 hash are stored.',
    `Use it as: Authorization: Bearer ${row.prefix}…`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function list(client: Client, cmd: Extract<KeysCommand, { command: 'list' }>): Promise<void> {
  const rows = await inSystemTransaction(client, async () => {
    const tenant = await client.query<{ id: string }>(`SELECT id FROM tenants WHERE name = $1`, [cmd.tenant]);
    if (!tenant.rows[0]) throw new CliError(`there is no tenant named "${cmd.tenant}"`);
    const keys = await client.query<KeyRow>(
      `SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`,
      [tenant.rows[0].id],
    );
    return keys.rows;
  });
  const views = rows.map(keyView);
  if (cmd.json) {
    process.stdout.write(`${JSON.stringify({ items: views })}\n`);
    return;
  }
  if (!views.length) {
    process.stdout.write(`Tenant "${cmd.tenant}" has no API keys.\n`);
    return;
  }
  for (const k of views) {
    const state = k.revokedAt
      ? 'revoked'
      : !k.enabled
        ? 'disabled'
        : k.expiresAt && Date.parse(k.expiresAt) <= Date.now()
          ? 'expired'
          : 'enabled';
    process.stdout.write(
      `${k.id}  ${k.prefix}…  ${state.padEnd(7)}  ${JSON.stringify(k.name)}  scopes=${k.scopes.join(',')}` +
        `  used=${k.usageCount}  created=${k.createdAt}${k.expiresAt ? `  expires=${k.expiresAt}` : ''}\n`,
    );
  }
}

async function revoke(client: Client, cmd: Extract<KeysCommand, { command: 'revoke' }>): Promise<void> {
  const rows = await inSystemTransaction(client, async () => {
    const res = await client.query<{ name: string; was: boolean }>(
      `SELECT name, revoked_at IS NULL AS was FROM api_keys WHERE id = $1 FOR UPDATE`,
      [cmd.keyId],
    );
    // Final, as DELETE /v1/api-keys/:id: a disabled key may be enabled again, a revoked one never.
    if (res.rows[0]?.was) {
      await client.query(`UPDATE api_keys SET enabled = false, revoked_at = now() WHERE id = $1`, [cmd.keyId]);
    }
    return res.rows;
  });
  if (!rows[0]) throw new CliError(`there is no API key with id ${cmd.keyId}`);
  process.stdout.write(
    rows[0].was
      ? `Revoked API key "${rows[0].name}" (id ${cmd.keyId}): it is refused from now on.\n`
      : `API key "${rows[0].name}" (id ${cmd.keyId}) was already revoked.\n`,
  );
}

async function main(argv: readonly string[]): Promise<number> {
  let cmd: KeysCommand;
  try {
    cmd = parseKeysArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`keys: ${err.message}\n\n${USAGE}\n`);
    return 2;
  }
  return withDatabase(loadConfig(), 'ruleflow-keys', async (client) => {
    if (cmd.command === 'create') await create(client, cmd);
    else if (cmd.command === 'list') await list(client, cmd);
    else await revoke(client, cmd);
    return 0;
  });
}

if (require.main === module) runCli('keys', main);
