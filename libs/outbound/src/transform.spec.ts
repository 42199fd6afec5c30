import { TransformError, TRANSFORM_LIMITS, validateTransform } from './transform';
import { applyTransform, sharedTransformSandbox } from './transform-sandbox';

describe('endpoint transform (JSONata)', () => {
  afterAll(() => sharedTransformSandbox().close());

  it('reshapes data', async () => {
    await expect(applyTransform('{ "orderId": id, "amount": total * 100 }', { id: 'o1', total: 2.5 })).resolves.toEqual(
      {
        orderId: 'o1',
        amount: 250,
      },
    );
  });

  it('gives null for an expression that selects nothing', async () => {
    await expect(applyTransform('missing', { id: 1 })).resolves.toBeNull();
  });

  it.each([
    ['$foo(', /not valid JSONata: .*position/],
    ['{ "a": }', /not valid JSONata/],
    ['x'.repeat(TRANSFORM_LIMITS.maxExpressionLength + 1), /longer than/],
  ])('rejects invalid expression #%# at save with a message naming the problem', (expression, message) => {
    expect(() => validateTransform(expression)).toThrow(TransformError);
    expect(() => validateTransform(expression)).toThrow(message);
  });

  it('stops an expression that runs too long', async () => {
    const started = Date.now();
    await expect(applyTransform('$sum([1..10000000].($ * 2))', {})).rejects.toThrow(
      /took longer than|transform failed/,
    );
    expect(Date.now() - started).toBeLessThan(TRANSFORM_LIMITS.timeoutMs * 5);
  }, 20_000);

  it('stops unbounded recursion', async () => {
    await expect(applyTransform('($f := function($n) { $f($n + 1) }; $f(0))', {})).rejects.toThrow(TransformError);
  }, 20_000);

  it('runs regular expressions on RE2: no catastrophic backtracking', async () => {
    const started = Date.now();
    await expect(applyTransform('$contains(s, /(a+)+b/)', { s: `${'a'.repeat(5000)}c` })).resolves.toBe(false);
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(applyTransform('$match(s, /a(b+)/).groups[0]', { s: 'xabbby' })).resolves.toBe('bbb');
  });

  it('refuses a result larger than the cap', async () => {
    await expect(applyTransform('$pad("", 2000000, "x")', {})).rejects.toThrow(/larger than/);
  });
});
