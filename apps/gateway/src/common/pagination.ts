import { BadRequestException } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

/** `?limit=` (1..200, default 50) and an opaque `?cursor=`. */
export class PageQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;

  @ApiPropertyOptional({ description: 'opaque cursor from a previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/**
 * The largest offset a cursor may carry: far beyond any real list, and small enough that `offset + limit`
 * stays an exact integer and PostgreSQL's OFFSET never overflows (a forged `1e20` would be a 500).
 */
export const MAX_CURSOR_OFFSET = 2 ** 31 - 1;

/** The offset a cursor stands for (cursors are opaque to clients); a forged or damaged one is a 400. */
export function decodeCursor(cursor: string | undefined): number {
  if (!cursor) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { o?: unknown } | null;
    const o = parsed?.o;
    if (typeof o === 'number' && Number.isSafeInteger(o) && o >= 0 && o <= MAX_CURSOR_OFFSET) return o;
  } catch {
    // fall through
  }
  throw new BadRequestException('cursor is not valid: use the nextCursor of a previous page');
}

/** Build a page from `limit + 1` fetched rows. */
export function toPage<T, R>(rows: T[], offset: number, limit: number, map: (row: T) => R): Page<R> {
  const more = rows.length > limit;
  const items = (more ? rows.slice(0, limit) : rows).map(map);
  return {
    items,
    nextCursor: more ? Buffer.from(JSON.stringify({ o: offset + limit }), 'utf8').toString('base64url') : null,
  };
}

/** One page of a list: `fetch(skip, take)` reads one row more than the page, so the next cursor is known. */
export async function fetchPage<T, R>(
  query: PageQueryDto,
  fetch: (skip: number, take: number) => Promise<T[]>,
  map: (row: T) => R,
): Promise<Page<R>> {
  const limit = query.limit ?? 50;
  const offset = decodeCursor(query.cursor);
  return toPage(await fetch(offset, limit + 1), offset, limit, map);
}
