import type { ActionSpec, RetrySpec } from '@ruleflow/rules';
import { uuid4 } from '@temporalio/workflow';
import { endpointLookup, webhookDelivery } from '../activity-profiles';
import type { RuleExecutionInput } from '../contract';

/**
 * Runs a `webhook` action with its rendered config: to `config.url`, or to a registered endpoint
 * (`config.webhookId`) with its URL, secrets and body shaping; output `{statusCode, body}`.
 */
export async function runWebhook(
  input: RuleExecutionInput,
  action: ActionSpec & { retry: RetrySpec },
  config: Record<string, unknown>,
): Promise<{ output: { statusCode: number; body: unknown }; attempts: number }> {
  const { rule, event, executionId } = input;
  const envelope = { type: `${event.entity}.${event.type}`, timestamp: event.occurredAt, data: event.data };
  // A registered endpoint (`config.webhookId`): its URL and secrets, and its shaping of the default body.
  // Rules could not name an endpoint before this path existed, so earlier histories never reach it.
  const endpoint =
    typeof config.webhookId === 'string'
      ? await endpointLookup.resolveWebhookEndpoint({
          tenantId: rule.tenantId,
          webhookId: config.webhookId,
          ...(config.body === undefined ? { envelope } : {}),
        })
      : undefined;
  const url = endpoint ? endpoint.url : String(config.url);
  const method = typeof config.method === 'string' ? (config.method.toUpperCase() as 'POST') : 'POST';
  const { deliverWebhook } = webhookDelivery(action.retry, `${action.name}: ${method} ${hostOf(url)}`);
  const result = await deliverWebhook({
    tenantId: rule.tenantId,
    executionId,
    actionName: action.name,
    webhookId: endpoint ? (config.webhookId as string) : null,
    // Drawn from the workflow's seeded random source: the same on every attempt and on replay.
    deliveryId: uuid4(),
    eventType: envelope.type,
    url,
    method,
    headers: (config.headers as Record<string, string> | undefined) ?? {},
    // Without an explicit body, send the same envelope as webhook endpoints get.
    body: config.body ?? endpoint?.body ?? envelope,
    secrets: endpoint ? endpoint.secrets : typeof config.secret === 'string' ? [config.secret] : [],
    maximumAttempts: action.retry.maximumAttempts,
  });
  return { output: { statusCode: result.statusCode, body: result.body }, attempts: result.attempts };
}

/** The host of a URL for the activity's summary (the URL itself when it has none). */
function hostOf(url: string): string {
  const match = /^[a-z]+:\/\/([^/?#]+)/i.exec(url);
  return match?.[1] ?? url;
}
