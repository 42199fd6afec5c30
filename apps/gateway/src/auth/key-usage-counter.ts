import type { OnModuleDestroy } from '@nestjs/common';
import { Injectable, Logger } from '@nestjs/common';
import { asSystem } from '@ruleflow/entities';
import { DataSource } from 'typeorm';

/** How often counted requests of keys without limits are written. */
export const USAGE_FLUSH_MS = 1000;

const HOUR_MS = 3_600_000;

/**
 * Usage of API keys without a rate limit or quota: nothing depends on the exact count at request time,
 * so requests are counted here and written together (hourly counter, `usage_count`, `last_used_at`) once
 * a second, in one statement, instead of every request updating the same two rows and waiting on the
 * others' locks. Keys with a limit are counted exactly, in the request (ApiKeysService). Counts reach the
 * database within a second; a process killed meanwhile loses at most that second's counts.
 */
@Injectable()
export class KeyUsageCounter implements OnModuleDestroy {
  private readonly logger = new Logger(KeyUsageCounter.name);
  /** By key and hour (epoch ms of the hour's start, UTC). */
  private pending = new Map<string, { keyId: string; hour: number; count: number; lastUsedAt: number }>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly db: DataSource) {
    this.timer = setInterval(() => void this.flush(), USAGE_FLUSH_MS);
    this.timer.unref();
  }

  /** One request made with the key now. */
  count(keyId: string, at = Date.now()): void {
    this.add(keyId, at - (at % HOUR_MS), 1, at);
  }

  private add(keyId: string, hour: number, count: number, lastUsedAt: number): void {
    const slot = `${keyId}|${hour}`;
    const entry = this.pending.get(slot);
    if (!entry) this.pending.set(slot, { keyId, hour, count, lastUsedAt });
    else {
      entry.count += count;
      entry.lastUsedAt = Math.max(entry.lastUsedAt, lastUsedAt);
    }
  }

  /** Writes what is counted so far (one flush at a time); reads of usage call it first, so this process's counts are seen. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0) return;
    const entries = [...this.pending.values()];
    this.pending = new Map();
    try {
      await asSystem(() =>
        this.db.query(
          `WITH input AS (
             SELECT t.id, t.hour, t.n, t.last_used
               FROM unnest($1::uuid[], $2::timestamptz[], $3::int[], $4::timestamptz[]) AS t(id, hour, n, last_used)
              WHERE EXISTS (SELECT 1 FROM api_keys k WHERE k.id = t.id)
           ), hours AS (
             INSERT INTO api_key_usage (api_key_id, window_start, count)
             SELECT id, hour, n FROM input
             ON CONFLICT (api_key_id, window_start) DO UPDATE SET count = api_key_usage.count + EXCLUDED.count
           )
           UPDATE api_keys k
              SET usage_count = k.usage_count + s.n,
                  last_used_at = GREATEST(coalesce(k.last_used_at, s.last_used), s.last_used)
             FROM (SELECT id, sum(n)::int AS n, max(last_used) AS last_used FROM input GROUP BY id) s
            WHERE k.id = s.id`,
          [
            entries.map((e) => e.keyId),
            entries.map((e) => new Date(e.hour).toISOString()),
            entries.map((e) => e.count),
            entries.map((e) => new Date(e.lastUsedAt).toISOString()),
          ],
        ),
      );
    } catch (err) {
      // Counted again next time (the database may be away for a moment): merged back, never lost by a retry.
      for (const e of entries) this.add(e.keyId, e.hour, e.count, e.lastUsedAt);
      this.logger.warn(`could not write API key usage (kept for the next try): ${(err as Error).message}`);
    }
  }
}
