import { TransformError } from './transform';
import { applyTransform, TransformSandbox, TransformSandboxUnavailableError } from './transform-sandbox';

/**
 * The sandbox runs each JSONata transform in a child process with hard limits: a hostile expression
 * fails that one evaluation with a clear error, and the pool goes on serving the next one.
 */
describe('transform sandbox (child processes with hard limits)', () => {
  const sandbox = new TransformSandbox({ poolSize: 2, timeoutMs: 1_000, memoryMb: 64, queueLimit: 20 });
  afterAll(() => sandbox.close());

  const normal = async () =>
    expect(applyTransform('{ "id": id, "cents": total * 100 }', { id: 'o1', total: 2.5 }, sandbox)).resolves.toEqual({
      id: 'o1',
      cents: 250,
    });

  it('runs a normal transform', normal);

  it.each([
    // The 29 characters: one native call, no evaluation step to check a limit between.
    // One native call: the memory limit stops it, or on a loaded machine the wall-clock limit first.
    ['string growth', '$length($pad("", 500000000))', /memory limit of 64 MB|larger than|ran longer than 1000 ms/],
    [
      'string doubling',
      '($s := function($x, $n) { $n = 0 ? $x : $s($x & $x, $n - 1) }; $length($s("ab", 40)))',
      /memory limit of 64 MB|grows too large/,
    ],
    ['array growth', '$count([1..10000000])', /memory limit of 64 MB|took longer than/],
    [
      'array growth with $map',
      '$count($map([1..10000000], function($v) { [$v, $v] }))',
      /memory limit of 64 MB|took longer than/,
    ],
    [
      'object growth',
      '$count($keys($merge([1..3000000].{ $string($): $ })))',
      /memory limit of 64 MB|took longer than/,
    ],
    [
      'deep recursion',
      '($f := function($n) { 1 + $f($n + 1) }; $f(0))',
      /nests deeper than 200 levels|nests too deeply/,
    ],
    ['endless tail recursion', '($f := function($n) { $f($n + 1) }; $f(0))', /took longer than 1000 ms/],
    ['a long loop', '$sum([1..10000000].($ * 2))', /took longer than 1000 ms|memory limit of 64 MB/],
  ])(
    '%s fails that evaluation with a clear error, then the pool serves a normal transform',
    async (_, bomb, reason) => {
      const started = Date.now();
      const outcome = applyTransform(bomb, { n: 1 }, sandbox);
      await expect(outcome).rejects.toThrow(TransformError);
      await expect(outcome).rejects.toThrow(reason);
      await expect(outcome).rejects.toThrow(/^transform failed: /);
      // The hard wall-clock limit: never much longer than the timeout plus a fresh process's start.
      expect(Date.now() - started).toBeLessThan(10_000);
      await normal();
    },
    30_000,
  );

  it('kills a process stuck in one native step after the wall-clock limit and starts a fresh one', async () => {
    // Big memory, tiny timeout: only the kill can stop one long native `$pad` (no evaluation step inside).
    const slow = new TransformSandbox({ poolSize: 1, timeoutMs: 50, memoryMb: 1024, queueLimit: 5 });
    try {
      const started = Date.now();
      await expect(applyTransform('$length($pad("", 300000000))', {}, slow)).rejects.toThrow(
        /^transform failed: ran longer than 50 ms and was stopped$/,
      );
      expect(Date.now() - started).toBeLessThan(5_000);
      await expect(applyTransform('$uppercase(s)', { s: 'ok' }, slow)).resolves.toBe('OK');
    } finally {
      await slow.close();
    }
  }, 30_000);

  it('runs bombs from several callers at once without stopping the pool', async () => {
    const bombs = [
      '$length($pad("", 500000000))',
      '$count([1..10000000])',
      '($f := function($n) { $f($n + 1) }; $f(0))',
    ];
    const results = await Promise.allSettled([
      ...bombs.map((b) => applyTransform(b, {}, sandbox)),
      applyTransform('$uppercase(s)', { s: 'fine' }, sandbox),
    ]);
    expect(results.slice(0, 3).map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(results[3]).toEqual({ status: 'fulfilled', value: 'FINE' });
    await normal();
  }, 60_000);

  it('refuses work beyond its queue limit with a transient error (retried later), not a transform failure', async () => {
    const tiny = new TransformSandbox({ poolSize: 1, timeoutMs: 1_000, memoryMb: 64, queueLimit: 1 });
    try {
      const slow = '$sum([1..10000000].($ * 2))';
      const runs = [applyTransform(slow, {}, tiny), applyTransform(slow, {}, tiny), applyTransform(slow, {}, tiny)];
      const settled = await Promise.allSettled(runs);
      const refused = settled.filter(
        (r) => r.status === 'rejected' && r.reason instanceof TransformSandboxUnavailableError,
      );
      expect(refused).toHaveLength(1);
      expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/busy/);
      await expect(applyTransform('$', { a: 1 }, tiny)).resolves.toEqual({ a: 1 });
    } finally {
      await tiny.close();
    }
  }, 30_000);

  it('keeps the in-process guardrails: RE2 regexes and the output cap', async () => {
    await expect(applyTransform('$contains(s, /(a+)+b/)', { s: `${'a'.repeat(5000)}c` }, sandbox)).resolves.toBe(false);
    await expect(applyTransform('$pad("", 2000000, "x")', {}, sandbox)).rejects.toThrow(/larger than/);
    await expect(applyTransform('$error("no way")', {}, sandbox)).rejects.toThrow(/^transform failed: .*no way/);
  });

  it('frees its RE2 regexes: thousands of regex evaluations in one process keep working', async () => {
    // re2-wasm has a fixed 16 MiB heap and frees a compiled regex only on delete(): a leak ends every later regex.
    const one = new TransformSandbox({ poolSize: 1 });
    try {
      const data = { s: 'abcd123x'.repeat(1000) };
      for (let i = 0; i < 3000; i++) {
        await expect(applyTransform('$contains(s, /(ab|cd)+[0-9]{3}x/)', data, one)).resolves.toBe(true);
      }
    } finally {
      await one.close();
    }
  }, 120_000);

  it('refuses new work once closed', async () => {
    const closed = new TransformSandbox({ poolSize: 1 });
    await closed.close();
    await expect(applyTransform('$', {}, closed)).rejects.toThrow(TransformSandboxUnavailableError);
  });
});
