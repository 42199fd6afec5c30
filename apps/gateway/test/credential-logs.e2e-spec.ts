/**
 * What a real gateway process writes to its log at `info` (every request line included) never holds
 * a hook token or an API key sent in a query string.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GatewayProcess, TestDatabase } from '@ruleflow/testing';
import { createTestDatabase, startGatewayProcess, uniqueTaskQueue, writeTsRegister } from '@ruleflow/testing';

const ADMIN_KEY = 'rf_credential_logs_admin_0123456789ab';

describe('gateway log output holds no credentials', () => {
  let database: TestDatabase;
  let tmpDir: string;
  let gateway: GatewayProcess;
  let base: string;

  beforeAll(async () => {
    tmpDir = mkdtempSync(path.join(os.tmpdir(), 'ruleflow-logs-'));
    database = await createTestDatabase();
    gateway = await startGatewayProcess({
      register: writeTsRegister(tmpDir),
      databaseUrl: database.url,
      taskQueue: uniqueTaskQueue('logs'),
      adminKey: ADMIN_KEY,
      dataDir: tmpDir,
      logLevel: 'info', // every request line
    });
    base = gateway.url;
    await gateway.waitHealthy();
  });

  afterAll(async () => {
    gateway?.kill();
    await new Promise((r) => setTimeout(r, 300));
    await database?.drop();
    rmSync(tmpDir, { recursive: true, force: true });
  });

  it('logs requests with the hook token and query-string keys redacted', async () => {
    const headers = { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' };
    const created = await fetch(`${base}/v1/rules`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'logged hook',
        entity: 'leads',
        trigger: { type: 'webhook' },
        actions: [{ type: 'delay', config: { duration: '1s' } }],
      }),
    });
    expect(created.status).toBe(201);
    const rule = (await created.json()) as { id: string; trigger: { hookUrl: string } };
    const token = rule.trigger.hookUrl.split('/').pop()!;
    expect(token).toHaveLength(43);

    expect((await fetch(`${base}${rule.trigger.hookUrl}`, { method: 'POST', headers, body: '{}' })).status).toBe(202);
    // A bad body on the hook (a 4xx) and a key in the query string of an API route and of an unknown one.
    await fetch(`${base}${rule.trigger.hookUrl}?x=1`, { method: 'POST', headers, body: '[' });
    await fetch(`${base}/v1/rules?api_key=${ADMIN_KEY}`);
    await fetch(`${base}/v1/rules?limit=5&access_token=${ADMIN_KEY}`, { headers });
    await fetch(`${base}/v1/nowhere?key=${ADMIN_KEY}`);
    const rotated = await fetch(`${base}/v1/rules/${rule.id}/rotate-hook`, { method: 'POST', headers });
    const fresh = ((await rotated.json()) as { hookUrl: string }).hookUrl;
    await fetch(`${base}${fresh}`, { method: 'POST', headers, body: '{}' });

    // Each request is logged once its response has finished: wait for the last one's line.
    const deadline = Date.now() + 10_000;
    while (!gateway.output.join('').includes('"/v1/hooks/') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 500));
    const log = gateway.output.join('');
    expect(log).toContain('"/v1/hooks/***"');
    expect(log).toContain('/v1/rules?api_key=***');
    expect(log).toContain('/v1/rules');
    expect(log).not.toContain(token);
    expect(log).not.toContain(fresh.split('/').pop()!);
    expect(log).not.toContain(ADMIN_KEY);
  });
});
