import { redactUrl } from './redact-url';

describe('redactUrl', () => {
  it('masks hook tokens and phone-line tokens in the path', () => {
    expect(redactUrl('/v1/hooks/abcdef123')).toBe('/v1/hooks/***');
    expect(redactUrl('/v1/ivr/voice/4oNEH6F7UlQsow-KCzt9XHT78n474ffNWGZGDqfvuPE?run=rule-1')).toBe(
      '/v1/ivr/voice/***?run=rule-1',
    );
    expect(redactUrl('/v1/ivr/status/4oNEH6F7UlQsow')).toBe('/v1/ivr/status/***');
    expect(redactUrl('/v1/ivr/lines/7b0c6f3e-3d4a-4b1e-9c55-2f1a0e5d9b11')).toBe(
      '/v1/ivr/lines/7b0c6f3e-3d4a-4b1e-9c55-2f1a0e5d9b11',
    );
  });
});
