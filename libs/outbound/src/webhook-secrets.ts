/**
 * Webhook signing secrets as both sides see them: the gateway creates and rotates them, the
 * worker's deliveries sign with them (signing.ts in libs/activities).
 */
import { randomBytes } from 'node:crypto';

/** The Standard Webhooks prefix of a signing secret. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** How long the previous secret keeps signing after a rotation. */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** A new signing secret: `whsec_` + 32 random bytes in base64. */
export function generateWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}
