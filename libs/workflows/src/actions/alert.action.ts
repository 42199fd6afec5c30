import type { ActionSpec, RetrySpec } from '@ruleflow/rules';
import { alertWrite } from '../activity-profiles';
import { runActionKey } from './action-keys';
import type { RuleExecutionInput } from '../contract';

/** Runs a `create_alert` action with its rendered config; output `{alertId}`. */
export async function runCreateAlert(
  input: RuleExecutionInput,
  action: ActionSpec & { retry: RetrySpec },
  config: Record<string, unknown>,
): Promise<{ output: { alertId: string }; attempts: number }> {
  const { rule, event, executionId } = input;
  const title = typeof config.title === 'string' ? config.title : String(config.alertType ?? 'alert');
  const { createAlert } = alertWrite(action.retry, `${action.name}: alert "${title.slice(0, 100)}"`);
  const entityId = event.data.id;
  const result = await createAlert({
    alertType: config.alertType,
    severity: config.severity,
    title: config.title,
    message: config.message,
    recipients: config.recipients,
    expiresIn: config.expiresIn as string | number | null | undefined,
    context: config.context,
    tenantId: rule.tenantId,
    executionId,
    ruleId: rule.id,
    sourceEntityName: event.entity,
    sourceEntityId: entityId === undefined || entityId === null ? null : String(entityId as string | number),
    // One alert per run (workflow id; a resume's original) and action.
    idempotencyKey: runActionKey(input, 'create_alert', action.name),
  });
  return { output: { alertId: result.alertId }, attempts: result.attempt };
}
