import type { DbScope } from '@ruleflow/entities';
import { currentDbScope, scopeSettings } from '@ruleflow/entities';

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit for small idempotent writes made on many concurrent requests: a call while no write of
 * its database scope is under way is written at once, alone; calls that arrive meanwhile wait and are
 * written together by the next one statement. No timer, so nothing waits when there is no load; under
 * load one statement (one transaction) serves many requests. Each call resolves once its item is
 * written (or rejects with the write's error). Items are batched per database scope (db-scope.ts) and
 * written in that scope, so row-level security sees each batch's own tenant.
 */
export class CoalescedWrites<T> {
  private readonly queues = new Map<string, Waiting<T>[]>();
  private readonly busy = new Set<string>();

  constructor(private readonly write: (items: T[]) => Promise<void>) {}

  add(item: T): Promise<void> {
    const scope: DbScope | undefined = currentDbScope();
    const key = scopeSettings(scope).join('/');
    return new Promise<void>((resolve, reject) => {
      const queue = this.queues.get(key) ?? [];
      queue.push({ item, resolve, reject });
      this.queues.set(key, queue);
      // The loop runs in the scope of the call that started it: the scope of every item of `key`.
      if (!this.busy.has(key)) void this.drain(key);
    });
  }

  private async drain(key: string): Promise<void> {
    this.busy.add(key);
    try {
      for (let batch = this.take(key); batch.length; batch = this.take(key)) {
        try {
          await this.write(batch.map((w) => w.item));
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.busy.delete(key);
    }
  }

  private take(key: string): Waiting<T>[] {
    const batch = this.queues.get(key) ?? [];
    this.queues.delete(key);
    return batch;
  }
}
