/**
 * What activities hand back to workflows (and the gateway shows): plain, serialisable shapes, defined
 * here so that workflows never import activity code for them.
 */
import type { RuleSnapshot } from '@ruleflow/rules';

export type { AllocationView } from '@ruleflow/rules';

/**
 * A recorded child run, ready for the parent workflow to start with the input
 * `{executionId, rule, event, parent}` (the same as stored on its execution row).
 */
export interface ChildRun {
  executionId: string;
  /** `rule-<childRuleId>-<eventId>-after-<parentExecutionId>`. */
  workflowId: string;
  /** The child rule as recorded when its run was (first) recorded. */
  rule: RuleSnapshot;
}

/** Statuses a run can end in; only these are ever deleted. */
export const ENDED_STATUSES = ['success', 'failed', 'partial', 'cancelled'] as const;
export type EndedStatus = (typeof ENDED_STATUSES)[number];

/** How long ended runs are kept, in days (`RETENTION_SUCCESS_DAYS` / `RETENTION_FAILED_DAYS`). */
export interface RetentionPolicy {
  /** For `success` and `cancelled` runs. */
  successDays: number;
  /** For `failed` and `partial` runs. */
  failedDays: number;
  /** For ended IVR sessions (`RETENTION_IVR_SESSION_DAYS`); 30 when absent (schedules made before). */
  ivrSessionDays?: number;
  /*
   * The periods below came later: a schedule made before them leaves them out, and the defaults
   * (RETENTION_* in .env.example) apply.
   */
  /** Ended endpoint deliveries (`RETENTION_DELIVERY_DAYS`, 90). */
  deliveryDays?: number;
  /** Events no kept execution refers to (`RETENTION_EVENT_DAYS`, 30). */
  eventDays?: number;
  /** Notifications (`RETENTION_NOTIFICATION_DAYS`, 90). */
  notificationDays?: number;
  /** Resolved or dismissed alerts (`RETENTION_ALERT_DAYS`, 90). */
  alertDays?: number;
  /** Audit log entries (`RETENTION_AUDIT_LOG_DAYS`, 365). */
  auditLogDays?: number;
  /** API-key usage counters (`RETENTION_API_KEY_USAGE_DAYS`, 90). */
  apiKeyUsageDays?: number;
}

/** The tables the retention cleans, as named in `RetentionSummary.tables`. */
export const RETENTION_TABLES = [
  'executions',
  'deliveries',
  'events',
  'notifications',
  'alerts',
  'audit_logs',
  'api_key_usage',
  'ivr_sessions',
] as const;
export type RetentionTable = (typeof RETENTION_TABLES)[number];

/** What one application of the retention policy deleted. */
export interface RetentionSummary {
  policy: RetentionPolicy;
  /** When the cleanup ran; the cut-offs are this minus the policy's days. */
  ranAt: string;
  deleted: Record<EndedStatus, number>;
  /** Executions deleted in all. */
  total: number;
  /** Delivery logs deleted with them. */
  deliveries: number;
  /**
   * Ended endpoint deliveries deleted (`success` after successDays, `failed` after failedDays).
   * Absent in summaries recorded before they were cleaned up.
   */
  endpointDeliveries: number;
  /** Ended IVR sessions deleted. Absent in summaries recorded before they were cleaned up. */
  ivrSessions?: number;
  /**
   * Rows deleted per table (`deliveries`: the runs' delivery logs and the endpoint deliveries;
   * `alerts`: their recipients and acknowledgments go with them). Absent in older summaries.
   */
  tables?: Record<RetentionTable, number>;
}
