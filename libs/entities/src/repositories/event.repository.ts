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
