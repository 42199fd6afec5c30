import { randomUUID } from 'node:crypto';
import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import {
  assertUrlAllowed,
  checkTransform,
  endpointHeaderNameProblem,
  endpointHeaderValueProblem,
  MAX_ENDPOINT_HEADERS,
  MAX_ENDPOINT_HEADERS_BYTES,
  ForbiddenUrlError,
  generateWebhookSecret,
  SECRET_ROTATION_OVERLAP_MS,
  sharedTransformSandbox,
  TransformError,
  validateTransform,
} from '@ruleflow/outbound';
import type { RuleflowConfig } from '@ruleflow/config';
import type { DeliveryPayload } from '@ruleflow/entities';
import { DeliveryEntity, WebhookEntity } from '@ruleflow/entities';
import {
  fieldSelectionProblem,
  RuleValidationError,
  SECRET_MASK,
  secretTarget,
  subscriptionProblem,
  SYSTEM_EVENT_TYPES,
  TEST_EVENT_TYPE,
  validateTemplates,
} from '@ruleflow/rules';
import type { SecretBox } from '@ruleflow/rules/node/secret-box';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { AuthContext } from '../auth/auth-context';
import type { Page, PageQueryDto } from '../common/pagination';
import { fetchPage } from '../common/pagination';
import { RULEFLOW_CONFIG, SECRET_BOX } from '../common/tokens';
import { isUuid } from '../common/uuid';
import { DeliveryDispatcher } from './delivery-dispatcher.service';
import type {
  CreateWebhookDto,
  ListDeliveriesQueryDto,
  RecoverWebhookDto,
  TestWebhookDto,
  UpdateWebhookDto,
  WebhookStatsDto,
  WebhookStatsQueryDto,
} from './dto/webhook.dto';
import type { DeliveryResponse, WebhookResponse } from './webhook.mapper';
import { toDeliveryResponse, toWebhookResponse } from './webhook.mapper';

/** Roots a payload template may read: the (selected) data and the event envelope. */
const TEMPLATE_ROOTS = ['data', 'event'] as const;
const SYSTEM_EVENTS: ReadonlySet<string> = new Set(SYSTEM_EVENT_TYPES);

type Shaping = Pick<WebhookEntity, 'fieldSelection' | 'payloadTemplate' | 'transform'>;

/** At most this many failed deliveries are sent again per `recover` call (call again for the rest). */
export const MAX_RECOVER_PER_CALL = 1000;
/** The stats window when `since` is not given. */
const DEFAULT_STATS_WINDOW_MS = 24 * 3_600_000;
/** How many recovered deliveries a `recover` request starts itself; the delivery outbox starts the rest. */
const RECOVER_STARTED_IN_REQUEST = 100;

/**
 * Webhook endpoints (definitions with sealed `whsec_` secrets) and their deliveries. Deliveries are
 * recorded here and started by the DeliveryDispatcher; sending, retrying, the 410 rule and the
 * circuit breaker live in the worker's delivery workflow.
 */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly db: DataSource,
    private readonly dispatcher: DeliveryDispatcher,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
    @Inject(SECRET_BOX) private readonly box: SecretBox,
  ) {}

  async create(auth: AuthContext, dto: CreateWebhookDto): Promise<WebhookResponse & { secret: string }> {
    const shaping = this.validateShaping({
      fieldSelection: dto.fieldSelection ?? null,
      payloadTemplate: dto.payloadTemplate ?? null,
      transform: dto.transform ?? null,
    });
    await this.tryTransform(shaping.transform);
    const events = this.validateEvents(dto.events);
    await this.validateUrl(dto.url);
    const headers = this.sealHeaders(dto.headers ?? null, null);
    const secret = generateWebhookSecret();
    const enabled = dto.enabled ?? true;
    const repo = this.db.getRepository(WebhookEntity);
    const saved = await repo.save(
      repo.create({
        tenantId: auth.tenantId,
        name: dto.name,
        description: dto.description ?? null,
        url: dto.url,
        events,
        enabled,
        disabledAt: enabled ? null : new Date(),
        ...shaping,
        headers,
        rateLimitPerSecond: dto.rateLimitPerSecond ?? null,
        secret: this.box.encrypt(secret),
      }),
    );
    return { ...toWebhookResponse(await this.find(this.db.manager, auth, saved.id)), secret };
  }

  list(auth: AuthContext, query: PageQueryDto): Promise<Page<WebhookResponse>> {
    const now = new Date();
    return fetchPage(
      query,
      (skip, take) =>
        this.db.getRepository(WebhookEntity).find({
          where: { tenantId: auth.tenantId },
          order: { createdAt: 'DESC', id: 'DESC' },
          skip,
          take,
        }),
      (w) => toWebhookResponse(w, now),
    );
  }

  async get(auth: AuthContext, id: string): Promise<WebhookResponse> {
    return toWebhookResponse(await this.find(this.db.manager, auth, id));
  }

  async update(auth: AuthContext, id: string, dto: UpdateWebhookDto): Promise<WebhookResponse> {
    // Validation that needs no row first (and the 404 before any 400 about the body's content is fine either way).
    const events = dto.events !== undefined ? this.validateEvents(dto.events) : undefined;
    if (dto.url !== undefined) await this.validateUrl(dto.url);
    await this.tryTransform(dto.transform);
    return this.db.transaction(async (tx) => {
      const current = await this.find(tx, auth, id, true);
      const shaping = this.validateShaping({
        fieldSelection: dto.fieldSelection !== undefined ? dto.fieldSelection : current.fieldSelection,
        payloadTemplate: dto.payloadTemplate !== undefined ? dto.payloadTemplate : current.payloadTemplate,
        transform: dto.transform !== undefined ? dto.transform : current.transform,
      });
      const changes: Partial<WebhookEntity> = { ...shaping };
      if (dto.name !== undefined) changes.name = dto.name;
      if (dto.description !== undefined) changes.description = dto.description;
      if (dto.url !== undefined) changes.url = dto.url;
      if (events !== undefined) changes.events = events;
      if (dto.rateLimitPerSecond !== undefined) changes.rateLimitPerSecond = dto.rateLimitPerSecond;
      const headers = this.updatedHeaders(dto, current);
      if (headers !== undefined) changes.headers = headers;
      if (dto.enabled === true && !current.enabled) {
        // Re-enabled by its owner: the circuit breaker starts over.
        Object.assign(changes, { enabled: true, disabledReason: null, disabledAt: null, failingSince: null });
      } else if (dto.enabled === false && current.enabled) {
        Object.assign(changes, { enabled: false, disabledReason: null, disabledAt: new Date() });
      }
      await tx
        .getRepository(WebhookEntity)
        .update({ id: current.id }, changes as QueryDeepPartialEntity<WebhookEntity>);
      return toWebhookResponse(await this.find(tx, auth, id));
    });
  }

  /**
   * Deletes the endpoint. Its deliveries stay readable (`GET /v1/deliveries/:id`); one still running
   * finds no endpoint at its next attempt and fails there (the worker's concern).
   */
  async remove(auth: AuthContext, id: string): Promise<void> {
    const endpoint = await this.find(this.db.manager, auth, id);
    await this.db.getRepository(WebhookEntity).delete({ id: endpoint.id });
  }

  /** A new secret; the old one keeps signing (besides the new) for 24 h. */
  async rotateSecret(auth: AuthContext, id: string): Promise<{ secret: string }> {
    const secret = generateWebhookSecret();
    await this.db.transaction(async (tx) => {
      const current = await this.find(tx, auth, id, true);
      await tx.query(
        `UPDATE webhooks SET previous_secret = secret, secret = $2,
                previous_secret_expires_at = now() + ($3::bigint * interval '1 millisecond'), updated_at = now()
          WHERE id = $1`,
        [current.id, this.box.encrypt(secret), SECRET_ROTATION_OVERLAP_MS],
      );
    });
    return { secret };
  }

  /** Records and starts a `webhook.test` delivery, whatever the endpoint subscribes to. */
  async test(auth: AuthContext, id: string, dto: TestWebhookDto): Promise<{ deliveryId: string }> {
    const endpoint = await this.find(this.db.manager, auth, id);
    this.assertEnabled(endpoint);
    const deliveryId = randomUUID();
    const payload: DeliveryPayload = {
      type: TEST_EVENT_TYPE,
      timestamp: new Date().toISOString(),
      data:
        dto.payload !== undefined ? dto.payload : { message: 'Test delivery from Ruleflow', webhookId: endpoint.id },
    };
    await this.insertDelivery(endpoint, {
      id: deliveryId,
      eventType: TEST_EVENT_TYPE,
      eventKey: `${TEST_EVENT_TYPE}:${deliveryId}`,
      payload,
      redeliveryOf: null,
    });
    await this.dispatcher.dispatch([{ id: deliveryId, tenantId: endpoint.tenantId, webhookId: endpoint.id }]);
    return { deliveryId };
  }

  async listDeliveries(auth: AuthContext, webhookId: string, query: ListDeliveriesQueryDto) {
    const endpoint = await this.find(this.db.manager, auth, webhookId);
    return fetchPage(
      query,
      (skip, take) =>
        this.db.getRepository(DeliveryEntity).find({
          where: { tenantId: auth.tenantId, webhookId: endpoint.id, ...(query.status ? { status: query.status } : {}) },
          order: { createdAt: 'DESC', id: 'DESC' },
          skip,
          take,
        }),
      toDeliveryResponse,
    );
  }

  async getDelivery(auth: AuthContext, id: string): Promise<DeliveryResponse> {
    return toDeliveryResponse(await this.findDelivery(auth, id));
  }

  /**
   * The same message again as a NEW delivery (its own `webhook-id`), to the endpoint as it is now.
   * Only endpoint deliveries carry the message to repeat; a rule action's attempts are rerun with
   * their execution (`POST /v1/executions/:id/rerun`).
   */
  async redeliver(auth: AuthContext, id: string): Promise<{ deliveryId: string }> {
    const original = await this.findDelivery(auth, id);
    if (original.source !== 'endpoint' || !original.payload || !original.webhookId) {
      throw new ConflictException(
        `delivery ${id} is an attempt of a rule's webhook action, not an endpoint delivery; rerun its execution instead`,
      );
    }
    const endpoint = await this.db
      .getRepository(WebhookEntity)
      .findOne({ where: { id: original.webhookId, tenantId: auth.tenantId } });
    if (!endpoint) throw new ConflictException(`webhook ${original.webhookId} of delivery ${id} no longer exists`);
    this.assertEnabled(endpoint);
    const deliveryId = randomUUID();
    await this.insertDelivery(endpoint, {
      id: deliveryId,
      eventType: original.eventType,
      eventKey: original.eventKey,
      payload: original.payload,
      redeliveryOf: original.id,
    });
    await this.dispatcher.dispatch([{ id: deliveryId, tenantId: endpoint.tenantId, webhookId: endpoint.id }]);
    return { deliveryId };
  }

  /**
   * Sends again, as new deliveries (`redeliveryOf` naming each), the endpoint's `failed` deliveries
   * created in [since, until), oldest first, at most MAX_RECOVER_PER_CALL of them. One already
   * redelivered is skipped, so calling again continues where the last call stopped and repeats nothing.
   */
  async recover(auth: AuthContext, id: string, dto: RecoverWebhookDto): Promise<{ count: number }> {
    const since = new Date(dto.since);
    const until = dto.until !== undefined ? new Date(dto.until) : new Date();
    if (until.getTime() < since.getTime()) throw new BadRequestException('until: must not be before since');
    const created = await this.db.transaction(async (tx) => {
      // The endpoint's row lock serialises recover calls, so two cannot redeliver the same delivery.
      const endpoint = await this.find(tx, auth, id, true);
      this.assertEnabled(endpoint);
      const rows: Array<{ id: string }> = await tx.query(
        `INSERT INTO deliveries (id, tenant_id, webhook_id, source, event_type, event_key, url, status, payload, redelivery_of)
         SELECT gen_random_uuid(), d.tenant_id, d.webhook_id, 'endpoint', d.event_type, d.event_key, $3, 'pending',
                d.payload, d.id
           FROM deliveries d
          WHERE d.tenant_id = $1 AND d.webhook_id = $2 AND d.source = 'endpoint' AND d.status = 'failed'
            AND d.payload IS NOT NULL AND d.created_at >= $4 AND d.created_at < $5
            AND NOT EXISTS (SELECT 1 FROM deliveries r WHERE r.redelivery_of = d.id)
          ORDER BY d.created_at, d.id
          LIMIT ${MAX_RECOVER_PER_CALL}
         RETURNING id`,
        [auth.tenantId, endpoint.id, endpoint.url, since, until],
      );
      return rows.map((row) => ({ id: row.id, tenantId: endpoint.tenantId, webhookId: endpoint.id }));
    });
    // A handful start right away; the delivery outbox starts the rest within its next sweeps.
    await this.dispatcher.dispatch(created.slice(0, RECOVER_STARTED_IN_REQUEST));
    return { count: created.length };
  }

  /**
   * Counts of the endpoint's deliveries created since `since` (default: the last 24 h) by status, and
   * the 50th and 99th percentiles of their attempts' `durationMs` (null without attempts).
   */
  async stats(auth: AuthContext, id: string, query: WebhookStatsQueryDto): Promise<WebhookStatsDto> {
    const since = query.since !== undefined ? new Date(query.since) : new Date(Date.now() - DEFAULT_STATS_WINDOW_MS);
    const endpoint = await this.find(this.db.manager, auth, id);
    const params = [auth.tenantId, endpoint.id, since];
    const [counts]: Array<Record<'success' | 'failed' | 'pending' | 'retrying', number>> = await this.db.query(
      `SELECT count(*) FILTER (WHERE status = 'success')::int AS success,
              count(*) FILTER (WHERE status = 'failed')::int AS failed,
              count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'retrying')::int AS retrying
         FROM deliveries WHERE tenant_id = $1 AND webhook_id = $2 AND created_at >= $3`,
      params,
    );
    const [latency]: Array<{ p50: number | null; p99: number | null }> = await this.db.query(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (a->>'durationMs')::float8) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY (a->>'durationMs')::float8) AS p99
         FROM deliveries d CROSS JOIN LATERAL jsonb_array_elements(d.attempts) a
        WHERE d.tenant_id = $1 AND d.webhook_id = $2 AND d.created_at >= $3 AND a ? 'durationMs'`,
      params,
    );
    const ms = (v: number | null | undefined) => (v === null || v === undefined ? null : Math.round(Number(v)));
    return {
      success: counts?.success ?? 0,
      failed: counts?.failed ?? 0,
      pending: counts?.pending ?? 0,
      retrying: counts?.retrying ?? 0,
      p50LatencyMs: ms(latency?.p50),
      p99LatencyMs: ms(latency?.p99),
    };
  }

  /**
   * The headers an update stores: unchanged when not given (unless the URL's host changes: stored
   * header values never follow the endpoint to another host), null when cleared, else checked and sealed.
   */
  private updatedHeaders(dto: UpdateWebhookDto, current: WebhookEntity): Record<string, string> | null | undefined {
    const sameTarget = dto.url === undefined || secretTarget({ url: dto.url }) === secretTarget({ url: current.url });
    if (dto.headers === undefined) {
      if (sameTarget || Object.keys(current.headers ?? {}).length === 0) return undefined;
      throw new BadRequestException("headers: the URL's host changed; give the headers again (or null to remove them)");
    }
    if (dto.headers === null) return null;
    return this.sealHeaders(dto.headers, { headers: current.headers ?? {}, sameTarget });
  }

  /**
   * Custom headers checked (names, reserved names, values, count and size) and their values sealed.
   * A value sent as SECRET_MASK keeps the stored value of that name while the target stays the same.
   * Messages name the header, never its value.
   */
  private sealHeaders(
    given: Record<string, unknown> | null,
    stored: { headers: Record<string, string>; sameTarget: boolean } | null,
  ): Record<string, string> | null {
    const entries = Object.entries(given ?? {});
    if (entries.length === 0) return null;
    if (entries.length > MAX_ENDPOINT_HEADERS) {
      throw new BadRequestException(`headers: at most ${MAX_ENDPOINT_HEADERS} headers`);
    }
    const seen = new Set<string>();
    let bytes = 0;
    const sealed: Record<string, string> = {};
    for (const [name, value] of entries) {
      const where = `headers.${name.slice(0, 100)}`;
      const problem = endpointHeaderNameProblem(name) ?? endpointHeaderValueProblem(value);
      if (problem) throw new BadRequestException(`${where}: ${problem}`);
      if (seen.has(name.toLowerCase())) throw new BadRequestException(`${where}: is given twice (names ignore case)`);
      seen.add(name.toLowerCase());
      bytes += name.length + (value as string).length;
      if (value !== SECRET_MASK) {
        sealed[name] = this.box.encrypt(value as string);
        continue;
      }
      const kept = Object.entries(stored?.headers ?? {}).find(([k]) => k.toLowerCase() === name.toLowerCase());
      if (!kept) {
        throw new BadRequestException(
          `${where}: is the mask "${SECRET_MASK}" but there is no stored value to keep; send the value itself`,
        );
      }
      if (!stored?.sameTarget) throw new BadRequestException(`${where}: the URL's host changed; give the value again`);
      sealed[name] = kept[1];
    }
    if (bytes > MAX_ENDPOINT_HEADERS_BYTES) {
      throw new BadRequestException(`headers: names and values together exceed ${MAX_ENDPOINT_HEADERS_BYTES} bytes`);
    }
    return sealed;
  }

  private async insertDelivery(
    endpoint: WebhookEntity,
    d: {
      id: string;
      eventType: string;
      eventKey: string | null;
      payload: DeliveryPayload;
      redeliveryOf: string | null;
    },
  ): Promise<void> {
    const row: Partial<DeliveryEntity> = {
      id: d.id,
      tenantId: endpoint.tenantId,
      webhookId: endpoint.id,
      source: 'endpoint',
      eventType: d.eventType,
      eventKey: d.eventKey,
      url: endpoint.url,
      status: 'pending',
      payload: d.payload,
      redeliveryOf: d.redeliveryOf,
    };
    await this.db.getRepository(DeliveryEntity).insert(row as QueryDeepPartialEntity<DeliveryEntity>);
  }

  private assertEnabled(endpoint: WebhookEntity): void {
    if (endpoint.enabled) return;
    const why = endpoint.disabledReason ? ` (${endpoint.disabledReason})` : '';
    throw new ConflictException(
      `webhook ${endpoint.id} is disabled${why}; re-enable it with PATCH {"enabled": true} first`,
    );
  }

  private async find(em: EntityManager, auth: AuthContext, id: string, lock = false): Promise<WebhookEntity> {
    if (!isUuid(id)) throw new NotFoundException(`webhook ${id} not found`);
    const qb = em
      .getRepository(WebhookEntity)
      .createQueryBuilder('w')
      .where('w.id = :id AND w.tenant_id = :tenantId', { id, tenantId: auth.tenantId });
    if (lock) qb.setLock('pessimistic_write');
    const endpoint = await qb.getOne();
    if (!endpoint) throw new NotFoundException(`webhook ${id} not found`);
    return endpoint;
  }

  private async findDelivery(auth: AuthContext, id: string): Promise<DeliveryEntity> {
    if (!isUuid(id)) throw new NotFoundException(`delivery ${id} not found`);
    const delivery = await this.db.getRepository(DeliveryEntity).findOne({ where: { id, tenantId: auth.tenantId } });
    if (!delivery) throw new NotFoundException(`delivery ${id} not found`);
    return delivery;
  }

  /** Subscriptions, deduplicated in order; each a pattern or a system event type. */
  private validateEvents(events: readonly string[]): string[] {
    events.forEach((pattern, i) => {
      if (SYSTEM_EVENTS.has(pattern)) return;
      const problem = subscriptionProblem(pattern);
      if (problem) throw new BadRequestException(`events[${i}]: ${problem}`);
    });
    return [...new Set(events)];
  }

  private async validateUrl(url: string): Promise<void> {
    try {
      await assertUrlAllowed(url, { allowPrivateNetworks: this.config.webhooks.allowPrivateNetworks });
    } catch (err) {
      if (err instanceof ForbiddenUrlError) throw new BadRequestException(`url: ${err.message}`);
      throw err;
    }
  }

  /** A new transform's trial run in the sandbox: one that hits a limit even on `{}` is refused (400). */
  private async tryTransform(transform: string | null | undefined): Promise<void> {
    if (typeof transform !== 'string') return;
    try {
      await checkTransform(transform, sharedTransformSandbox(this.config.transforms));
    } catch (err) {
      if (err instanceof TransformError) throw new BadRequestException(`transform: ${err.message}`);
      throw err;
    }
  }

  /** The shaping steps as they will be stored, checked as a whole (fieldSelection → payloadTemplate → transform). */
  private validateShaping(s: Shaping): Shaping {
    const fieldSelection = s.fieldSelection && s.fieldSelection.length > 0 ? s.fieldSelection : null;
    fieldSelection?.forEach((path, i) => {
      const problem = fieldSelectionProblem(path);
      if (problem) throw new BadRequestException(`fieldSelection[${i}]: ${problem}`);
    });
    const payloadTemplate = s.payloadTemplate ?? null;
    if (payloadTemplate !== null) {
      try {
        validateTemplates(payloadTemplate, 'payloadTemplate', { roots: TEMPLATE_ROOTS });
      } catch (err) {
        if (err instanceof RuleValidationError) throw new BadRequestException(err.message);
        throw err;
      }
    }
    const transform = s.transform ?? null;
    if (transform !== null) {
      try {
        validateTransform(transform);
      } catch (err) {
        if (err instanceof TransformError) throw new BadRequestException(`transform: ${err.message}`);
        throw err;
      }
    }
    return { fieldSelection, payloadTemplate, transform };
  }
}
