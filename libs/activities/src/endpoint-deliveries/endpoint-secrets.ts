import type { WebhookEntity } from '@ruleflow/entities';

/**
 * The (sealed) secrets an endpoint's deliveries are signed with now: the current one, and during the
 * 24 h after a rotation the previous one too (Standard Webhooks: space-separated signatures).
 */
export function endpointSigningSecrets(
  endpoint: Pick<WebhookEntity, 'secret' | 'previousSecret' | 'previousSecretExpiresAt'>,
  now: Date,
): string[] {
  const secrets = [endpoint.secret];
  if (endpoint.previousSecret && endpoint.previousSecretExpiresAt && endpoint.previousSecretExpiresAt > now) {
    secrets.push(endpoint.previousSecret);
  }
  return secrets;
}

/** An endpoint's custom headers with their sealed values opened (empty when it has none). */
export function openEndpointHeaders(
  headers: Record<string, string> | null | undefined,
  opener: { decrypt(value: string): string },
): Record<string, string> {
  const opened: Record<string, string> = {};
  for (const [name, sealed] of Object.entries(headers ?? {})) opened[name] = opener.decrypt(sealed);
  return opened;
}
