import { BadRequestException } from '@nestjs/common';
import { decodeCursor, MAX_CURSOR_OFFSET, toPage } from './pagination';

const cursor = (o: unknown): string => Buffer.from(JSON.stringify({ o }), 'utf8').toString('base64url');

describe('decodeCursor', () => {
  it('reads the cursors toPage mints, and none is 0', () => {
    expect(decodeCursor(undefined)).toBe(0);
    const next = toPage([1, 2, 3], 40, 2, (x) => x).nextCursor!;
    expect(decodeCursor(next)).toBe(42);
    expect(decodeCursor(cursor(MAX_CURSOR_OFFSET))).toBe(MAX_CURSOR_OFFSET);
  });

  it.each<[string, string]>([
    ['huge', cursor(1e20)],
    ['just past the maximum', cursor(MAX_CURSOR_OFFSET + 1)],
    ['2^63', cursor(2 ** 63)],
    ['negative', cursor(-1)],
    ['non-integer', cursor(1.5)],
    ['a numeric string', cursor('5')],
    ['null', cursor(null)],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['not JSON', 'bm90IGpzb24'],
    ['overflowing JSON number', Buffer.from('{"o":1e400}').toString('base64url')],
  ])('%s → 400 naming cursor', (_name, value) => {
    expect(() => decodeCursor(value)).toThrow(BadRequestException);
    expect(() => decodeCursor(value)).toThrow(/cursor/);
  });
});
