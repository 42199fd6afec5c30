/**
 * Credentials that can sit in a request URL, and the URL as logs may show it: hook tokens
 * (`/v1/hooks/<token>`), phone-line tokens (`/v1/ivr/voice|status/<token>`) and API keys put in a query string (refused, but the request line is
 * logged all the same).
 */

/** Query parameter names clients use for API keys (compared in lower case). */
const KEY_PARAMS: ReadonlySet<string> = new Set(['api_key', 'apikey', 'api-key', 'x-api-key', 'key', 'access_token']);
/** A value shaped like one of our keys, wherever it sits. */
const KEY_VALUE = /(^|[^A-Za-z0-9])rf_[A-Za-z0-9_-]{16,}/;
const REDACTED = '***';

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** One `name=value` pair of a query string, as sent, that carries (or may carry) an API key. */
function isKeyPair(pair: string): boolean {
  const at = pair.indexOf('=');
  const name = decoded(at < 0 ? pair : pair.slice(0, at));
  const value = at < 0 ? '' : decoded(pair.slice(at + 1));
  return KEY_PARAMS.has(name.toLowerCase()) || KEY_VALUE.test(name) || KEY_VALUE.test(value);
}

function splitQuery(url: string): { path: string; pairs: string[] } {
  const at = url.indexOf('?');
  if (at < 0) return { path: url, pairs: [] };
  return { path: url.slice(0, at), pairs: url.slice(at + 1).split('&') };
}

/** Whether the query string carries an API key: a key-named parameter, or any name or value shaped like an `rf_` key. */
export function hasKeyInQuery(url: string | undefined): boolean {
  return url !== undefined && splitQuery(url).pairs.some(isKeyPair);
}

/** The URL with a hook token and any query-string key replaced by `***`, for logs. */
export function redactUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  const { path, pairs } = splitQuery(url);
  const safePath = path.replace(/(\/v1\/(?:hooks|ivr\/voice|ivr\/status)\/)[^/]*/gi, `$1${REDACTED}`);
  if (pairs.length === 0) return url.includes('?') ? `${safePath}?` : safePath;
  const safePairs = pairs.map((pair) => {
    if (!isKeyPair(pair)) return pair;
    const at = pair.indexOf('=');
    return at < 0 || KEY_VALUE.test(decoded(pair.slice(0, at))) ? REDACTED : `${pair.slice(0, at)}=${REDACTED}`;
  });
  return `${safePath}?${safePairs.join('&')}`;
}
