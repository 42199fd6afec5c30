import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { FannedOutDelivery } from '@ruleflow/entities';
import { fanOutEvent } from '@ruleflow/entities';
import type { RuleEvent } from '@ruleflow/rules';
import { ruleWorkflowId } from '@ruleflow/contract';
import { DataSource } from 'typeorm';
import type { AuthContext } from '../auth/auth-context';
import { MetricsService } from '../metrics/metrics.service';
import type { IngestEventDto, IngestEventResponse } from './dto/event.dto';
import type { PendingExecution } from '../executions/execution-dispatcher.service';
import { RuleCache } from '../rules/rule-cache';
import { ExecutionLauncher } from '../executions/execution-launcher.service';
import { DeliveryDispatcher } from '../webhooks/delivery-dispatcher.service';

@Injectable()
export class EventsService {
  constructor(
    private readonly db: DataSource,
    private readonly runs: ExecutionLauncher,
    private readonly rules: RuleCache,
    private readonly metrics: MetricsService,
    private readonly deliveries: DeliveryDispatcher,
  ) {}

  /**
   * Accept an event: in ONE transaction store it (idempotent on its id) and one pending execution per
   * matching active rule, in priority order. Once committed nothing is lost: the runs are started
   * right away, and the outbox sweep starts whatever a crash left behind.
   */
  async ingest(auth: AuthContext, dto: IngestEventDto): Promise<IngestEventResponse> {
    const eventKey = dto.id ?? randomUUID();
    const event: RuleEvent = {
      id: eventKey,
      entity: dto.entity,
      type: dto.type,
      data: dto.data,
      previous: dto.previous ?? null,
      occurredAt: dto.occurredAt ? new Date(dto.occurredAt).toISOString() : new Date().toISOString(),
    };

    // Matched before the transaction opens: the rule cache may read through the pool, and a
    // transaction waiting on a second pooled connection is how pools deadlock under load.
    const candidates = await this.rules.activeRules(auth.tenantId, event.entity, dto.type);
    const input = { data: event.data, previous: event.previous };
    const matched = candidates.filter((c) => c.matches(input)).map((c) => c.rule);

    const accepted = await this.db.transaction(async (tx) => {
      const inserted: Array<{ id: string }> = await tx.query(
        `INSERT INTO events (tenant_id, event_key, entity, type, data, previous, occurred_at, response)
         VALUES ($1, $2, $3, $4, $5, $6, $7, '{}')
         ON CONFLICT (tenant_id, event_key) DO NOTHING
         RETURNING id`,
        [auth.tenantId, eventKey, event.entity, event.type, event.data, event.previous, event.occurredAt],
      );
      if (inserted.length === 0) {
        // A repeat of a known id (possibly concurrent: the unique index waited for the first to commit).
        const known: Array<{ response: IngestEventResponse }> = await tx.query(
          `SELECT response FROM events WHERE tenant_id = $1 AND event_key = $2`,
          [auth.tenantId, eventKey],
        );
        return {
          response: known[0]!.response,
          pending: [] as PendingExecution[],
          deliveries: [] as FannedOutDelivery[],
          fresh: false,
        };
      }

      const pending = await this.runs.record(
        tx,
        matched.map((rule) => ({
          id: randomUUID(),
          rule,
          event,
          workflowId: ruleWorkflowId(rule.id, eventKey),
          triggerType: event.type,
        })),
      );
      const response: IngestEventResponse = {
        eventId: eventKey,
        executions: pending.map((p) => ({ executionId: p.id, ruleId: p.input.rule.id, workflowId: p.workflowId })),
      };
      await tx.query(`UPDATE events SET response = $2 WHERE id = $1`, [inserted[0]!.id, response]);
      // Offered to subscribed endpoints in the same transaction: the deliveries exist exactly when the event does.
      const deliveries = await fanOutEvent(tx, {
        tenantId: auth.tenantId,
        type: `${event.entity}.${event.type}`,
        eventKey,
        data: event.data,
        timestamp: event.occurredAt,
      });
      return { response, pending, deliveries, fresh: true };
    });

    if (accepted.fresh) this.metrics.eventsIngested.inc({ type: event.type });
    await this.runs.start(accepted.pending);
    if (accepted.deliveries.length) await this.deliveries.dispatch(accepted.deliveries);
    return accepted.response;
  }
}
