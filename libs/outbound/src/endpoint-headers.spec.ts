import {
  endpointHeaderNameProblem,
  endpointHeaderValueProblem,
  isReservedEndpointHeader,
  MAX_HEADER_VALUE_LENGTH,
} from './endpoint-headers';

describe('endpoint headers', () => {
  it.each([
    'webhook-id',
    'Webhook-Signature',
    'WEBHOOK-TIMESTAMP',
    'webhook-anything',
    'Host',
    'content-length',
    'Content-Type',
    'Transfer-Encoding',
    'connection',
    'Keep-Alive',
    'upgrade',
    'TE',
    'trailer',
    'expect',
    'proxy-connection',
  ])('%s is reserved', (name) => {
    expect(isReservedEndpointHeader(name)).toBe(true);
    expect(endpointHeaderNameProblem(name)).toMatch(/is reserved/);
  });

  it.each(['X-Api-Key', 'Authorization', 'x-team', 'User-Agent', 'X_Custom.1'])('%s is allowed', (name) => {
    expect(endpointHeaderNameProblem(name)).toBeNull();
  });

  it.each(['', 'Bad Name', 'X:Y', 'X\r\nInjected', 'é', '__proto__', 'x'.repeat(101)])(
    'refuses the name %j',
    (name) => {
      expect(endpointHeaderNameProblem(name)).toEqual(expect.any(String));
    },
  );

  it('refuses values with CR, LF, NUL or other controls, non-strings and oversized ones; never echoes them', () => {
    for (const value of ['SECRET\r\nInjected: 1', 'SECRET\nb', 'SECRET\rb', 'SECRET\u0000b', 'SECRET\u007fb']) {
      const problem = endpointHeaderValueProblem(value);
      expect(problem).toMatch(/control characters/);
      expect(problem).not.toContain('SECRET');
    }
    expect(endpointHeaderValueProblem(12)).toBe('must be a string');
    expect(endpointHeaderValueProblem('v'.repeat(MAX_HEADER_VALUE_LENGTH + 1))).toMatch(/at most/);
    expect(endpointHeaderValueProblem('Bearer abc.def\tghi')).toBeNull();
    expect(endpointHeaderValueProblem('')).toBeNull();
  });
});
