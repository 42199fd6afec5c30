/**
 * rateLimitPerHour is one budget per key however many gateway processes serve it: two real gateway
 * OS processes on one database share the hourly window counted in PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { GatewayProcess, TestDatabase } from '@ruleflow/testing';
import { createTestDatabase, startGatewayProcess, uniqueTaskQueue, writeTsRegister } from '@ruleflow/testing';

const ADMIN_KEY = 'rf_rate_limit_processes_admin_0123456789';

describe('rate limit across two gateway processes', () => {
  let database: TestDatabase;
  let tmpDir: string;
  const gateways: GatewayProcess[] = [];

  async function startGateway(register: string, taskQueue: string): Promise<GatewayProcess> {
    const gateway = await startGatewayProcess({
      register,
      databaseUrl: database.url,
      taskQueue,
      adminKey: ADMIN_KEY,
      dataDir: tmpDir,
    });
    gateways.push(gateway);
    return gateway;
  }

  beforeAll(async () => {
    tmpDir = mkdtempSync(path.join(os.tmpdir(), 'ruleflow-rate-'));
    const register = writeTsRegister(tmpDir);
    database = await createTestDatabase();
    const taskQueue = uniqueTaskQueue('rate');
    // Started one after the other: both bootstrap the same admin key and default tenant at start.
    await (await startGateway(register, taskQueue)).waitHealthy();
    await (await startGateway(register, taskQueue)).waitHealthy();
  });

  afterAll(async () => {
    for (const g of gateways) g.kill();
    await new Promise((r) => setTimeout(r, 300));
    await database?.drop();
    rmSync(tmpDir, { recursive: true, force: true });
  });

  it('rateLimitPerHour=10: of 14 requests alternating between the processes, exactly 10 pass and 4 get 429 with Retry-After', async () => {
    const [one, two] = gateways as [GatewayProcess, GatewayProcess];
    expect(one.child.pid).not.toBe(two.child.pid);

    const created = await fetch(`${one.url}/v1/api-keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'limited', scopes: ['rules:read'], rateLimitPerHour: 10 }),
    });
    expect(created.status).toBe(201);
    const key = ((await created.json()) as { key: string }).key;

    // The window is the clock hour: do not straddle its end.
    const toNextHour = 3_600_000 - (Date.now() % 3_600_000);
    if (toNextHour < 20_000) await new Promise((r) => setTimeout(r, toNextHour + 1_000));

    const results: Array<{ via: number; status: number; retryAfter: string | null; body: unknown }> = [];
    for (let i = 0; i < 14; i++) {
      const via = i % 2;
      const res = await fetch(`${[one, two][via]!.url}/v1/rules`, { headers: { Authorization: `Bearer ${key}` } });
      results.push({ via, status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() });
    }

    expect(results.map((r) => r.status)).toEqual([...Array(10).fill(200), ...Array(4).fill(429)]);
    // Each process served 5 of the 10 allowed and refused 2 of the 4: the count is shared, not per process.
    for (const via of [0, 1]) {
      expect(results.filter((r) => r.via === via).map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    }
    for (const r of results.filter((x) => x.status === 429)) {
      const seconds = Number(r.retryAfter);
      expect(Number.isInteger(seconds)).toBe(true);
      expect(seconds).toBeGreaterThan(0);
      expect(seconds).toBeLessThanOrEqual(3600);
      expect(r.body).toMatchObject({ statusCode: 429, error: 'Too Many Requests' });
    }
    for (const r of results.filter((x) => x.status === 200)) expect(r.retryAfter).toBeNull();

    // Both processes are still the two we started.
    expect(gateways.every((g) => g.child.exitCode === null)).toBe(true);
  });
});
