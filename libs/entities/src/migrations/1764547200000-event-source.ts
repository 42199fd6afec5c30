import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every run's trigger becomes a readable event (`GET /v1/events`), whatever started it.
 *
 * - `events.source` says where an event came from: `api` (`POST /v1/events`), `capture` (a captured table),
 *   `hook` (`POST /v1/hooks/:token`), `schedule` (a scheduled rule's fire) or `manual` (`POST /v1/rules/:id/run`).
 *   Existing rows: captured changes were ingested under the key `capture-<n>`; every other stored event came
 *   through the API.
 * - Hooks, schedules and manual runs stored no event until now: one is backfilled per (tenant, event id) from
 *   the input of the earliest execution that ran on it, so their history reads the same as new runs'.
 * - Listing newest first, per tenant, filtered by time, entity and type, reads an index.
 */
export class EventSource1764547200000 implements MigrationInterface {
  name = 'EventSource1764547200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE events ADD COLUMN source text NOT NULL DEFAULT 'api'`);
    await q.query(
      `ALTER TABLE events ADD CONSTRAINT ck_events_source
         CHECK (source IN ('api', 'capture', 'hook', 'schedule', 'manual'))`,
    );
    await q.query(`UPDATE events SET source = 'capture' WHERE event_key LIKE 'capture-%'`);
    await q.query(`
      INSERT INTO events (tenant_id, event_key, entity, type, data, previous, occurred_at, response, received_at, source)
      SELECT DISTINCT ON (x.tenant_id, x.event_id)
             x.tenant_id, x.event_id,
             coalesce(x.input #>> '{event,entity}', x.input #>> '{rule,entity}', ''),
             x.trigger_type,
             coalesce(x.input #> '{event,data}', '{}'::jsonb),
             nullif(x.input #> '{event,previous}', 'null'::jsonb),
             coalesce((x.input #>> '{event,occurredAt}')::timestamptz, x.created_at),
             '{}'::jsonb,
             x.created_at,
             CASE x.trigger_type WHEN 'webhook' THEN 'hook' WHEN 'scheduled' THEN 'schedule' ELSE 'manual' END
        FROM executions x
       WHERE x.trigger_type IN ('webhook', 'scheduled', 'manual')
         AND NOT EXISTS (SELECT 1 FROM events e WHERE e.tenant_id = x.tenant_id AND e.event_key = x.event_id)
       ORDER BY x.tenant_id, x.event_id, x.created_at, x.id
      ON CONFLICT (tenant_id, event_key) DO NOTHING`);
    await q.query(`CREATE INDEX idx_events_tenant_received ON events (tenant_id, received_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS idx_events_tenant_received`);
    // Backfilled and new non-API events go with the column: before it, only API and captured events were stored.
    await q.query(`DELETE FROM events WHERE source IN ('hook', 'schedule', 'manual')`);
    await q.query(`ALTER TABLE events DROP CONSTRAINT IF EXISTS ck_events_source`);
    await q.query(`ALTER TABLE events DROP COLUMN IF EXISTS source`);
  }
}
