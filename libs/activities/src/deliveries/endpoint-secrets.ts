import type { WebhookEntity } from '@ruleflow/entities';

/** How long the previous secret keeps signing after a rotation. */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 3_600_000;

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
