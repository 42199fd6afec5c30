import type { ActionSpec, RetrySpec } from '@ruleflow/rules';
import { notificationDelivery } from '../activity-profiles';
import { runActionKey } from './action-keys';
import type { RuleExecutionInput } from '../contract';

/**
 * The `send_notification` action over an already rendered config: one activity call under the
 * action's own retry policy, idempotent per recipient by a key from the workflow id and action name.
 */
export async function runSendNotification(
  input: RuleExecutionInput,
  action: ActionSpec & { retry: RetrySpec },
  config: Record<string, unknown>,
): Promise<{ output: { deliveryIds: string[] }; attempts: number }> {
  const { rule, executionId } = input;
  const channel = String(config.channel) as 'email' | 'sms' | 'push' | 'in_app';
  const to = config.to;
  const count = Array.isArray(to) ? to.length : 1;
  const { sendNotifications } = notificationDelivery(
    action.retry,
    `${action.name}: ${channel} to ${count} recipient(s)`,
  );
  const result = await sendNotifications({
    tenantId: rule.tenantId,
    executionId,
    ruleId: rule.id,
    actionName: action.name,
    channel,
    to,
    subject: typeof config.subject === 'string' ? config.subject : null,
    body: typeof config.body === 'string' ? config.body : String(config.body ?? ''),
    data: config.data ?? null,
    idempotencyKey: runActionKey(input, 'send_notification', action.name),
    maximumAttempts: action.retry.maximumAttempts,
  });
  return { output: { deliveryIds: result.deliveryIds }, attempts: result.attempts };
}
