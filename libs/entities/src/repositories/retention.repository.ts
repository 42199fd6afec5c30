import type { DataSource } from 'typeorm';
import { IvrSessionRepository } from './ivr-session.repository';

/*
 * The workflow contract's `ENDED_STATUSES`, `RetentionPolicy` and `RetentionSummary` have the same
 * shapes, but entities do not import the contract: the compiler checks that they agree where the
 * gateway and the `cleanupExecutions` activity pass them in and out.
 */

/** Statuses a run can end in; only these are ever deleted. */
export const ENDED_EXECUTION_STATUSES = ['success', 'failed', 'partial', 'cancelled'] as const;
export type EndedExecutionStatus = (typeof ENDED_EXECUTION_STATUSES)[number];

/** How long ended runs are kept, in days. */
export interface RetentionDays {
  /** For `success` and `cancelled` runs (and `success` endpoint deliveries). */
  successDays: number;
  /** For `failed` and `partial` runs (and `failed` endpoint deliveries). */
  failedDays: number;
  /** For ended IVR sessions (`RETENTION_IVR_SESSION_DAYS`); DEFAULT_IVR_SESSION_DAYS when absent (older schedules). */
  ivrSessionDays?: number;
  /** For ended endpoint deliveries (success or failed); absent in older schedules: DEFAULT_RETENTION_DAYS. */
  deliveryDays?: number;
  /** For events no remaining execution refers to. */
  eventDays?: number;
  notificationDays?: number;
  /** For resolved or dismissed alerts (judged by `updated_at`, when they ended). */
  alertDays?: number;
  auditLogDays?: number;
  apiKeyUsageDays?: number;
}

/** How long ended IVR sessions are kept when a policy does not say. */
export const DEFAULT_IVR_SESSION_DAYS = 30;

/** The periods a policy may leave out (schedules made before they existed), with API.md's defaults. */
export const DEFAULT_RETENTION_DAYS = {
  ivrSessionDays: DEFAULT_IVR_SESSION_DAYS,
  deliveryDays: 90,
  eventDays: 30,
  notificationDays: 90,
  alertDays: 90,
  auditLogDays: 365,
  apiKeyUsageDays: 90,
} as const satisfies Required<Omit<RetentionDays, 'successDays' | 'failedDays'>>;

/** The tables the retention cleans (the contract's `RETENTION_TABLES`). */
export const RETENTION_TABLE_NAMES = [
  'executions',
  'deliveries',
  'events',
  'notifications',
  'alerts',
  'audit_logs',
  'api_key_usage',
  'ivr_sessions',
] as const;
export type RetentionTableName = (typeof RETENTION_TABLE_NAMES)[number];
export type RetentionTableCounts = Record<RetentionTableName, number>;

/** Tables swept by age alone (one statement per batch each, see SWEEP_SQL). */
export type SweptTable = 'events' | 'notifications' | 'alerts' | 'audit_logs' | 'api_key_usage';

/** What one application of the retention days deleted. */
export interface RetentionReport {
  policy: RetentionDays;
  /** When the cleanup ran; the cut-offs are this minus the policy's days. */
  ranAt: string;
  deleted: Record<EndedExecutionStatus, number>;
  /** Executions deleted in all. */
  total: number;
  /** Delivery logs deleted with them. */
  deliveries: number;
  /** Ended endpoint deliveries deleted. */
  endpointDeliveries: number;
  /** Ended IVR sessions deleted. */
  ivrSessions: number;
  /** Rows deleted per table (`deliveries`: delivery logs of the runs plus endpoint deliveries). */
  tables: RetentionTableCounts;
}

/** Which ended executions to delete. */
export interface CleanupCriteria {
  /** Only this tenant's executions; omitted means every tenant (the scheduled cleanup). */
  tenantId?: string;
  statuses: readonly EndedExecutionStatus[];
  /** Executions that completed strictly before this instant. */
  completedBefore: Date;
}

export interface CleanupResult {
  /** Executions deleted. */
  executions: number;
  /** Delivery logs of those executions deleted. */
  deliveries: number;
}

/** Statuses an endpoint delivery can end in; only these are ever deleted (never pending or retrying). */
export const ENDED_DELIVERY_STATUSES = ['success', 'failed'] as const;
export type EndedDeliveryStatus = (typeof ENDED_DELIVERY_STATUSES)[number];

/** Which ended endpoint deliveries (`source = 'endpoint'`) to delete. */
export interface EndpointDeliveryCleanupCriteria {
  /** Only this tenant's deliveries; omitted means every tenant (the scheduled cleanup). */
  tenantId?: string;
  statuses: readonly EndedDeliveryStatus[];
  /** Deliveries that ended (last written, `updated_at`) strictly before this instant. */
  endedBefore: Date;
}

export interface EndpointDeliveryCleanupResult {
  /** Endpoint deliveries deleted. */
  endpointDeliveries: number;
}

/** Progress after each batch (the activity heartbeats it). */
export type CleanupProgress =
  CleanupResult | EndpointDeliveryCleanupResult | { ivrSessions: number } | { table: SweptTable; deleted: number };

const DAY_MS = 86_400_000;

/**
 * One batch in one statement: pick the oldest matching ended executions (skipping rows another
 * transaction holds, e.g. a run recording its completion), delete their delivery logs, then them.
 * The status guard sits in the statement, so a caller can never delete a pending or running run.
 */
const DELETE_BATCH_SQL = `
  WITH doomed AS (
    SELECT id FROM executions
     WHERE status = ANY($1::text[])
       AND status IN ('success','failed','partial','cancelled')
       AND completed_at < $2
       AND ($3::uuid IS NULL OR tenant_id = $3::uuid)
     ORDER BY completed_at
     LIMIT $4
     FOR UPDATE SKIP LOCKED
  ), gone_deliveries AS (
    DELETE FROM deliveries WHERE execution_id IN (SELECT id FROM doomed) RETURNING 1
  ), gone AS (
    DELETE FROM executions WHERE id IN (SELECT id FROM doomed) RETURNING 1
  )
  SELECT (SELECT count(*) FROM gone)::int AS executions, (SELECT count(*) FROM gone_deliveries)::int AS deliveries`;

/**
 * The same for endpoint deliveries (`source = 'endpoint'`, a workflow `delivery-<id>` each, not
 * tied to an execution). Their age is judged by `updated_at`: the last write to a delivery is the
 * one that ends it (the final attempt logged, or the failure without an attempt), so it is when
 * the delivery ended, as `completed_at` is for a run. `created_at` would cut a delivery that
 * retried for a day short of its retention, and `delivered_at` is null for failures. The
 * partial index `idx_deliveries_endpoint_ended` serves this order. Pending and retrying
 * deliveries are never picked: their workflows are still running.
 */
const DELETE_ENDPOINT_DELIVERIES_BATCH_SQL = `
  WITH doomed AS (
    SELECT id FROM deliveries
     WHERE source = 'endpoint'
       AND status = ANY($1::text[])
       AND status IN ('success','failed')
       AND updated_at < $2
       AND ($3::uuid IS NULL OR tenant_id = $3::uuid)
     ORDER BY updated_at
     LIMIT $4
     FOR UPDATE SKIP LOCKED
  ), gone AS (
    DELETE FROM deliveries WHERE id IN (SELECT id FROM doomed) RETURNING 1
  )
  SELECT (SELECT count(*) FROM gone)::int AS n`;

/**
 * The batch statement for a table with an `id` and a `tenant_id`: the oldest rows by `age` before
 * the cut-off that also match `where`, the rows of `children` (table, column naming the parent)
 * first, then them.
 */
function sweepById(
  table: string,
  age: string,
  options: { where?: string; children?: Array<[table: string, column: string]> } = {},
): string {
  const children = (options.children ?? []).map(
    ([child, column], i) => `, gone_child_${i} AS (DELETE FROM ${child} WHERE ${column} IN (SELECT id FROM doomed))`,
  );
  return `
    WITH doomed AS (
      SELECT id FROM ${table}
       WHERE ${age} < $1 AND ($2::uuid IS NULL OR tenant_id = $2::uuid)${options.where ? ` AND ${options.where}` : ''}
       ORDER BY ${age}
       LIMIT $3
       FOR UPDATE SKIP LOCKED
    )${children.join('')}, gone AS (
      DELETE FROM ${table} WHERE id IN (SELECT id FROM doomed) RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone)::int AS n`;
}

/**
 * One batch of a table swept by age, in one short statement: $1 the cut-off, $2 one tenant or null
 * (every tenant), $3 the batch size; returns `n`, the rows deleted. Rows another transaction holds
 * are skipped (the next run takes them). Each reads an index of migration 1764547200010.
 */
const SWEEP_SQL: Record<SweptTable, string> = {
  // Kept while any execution (of any age or status) names the event: its run still shows its trigger.
  events: sweepById('events', 'received_at', {
    where: `NOT EXISTS (SELECT 1 FROM executions x WHERE x.tenant_id = events.tenant_id AND x.event_id = events.event_key)`,
  }),
  notifications: sweepById('notifications', 'created_at'),
  // Only ended alerts, aged from when they ended; their recipients and acknowledgments go first.
  alerts: sweepById('alerts', 'updated_at', {
    where: `status IN ('resolved', 'dismissed')`,
    children: [
      ['alert_recipients', 'alert_id'],
      ['alert_acknowledgments', 'alert_id'],
    ],
  }),
  audit_logs: sweepById('audit_logs', 'created_at'),
  // Hourly counters, keyed (api_key_id, window_start); the tenant is the key's.
  api_key_usage: `
    WITH doomed AS (
      SELECT u.api_key_id, u.window_start FROM api_key_usage u
       WHERE u.window_start < $1
         AND ($2::uuid IS NULL OR u.api_key_id IN (SELECT k.id FROM api_keys k WHERE k.tenant_id = $2::uuid))
       ORDER BY u.window_start
       LIMIT $3
       FOR UPDATE OF u SKIP LOCKED
    ), gone AS (
      DELETE FROM api_key_usage u USING doomed d
       WHERE u.api_key_id = d.api_key_id AND u.window_start = d.window_start
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM gone)::int AS n`,
};

/** Per-table counts with nothing deleted yet. */
export function emptyRetentionTableCounts(): RetentionTableCounts {
  return Object.fromEntries(RETENTION_TABLE_NAMES.map((t) => [t, 0])) as RetentionTableCounts;
}

/**
 * Deletes ended executions and their delivery logs, and ended endpoint deliveries, in batches so no statement holds many locks
 * for long. Shared by `POST /v1/maintenance/cleanup` (one tenant) and the daily retention schedule
 * (all tenants).
 */
export class RetentionRepository {
  constructor(
    private readonly db: DataSource,
    private readonly batchSize = 500,
  ) {}

  /** Delete matching ended executions; `onBatch` is called after each batch (the activity heartbeats there). */
  async deleteEnded(
    criteria: CleanupCriteria,
    onBatch?: (progress: CleanupResult) => void | Promise<void>,
  ): Promise<CleanupResult> {
    for (const status of criteria.statuses) {
      if (!(ENDED_EXECUTION_STATUSES as readonly string[]).includes(status)) {
        throw new Error(`refusing to delete executions with status "${status}": only ended runs are deleted`);
      }
    }
    const total: CleanupResult = { executions: 0, deliveries: 0 };
    if (criteria.statuses.length === 0) return total;
    for (;;) {
      const rows: Array<{ executions: number; deliveries: number }> = await this.db.query(DELETE_BATCH_SQL, [
        criteria.statuses,
        criteria.completedBefore,
        criteria.tenantId ?? null,
        this.batchSize,
      ]);
      const batch = rows[0] ?? { executions: 0, deliveries: 0 };
      total.executions += batch.executions;
      total.deliveries += batch.deliveries;
      if (onBatch) await onBatch({ ...total });
      if (batch.executions < this.batchSize) return total;
    }
  }

  /** Delete matching ended endpoint deliveries; `onBatch` is called after each batch. */
  async deleteEndedEndpointDeliveries(
    criteria: EndpointDeliveryCleanupCriteria,
    onBatch?: (progress: EndpointDeliveryCleanupResult) => void | Promise<void>,
  ): Promise<EndpointDeliveryCleanupResult> {
    for (const status of criteria.statuses) {
      if (!(ENDED_DELIVERY_STATUSES as readonly string[]).includes(status)) {
        throw new Error(`refusing to delete deliveries with status "${status}": only ended deliveries are deleted`);
      }
    }
    const total: EndpointDeliveryCleanupResult = { endpointDeliveries: 0 };
    if (criteria.statuses.length === 0) return total;
    for (;;) {
      const rows: Array<{ n: number }> = await this.db.query(DELETE_ENDPOINT_DELIVERIES_BATCH_SQL, [
        criteria.statuses,
        criteria.endedBefore,
        criteria.tenantId ?? null,
        this.batchSize,
      ]);
      const n = rows[0]?.n ?? 0;
      total.endpointDeliveries += n;
      if (onBatch) await onBatch({ ...total });
      if (n < this.batchSize) return total;
    }
  }

  /** Delete IVR sessions (all tenants, or one) that ended before `endedBefore`, in batches. */
  async deleteEndedIvrSessions(
    criteria: { endedBefore: Date; tenantId?: string },
    onBatch?: (progress: { ivrSessions: number }) => void | Promise<void>,
  ): Promise<{ ivrSessions: number }> {
    const n = await new IvrSessionRepository(this.db).deleteEnded(criteria, this.batchSize, (ivrSessions) =>
      onBatch?.({ ivrSessions }),
    );
    return { ivrSessions: n };
  }

  /**
   * Delete rows of a table swept by age (see SWEEP_SQL for what each keeps) older than `before`,
   * of every tenant or one, batch by batch, each batch its own statement.
   */
  async deleteOld(
    table: SweptTable,
    criteria: { before: Date; tenantId?: string },
    onBatch?: (progress: { table: SweptTable; deleted: number }) => void | Promise<void>,
  ): Promise<number> {
    let deleted = 0;
    for (;;) {
      const rows: Array<{ n: number }> = await this.db.query(SWEEP_SQL[table], [
        criteria.before,
        criteria.tenantId ?? null,
        this.batchSize,
      ]);
      const n = rows[0]?.n ?? 0;
      deleted += n;
      if (onBatch) await onBatch({ table, deleted });
      if (n < this.batchSize) return deleted;
    }
  }

  /**
   * Apply the retention policy across all tenants relative to `now`: executions status by status
   * (with their delivery logs), ended endpoint deliveries (after deliveryDays), ended IVR sessions,
   * then events no remaining execution names, notifications, ended alerts (with their children),
   * audit logs and key usage counters. Periods a policy leaves out take DEFAULT_RETENTION_DAYS.
   */
  async applyPolicy(
    policy: RetentionDays,
    now: Date = new Date(),
    onBatch?: (progress: CleanupProgress) => void | Promise<void>,
  ): Promise<RetentionReport> {
    const days: Record<EndedExecutionStatus, number> = {
      success: policy.successDays,
      cancelled: policy.successDays,
      failed: policy.failedDays,
      partial: policy.failedDays,
    };
    const summary: RetentionReport = {
      policy,
      ranAt: now.toISOString(),
      deleted: { success: 0, failed: 0, partial: 0, cancelled: 0 },
      total: 0,
      deliveries: 0,
      endpointDeliveries: 0,
      ivrSessions: 0,
      tables: emptyRetentionTableCounts(),
    };
    const period = { ...DEFAULT_RETENTION_DAYS, ...definedDays(policy) };
    const cutOff = (days: number) => new Date(now.getTime() - days * DAY_MS);
    for (const status of ENDED_EXECUTION_STATUSES) {
      const result = await this.deleteEnded(
        { statuses: [status], completedBefore: new Date(now.getTime() - days[status] * DAY_MS) },
        onBatch,
      );
      summary.deleted[status] = result.executions;
      summary.total += result.executions;
      summary.deliveries += result.deliveries;
    }
    const endpoint = await this.deleteEndedEndpointDeliveries(
      { statuses: ENDED_DELIVERY_STATUSES, endedBefore: cutOff(period.deliveryDays) },
      onBatch,
    );
    summary.endpointDeliveries = endpoint.endpointDeliveries;
    const ivr = await this.deleteEndedIvrSessions({ endedBefore: cutOff(period.ivrSessionDays) }, onBatch);
    summary.ivrSessions = ivr.ivrSessions;
    const swept: Record<SweptTable, number> = {
      events: period.eventDays,
      notifications: period.notificationDays,
      alerts: period.alertDays,
      audit_logs: period.auditLogDays,
      api_key_usage: period.apiKeyUsageDays,
    };
    for (const [table, tableDays] of Object.entries(swept) as Array<[SweptTable, number]>) {
      summary.tables[table] = await this.deleteOld(table, { before: cutOff(tableDays) }, onBatch);
    }
    summary.tables.executions = summary.total;
    summary.tables.deliveries = summary.deliveries + summary.endpointDeliveries;
    summary.tables.ivr_sessions = summary.ivrSessions;
    return summary;
  }
}

/** The policy's periods that are set (an absent or undefined one keeps its default). */
function definedDays(policy: RetentionDays): Partial<RetentionDays> {
  return Object.fromEntries(Object.entries(policy).filter(([, v]) => v !== undefined)) as Partial<RetentionDays>;
}
