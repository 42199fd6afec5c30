import { ALERT_RECIPIENT_TYPES, ALERT_SEVERITIES } from '@ruleflow/entities';
import type { AlertRecipientType, AlertSeverity, AlertStore } from '@ruleflow/entities';
import type { DurationInput } from '@ruleflow/rules';
import { isPlainObject, tryParseDuration } from '@ruleflow/rules';
import { ALERT_LIMITS } from '@ruleflow/rules/action-configs/alert';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

export interface AlertActivityDeps {
  alerts: AlertStore;
  /** The clock for `expiresIn` (tests may pass another). */
  now?: () => Date;
}

/** A rendered `create_alert` config plus where the alert comes from. */
export interface CreateAlertInput {
  alertType: unknown;
  severity: unknown;
  title: unknown;
  message: unknown;
  recipients: unknown;
  expiresIn?: DurationInput | null;
  context?: unknown;
  tenantId: string;
  executionId: string | null;
  ruleId: string | null;
  sourceEntityName: string | null;
  sourceEntityId: string | null;
  /** Derived from the workflow id and the action name: one alert however often this runs. */
  idempotencyKey: string;
}

export interface CreateAlertResult {
  alertId: string;
  /** The activity attempt that answered (for the execution's `attempts`). */
  attempt: number;
}

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: 'InvalidAlertConfig', nonRetryable: true, message });
}

function text(value: unknown, field: string, maxLength: number): string {
  const s = typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
  if (typeof s !== 'string' || s.trim() === '') throw invalid(`${field} must be a non-empty string`);
  if (s.length > maxLength) throw invalid(`${field} is longer than ${maxLength} characters`);
  return s;
}

function recipientsOf(value: unknown): Array<{ type: AlertRecipientType; id: string }> {
  if (!Array.isArray(value) || value.length === 0) throw invalid('recipients must be a non-empty array');
  if (value.length > ALERT_LIMITS.maxRecipients) {
    throw invalid(`at most ${ALERT_LIMITS.maxRecipients} recipients are allowed`);
  }
  return value.map((r: unknown, i) => {
    if (!isPlainObject(r)) throw invalid(`recipients[${i}] must be an object {"type","id"}`);
    const type = r['type'];
    if (typeof type !== 'string' || !(ALERT_RECIPIENT_TYPES as readonly string[]).includes(type)) {
      throw invalid(`recipients[${i}].type must be one of ${ALERT_RECIPIENT_TYPES.join(', ')}`);
    }
    return {
      type: type as AlertRecipientType,
      id: text(r['id'], `recipients[${i}].id`, ALERT_LIMITS.maxRecipientIdLength),
    };
  });
}

/** Activities of the `create_alert` action. */
export function createAlertActivities({ alerts, now = () => new Date() }: AlertActivityDeps) {
  return {
    /**
     * Record an alert from a rendered `create_alert` config. Invalid rendered values fail at once
     * (non-retryable); a retry or replay with the same idempotency key returns the first alert's id.
     */
    async createAlert(input: CreateAlertInput): Promise<CreateAlertResult> {
      const severity = input.severity;
      if (typeof severity !== 'string' || !(ALERT_SEVERITIES as readonly string[]).includes(severity)) {
        throw invalid(`severity must be one of ${ALERT_SEVERITIES.join(', ')}`);
      }
      let expiresAt: Date | null = null;
      if (input.expiresIn !== undefined && input.expiresIn !== null && input.expiresIn !== '') {
        const ms = tryParseDuration(input.expiresIn);
        if (ms === undefined || ms < 1 || ms > ALERT_LIMITS.maxExpiresInMs) {
          throw invalid(`expiresIn ${JSON.stringify(input.expiresIn)} is not a valid duration`);
        }
        expiresAt = new Date(now().getTime() + ms);
      }
      const context = input.context ?? null;
      if (context !== null && !isPlainObject(context)) throw invalid('context must be an object');
      const { alertId } = await alerts.createAlert({
        tenantId: input.tenantId,
        idempotencyKey: input.idempotencyKey,
        alertType: text(input.alertType, 'alertType', ALERT_LIMITS.maxAlertTypeLength),
        severity: severity as AlertSeverity,
        title: text(input.title, 'title', ALERT_LIMITS.maxTitleLength),
        message: text(input.message, 'message', ALERT_LIMITS.maxMessageLength),
        context,
        sourceEntityName: input.sourceEntityName,
        sourceEntityId: input.sourceEntityId,
        sourceRuleId: input.ruleId,
        sourceExecutionId: input.executionId,
        expiresAt,
        recipients: recipientsOf(input.recipients),
      });
      return { alertId, attempt: attemptNumber() };
    },
  };
}

function attemptNumber(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    // Called outside an activity (unit tests).
    return 1;
  }
}

export type AlertActivities = ReturnType<typeof createAlertActivities>;
