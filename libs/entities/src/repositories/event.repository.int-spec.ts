import { randomUUID } from 'node:crypto';
import { DEFAULT_RETRY } from '@ruleflow/rules';
import { insertTenants, openTestDataSource } from '@ruleflow/testing';
import type { DataSource } from 'typeorm';
import { RuleEntity } from '../rule.entity';
import { newExecutionRow } from '../rule-mapping';
import { eventSourceOf, recordTriggerEvent, scanEvents } from './event.repository';
import { ScheduledRunRepository } from './scheduled-run.repository';

/** Trigger events of hooks, schedules and manual runs, against real PostgreSQL. */
describe('trigger events (real PostgreSQL)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  let db: DataSource;
  let tenantId: string;

  beforeAll(async () => {
    testDb = await openTestDataSource('event-repository-spec');
    db = testDb.db;
    [tenantId] = (await insertTenants(db, 1)) as [string];
  });
  afterAll(async () => {
    await testDb?.close();
  });

  const events = (key: string): Promise<Array<{ source: string; type: string; entity: string; data: unknown }>> =>
    db.query(`SELECT source, type, entity, data FROM events WHERE tenant_id = $1 AND event_key = $2`, [tenantId, key]);

  async function scheduledRule(name: string): Promise<RuleEntity> {
    return db.getRepository(RuleEntity).save({
      tenantId,
      name,
      description: null,
      entity: 'reports',
      triggerType: 'scheduled',
      trigger: { type: 'scheduled', cron: '0 2 * * *', timezone: 'UTC' },
      hookTokenHash: null,
      hookTokenPrefix: null,
      conditions: { all: [] },
      actions: [{ name: 'pause', type: 'delay', config: { duration: '1s' }, retry: DEFAULT_RETRY }],
      priority: 0,
      isActive: true,
      version: 1,
    });
  }

  it('maps trigger types to event sources', () => {
    expect(['webhook', 'scheduled', 'manual', 'on_create'].map(eventSourceOf)).toEqual([
      'hook',
      'schedule',
      'manual',
      'api',
    ]);
  });

  it("a schedule's fire stores its event once, shared by the rules firing at that instant", async () => {
    const repo = new ScheduledRunRepository(db);
    const occurredAt = '2030-01-02T02:00:00.000Z';
    const eventKey = `schedule-${occurredAt}`;
    const fire = async (rule: RuleEntity) => {
      const workflowId = `rule-${rule.id}-${eventKey}`;
      const row = newExecutionRow({
        id: randomUUID(),
        rule,
        event: { id: eventKey, entity: rule.entity, type: 'scheduled', data: {}, previous: null, occurredAt },
        workflowId,
        triggerType: 'scheduled',
      });
      return repo.insertDispatched({ ...row, id: row.id!, workflowId });
    };
    const first = await scheduledRule('nightly a');
    const second = await scheduledRule('nightly b');
    expect((await fire(first)).created).toBe(true);
    // A retried attempt of the same fire: no second run, no second event.
    expect((await fire(first)).created).toBe(false);
    expect((await fire(second)).created).toBe(true);

    expect(await events(eventKey)).toEqual([{ source: 'schedule', type: 'scheduled', entity: 'reports', data: {} }]);
    const runs: Array<{ n: string }> = await db.query(
      `SELECT count(*) AS n FROM executions WHERE tenant_id = $1 AND event_id = $2`,
      [tenantId, eventKey],
    );
    expect(Number(runs[0]!.n)).toBe(2);
  });

  it('recordTriggerEvent keeps the first event stored under an id', async () => {
    const event = {
      id: 'hook-key-1',
      entity: 'leads',
      type: 'webhook' as const,
      data: { n: 1 },
      previous: null,
      occurredAt: new Date().toISOString(),
    };
    await recordTriggerEvent(db.manager, tenantId, event, 'hook');
    await recordTriggerEvent(db.manager, tenantId, { ...event, data: { n: 2 } }, 'hook');
    expect(await events('hook-key-1')).toEqual([{ source: 'hook', type: 'webhook', entity: 'leads', data: { n: 1 } }]);
  });

  it('scanEvents reads one entity and type newest first, page by page, within the window and the bound', async () => {
    const base = Date.parse('2030-03-01T00:00:00Z');
    for (let i = 0; i < 7; i++) {
      const at = new Date(base + i * 1000);
      await db.query(
        `INSERT INTO events (tenant_id, event_key, entity, type, data, occurred_at, response, received_at)
         VALUES ($1, $2, 'scans', $3, $4, $5, '{}', $5)`,
        [tenantId, `scan-${i}`, i === 3 ? 'on_update' : 'on_create', { i }, at],
      );
    }
    const scan = (options: Partial<Parameters<typeof scanEvents>[1]>) =>
      db.transaction(async (tx) => {
        const pages: string[][] = [];
        for await (const page of scanEvents(tx, {
          tenantId,
          entity: 'scans',
          type: 'on_create',
          max: 100,
          ...options,
        })) {
          pages.push(page.map((e) => e.eventId));
        }
        return pages;
      });
    expect(await scan({ pageSize: 2 })).toEqual([
      ['scan-6', 'scan-5'],
      ['scan-4', 'scan-2'],
      ['scan-1', 'scan-0'],
    ]);
    expect(await scan({ pageSize: 4, max: 5 })).toEqual([['scan-6', 'scan-5', 'scan-4', 'scan-2'], ['scan-1']]);
    expect(await scan({ since: new Date(base + 1000), until: new Date(base + 5000) })).toEqual([
      ['scan-4', 'scan-2', 'scan-1'],
    ]);
    expect(await scan({ tenantId: randomUUID() })).toEqual([]);
    // The cursor is closed with the scan: the transaction can scan again.
    await db.transaction(async (tx) => {
      for await (const page of scanEvents(tx, { tenantId, entity: 'scans', type: 'on_update', max: 10 })) {
        expect(page[0]).toMatchObject({ eventId: 'scan-3', data: { i: 3 }, previous: null });
        expect(page[0]!.occurredAt).toEqual(new Date(base + 3000));
      }
      const again = scanEvents(tx, { tenantId, entity: 'scans', type: 'on_update', max: 10 });
      expect((await again.next()).value).toHaveLength(1);
      await again.return(undefined);
    });
  });
});
