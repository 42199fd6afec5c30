import type { IvrSessionState } from '../ivr-session.entity';
import type { DataSource } from 'typeorm';
import { fanOutEvent } from './fan-out';
import { returnedRows } from './query-result';

/*
 * The workflow contract's `IvrSessionView`, `IvrOutcome` and `IvrHistoryEntry` have the same shapes,
 * but entities do not import the contract: the compiler checks that they agree where the gateway and
 * the `mirrorIvrSession` activity pass them in and out.
 */

/** How a session ended. */
export interface IvrSessionOutcome {
  type: 'agent' | 'transfer' | 'hangup' | 'max_retries';
  target?: string | null;
}

/** One entry of a session's history. */
export interface IvrSessionHistoryEntry {
  at: string;
  menuId: string;
  input: string | null;
  result: string;
}

/** A session as `GET /v1/ivr/sessions/:id` shows it (plus where it started, and the caller). */
export interface IvrSessionRecord {
  sessionId: string;
  callId: string;
  caller: string | null;
  state: IvrSessionState;
  menuId: string;
  rootMenuId: string;
  menuStack: string[];
  retryCount: number;
  startedAt: string;
  lastActivityAt: string;
  endedAt: string | null;
  outcome: IvrSessionOutcome | null;
  history: IvrSessionHistoryEntry[];
  workflowId: string;
}

/** A new session, recorded by the gateway before its workflow starts. */
export interface NewIvrSession {
  id: string;
  tenantId: string;
  callId: string;
  caller: string | null;
  menuId: string;
  workflowId: string;
}

/** The workflow's state after a change, written over the row. */
export interface IvrSessionMirror {
  tenantId: string;
  sessionId: string;
  /** Grows with every change of the run: an older (retried, late) write never overwrites a newer one. */
  revision: number;
  state: IvrSessionState;
  menuId: string;
  menuStack: string[];
  retryCount: number;
  outcome: IvrSessionOutcome | null;
  history: IvrSessionHistoryEntry[];
  lastActivityAt: string;
  endedAt: string | null;
  /** A system event to offer subscribed endpoints with this write (once per session and type). */
  event?: 'call.started' | 'call.ended' | null;
}

/** What the `mirrorIvrSession` activity needs. */
export interface IvrSessionStore {
  /** Write the state unless a newer revision is there; offers `event` in the same transaction. False when the row is gone. */
  mirror(mirror: IvrSessionMirror): Promise<boolean>;
}

export interface IvrSessionFilters {
  state?: IvrSessionState;
  menuId?: string;
  callId?: string;
}

interface IvrSessionRow {
  id: string;
  tenant_id: string;
  call_id: string;
  caller: string | null;
  root_menu_id: string;
  menu_id: string;
  state: IvrSessionState;
  menu_stack: string[];
  retry_count: number;
  outcome: IvrSessionOutcome | null;
  history: IvrSessionHistoryEntry[];
  workflow_id: string;
  started_at: Date;
  last_activity_at: Date;
  ended_at: Date | null;
}

const iso = (d: Date | string): string => new Date(d).toISOString();

function toRecord(row: IvrSessionRow): IvrSessionRecord {
  return {
    sessionId: row.id,
    callId: row.call_id,
    caller: row.caller,
    state: row.state,
    menuId: row.menu_id,
    rootMenuId: row.root_menu_id,
    menuStack: row.menu_stack ?? [],
    retryCount: row.retry_count,
    startedAt: iso(row.started_at),
    lastActivityAt: iso(row.last_activity_at),
    endedAt: row.ended_at ? iso(row.ended_at) : null,
    outcome: row.outcome ?? null,
    history: row.history ?? [],
    workflowId: row.workflow_id,
  };
}

/** The session as `GET /v1/ivr/sessions/:id` shows it (with the caller): also the `data` of `call.started` / `call.ended`. */
export function toIvrSessionView(record: IvrSessionRecord) {
  return {
    sessionId: record.sessionId,
    callId: record.callId,
    caller: record.caller,
    state: record.state,
    menuId: record.menuId,
    menuStack: record.menuStack,
    retryCount: record.retryCount,
    startedAt: record.startedAt,
    lastActivityAt: record.lastActivityAt,
    endedAt: record.endedAt,
    outcome: record.outcome,
    history: record.history,
  };
}

const MIRROR_SQL = `
  UPDATE ivr_sessions
     SET state = $3, menu_id = $4, menu_stack = $5::jsonb, retry_count = $6, outcome = $7::jsonb,
         history = $8::jsonb, last_activity_at = $9, ended_at = $10, revision = $11
   WHERE tenant_id = $1 AND id = $2 AND revision < $11
  RETURNING *`;

/**
 * Ended sessions past retention, one batch per statement (oldest first, skipping rows a mirror write holds).
 * Sessions still awaiting input are never picked: their workflows are running.
 */
const DELETE_ENDED_BATCH_SQL = `
  WITH doomed AS (
    SELECT id FROM ivr_sessions
     WHERE state = 'ended' AND ended_at < $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid)
     ORDER BY ended_at
     LIMIT $3
     FOR UPDATE SKIP LOCKED
  ), gone AS (
    DELETE FROM ivr_sessions WHERE id IN (SELECT id FROM doomed) RETURNING 1
  )
  SELECT (SELECT count(*) FROM gone)::int AS n`;

/** PostgreSQL implementation: the gateway's reads and first insert, the workflow's mirror writes, retention. */
export class IvrSessionRepository implements IvrSessionStore {
  constructor(private readonly db: DataSource) {}

  /** Record a new session; `duplicate` (nothing written) when the tenant already has one for `callId`. */
  async create(session: NewIvrSession): Promise<'created' | 'duplicate'> {
    const rows: unknown = await this.db.query(
      `INSERT INTO ivr_sessions (id, tenant_id, call_id, caller, root_menu_id, menu_id, workflow_id)
       VALUES ($1, $2, $3, $4, $5, $5, $6)
       ON CONFLICT (tenant_id, call_id) DO NOTHING
       RETURNING id`,
      [session.id, session.tenantId, session.callId, session.caller, session.menuId, session.workflowId],
    );
    return returnedRows(rows).length === 1 ? 'created' : 'duplicate';
  }

  /** Take back a session whose workflow could not start (only while the workflow never wrote to it). */
  async discard(tenantId: string, id: string): Promise<void> {
    await this.db.query(`DELETE FROM ivr_sessions WHERE tenant_id = $1 AND id = $2 AND revision = 0`, [tenantId, id]);
  }

  async mirror(m: IvrSessionMirror): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const updated = returnedRows<IvrSessionRow>(
        await tx.query(MIRROR_SQL, [
          m.tenantId,
          m.sessionId,
          m.state,
          m.menuId,
          JSON.stringify(m.menuStack),
          m.retryCount,
          m.outcome === null ? null : JSON.stringify(m.outcome),
          JSON.stringify(m.history),
          m.lastActivityAt,
          m.endedAt,
          m.revision,
        ]),
      );
      const row = updated[0];
      if (!row) {
        const exists: unknown[] = await tx.query(`SELECT 1 FROM ivr_sessions WHERE tenant_id = $1 AND id = $2`, [
          m.tenantId,
          m.sessionId,
        ]);
        return exists.length > 0;
      }
      if (m.event) {
        const record = toRecord(row);
        // Keyed by session: a retried or replayed write offers the event once.
        await fanOutEvent(tx, {
          tenantId: m.tenantId,
          type: m.event,
          eventKey: `${m.event}:${m.sessionId}`,
          timestamp: m.event === 'call.ended' ? (record.endedAt ?? record.lastActivityAt) : record.startedAt,
          data: toIvrSessionView(record),
        });
      }
      return true;
    });
  }

  async get(tenantId: string, id: string): Promise<IvrSessionRecord | null> {
    const rows: IvrSessionRow[] = await this.db.query(`SELECT * FROM ivr_sessions WHERE tenant_id = $1 AND id = $2`, [
      tenantId,
      id,
    ]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  async findByCallId(tenantId: string, callId: string): Promise<IvrSessionRecord | null> {
    const rows: IvrSessionRow[] = await this.db.query(
      `SELECT * FROM ivr_sessions WHERE tenant_id = $1 AND call_id = $2`,
      [tenantId, callId],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Newest first; `take` rows from `skip`. */
  async list(tenantId: string, filters: IvrSessionFilters, skip: number, take: number): Promise<IvrSessionRecord[]> {
    const rows: IvrSessionRow[] = await this.db.query(
      `SELECT * FROM ivr_sessions
        WHERE tenant_id = $1
          AND ($2::text IS NULL OR state = $2)
          AND ($3::uuid IS NULL OR menu_id = $3::uuid)
          AND ($4::text IS NULL OR call_id = $4)
        ORDER BY started_at DESC, id DESC
        OFFSET $5 LIMIT $6`,
      [tenantId, filters.state ?? null, filters.menuId ?? null, filters.callId ?? null, skip, take],
    );
    return rows.map(toRecord);
  }

  /** Delete sessions that ended before `endedBefore` (one tenant, or all when omitted), in batches. */
  async deleteEnded(
    criteria: { endedBefore: Date; tenantId?: string },
    batchSize = 500,
    onBatch?: (deleted: number) => void | Promise<void>,
  ): Promise<number> {
    let total = 0;
    for (;;) {
      const rows: Array<{ n: number }> = await this.db.query(DELETE_ENDED_BATCH_SQL, [
        criteria.endedBefore,
        criteria.tenantId ?? null,
        batchSize,
      ]);
      const n = rows[0]?.n ?? 0;
      total += n;
      if (onBatch) await onBatch(total);
      if (n < batchSize) return total;
    }
  }
}
