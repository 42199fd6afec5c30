/**
 * Custom headers of a webhook endpoint (`"headers": {"X-Name": "value"}`), sent with every delivery.
 * The gateway checks them when they are saved; the HTTP client drops reserved names again on send.
 */
import { RESERVED_HEADERS } from './http-client';

/** At most this many custom headers per endpoint. */
export const MAX_ENDPOINT_HEADERS = 20;
/** A header name's longest length. */
export const MAX_HEADER_NAME_LENGTH = 100;
/** A header value's longest length. */
export const MAX_HEADER_VALUE_LENGTH = 4096;
/** All names and values together. */
export const MAX_ENDPOINT_HEADERS_BYTES = 16 * 1024;

/** RFC 9110 token characters: what a header name may be made of. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII, spaces and tabs, and obs-text: no CR, LF, NUL or other controls. */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Names an endpoint may not set: the Standard Webhooks headers (`webhook-*`, ours to sign), the body's
 * `content-type`, and framing and hop-by-hop headers the client owns (`host`, `content-length`,
 * `transfer-encoding`, `connection`, …).
 */
export function isReservedEndpointHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('webhook-') || lower === 'content-type' || RESERVED_HEADERS.has(lower);
}

/** Why a header name is refused, or null. */
export function endpointHeaderNameProblem(name: string): string | null {
  if (name.length === 0 || name.length > MAX_HEADER_NAME_LENGTH) {
    return `header names must be 1 to ${MAX_HEADER_NAME_LENGTH} characters`;
  }
  // `__proto__` is a token, but as an object key it would not stay a header.
  if (!TOKEN.test(name) || name === '__proto__') return 'is not a valid header name';
  if (isReservedEndpointHeader(name)) {
    return 'is reserved (webhook-*, host, content-length, content-type and hop-by-hop headers are set by Ruleflow)';
  }
  return null;
}

/** Why a header value is refused, or null. Never echoes the value: it is a secret. */
export function endpointHeaderValueProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length > MAX_HEADER_VALUE_LENGTH) return `must be at most ${MAX_HEADER_VALUE_LENGTH} characters`;
  if (!FIELD_VALUE.test(value)) return 'must not contain CR, LF or other control characters';
  return null;
}
