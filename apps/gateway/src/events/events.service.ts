import { randomUUID } from 'node:crypto';
import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import type { EventSource, ExecutionStatus, FannedOutDelivery } from '@ruleflow/entities';
import { EventEntity, fanOutEvent } from '@ruleflow/entities';
import type { RuleEvent } from '@ruleflow/rules';
import { ruleWorkflowId } from '@ruleflow/contract';
import { DataSource } from 'typeorm';
import type { AuthContext } from '../auth/auth-context';
import { MetricsService } from '../metrics/metrics.service';
import type { Page } from '../common/pagination';
import { fetchPage } from '../common/pagination';
import type { EventDto, IngestEventDto, IngestEventResponse, ListEventsQueryDto } from './dto/event.dto';
import type { PendingExecution } from '../executions/execution-dispatcher.service';
import { RuleCache } from '../rules/rule-cache';
import { ExecutionLauncher } from '../executions/execution-launcher.service';
import { DeliveryDispatcher } from '../webhooks/delivery-dispatcher.service';

/** Event ids are client idempotency keys (or generated): anything else names no event. */
const EVENT_ID_SHAPE = /^[A-Za-z0-9._:@-]{1,200}$/;

function toEventDto(row: EventEntity, executions: EventDto['executions']): EventDto {
  return {
    id: row.eventKey,
    entity: row.entity,
    type: row.type as EventDto['type'],
    data: row.data,
    previous: row.previous,
    occurredAt: row.occurredAt.toISOString(),
    receivedAt: row.receivedAt.toISOString(),
    source: row.source,
    executions,
  };
}

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
  async ingest(
    auth: AuthContext,
    dto: IngestEventDto,
    source: Extract<EventSource, 'api' | 'capture'> = 'api',
  ): Promise<IngestEventResponse> {
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

    // The runs' ids are chosen here, so the event row is written with its answer in one statement.
    const runs = matched.map((rule) => ({
      id: randomUUID(),
      rule,
      event,
      workflowId: ruleWorkflowId(rule.id, eventKey),
      triggerType: event.type,
    }));
    const response: IngestEventResponse = {
      eventId: eventKey,
      executions: runs.map((r) => ({ executionId: r.id, ruleId: r.rule.id, workflowId: r.workflowId })),
    };

    const accepted = await this.db.transaction(async (tx) => {
      const inserted: Array<{ id: string }> = await tx.query(
        `INSERT INTO events (tenant_id, event_key, entity, type, data, previous, occurred_at, response, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tenant_id, event_key) DO NOTHING
         RETURNING id`,
        [
          auth.tenantId,
          eventKey,
          event.entity,
          event.type,
          event.data,
          event.previous,
          event.occurredAt,
          response,
          source,
        ],
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

      const pending = await this.runs.record(tx, runs);
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

  /** The caller's tenant's events, newest received first, each with the runs it started. */
  async list(auth: AuthContext, query: ListEventsQueryDto): Promise<Page<EventDto>> {
    if (query.since && query.until && new Date(query.until) <= new Date(query.since)) {
      throw new BadRequestException('until must be later than since');
    }
    const page = await fetchPage(
      query,
      (skip, take) => {
        const qb = this.db
          .getRepository(EventEntity)
          .createQueryBuilder('e')
          .where('e.tenant_id = :tenantId', { tenantId: auth.tenantId });
        if (query.entity) qb.andWhere('e.entity = :entity', { entity: query.entity });
        if (query.type) qb.andWhere('e.type = :type', { type: query.type });
        if (query.source) qb.andWhere('e.source = :source', { source: query.source });
        if (query.since) qb.andWhere('e.received_at >= :since', { since: query.since });
        if (query.until) qb.andWhere('e.received_at < :until', { until: query.until });
        return qb.orderBy('e.received_at', 'DESC').addOrderBy('e.id', 'DESC').offset(skip).limit(take).getMany();
      },
      (row) => row,
    );
    const runs = await this.runsOf(
      auth.tenantId,
      page.items.map((e) => e.eventKey),
    );
    return { items: page.items.map((e) => toEventDto(e, runs.get(e.eventKey) ?? [])), nextCursor: page.nextCursor };
  }

  /** One event of the caller's tenant by its id; another tenant's is the same 404 as none. */
  async get(auth: AuthContext, id: string): Promise<EventDto> {
    const row = EVENT_ID_SHAPE.test(id)
      ? await this.db.getRepository(EventEntity).findOneBy({ tenantId: auth.tenantId, eventKey: id })
      : null;
    if (!row) throw new NotFoundException(`event ${id} not found`);
    const runs = await this.runsOf(auth.tenantId, [row.eventKey]);
    return toEventDto(row, runs.get(row.eventKey) ?? []);
  }

  /** The runs on these events (by the executions' (tenant_id, event_id) index), oldest first. */
  private async runsOf(tenantId: string, eventKeys: string[]): Promise<Map<string, EventDto['executions']>> {
    const out = new Map<string, EventDto['executions']>();
    if (eventKeys.length === 0) return out;
    const rows: Array<{ event_id: string; id: string; rule_id: string; status: ExecutionStatus }> = await this.db.query(
      `SELECT event_id, id, rule_id, status FROM executions
          WHERE tenant_id = $1 AND event_id = ANY($2::text[])
          ORDER BY created_at, dispatch_order, id`,
      [tenantId, eventKeys],
    );
    for (const r of rows) {
      const list = out.get(r.event_id) ?? [];
      list.push({ executionId: r.id, ruleId: r.rule_id, status: r.status });
      out.set(r.event_id, list);
    }
    return out;
  }
}
