import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import type { EventType } from '@ruleflow/rules';
import { Client as PgClient } from 'pg';
import { asSystem, inTenantScope } from '@ruleflow/entities';
import { DataSource } from 'typeorm';
import { RULEFLOW_CONFIG } from '../common/tokens';
import { EventsService } from '../events/events.service';

interface CapturedChange {
  id: string;
  tenant_id: string;
  entity: string;
  type: EventType;
  data: Record<string, unknown>;
  previous: Record<string, unknown> | null;
  captured_at: Date;
}

/**
 * Turns captured row changes into events, through the same ingestion as `POST /v1/events`. Woken by
 * NOTIFY and polled as a fallback; each change becomes the event `capture-<id>`, so a batch replayed
 * after a crash starts nothing twice, and rows are deleted only in the transaction that ingested them.
 */
@Injectable()
export class CaptureConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(CaptureConsumer.name);
  private listener?: PgClient;
  private timer?: NodeJS.Timeout;
  private draining?: Promise<void>;
  private again = false;
  private closed = false;

  constructor(
    private readonly db: DataSource,
    private readonly events: EventsService,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.listen().catch((err: unknown) => this.logger.warn(`capture listener: ${(err as Error).message}`));
    const tick = () => {
      if (this.closed) return;
      this.wake();
      this.timer = setTimeout(tick, Math.max(this.config.outbox.pollMs, 250));
    };
    tick();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.draining;
    await this.listener?.end().catch(() => undefined);
  }

  /** Drain now (or once more right after the drain under way). */
  wake(): void {
    if (this.closed) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    // Captured changes of every tenant; each is ingested in its own tenant's scope.
    this.draining = asSystem(() => this.drainAll())
      .then(() => undefined)
      .catch((err: unknown) => this.logger.warn(`capture: ${(err as Error).message}`))
      .finally(() => {
        this.draining = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Ingest captured changes in order, a batch per transaction, until none is left. */
  async drainAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.drainBatch();
      total += n;
      if (n === 0 || this.closed) return total;
    }
  }

  private async drainBatch(): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows: CapturedChange[] = await tx.query(
        `SELECT * FROM captured_changes ORDER BY id LIMIT 100 FOR UPDATE SKIP LOCKED`,
      );
      for (const row of rows) {
        await inTenantScope(row.tenant_id, () =>
          this.events.ingest(
            { tenantId: row.tenant_id, apiKeyId: 'capture', scopes: ['events:write'] },
            {
              id: `capture-${row.id}`,
              entity: row.entity,
              type: row.type,
              data: row.data,
              previous: row.previous ?? undefined,
              occurredAt: new Date(row.captured_at).toISOString(),
            },
            'capture',
          ),
        );
      }
      if (rows.length)
        await tx.query(`DELETE FROM captured_changes WHERE id = ANY($1::bigint[])`, [rows.map((r) => r.id)]);
      return rows.length;
    });
  }

  private async listen(): Promise<void> {
    if (!this.config.database.url) return;
    const client = new PgClient({ connectionString: this.config.database.url, application_name: 'ruleflow-capture' });
    client.on('notification', () => this.wake());
    client.on('error', (err) => this.logger.warn(`capture listener: ${err.message}; polling only`));
    await client.connect();
    await client.query('LISTEN ruleflow_captured');
    this.listener = client;
  }
}
