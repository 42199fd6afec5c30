import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '@ruleflow/rules/node/bearer-token';

/**
 * Twilio's request signature (X-Twilio-Signature): base64(HMAC-SHA1(authToken, url + for each form
 * parameter in key order: key + value)). `url` is the full URL Twilio requested, query string included.
 * Written with node:crypto rather than the `twilio` package (six runtime dependencies, axios and
 * jsonwebtoken among them, for one HMAC and a handful of XML elements).
 */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const keys = Object.keys(params).sort();
  let data = url;
  for (const key of keys) data += key + params[key];
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** Whether `signature` is Twilio's signature of this request, compared in constant time. */
export function isValidTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string>,
  signature: string | undefined,
): boolean {
  if (typeof signature !== 'string' || signature === '') return false;
  return constantTimeEqual(twilioSignature(authToken, url, params), signature);
}
