import dns from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import net from 'node:net';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/** What an IP address is, as far as outbound webhooks care. */
export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'uniqueLocal'
  | 'carrierGradeNat'
  | 'linkLocal'
  | 'metadata'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'reserved'
  | 'invalid';

/** The verdict on one address; `address` is the one judged (the IPv4 inside an IPv4-mapped IPv6 address). */
export interface AddressClassification {
  address: string;
  family: 4 | 6 | null;
  category: AddressCategory;
}

/** Options shared by every check: the `WEBHOOK_ALLOW_PRIVATE_NETWORKS` switch, and a resolver tests may replace. */
export interface NetworkPolicy {
  allowPrivateNetworks: boolean;
  /** Resolves a host name to all its addresses; defaults to `dns.lookup(host, {all: true})`. */
  resolve?: (hostname: string) => Promise<LookupAddress[]>;
}

/** Categories that only `allowPrivateNetworks` lets through; every other non-public category is refused always. */
const PRIVATE_CATEGORIES: ReadonlySet<AddressCategory> = new Set([
  'loopback',
  'private',
  'uniqueLocal',
  'carrierGradeNat',
]);

const DESCRIPTIONS: Record<AddressCategory, string> = {
  public: 'public address',
  loopback: 'loopback address',
  private: 'private network address',
  uniqueLocal: 'unique-local IPv6 address',
  carrierGradeNat: 'carrier-grade NAT address',
  linkLocal: 'link-local address',
  metadata: 'cloud metadata address',
  unspecified: 'unspecified address',
  multicast: 'multicast address',
  broadcast: 'broadcast address',
  reserved: 'reserved or special-purpose address',
  invalid: 'not a valid IP address',
};

/**
 * Instance metadata services: AWS/GCP/Azure/Oracle (169.254.169.254, inside link-local anyway),
 * AWS over IPv6 (fd00:ec2::254, inside unique-local, which private networks would otherwise allow)
 * and Alibaba Cloud (100.100.100.200, inside carrier-grade NAT, likewise).
 */
const METADATA_V4 = new Set(['169.254.169.254', '100.100.100.200']);
const METADATA_V6 = [ipaddr.IPv6.parse('fd00:ec2::254')];

/** Classify an IP address literal (IPv4, IPv6, IPv4-mapped IPv6); anything unparseable is `invalid`. */
export function classifyAddress(ip: string): AddressClassification {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.parse(ip.trim().replace(/^\[(.*)\]$/, '$1'));
  } catch {
    return { address: ip, family: null, category: 'invalid' };
  }
  return parsed.kind() === 'ipv4' ? classifyV4(parsed as ipaddr.IPv4) : classifyV6(parsed as ipaddr.IPv6);
}

function classifyV4(ip: ipaddr.IPv4): AddressClassification {
  const address = ip.toString();
  const of = (category: AddressCategory): AddressClassification => ({ address, family: 4, category });
  if (METADATA_V4.has(address)) return of('metadata');
  const range = ip.range();
  switch (range) {
    case 'unicast':
    // AS112 and AMT relays are globally reachable unicast per the IANA special-purpose registry.
    case 'as112':
    case 'amt':
      return of('public');
    case 'unspecified':
    case 'broadcast':
    case 'multicast':
    case 'linkLocal':
    case 'loopback':
    case 'carrierGradeNat':
    case 'private':
    case 'reserved':
      return of(range);
    default:
      // A range a future ipaddr.js adds is refused until someone decides otherwise.
      return of('reserved');
  }
}

function classifyV6(ip: ipaddr.IPv6): AddressClassification {
  const address = ip.toString();
  const of = (category: AddressCategory): AddressClassification => ({ address, family: 6, category });
  if (METADATA_V6.some((m) => ip.match(m, 128))) return of('metadata');
  const range = ip.range();
  const parts = ip.parts;
  switch (range) {
    case 'unspecified':
    case 'linkLocal':
    case 'multicast':
    case 'loopback':
    case 'uniqueLocal':
      return of(range);
    // Forms that carry an IPv4 address are judged by that address, or ::ffff:127.0.0.1 would reach loopback.
    case 'ipv4Mapped':
      return classifyV4(ip.toIPv4Address());
    case 'rfc6145': // ::ffff:0:a.b.c.d, IPv4-translated
      return classifyV4(embeddedV4(parts[6], parts[7]));
    case 'rfc6052': // 64:ff9b::/96 NAT64 embeds the IPv4 in the last 32 bits; the /48 local-use prefix has no fixed layout
      return ip.match(ipaddr.IPv6.parse('64:ff9b::'), 96) ? classifyV4(embeddedV4(parts[6], parts[7])) : of('reserved');
    case '6to4': // 2002:AABB:CCDD::/48 routes to the IPv4 AA.BB.CC.DD
      return classifyV4(embeddedV4(parts[1], parts[2]));
    case 'amt':
    case 'as112v6':
      return of('public');
    case 'unicast': {
      // Deprecated IPv4-compatible addresses (::a.b.c.d) and anything outside 2000::/3 are not global unicast.
      if (parts.slice(0, 6).every((p) => p === 0)) return of('reserved');
      if (!ip.match(ipaddr.IPv6.parse('2000::'), 3)) return of('reserved');
      return of('public');
    }
    default:
      // teredo, benchmarking, orchid, discard, site-local, segment routing, documentation, …: no webhook lives there.
      return of('reserved');
  }
}

function embeddedV4(high: number | undefined, low: number | undefined): ipaddr.IPv4 {
  const h = high ?? 0;
  const l = low ?? 0;
  return new ipaddr.IPv4([h >> 8, h & 0xff, l >> 8, l & 0xff]);
}

/** Whether an outbound request may connect to this address, with the reason when it may not. */
export function isAddressAllowed(ip: string, opts: NetworkPolicy): { allowed: boolean; reason?: string } {
  const { category } = classifyAddress(ip);
  if (category === 'public') return { allowed: true };
  if (PRIVATE_CATEGORIES.has(category)) {
    if (opts.allowPrivateNetworks) return { allowed: true };
    return {
      allowed: false,
      reason: `${DESCRIPTIONS[category]} (allowed only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true)`,
    };
  }
  return { allowed: false, reason: DESCRIPTIONS[category] };
}

/** A webhook URL refused at save time; the message names the host and the reason, never credentials. */
export class ForbiddenUrlError extends Error {
  constructor(
    message: string,
    readonly host: string | null,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'ForbiddenUrlError';
  }
}

/** A connection refused at connect time because the host resolved to a forbidden address. */
export class ForbiddenAddressError extends Error {
  readonly code = 'ERR_FORBIDDEN_ADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(
      host === address
        ? `address ${address} is not allowed: ${reason}`
        : `host "${host}" resolved to ${address}, which is not allowed: ${reason}`,
    );
    this.name = 'ForbiddenAddressError';
  }
}

/** The host of a parsed URL without IPv6 brackets, as `net.isIP` and the resolver want it. */
export function urlHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

const defaultResolve = (hostname: string): Promise<LookupAddress[]> =>
  dns.promises.lookup(hostname, { all: true, verbatim: true });

/**
 * Save-time check of a webhook URL: http(s) only, no credentials, and every address the host
 * resolves to must be allowed. Connect time is guarded again by {@link safeLookup}.
 */
export async function assertUrlAllowed(url: string, opts: NetworkPolicy): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ForbiddenUrlError('invalid URL', null, 'invalid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new ForbiddenUrlError('only http and https URLs are allowed', parsed.hostname, 'scheme');
  }
  const host = urlHostname(parsed);
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ForbiddenUrlError(`URL for host "${host}" must not contain credentials`, host, 'credentials');
  }
  if (host === '') throw new ForbiddenUrlError('URL has no host', null, 'no host');

  if (net.isIP(host) !== 0) {
    const verdict = isAddressAllowed(host, opts);
    if (!verdict.allowed) {
      throw new ForbiddenUrlError(`URL host ${host} is not allowed: ${verdict.reason}`, host, verdict.reason ?? '');
    }
    return;
  }

  let addresses: LookupAddress[];
  try {
    addresses = await (opts.resolve ?? defaultResolve)(host);
  } catch (err) {
    // An unresolvable host cannot be proven safe; the code (ENOTFOUND, EAI_AGAIN) tells the caller why.
    const code = (err as NodeJS.ErrnoException).code ?? 'lookup failed';
    throw new ForbiddenUrlError(`URL host "${host}" does not resolve (${code})`, host, `does not resolve (${code})`);
  }
  if (addresses.length === 0) {
    throw new ForbiddenUrlError(`URL host "${host}" does not resolve`, host, 'does not resolve');
  }
  for (const { address } of addresses) {
    const verdict = isAddressAllowed(address, opts);
    if (!verdict.allowed) {
      throw new ForbiddenUrlError(
        `URL host "${host}" is not allowed: it resolves to ${address}, a ${verdict.reason}`,
        host,
        verdict.reason ?? '',
      );
    }
  }
}

/**
 * A `lookup` for `http.request` that refuses forbidden addresses at connect time, so a host
 * whose DNS answer changes after the save-time check (DNS rebinding) still cannot reach them.
 * Like the save-time check it refuses when ANY resolved address is forbidden. Literal IP hosts
 * never reach a `lookup` function: callers must check those with {@link isAddressAllowed}.
 */
export function safeLookup(opts: NetworkPolicy): LookupFunction {
  const resolve = opts.resolve ?? defaultResolve;
  return (hostname, options: LookupOptions, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    resolve(hostname).then(
      (all) => {
        const addresses = family === 0 ? all : all.filter((a) => a.family === family);
        const first = addresses[0];
        if (!first) {
          const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
          err.code = 'ENOTFOUND';
          callback(err, '', undefined);
          return;
        }
        // Every answer is judged, not only the family asked for: a mixed answer is a rebinding attempt.
        for (const { address } of all) {
          const verdict = isAddressAllowed(address, opts);
          if (!verdict.allowed) {
            callback(new ForbiddenAddressError(hostname, address, verdict.reason ?? ''), '', undefined);
            return;
          }
        }
        // Node asks for every address when it races IPv4 and IPv6 (autoSelectFamily), one otherwise.
        if (options.all) callback(null, addresses);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', undefined),
    );
  };
}
