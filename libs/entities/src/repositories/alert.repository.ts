import type { AlertRecipientType, AlertSeverity } from '../alert.entity';
import type { DataSource } from 'typeorm';
import { fanOutEvent } from './fan-out';

/** A new alert as the `createAlert` activity records it. */
export interface NewAlert {
  tenantId: string;
  idempotencyKey: string;
  alertType: string;
  severity: AlertSeverity;
  title: string;
  message: string;
  context: unknown;
  sourceEntityName: string | null;
  sourceEntityId: string | null;
  sourceRuleId: string | null;
  sourceExecutionId: string | null;
  expiresAt: Date | null;
  recipients: Array<{ type: AlertRecipientType; id: string }>;
}

/** Where alerts are recorded. */
export interface AlertStore {
  /**
   * Insert the alert with its recipients unless the tenant already has one under `idempotencyKey`;
   * returns the id of the alert under that key (the new one, or the one an earlier attempt made).
   */
  createAlert(alert: NewAlert): Promise<{ alertId: string; created: boolean }>;
}

/** PostgreSQL implementation, idempotent on the unique (tenant_id, idempotency_key) index. */
export class AlertRepository implements AlertStore {
  constructor(private readonly db: DataSource) {}

  createAlert(alert: NewAlert): Promise<{ alertId: string; created: boolean }> {
    return this.db.transaction(async (tx) => {
      // A concurrent attempt holding the key makes this wait for its commit, then insert nothing.
      const inserted: InsertedAlert[] = await tx.query(
        `INSERT INTO alerts (tenant_id, idempotency_key, alert_type, severity, title, message, context,
                             source_entity_name, source_entity_id, source_rule_id, source_execution_id, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12)
         ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
         RETURNING id, status, created_at, updated_at`,
        [
          alert.tenantId,
          alert.idempotencyKey,
          alert.alertType,
          alert.severity,
          alert.title,
          alert.message,
          alert.context === undefined || alert.context === null ? null : JSON.stringify(alert.context),
          alert.sourceEntityName,
          alert.sourceEntityId,
          alert.sourceRuleId,
          alert.sourceExecutionId,
          alert.expiresAt,
        ],
      );
      const created = inserted[0];
      if (created) {
        if (alert.recipients.length > 0) {
          await tx.query(
            `INSERT INTO alert_recipients (alert_id, recipient_type, recipient_id)
             SELECT $1, t, i FROM unnest($2::text[], $3::text[]) AS r(t, i)
             ON CONFLICT DO NOTHING`,
            [created.id, alert.recipients.map((r) => r.type), alert.recipients.map((r) => r.id)],
          );
        }
        // Only a new alert is offered to endpoints, in its own transaction: a replay (same key) offers nothing.
        const view = alertView(alert, created);
        await fanOutEvent(tx, {
          tenantId: alert.tenantId,
          type: 'alert.created',
          eventKey: `alert.created:${created.id}`,
          timestamp: view.createdAt,
          data: view,
        });
        return { alertId: created.id, created: true };
      }
      const existing: Array<{ id: string }> = await tx.query(
        `SELECT id FROM alerts WHERE tenant_id = $1 AND idempotency_key = $2`,
        [alert.tenantId, alert.idempotencyKey],
      );
      if (!existing[0]) throw new Error(`alert under idempotency key ${alert.idempotencyKey} vanished`);
      return { alertId: existing[0].id, created: false };
    });
  }
}

interface InsertedAlert {
  id: string;
  status: string;
  created_at: Date;
  updated_at: Date;
}

/** The alert as `GET /v1/alerts/:id` shows it when new, the `data` of an `alert.created` event. */
function alertView(alert: NewAlert, row: InsertedAlert) {
  return {
    id: row.id,
    alertType: alert.alertType,
    severity: alert.severity,
    title: alert.title,
    message: alert.message,
    context: alert.context ?? null,
    sourceEntityName: alert.sourceEntityName,
    sourceEntityId: alert.sourceEntityId,
    sourceRuleId: alert.sourceRuleId,
    sourceExecutionId: alert.sourceExecutionId,
    status: row.status,
    expiresAt: alert.expiresAt?.toISOString() ?? null,
    recipients: alert.recipients.map((r) => ({ type: r.type, id: r.id })),
    acknowledgments: [] as unknown[],
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
  };
}
