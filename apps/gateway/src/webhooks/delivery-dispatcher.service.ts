import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import type { WebhookDeliveryInput } from '@ruleflow/contract';
import { deliverySearchAttributes, deliveryWorkflowId, WEBHOOK_DELIVERY_WORKFLOW } from '@ruleflow/contract';
import type { Client, Connection } from '@temporalio/client';
import { ServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import type { SweepLoop } from '../common/sweep-loop';
import { startSweepLoop } from '../common/sweep-loop';
import { RULEFLOW_CONFIG, TEMPORAL_CLIENT } from '../common/tokens';
import { MetricsService } from '../metrics/metrics.service';

/** How long one workflow start may take before it is left to the outbox. */
const START_DEADLINE_MS = 5000;
/** Rows per outbox pass. */
const SWEEP_BATCH = 100;

/** An endpoint delivery recorded (pending) whose workflow is to be started. */
export interface PendingDelivery {
  id: string;
  tenantId: string;
  webhookId: string | null;
}

/**
 * Starts `WebhookDeliveryWorkflow` (`delivery-<id>`) for endpoint deliveries: right away for those the
 * gateway records (event fan-out, test, redeliver), and from the outbox (endpoint deliveries with no
 * `dispatched_at`) for whatever a crash left unstarted and for the system events the worker fans out
 * (`execution.failed`, …), which only the sweep starts. Starting is idempotent: the workflow id is the
 * delivery id and a closed id is never reused.
 */
@Injectable()
export class DeliveryDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DeliveryDispatcher.name);
  private loop?: SweepLoop;

  constructor(
    private readonly db: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = startSweepLoop('delivery outbox sweep', this.config.outbox.pollMs, this.logger, () => this.sweep());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  /**
   * Start these deliveries now (call after the transaction that recorded them committed); whatever
   * fails is left for the outbox sweep. Returns how many started.
   */
  async dispatch(deliveries: readonly PendingDelivery[]): Promise<number> {
    let started = 0;
    for (const delivery of deliveries) {
      try {
        await this.start(delivery);
        await this.markDispatched(this.db.manager, delivery.id);
        this.metrics.deliveriesStarted.inc({ via: 'request' });
        started++;
      } catch (err) {
        this.metrics.dispatchFailures.inc();
        this.logger.warn(`could not start ${deliveryWorkflowId(delivery.id)} yet: ${(err as Error).message}`);
        // Temporal unreachable: the others would wait out the deadline too; the outbox starts them.
        if (err instanceof ServiceError) break;
      }
    }
    return started;
  }

  /**
   * One pass over the outbox (cheap when empty: the partial index `idx_deliveries_undispatched`).
   * Rows are locked so several gateways never start the same delivery at once; `graceMs` leaves rows
   * just recorded on a request path to that path.
   */
  async sweep(graceMs = 1000): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows: Array<{ id: string; tenant_id: string; webhook_id: string | null }> = await tx.query(
        `SELECT id, tenant_id, webhook_id FROM deliveries
          WHERE dispatched_at IS NULL AND source = 'endpoint' AND status = 'pending'
            AND created_at < now() - ($1::int * interval '1 millisecond')
          ORDER BY created_at
          LIMIT ${SWEEP_BATCH}
          FOR UPDATE SKIP LOCKED`,
        [graceMs],
      );
      let started = 0;
      for (const row of rows) {
        try {
          await this.start({ id: row.id, tenantId: row.tenant_id, webhookId: row.webhook_id });
          await this.markDispatched(tx, row.id);
          this.metrics.deliveriesStarted.inc({ via: 'outbox' });
          started++;
        } catch (err) {
          this.logger.warn(`delivery outbox: could not start ${deliveryWorkflowId(row.id)}: ${(err as Error).message}`);
          if (err instanceof ServiceError) break;
        }
      }
      if (started) this.logger.log(`delivery outbox started ${started} deliveries`);
      return started;
    });
  }

  private async markDispatched(em: EntityManager, id: string): Promise<void> {
    await em.query(`UPDATE deliveries SET dispatched_at = coalesce(dispatched_at, now()) WHERE id = $1`, [id]);
  }

  /** Start one delivery; "already started" means an earlier attempt got through, which is what we want. */
  private async start(delivery: PendingDelivery): Promise<void> {
    const { delaysMs, windowMs, jitter } = this.config.webhooks.retry;
    const input: WebhookDeliveryInput = {
      deliveryId: delivery.id,
      tenantId: delivery.tenantId,
      schedule: { delaysMs: [...delaysMs], windowMs, jitter },
    };
    try {
      const connection = this.temporal.connection as Connection;
      await connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        this.temporal.workflow.start(WEBHOOK_DELIVERY_WORKFLOW, {
          workflowId: deliveryWorkflowId(delivery.id),
          taskQueue: this.config.temporal.taskQueue,
          args: [input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: deliverySearchAttributes(delivery.tenantId),
          memo: { deliveryId: delivery.id, webhookId: delivery.webhookId },
          staticSummary: `Webhook delivery \`${delivery.id}\` to endpoint \`${delivery.webhookId ?? '?'}\``,
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw err;
    }
  }
}
