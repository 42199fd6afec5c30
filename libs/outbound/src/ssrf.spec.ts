import type { LookupAddress } from 'node:dns';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AddressCategory } from './ssrf';
import { assertUrlAllowed, classifyAddress, ForbiddenUrlError, isAddressAllowed, safeLookup } from './ssrf';

type Verdict = 'allow' | 'private' | 'deny';

// [address, category, verdict]: 'private' = refused when closed, allowed with allowPrivateNetworks.
const CASES: Array<[string, AddressCategory, Verdict]> = [
  // public
  ['8.8.8.8', 'public', 'allow'],
  ['93.184.216.34', 'public', 'allow'],
  ['2606:4700:4700::1111', 'public', 'allow'],
  ['::ffff:8.8.8.8', 'public', 'allow'],
  ['64:ff9b::808:808', 'public', 'allow'], // NAT64 of 8.8.8.8
  // loopback
  ['127.0.0.1', 'loopback', 'private'],
  ['127.255.255.254', 'loopback', 'private'],
  ['::1', 'loopback', 'private'],
  ['::ffff:127.0.0.1', 'loopback', 'private'],
  ['::ffff:7f00:1', 'loopback', 'private'],
  ['2002:7f00:1::', 'loopback', 'private'], // 6to4 wrapping 127.0.0.1
  // private
  ['10.0.0.1', 'private', 'private'],
  ['172.16.0.1', 'private', 'private'],
  ['172.31.255.255', 'private', 'private'],
  ['192.168.1.10', 'private', 'private'],
  ['::ffff:192.168.1.10', 'private', 'private'],
  ['fc00::1', 'uniqueLocal', 'private'],
  ['fd12:3456::1', 'uniqueLocal', 'private'],
  ['100.64.0.1', 'carrierGradeNat', 'private'],
  ['100.127.255.254', 'carrierGradeNat', 'private'],
  // just outside the private ranges
  ['172.32.0.1', 'public', 'allow'],
  ['100.128.0.1', 'public', 'allow'],
  ['11.0.0.1', 'public', 'allow'],
  // refused always
  ['169.254.169.254', 'metadata', 'deny'],
  ['::ffff:169.254.169.254', 'metadata', 'deny'],
  ['64:ff9b::a9fe:a9fe', 'metadata', 'deny'], // NAT64 of the metadata address
  ['fd00:ec2::254', 'metadata', 'deny'],
  ['100.100.100.200', 'metadata', 'deny'],
  ['169.254.1.1', 'linkLocal', 'deny'],
  ['fe80::1', 'linkLocal', 'deny'],
  ['fe80::1%eth0', 'linkLocal', 'deny'],
  ['0.0.0.0', 'unspecified', 'deny'],
  ['0.1.2.3', 'unspecified', 'deny'],
  ['::', 'unspecified', 'deny'],
  ['224.0.0.1', 'multicast', 'deny'],
  ['239.255.255.250', 'multicast', 'deny'],
  ['ff02::1', 'multicast', 'deny'],
  ['255.255.255.255', 'broadcast', 'deny'],
  ['240.0.0.1', 'reserved', 'deny'],
  ['192.0.2.1', 'reserved', 'deny'],
  ['198.18.0.1', 'reserved', 'deny'],
  ['2001:db8::1', 'reserved', 'deny'],
  ['::7f00:1', 'reserved', 'deny'], // deprecated IPv4-compatible form
  ['4000::1', 'reserved', 'deny'], // outside 2000::/3
  ['not-an-ip', 'invalid', 'deny'],
  ['', 'invalid', 'deny'],
];

describe('classifyAddress', () => {
  it.each(CASES)('%s is %s', (ip, category) => {
    expect(classifyAddress(ip).category).toBe(category);
  });

  it('judges an IPv4-mapped address as the IPv4 inside', () => {
    expect(classifyAddress('::ffff:7f00:1')).toEqual({ address: '127.0.0.1', family: 4, category: 'loopback' });
  });
});

describe('isAddressAllowed', () => {
  const rows = CASES.flatMap(([ip, , verdict]) => [
    [ip, false, verdict === 'allow'] as const,
    [ip, true, verdict !== 'deny'] as const,
  ]);

  it.each(rows)('%s with allowPrivateNetworks=%s → allowed %s', (ip, allowPrivateNetworks, allowed) => {
    const result = isAddressAllowed(ip, { allowPrivateNetworks });
    expect(result.allowed).toBe(allowed);
    if (allowed) expect(result.reason).toBeUndefined();
    else expect(result.reason).toEqual(expect.any(String));
  });

  it('names the switch when only the switch would allow it', () => {
    expect(isAddressAllowed('10.1.2.3', { allowPrivateNetworks: false }).reason).toMatch(
      /private network address.*WEBHOOK_ALLOW_PRIVATE_NETWORKS/,
    );
    expect(isAddressAllowed('169.254.169.254', { allowPrivateNetworks: false }).reason).toBe('cloud metadata address');
  });
});

describe('assertUrlAllowed', () => {
  const closed = { allowPrivateNetworks: false };
  const open = { allowPrivateNetworks: true };
  const resolvingTo =
    (...addresses: string[]) =>
    (): Promise<LookupAddress[]> =>
      Promise.resolve(addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })));

  it('refuses localhost (resolved by the real resolver) when private networks are closed', async () => {
    const err = await assertUrlAllowed('http://localhost:8080/hook', closed).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenUrlError);
    expect((err as Error).message).toMatch(
      /host "localhost" is not allowed: it resolves to (127\.0\.0\.1|::1), a loopback/,
    );
    await expect(assertUrlAllowed('http://localhost:8080/hook', open)).resolves.toBeUndefined();
  });

  it('refuses non-http schemes with the documented message', async () => {
    for (const url of ['ftp://example.com/file', 'file:///etc/passwd', 'gopher://example.com', 'javascript:alert(1)']) {
      await expect(assertUrlAllowed(url, open)).rejects.toThrow(
        new ForbiddenUrlError('only http and https URLs are allowed', null, ''),
      );
    }
  });

  it('refuses credentials without echoing them', async () => {
    const err = await assertUrlAllowed('https://user:hunter2@example.com/hook', open).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenUrlError);
    expect((err as Error).message).toMatch(/credentials/);
    expect((err as Error).message).not.toContain('hunter2');
    await expect(assertUrlAllowed('https://user@example.com/hook', open)).rejects.toThrow(/credentials/);
  });

  it('checks literal IPs directly, including bracketed IPv6 and numeric IPv4 forms', async () => {
    const resolve = jest.fn(resolvingTo('8.8.8.8'));
    await expect(assertUrlAllowed('http://[::1]:3000/', { ...closed, resolve })).rejects.toThrow(
      /::1 is not allowed: loopback/,
    );
    await expect(assertUrlAllowed('http://2130706433/', { ...closed, resolve })).rejects.toThrow(/127\.0\.0\.1/);
    await expect(assertUrlAllowed('http://[::ffff:169.254.169.254]/', { ...open, resolve })).rejects.toThrow(
      /metadata/,
    );
    await expect(assertUrlAllowed('https://8.8.8.8/hook', { ...closed, resolve })).resolves.toBeUndefined();
    expect(resolve).not.toHaveBeenCalled();
  });

  it('refuses a host when ANY of its addresses is refused', async () => {
    await expect(
      assertUrlAllowed('https://mixed.example/hook', { ...closed, resolve: resolvingTo('8.8.8.8', '10.0.0.5') }),
    ).rejects.toThrow(/"mixed\.example" is not allowed: it resolves to 10\.0\.0\.5/);
    await expect(
      assertUrlAllowed('https://meta.example/hook', { ...open, resolve: resolvingTo('169.254.169.254') }),
    ).rejects.toThrow(/metadata/);
    await expect(
      assertUrlAllowed('https://ok.example/hook', { ...closed, resolve: resolvingTo('8.8.8.8', '2606:4700::1') }),
    ).resolves.toBeUndefined();
  });

  it('refuses a host that does not resolve, naming the code', async () => {
    const resolve = () => Promise.reject(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));
    await expect(assertUrlAllowed('https://nowhere.invalid/', { ...open, resolve })).rejects.toThrow(
      /"nowhere\.invalid" does not resolve \(ENOTFOUND\)/,
    );
  });

  it('refuses garbage', async () => {
    await expect(assertUrlAllowed('not a url', open)).rejects.toThrow(ForbiddenUrlError);
  });
});

describe('safeLookup', () => {
  let server: http.Server;
  let port: number;
  let hits = 0;

  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      hits++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function get(lookup: ReturnType<typeof safeLookup>): Promise<{ status?: number; error?: NodeJS.ErrnoException }> {
    return new Promise((resolve) => {
      const req = http.get({ host: 'rebind.test', port, path: '/', lookup, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
      });
      req.on('error', (error: NodeJS.ErrnoException) => resolve({ error }));
    });
  }

  it('refuses at connect time when the name now resolves to a forbidden address (DNS rebinding)', async () => {
    hits = 0;
    const resolve = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    const result = await get(safeLookup({ allowPrivateNetworks: false, resolve }));
    expect(result.error?.code).toBe('ERR_FORBIDDEN_ADDRESS');
    expect(result.error?.message).toMatch(/"rebind\.test" resolved to 127\.0\.0\.1/);
    expect(hits).toBe(0);
  });

  it('connects to the resolved address when it is allowed', async () => {
    hits = 0;
    const resolve = () => Promise.resolve([{ address: '127.0.0.1', family: 4 }]);
    const result = await get(safeLookup({ allowPrivateNetworks: true, resolve }));
    expect(result).toEqual({ status: 200 });
    expect(hits).toBe(1);
  });

  it('answers both lookup shapes Node asks for (single address and all)', async () => {
    const lookup = safeLookup({
      allowPrivateNetworks: false,
      resolve: () => Promise.resolve([{ address: '8.8.8.8', family: 4 }]),
    });
    const single = await new Promise<unknown[]>((resolve) => lookup('x.test', {}, (...args) => resolve(args)));
    expect(single).toEqual([null, '8.8.8.8', 4]);
    const all = await new Promise<unknown[]>((resolve) => lookup('x.test', { all: true }, (...args) => resolve(args)));
    expect(all).toEqual([null, [{ address: '8.8.8.8', family: 4 }]]);
  });
});
