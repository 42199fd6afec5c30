import { WEBHOOK_SECRET_PREFIX } from './webhook-secrets';
import { Webhook } from 'standardwebhooks';

/** The three Standard Webhooks headers of a signed message. */
export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** A secret that is not `whsec_<base64>`; the message never contains the secret itself. */
export class InvalidWebhookSecretError extends Error {
  constructor(readonly index: number) {
    super(`webhook secret #${index + 1} is invalid: expected whsec_ followed by base64`);
    this.name = 'InvalidWebhookSecretError';
  }
}

/**
 * Standard Webhooks headers for one attempt. With several active secrets (during a rotation)
 * every signature is sent, space-separated, so receivers holding either secret can verify.
 */
export function signHeaders(input: { id: string; timestamp: Date; body: string; secrets: string[] }): SignedHeaders {
  if (input.secrets.length === 0) throw new Error('signHeaders needs at least one secret');
  const signatures = input.secrets.map((secret, index) => {
    // The library accepts a secret without the prefix too; insisting on it catches a key pasted into the wrong field.
    if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new InvalidWebhookSecretError(index);
    let webhook: Webhook;
    try {
      webhook = new Webhook(secret);
    } catch {
      // The library's own message is fine today, but a decoder may one day echo its input.
      throw new InvalidWebhookSecretError(index);
    }
    return webhook.sign(input.id, input.timestamp, input.body);
  });
  return {
    'webhook-id': input.id,
    // The signature covers whole unix seconds, so the header must carry exactly those.
    'webhook-timestamp': String(Math.floor(input.timestamp.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}
