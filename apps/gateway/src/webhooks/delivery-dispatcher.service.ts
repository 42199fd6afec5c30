import { Injectable, Logger } from '@nestjs/common';
import type { WebhookDeliveryInput } from '@ruleflow/contract';
import { deliverySearchAttributes, deliveryWorkflowId, WEBHOOK_DELIVERY_WORKFLOW } from '@ruleflow/contract';
import { ServiceError } from '@temporalio/client';
import type { EntityManager } from 'typeorm';
import type { OutboxSpec, OutboxStart } from '../common/outbox-dispatcher';
import { OutboxDispatcher } from '../common/outbox-dispatcher';

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
 * (`execution.failed`, …), which only the sweep starts. The sweep is cheap when empty: the partial
 * index `idx_deliveries_undispatched`.
 */
@Injectable()
export class DeliveryDispatcher extends OutboxDispatcher<PendingDelivery> {
  protected readonly logger = new Logger(DeliveryDispatcher.name);

  protected get spec(): OutboxSpec {
    return {
      name: 'delivery outbox',
      noun: 'deliveries',
      graceMs: 1000,
      started: this.metrics.deliveriesStarted,
      // Temporal unreachable: the others would wait out the deadline too; the outbox starts them.
      stopsRequestPath: (err) => err instanceof ServiceError,
    };
  }

  protected async claim(tx: EntityManager, graceMs: number, limit: number): Promise<PendingDelivery[]> {
    const rows: Array<{ id: string; tenant_id: string; webhook_id: string | null }> = await tx.query(
      `SELECT id, tenant_id, webhook_id FROM deliveries
        WHERE dispatched_at IS NULL AND source = 'endpoint' AND status = 'pending'
          AND created_at < now() - ($1::int * interval '1 millisecond')
        ORDER BY created_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED`,
      [graceMs],
    );
    return rows.map((row) => ({ id: row.id, tenantId: row.tenant_id, webhookId: row.webhook_id }));
  }

  protected workflowId(delivery: PendingDelivery): string {
    return deliveryWorkflowId(delivery.id);
  }

  protected startOf(delivery: PendingDelivery): OutboxStart {
    const { delaysMs, windowMs, jitter } = this.config.webhooks.retry;
    const input: WebhookDeliveryInput = {
      deliveryId: delivery.id,
      tenantId: delivery.tenantId,
      schedule: { delaysMs: [...delaysMs], windowMs, jitter },
    };
    return {
      workflowType: WEBHOOK_DELIVERY_WORKFLOW,
      workflowId: deliveryWorkflowId(delivery.id),
      args: [input],
      typedSearchAttributes: deliverySearchAttributes(delivery.tenantId),
      memo: { deliveryId: delivery.id, webhookId: delivery.webhookId },
      staticSummary: `Webhook delivery \`${delivery.id}\` to endpoint \`${delivery.webhookId ?? '?'}\``,
    };
  }

  protected async markDispatched(em: EntityManager, delivery: PendingDelivery): Promise<void> {
    await em.query(`UPDATE deliveries SET dispatched_at = coalesce(dispatched_at, now()) WHERE id = $1`, [delivery.id]);
  }
}
