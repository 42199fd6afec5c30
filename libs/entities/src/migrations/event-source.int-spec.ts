/**
 * Migration 1764547200000 on a database with history from before it: captured events get the source
 * `capture`, API events keep `api`, and hook, schedule and manual runs (which stored no event) get one each,
 * built from the earliest run's input; an event id shared by several runs is stored once.
 */
import { randomUUID } from 'node:crypto';
import { insertTenants, openTestDataSource } from '@ruleflow/testing';
import { asSystem } from '../db-scope';
import { EventSource1764547200000 } from './1764547200000-event-source';

describe('migration EventSource1764547200000', () => {
  let fixture: Awaited<ReturnType<typeof openTestDataSource>>;
  beforeAll(async () => {
    fixture = await openTestDataSource('event-source-spec');
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('sets the source of stored events and stores the events of hook, schedule and manual runs', async () => {
    const db = fixture.db;
    const [tenant] = (await insertTenants(db, 1)) as [string];
    const migration = new EventSource1764547200000();
    const runner = db.createQueryRunner();
    try {
      // The schema before the migration.
      await asSystem(() => migration.down(runner));
      for (const key of ['api-1', 'capture-17']) {
        await db.query(
          `INSERT INTO events (tenant_id, event_key, entity, type, data, occurred_at, response)
           VALUES ($1, $2, 'orders', 'on_create', '{"id":1}', now(), '{}')`,
          [tenant, key],
        );
      }
      const run = async (eventKey: string, triggerType: string, data: object, at: string) =>
        db.query(
          `INSERT INTO executions (id, tenant_id, rule_id, rule_version, event_id, workflow_id, trigger_type, input, created_at)
           VALUES ($1, $2, $3, 1, $4, $5, $6, $7::jsonb, $8)`,
          [
            randomUUID(),
            tenant,
            randomUUID(),
            eventKey,
            `wf-${randomUUID()}`,
            triggerType,
            JSON.stringify({
              event: { id: eventKey, entity: 'leads', type: triggerType, data, previous: null, occurredAt: at },
            }),
            at,
          ],
        );
      await run('hook-1', 'webhook', { n: 1 }, '2026-11-01T10:00:00.000Z');
      await run('schedule-2026-11-02T02:00:00.000Z', 'scheduled', {}, '2026-11-02T02:00:00.000Z');
      // Two rules on one fire: one event.
      await run('schedule-2026-11-02T02:00:00.000Z', 'scheduled', {}, '2026-11-02T02:00:01.000Z');
      await run('manual-1', 'manual', { by: 'hand' }, '2026-11-03T10:00:00.000Z');
      // A run of an API event (its event is there already) and a rerun of the hook run: nothing new.
      await run('api-1', 'on_create', { id: 1 }, '2026-11-04T10:00:00.000Z');
      await run('hook-1', 'webhook', { n: 1 }, '2026-11-05T10:00:00.000Z');

      await asSystem(() => migration.up(runner));
    } finally {
      await runner.release();
    }

    const rows = (await db.query(
      `SELECT event_key, source, entity, type, data, occurred_at, received_at FROM events
        WHERE tenant_id = $1 ORDER BY event_key`,
      [tenant],
    )) as Array<Record<string, unknown>>;
    expect(rows.map((r) => [r.event_key, r.source])).toEqual([
      ['api-1', 'api'],
      ['capture-17', 'capture'],
      ['hook-1', 'hook'],
      ['manual-1', 'manual'],
      ['schedule-2026-11-02T02:00:00.000Z', 'schedule'],
    ]);
    const hook = rows.find((r) => r.event_key === 'hook-1')!;
    expect(hook).toMatchObject({ entity: 'leads', type: 'webhook', data: { n: 1 } });
    expect((hook.occurred_at as Date).toISOString()).toBe('2026-11-01T10:00:00.000Z');
    expect((hook.received_at as Date).toISOString()).toBe('2026-11-01T10:00:00.000Z');
    await expect(
      db.query(
        `INSERT INTO events (tenant_id, event_key, entity, type, data, occurred_at, response, source)
         VALUES ($1, 'x', 'orders', 'on_create', '{}', now(), '{}', 'fax')`,
        [tenant],
      ),
    ).rejects.toThrow(/ck_events_source/);
  });
});
