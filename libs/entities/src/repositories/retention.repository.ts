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
}

/** How long ended IVR sessions are kept when a policy does not say. */
export const DEFAULT_IVR_SESSION_DAYS = 30;

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
export type CleanupProgress = CleanupResult | EndpointDeliveryCleanupResult | { ivrSessions: number };

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
   * Apply the retention policy across all tenants relative to `now`: executions status by status,
   * then endpoint deliveries (`success` after successDays, `failed` after failedDays), then ended
   * IVR sessions (after ivrSessionDays).
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
    };
    for (const status of ENDED_EXECUTION_STATUSES) {
      const result = await this.deleteEnded(
        { statuses: [status], completedBefore: new Date(now.getTime() - days[status] * DAY_MS) },
        onBatch,
      );
      summary.deleted[status] = result.executions;
      summary.total += result.executions;
      summary.deliveries += result.deliveries;
    }
    for (const status of ENDED_DELIVERY_STATUSES) {
      const result = await this.deleteEndedEndpointDeliveries(
        { statuses: [status], endedBefore: new Date(now.getTime() - days[status] * DAY_MS) },
        onBatch,
      );
      summary.endpointDeliveries += result.endpointDeliveries;
    }
    const ivrDays = policy.ivrSessionDays ?? DEFAULT_IVR_SESSION_DAYS;
    const ivr = await this.deleteEndedIvrSessions({ endedBefore: new Date(now.getTime() - ivrDays * DAY_MS) }, onBatch);
    summary.ivrSessions = ivr.ivrSessions;
    return summary;
  }
}
