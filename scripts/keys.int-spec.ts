/**
 * `npm run keys`: the CLI as a child process against a test database, and the key it prints used
 * against the real gateway app on that database.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, writeTsRegister } from '@ruleflow/testing';
import type { TestSystem } from '../apps/gateway/test/test-system';
import { startTestSystem } from '../apps/gateway/test/test-system';

const ROOT = path.resolve(__dirname, '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('npm run keys (CLI)', () => {
  let sys: TestSystem;
  let tmpDir: string;
  let register: string;

  beforeAll(async () => {
    tmpDir = mkdtempSync(path.join(os.tmpdir(), 'ruleflow-keys-'));
    register = writeTsRegister(tmpDir);
    sys = await startTestSystem({ withoutWorker: true });
  });
  afterAll(async () => {
    await sys?.close();
    rmSync(tmpDir, { recursive: true, force: true });
  });

  function keys(args: string[], env: Record<string, string> = {}): Promise<Run> {
    const { DATABASE_URL: _d, ...inherited } = process.env;
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['-r', register, path.join(ROOT, 'scripts', 'keys.ts'), ...args],
        {
          cwd: ROOT,
          // A data dir with no running launcher: DATABASE_URL is the only way to the database.
          env: { ...inherited, RULEFLOW_DATA_DIR: tmpDir, DATABASE_URL: sys.databaseUrl, ...env },
          timeout: 60_000,
        },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  const as = (key: string) => ({ Authorization: `Bearer ${key}` });
  const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
  const count = async (table: string) =>
    Number(((await sys.db.query(`SELECT count(*)::int AS n FROM ${table}`)) as Array<{ n: number }>)[0]!.n);

  let adminKey: { id: string; key: string; tenantId: string };

  it('create makes the tenant and an admin key; only prefix and SHA-256 are stored; the gateway accepts it', async () => {
    const run = await keys(['create', '--tenant', 'globex', '--name', 'globex admin', '--json']);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const out = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      id: expect.any(String),
      name: 'globex admin',
      tenantId: expect.any(String),
      tenantName: 'globex',
      tenantCreated: true,
      scopes: ['admin'],
      expiresAt: null,
      rateLimitPerHour: null,
      usageQuota: null,
      key: expect.stringMatching(/^rf_[A-Za-z0-9_-]{40,}$/),
    });
    adminKey = { id: out.id as string, key: out.key as string, tenantId: out.tenantId as string };
    expect(out.prefix).toBe(adminKey.key.slice(0, 10));

    const tenants: Array<{ id: string }> = await sys.db.query(`SELECT id FROM tenants WHERE name = 'globex'`);
    expect(tenants).toEqual([{ id: adminKey.tenantId }]);
    const rows: Array<Record<string, unknown>> = await sys.db.query(`SELECT * FROM api_keys WHERE id = $1`, [
      adminKey.id,
    ]);
    expect(rows[0]).toMatchObject({
      tenant_id: adminKey.tenantId,
      prefix: adminKey.key.slice(0, 10),
      key_hash: sha256(adminKey.key),
      scopes: ['admin'],
      enabled: true,
    });
    expect(JSON.stringify(rows)).not.toContain(adminKey.key);

    // The gateway authenticates it as an admin of its own tenant.
    const listed = await sys.http.get('/v1/api-keys').set(as(adminKey.key));
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((k: { id: string }) => k.id)).toEqual([adminKey.id]);
    expect((await sys.http.get('/v1/rules').set(as(adminKey.key))).status).toBe(200);
  });

  it('create for an existing tenant reuses it; scopes and limits are applied; the human output shows the key once', async () => {
    const tenantsBefore = await count('tenants');
    const run = await keys([
      'create',
      '--tenant',
      'globex',
      '--name',
      'reader',
      '--scopes',
      'rules:read,executions:read',
      '--expires-in-days',
      '30',
      '--rate-limit-per-hour',
      '100',
      '--usage-quota=1000',
    ]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(await count('tenants')).toBe(tenantsBefore);
    const key = /\bkey\s+(rf_[A-Za-z0-9_-]+)/.exec(run.stdout)?.[1];
    expect(key).toBeDefined();
    expect(run.stdout.split(key!).length).toBe(2); // printed exactly once
    expect(run.stdout).toContain(`Tenant "globex" (id ${adminKey.tenantId})`);
    const id = /Created API key "reader" \(id ([0-9a-f-]{36})\)/.exec(run.stdout)?.[1];
    expect(id).toBeDefined();
    expect(run.stdout).toContain('rules:read, executions:read');

    const row = ((await sys.db.query(`SELECT * FROM api_keys WHERE id = $1`, [id])) as Array<Record<string, any>>)[0]!;
    expect(row).toMatchObject({
      tenant_id: adminKey.tenantId,
      key_hash: sha256(key!),
      scopes: ['rules:read', 'executions:read'],
      rate_limit_per_hour: 100,
      usage_quota: 1000,
    });
    const expires = (row.expires_at as Date).getTime();
    expect(expires).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(expires).toBeLessThan(Date.now() + 31 * 86_400_000);

    expect((await sys.http.get('/v1/rules').set(as(key!))).status).toBe(200);
    expect((await sys.http.get('/v1/api-keys').set(as(key!))).status).toBe(403);
  });

  it('list shows the tenant’s keys (never the key itself), as text and as JSON', async () => {
    const json = await keys(['list', '--tenant', 'globex', '--json']);
    expect(json.code).toBe(0);
    const items = (JSON.parse(json.stdout) as { items: Array<Record<string, unknown>> }).items;
    expect(items.map((k) => k.name)).toEqual(['reader', 'globex admin']);
    expect(items.every((k) => k.tenantId === adminKey.tenantId && k.enabled === true)).toBe(true);
    expect(items.find((k) => k.id === adminKey.id)).toMatchObject({ prefix: adminKey.key.slice(0, 10) });
    expect(items.find((k) => k.id === adminKey.id)!.usageCount).toBeGreaterThan(0);
    expect(json.stdout).not.toContain(adminKey.key);
    expect(json.stdout).not.toContain('key_hash');
    expect(json.stdout).not.toMatch(/"key"/);

    const text = await keys(['list', '--tenant', 'globex']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(adminKey.id);
    expect(text.stdout).toContain('enabled');
    expect(text.stdout).not.toContain(adminKey.key);

    // Another tenant's keys are not listed under globex.
    const defaultKeys = await keys(['list', '--tenant', 'default', '--json']);
    expect(defaultKeys.code).toBe(0);
    const ids = (JSON.parse(defaultKeys.stdout) as { items: Array<{ id: string }> }).items.map((k) => k.id);
    expect(ids).not.toContain(adminKey.id);

    const missing = await keys(['list', '--tenant', 'nobody-here']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('no tenant named "nobody-here"');
  });

  it('revoke disables the key at once; again is harmless; an unknown id is an error', async () => {
    const run = await keys(['revoke', adminKey.id]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toContain('Revoked');
    expect((await sys.http.get('/v1/rules').set(as(adminKey.key))).status).toBe(401);
    const rows: Array<{ enabled: boolean }> = await sys.db.query(`SELECT enabled FROM api_keys WHERE id = $1`, [
      adminKey.id,
    ]);
    expect(rows).toEqual([{ enabled: false }]);
    const listed = JSON.parse((await keys(['list', '--tenant', 'globex', '--json'])).stdout) as {
      items: Array<{ id: string; enabled: boolean }>;
    };
    expect(listed.items.find((k) => k.id === adminKey.id)?.enabled).toBe(false);

    const again = await keys(['revoke', adminKey.id]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already revoked');
    const unknown = await keys(['revoke', '3f1c1f8e-9d55-4a55-9a3c-000000000000']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no API key with id 3f1c1f8e-9d55-4a55-9a3c-000000000000');
  });

  it.each<[string[], RegExp]>([
    [[], /a command is needed/],
    [['rotate'], /unknown command "rotate"/],
    [['create', '--name', 'k'], /--tenant <name> is required/],
    [['create', '--tenant', 'acme'], /--name <keyName> is required/],
    [['create', '--tenant', 'acme', '--name'], /--name needs a value/],
    [['create', '--tenant', 'bad name!', '--name', 'k'], /--tenant must be/],
    [['create', '--tenant', 'acme', '--name', 'k', '--scopes', 'rules:read,rules:fly'], /unknown scope "rules:fly"/],
    [['create', '--tenant', 'acme', '--name', 'k', '--scopes', 'admin,admin'], /scope twice/],
    [['create', '--tenant', 'acme', '--name', 'k', '--expires-in-days', '0'], /--expires-in-days must be an integer/],
    [['create', '--tenant', 'acme', '--name', 'k', '--rate-limit-per-hour', '1.5'], /--rate-limit-per-hour must/],
    [['create', '--tenant', 'acme', '--name', 'k', '--usage-quota', 'lots'], /--usage-quota must be an integer/],
    [['create', '--tenant', 'acme', '--name', 'k', '--colour', 'red'], /unknown option --colour/],
    [['create', '--tenant', 'acme', '--tenant', 'b', '--name', 'k'], /--tenant is given twice/],
    [['list'], /--tenant <name> is required/],
    [['list', '--tenant', 'acme', '--name', 'k'], /unknown option --name for "list"/],
    [['revoke'], /exactly one key id/],
    [['revoke', 'not-a-uuid'], /must be a UUID/],
  ])('bad arguments %j: exit code 2, usage naming the problem, nothing written', async (args, problem) => {
    const before = [await count('tenants'), await count('api_keys')];
    const run = await keys(args);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(problem);
    expect(run.stderr).toContain('Usage:');
    expect(run.stdout).toBe('');
    expect([await count('tenants'), await count('api_keys')]).toEqual(before);
  });

  it('an unreachable database: a clear message telling to run npm start or set DATABASE_URL', async () => {
    const port = await freePort();
    const run = await keys(['list', '--tenant', 'globex'], {
      DATABASE_URL: `postgres://postgres:postgres@127.0.0.1:${port}/ruleflow`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/cannot reach the database/);
    expect(run.stderr).toContain('npm start');
    expect(run.stderr).toContain('DATABASE_URL');
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace

    // Without DATABASE_URL and no launcher owning the data dir, it tries the embedded default port.
    const embedded = await keys(['list', '--tenant', 'globex'], { DATABASE_URL: '', EMBEDDED_PG_PORT: String(port) });
    expect(embedded.code).toBe(1);
    expect(embedded.stderr).toContain(`127.0.0.1:${port}`);
    expect(embedded.stderr).toContain('npm start');
  });

  it('uses the embedded PostgreSQL URL a running launcher published in <dataDir>/owner.json', async () => {
    const dataDir = mkdtempSync(path.join(tmpDir, 'data-'));
    // The owner must be a live node process: this jest worker stands in for `npm start`.
    writeFileSync(
      path.join(dataDir, 'owner.json'),
      JSON.stringify({ pid: process.pid, role: 'start', databaseUrl: sys.databaseUrl }),
    );
    const run = await keys(['list', '--tenant', 'globex', '--json'], { DATABASE_URL: '', RULEFLOW_DATA_DIR: dataDir });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect((JSON.parse(run.stdout) as { items: unknown[] }).items).toHaveLength(2);
  });
});
