import type { AlertAcknowledgmentEntity, AlertEntity, AlertRecipientEntity, AlertStatus } from '@ruleflow/entities';

/** The status an alert reads: an active alert past its expiry is resolved. */
export function effectiveAlertStatus(alert: Pick<AlertEntity, 'status' | 'expiresAt'>, now: Date): AlertStatus {
  if (alert.status === 'active' && alert.expiresAt !== null && alert.expiresAt.getTime() <= now.getTime()) {
    return 'resolved';
  }
  return alert.status;
}

/** The public representation of an alert. */
export function toAlertResponse(
  a: AlertEntity,
  recipients: AlertRecipientEntity[],
  acknowledgments: AlertAcknowledgmentEntity[],
  now: Date,
) {
  return {
    id: a.id,
    alertType: a.alertType,
    severity: a.severity,
    title: a.title,
    message: a.message,
    context: a.context ?? null,
    sourceEntityName: a.sourceEntityName,
    sourceEntityId: a.sourceEntityId,
    sourceRuleId: a.sourceRuleId,
    sourceExecutionId: a.sourceExecutionId,
    status: effectiveAlertStatus(a, now),
    expiresAt: a.expiresAt?.toISOString() ?? null,
    recipients: recipients.map((r) => ({ type: r.recipientType, id: r.recipientId })),
    acknowledgments: acknowledgments.map((k) => ({
      userId: k.userId,
      notes: k.notes,
      acknowledgedAt: k.acknowledgedAt.toISOString(),
    })),
    createdAt: a.createdAt.toISOString(),
    updatedAt: a.updatedAt.toISOString(),
  };
}

export type AlertResponse = ReturnType<typeof toAlertResponse>;
