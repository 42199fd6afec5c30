import type { RuleEvent } from '@ruleflow/rules';
import type { EntityManager } from 'typeorm';
import type { EventSource } from '../event.entity';

/** What started a run, as the event source its trigger is recorded under. */
export function eventSourceOf(triggerType: string): EventSource {
  switch (triggerType) {
    case 'webhook':
      return 'hook';
    case 'scheduled':
      return 'schedule';
    case 'manual':
      return 'manual';
    default:
      return 'api';
  }
}

/**
 * Store the event a hook call, a schedule's fire or a manual run started its run on, in the caller's
 * transaction (so the event exists exactly when its run does). Idempotent on (tenant, event id): a
 * retried fire, or several scheduled rules firing at the same instant (they share the event id), keep
 * the first row. Events of `POST /v1/events` and capture are written by the ingest path with their answer.
 */
export async function recordTriggerEvent(
  em: EntityManager,
  tenantId: string,
  event: RuleEvent,
  source: EventSource,
): Promise<void> {
  await em.query(
    `INSERT INTO events (tenant_id, event_key, entity, type, data, previous, occurred_at, response, source)
     VALUES ($1, $2, $3, $4, $5, $6, $7, '{}', $8)
     ON CONFLICT (tenant_id, event_key) DO NOTHING`,
    [tenantId, event.id, event.entity, event.type, event.data, event.previous, event.occurredAt, source],
  );
}

/** One stored event as a scan reads it: what conditions are evaluated on, and what names it. */
export interface ScannedEvent {
  /** The event's public id (the client's `id`, or the one given at ingest). */
  eventId: string;
  data: Record<string, unknown>;
  previous: Record<string, unknown> | null;
  occurredAt: Date;
}

export interface EventScan {
  tenantId: string;
  entity: string;
  type: string;
  /** Received at or after this instant. */
  since?: Date;
  /** Received before this instant. */
  until?: Date;
  /** Read no more than this many events. */
  max: number;
  /** Rows per fetch (default 1000): what is held in memory at a time. */
  pageSize?: number;
}

/**
 * A tenant's stored events of one entity and type, newest received first (the order and window of
 * `GET /v1/events`), read through a server-side cursor one page at a time, so a scan of any length
 * holds one page in memory and the query is planned and sorted once. Call it inside a transaction
 * (a cursor lives in one) and consume it there; pages are yielded until the window or `max` ends.
 */
export async function* scanEvents(tx: EntityManager, scan: EventScan): AsyncGenerator<ScannedEvent[]> {
  const params: unknown[] = [scan.tenantId, scan.entity, scan.type, scan.max];
  const window = [
    scan.since ? `AND received_at >= $${params.push(scan.since)}` : '',
    scan.until ? `AND received_at < $${params.push(scan.until)}` : '',
  ].join(' ');
  await tx.query(
    `DECLARE ruleflow_event_scan NO SCROLL CURSOR FOR
       SELECT event_key AS "eventId", data, previous, occurred_at AS "occurredAt"
         FROM events
        WHERE tenant_id = $1 AND entity = $2 AND type = $3 ${window}
        ORDER BY received_at DESC, id DESC
        LIMIT $4`,
    params,
  );
  const pageSize = Math.max(1, Math.floor(scan.pageSize ?? 1000));
  try {
    for (;;) {
      const rows: ScannedEvent[] = await tx.query(`FETCH FORWARD ${pageSize} FROM ruleflow_event_scan`);
      if (rows.length > 0) yield rows;
      if (rows.length < pageSize) return;
    }
  } finally {
    // After a failure the transaction is aborted and ends with the cursor: keep the first error.
    await tx.query(`CLOSE ruleflow_event_scan`).catch(() => undefined);
  }
}
