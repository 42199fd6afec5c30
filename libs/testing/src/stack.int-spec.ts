import { KEYWORD_INDEXED_VALUE_TYPE } from '@ruleflow/local-stack';
import { SEARCH_ATTRIBUTE_NAMES } from '@ruleflow/contract';
import { Client } from 'pg';
import type { TestDatabase } from './database';
import { createTestDatabase } from './database';
import { startHttpReceiver } from './http-receiver';
import { connectTestClient } from './temporal';

describe('test stack', () => {
  describe('database', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(async () => {
      await db?.drop();
    });

    it('is migrated', async () => {
      const client = new Client({ connectionString: db.url });
      await client.connect();
      try {
        const { rows } = await client.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name = 'rules'",
        );
        expect(rows).toEqual([{ table_name: 'rules' }]);
      } finally {
        await client.end();
      }
    });

    it('is dropped by drop()', async () => {
      const other = await createTestDatabase();
      await other.drop();
      const admin = new Client({ connectionString: process.env.RULEFLOW_TEST_PG_URL });
      await admin.connect();
      try {
        const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [other.name]);
        expect(rowCount).toBe(0);
      } finally {
        await admin.end();
      }
    });
  });

  describe('temporal', () => {
    let temporal: Awaited<ReturnType<typeof connectTestClient>>;
    beforeAll(async () => {
      temporal = await connectTestClient();
    });
    afterAll(async () => {
      await temporal?.close();
    });

    it('answers getSystemInfo', async () => {
      const info = await temporal.connection.workflowService.getSystemInfo({});
      expect(info.serverVersion).toMatch(/^\d+\.\d+/);
    });

    it('has the Ruleflow search attributes registered as Keyword', async () => {
      const { customAttributes } = await temporal.client.connection.operatorService.listSearchAttributes({
        namespace: 'default',
      });
      const ours = Object.fromEntries(SEARCH_ATTRIBUTE_NAMES.map((name) => [name, customAttributes?.[name]]));
      expect(SEARCH_ATTRIBUTE_NAMES).toEqual([
        'RuleId',
        'RuleName',
        'EntityName',
        'TriggerType',
        'TenantId',
        'CallId',
        'EventId',
        'RunStatus',
        'RuleflowKind',
      ]);
      expect(ours).toEqual(
        Object.fromEntries(SEARCH_ATTRIBUTE_NAMES.map((name) => [name, KEYWORD_INDEXED_VALUE_TYPE])),
      );
    });
  });

  describe('http receiver', () => {
    it('records requests and answers with the handler', async () => {
      const receiver = await startHttpReceiver(() => ({ status: 201, body: 'made' }));
      try {
        const first = await fetch(`${receiver.url}/a?x=1`, { method: 'POST', body: '{"n":1}' });
        expect(first.status).toBe(201);
        expect(await first.text()).toBe('made');
        receiver.setHandler((req) => ({ status: req.url === '/b' ? 503 : 200 }));
        const second = fetch(`${receiver.url}/b`);
        await expect(receiver.waitFor(2, 5000)).resolves.toHaveLength(2);
        expect((await second).status).toBe(503);
        expect(receiver.requests.map((r) => [r.method, r.path, r.body])).toEqual([
          ['POST', '/a?x=1', '{"n":1}'],
          ['GET', '/b', ''],
        ]);
        await expect(receiver.waitFor(3, 100)).rejects.toThrow('expected 3 request(s)');
      } finally {
        await receiver.close();
      }
    });
  });
});
