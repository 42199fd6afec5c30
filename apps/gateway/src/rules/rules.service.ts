import { randomUUID } from 'node:crypto';
import { BadRequestException, ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import {
  IvrLineEntity,
  IvrMenuEntity,
  RuleEntity,
  RuleVersionEntity,
  scanEvents,
  WebhookEntity,
} from '@ruleflow/entities';
import type { ConditionPredicate, RuleEvent, TemplateContext, TriggerType } from '@ruleflow/rules';
import {
  compileConditions,
  explainConditions,
  normalizeConditions,
  renderTemplate,
  RuleValidationError,
} from '@ruleflow/rules';
import { compileRegex } from '@ruleflow/rules/node/safe-regex';
import { ruleWorkflowId } from '@ruleflow/contract';
import type { EntityManager } from 'typeorm';
import { DataSource, In } from 'typeorm';
import { ActionTemplatesService } from '../action-templates/action-templates.service';
import type { AuthContext } from '../auth/auth-context';
import type { Page, PageQueryDto } from '../common/pagination';
import { decodeCursor, fetchPage, toPage } from '../common/pagination';
import { RULEFLOW_CONFIG } from '../common/tokens';
import { hookUrl, newHookToken } from '../inbound-hooks/hook-token';
import { isUuid } from '../common/uuid';
import type { LaunchedExecution } from '../executions/execution-launcher.service';
import { ExecutionLauncher } from '../executions/execution-launcher.service';
import { RuleSchedulesService } from '../schedules/rule-schedules.service';
import { temporalUnavailable } from '../temporal/temporal-unavailable';
import type {
  BacktestRuleDto,
  CreateRuleDto,
  ListRulesQueryDto,
  ReorderRulesDto,
  RunRuleDto,
  TestRuleDto,
  UpdateRuleDto,
} from './dto/rule.dto';
import type { RuleDefinition, RuleDefinitionInput } from './rule-definition';
import { parseRuleDefinition } from './rule-definition';
import { BACKTEST_MAX_EVENTS, BACKTEST_MAX_ITEMS } from './dto/rule.dto';
import type { RuleResponse } from './rule.mapper';
import { maskRuleRecord, toRuleRecord, toRuleResponse } from './rule.mapper';
import { RuleSecrets } from './rule-secrets.service';
import type { ActionLists } from './action-lists';
import { RULES_CHANGED_CHANNEL } from './rule-cache';

/** A backtest's answer: counts over the whole window, `items` the newest events evaluated. */
export interface BacktestResult {
  evaluated: number;
  matched: number;
  items: Array<{ eventId: string; occurredAt: string; matched: boolean }>;
}

@Injectable()
export class RulesService {
  private readonly logger = new Logger(RulesService.name);

  constructor(
    private readonly db: DataSource,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
    private readonly templates: ActionTemplatesService,
    private readonly schedules: RuleSchedulesService,
    private readonly runs: ExecutionLauncher,
    private readonly secrets: RuleSecrets,
  ) {}

  async create(auth: AuthContext, dto: CreateRuleDto): Promise<RuleResponse> {
    const definition = await this.parse(auth, dto);
    // The token is shown in this response only; the rule keeps its hash.
    const hook = definition.triggerType === 'webhook' ? newHookToken() : undefined;
    return this.write(
      auth,
      async (tx) => {
        const repo = tx.getRepository(RuleEntity);
        return repo.save(
          repo.create({
            tenantId: auth.tenantId,
            name: dto.name,
            description: dto.description ?? null,
            entity: dto.entity,
            ...definition,
            hookTokenHash: hook?.stored.hookTokenHash ?? null,
            hookTokenPrefix: hook?.stored.hookTokenPrefix ?? null,
            priority: dto.priority ?? 0,
            isActive: dto.isActive ?? true,
            version: 1,
          }),
        );
      },
      () => hook?.token,
    );
  }

  async list(auth: AuthContext, query: ListRulesQueryDto): Promise<Page<RuleResponse>> {
    const limit = query.limit ?? 50;
    const offset = decodeCursor(query.cursor);
    const qb = this.db
      .getRepository(RuleEntity)
      .createQueryBuilder('r')
      .where('r.tenant_id = :tenantId', { tenantId: auth.tenantId });
    if (query.entity !== undefined) qb.andWhere('r.entity = :entity', { entity: query.entity });
    if (query.isActive !== undefined) qb.andWhere('r.is_active = :isActive', { isActive: query.isActive });
    if (query.triggerType !== undefined) qb.andWhere('r.trigger_type = :tt', { tt: query.triggerType });
    const rows = await qb
      .orderBy('r.priority', 'DESC')
      .addOrderBy('r.created_at', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .offset(offset)
      .limit(limit + 1)
      .getMany();
    return toPage(rows, offset, limit, (r) => toRuleResponse(r));
  }

  async get(auth: AuthContext, id: string): Promise<RuleResponse> {
    return toRuleResponse(await this.find(this.db.manager, auth, id));
  }

  async update(auth: AuthContext, id: string, dto: UpdateRuleDto): Promise<RuleResponse> {
    const current = await this.find(this.db.manager, auth, id);
    const executableChanged =
      dto.trigger !== undefined ||
      dto.conditions !== undefined ||
      dto.actions !== undefined ||
      dto.onFailure !== undefined;
    // Re-validate the whole definition: a new trigger type can invalidate old conditions, new
    // actions the onFailure actions' names and steps.
    const definition = executableChanged
      ? await this.parse(
          auth,
          {
            trigger: dto.trigger ?? {
              type: current.triggerType,
              cron: current.trigger.cron,
              timezone: current.trigger.timezone,
            },
            conditions: dto.conditions !== undefined ? dto.conditions : current.conditions,
            // Stored secrets are sealed: opened to be validated again, sealed again on the way back.
            actions: dto.actions ?? this.secrets.openActions(current.actions),
            // Omitted: kept; null, like [], removes them.
            onFailure:
              dto.onFailure === undefined ? this.secrets.openActions(current.onFailure) : (dto.onFailure ?? []),
          },
          current,
        )
      : undefined;
    // A rule that becomes webhook-triggered gets its token here, shown in this response only.
    let madeToken: string | undefined;
    return this.write(
      auth,
      async (tx) => {
        const rule = await this.find(tx, auth, id, true);
        if (definition) {
          Object.assign(rule, definition);
          if (definition.triggerType !== 'webhook') Object.assign(rule, { hookTokenHash: null, hookTokenPrefix: null });
          else if (rule.hookTokenHash === null) {
            const hook = newHookToken();
            Object.assign(rule, hook.stored);
            madeToken = hook.token;
          }
        }
        if (dto.name !== undefined) rule.name = dto.name;
        if (dto.description !== undefined) rule.description = dto.description;
        if (dto.entity !== undefined) rule.entity = dto.entity;
        if (dto.priority !== undefined) rule.priority = dto.priority;
        if (dto.isActive !== undefined) rule.isActive = dto.isActive;
        rule.version += 1;
        return tx.getRepository(RuleEntity).save(rule);
      },
      () => madeToken,
    );
  }

  /**
   * A new hook token for a webhook-triggered rule: the old URL stops working with this commit. The
   * rule's definition is unchanged (no new version); the new URL is shown in this answer only.
   */
  async rotateHook(auth: AuthContext, id: string): Promise<{ hookUrl: string }> {
    const hook = newHookToken();
    await this.db.transaction(async (tx) => {
      const rule = await this.find(tx, auth, id, true);
      if (rule.triggerType !== 'webhook') {
        throw new ConflictException(`rule ${id} is not webhook-triggered (trigger.type "webhook"): it has no hook URL`);
      }
      await tx.getRepository(RuleEntity).update({ id: rule.id, tenantId: auth.tenantId }, hook.stored);
    });
    return { hookUrl: hookUrl(hook.token) };
  }

  async setActive(auth: AuthContext, id: string, isActive: boolean): Promise<RuleResponse> {
    return this.write(auth, async (tx) => {
      const rule = await this.find(tx, auth, id, true);
      if (rule.isActive === isActive) return rule; // nothing changed: no new version
      rule.isActive = isActive;
      rule.version += 1;
      return tx.getRepository(RuleEntity).save(rule);
    });
  }

  async remove(auth: AuthContext, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const rule = await this.find(tx, auth, id, true);
      await tx.getRepository(RuleEntity).delete({ id: rule.id, tenantId: auth.tenantId });
      await this.schedulesOr503(() => this.schedules.remove(rule.id));
      await tx.query(`SELECT pg_notify($1, $2)`, [RULES_CHANGED_CHANNEL, auth.tenantId]);
    });
  }

  /** The first id gets the highest priority; every rule whose priority changes gets a new version. */
  async reorder(auth: AuthContext, dto: ReorderRulesDto): Promise<{ items: RuleResponse[] }> {
    return this.db.transaction(async (tx) => {
      const repo = tx.getRepository(RuleEntity);
      const rules = await repo.find({
        where: { tenantId: auth.tenantId, id: In(dto.ruleIds) },
        lock: { mode: 'pessimistic_write' },
      });
      const byId = new Map(rules.map((r) => [r.id, r]));
      const missing = dto.ruleIds.filter((id) => !byId.has(id));
      if (missing.length) throw new NotFoundException(`rule ${missing[0]} not found`);
      const n = dto.ruleIds.length;
      const saved: RuleEntity[] = [];
      for (const [i, id] of dto.ruleIds.entries()) {
        const rule = byId.get(id)!;
        const priority = n - i;
        if (rule.priority !== priority) {
          rule.priority = priority;
          rule.version += 1;
          await repo.save(rule);
          await this.recordVersion(tx, rule);
        }
        saved.push(rule);
      }
      await tx.query(`SELECT pg_notify($1, $2)`, [RULES_CHANGED_CHANNEL, auth.tenantId]);
      return { items: saved.map((r) => toRuleResponse(r)) };
    });
  }

  async versions(auth: AuthContext, id: string, query: PageQueryDto) {
    const rule = await this.find(this.db.manager, auth, id);
    return fetchPage(
      query,
      (skip, take) =>
        this.db
          .getRepository(RuleVersionEntity)
          .find({ where: { ruleId: rule.id, tenantId: auth.tenantId }, order: { version: 'DESC' }, skip, take }),
      (v) => ({ version: v.version, rule: maskRuleRecord(v.rule), createdAt: v.createdAt.toISOString() }),
    );
  }

  /**
   * A new version whose definition is that of `version`: name, description, entity, trigger,
   * conditions, actions and onFailure as they were (priority and the active state stay as they are
   * now). Goes through `update`, so it is validated, versioned, scheduled and announced like any
   * PATCH; a definition that no longer validates (a webhook endpoint or template deleted since) is a 400.
   */
  async restore(auth: AuthContext, id: string, version: string): Promise<RuleResponse> {
    const rule = await this.find(this.db.manager, auth, id);
    const wanted = /^[1-9][0-9]{0,8}$/.test(version) ? Number(version) : undefined;
    if (wanted === undefined) throw new BadRequestException('version must be a positive integer');
    const row = await this.db
      .getRepository(RuleVersionEntity)
      .findOneBy({ ruleId: rule.id, tenantId: auth.tenantId, version: wanted });
    if (!row) throw new NotFoundException(`rule ${id} has no version ${wanted}`);
    const old = row.rule as RuleResponse;
    return this.update(auth, id, {
      name: old.name,
      description: old.description as string, // null clears it, as it was
      entity: old.entity,
      trigger: { type: old.trigger.type, cron: old.trigger.cron, timezone: old.trigger.timezone },
      conditions: old.conditions,
      // Sealed as stored: opened to be validated again, sealed again on the way back (as PATCH does).
      // A version from before onFailure existed had none.
      ...this.secrets.openLists({ actions: old.actions, onFailure: old.onFailure ?? [] }),
    });
  }

  /**
   * A dry run: which conditions hold for this data and what the actions would be sent; nothing runs
   * or is stored. The `onFailure` actions are not listed: they run only after a failure, and their
   * `error`/`errorAction` do not exist in a dry run.
   */
  async test(auth: AuthContext, id: string, dto: TestRuleDto) {
    const rule = await this.find(this.db.manager, auth, id);
    const type: TriggerType = dto.type ?? rule.triggerType;
    const previous = dto.previous ?? null;
    const explained = explainConditions(rule.conditions, { data: dto.data, previous }, { compileRegex });
    const event: RuleEvent = {
      id: 'dry-run',
      entity: rule.entity,
      type,
      data: dto.data,
      previous,
      occurredAt: new Date().toISOString(),
    };
    const context: TemplateContext = {
      event,
      data: dto.data,
      previous,
      rule: { id: rule.id, name: rule.name, version: rule.version },
      steps: {},
      parent: null,
    };
    return {
      matched: explained.matched,
      conditions: explained.conditions.map(({ field, operator, expected, actual, passed }) => ({
        field,
        operator,
        expected,
        actual,
        passed,
      })),
      // Secrets stay masked here too: a dry run shows where they go, never what they are.
      actions: rule.actions.map((a) => ({
        name: a.name,
        type: a.type,
        config: this.secrets.maskConfig(a.type, renderTemplate(a.config, context) as Record<string, unknown>),
      })),
    };
  }

  /**
   * The rule, or the draft conditions/trigger given, evaluated over the tenant's stored events of its
   * entity and trigger type, newest first, with the compiled predicate. Events are streamed through a
   * cursor in a read-only transaction (one page in memory), at most BACKTEST_MAX_EVENTS per call;
   * nothing runs and nothing is stored.
   */
  async backtest(auth: AuthContext, id: string, dto: BacktestRuleDto): Promise<BacktestResult> {
    const rule = await this.find(this.db.manager, auth, id);
    const since = dto.since ? new Date(dto.since) : undefined;
    const until = dto.until ? new Date(dto.until) : undefined;
    if (since && until && until <= since) throw new BadRequestException('until must be later than since');
    const triggerType = dto.rule?.trigger?.type ?? rule.triggerType;
    let predicate: ConditionPredicate;
    try {
      // As at save: normalised, regexes checked by the engine that runs them, change operators for on_update only.
      const conditions =
        dto.rule?.conditions !== undefined
          ? normalizeConditions(dto.rule.conditions, 'rule.conditions', { compileRegex, triggerType })
          : normalizeConditions(rule.conditions, 'conditions', { compileRegex, triggerType });
      predicate = compileConditions(conditions, { compileRegex });
    } catch (err) {
      if (err instanceof RuleValidationError) throw new BadRequestException(err.message);
      throw err;
    }
    const limit = dto.limit ?? BACKTEST_MAX_ITEMS;
    const result: BacktestResult = { evaluated: 0, matched: 0, items: [] };
    await this.db.transaction(async (tx) => {
      await tx.query('SET TRANSACTION READ ONLY');
      const pages = scanEvents(tx, {
        tenantId: auth.tenantId,
        entity: rule.entity,
        type: triggerType,
        since,
        until,
        max: BACKTEST_MAX_EVENTS,
      });
      for await (const page of pages) {
        for (const event of page) {
          const matched = predicate({ data: event.data, previous: event.previous });
          result.evaluated += 1;
          if (matched) result.matched += 1;
          if (result.items.length < limit) {
            result.items.push({ eventId: event.eventId, occurredAt: event.occurredAt.toISOString(), matched });
          }
        }
      }
    });
    return result;
  }

  /** A manual run of any rule, active or not, on the given data; conditions are not evaluated (explicit run). */
  async run(auth: AuthContext, id: string, dto: RunRuleDto): Promise<LaunchedExecution> {
    const rule = await this.find(this.db.manager, auth, id);
    const eventId = randomUUID();
    return this.runs.launch(
      {
        id: randomUUID(),
        rule,
        event: {
          id: eventId,
          entity: rule.entity,
          type: 'manual',
          data: dto.data ?? {},
          previous: null,
          occurredAt: new Date().toISOString(),
        },
        workflowId: ruleWorkflowId(rule.id, eventId),
        triggerType: 'manual',
      },
      'manual',
    );
  }

  /** A rule of the caller's tenant, or 404 (another tenant's rule is indistinguishable from none). */
  private async find(em: EntityManager, auth: AuthContext, id: string, lock = false): Promise<RuleEntity> {
    const rule = isUuid(id)
      ? await em.getRepository(RuleEntity).findOne({
          where: { id, tenantId: auth.tenantId },
          lock: lock ? { mode: 'pessimistic_write' } : undefined,
        })
      : null;
    if (!rule) throw new NotFoundException(`rule ${id} not found`);
    return rule;
  }

  /**
   * Validates a definition with its secrets in plaintext (a mask sent back is the stored secret of
   * `current`; templates' sealed defaults are opened to be merged) and returns it with every secret
   * sealed, ready to store.
   */
  private async parse(auth: AuthContext, input: RuleDefinitionInput, current?: RuleEntity): Promise<RuleDefinition> {
    const lists = { actions: input.actions, onFailure: input.onFailure ?? [] };
    const stored = current ? this.secrets.openLists(current) : { actions: [], onFailure: [] };
    const restored = this.secrets.restoreLists(lists, stored) as ActionLists<unknown[]>;
    let definition: RuleDefinition;
    try {
      definition = await parseRuleDefinition(
        { ...input, ...restored },
        {
          allowPrivateNetworks: this.config.webhooks.allowPrivateNetworks,
          loadTemplates: async (ids) => {
            const templates = await this.templates.findMany(auth.tenantId, ids);
            for (const t of templates.values())
              t.defaultConfig = this.secrets.openConfig(t.actionType, t.defaultConfig);
            return templates;
          },
          webhookExists: (id) => this.db.getRepository(WebhookEntity).existsBy({ id, tenantId: auth.tenantId }),
          ivrLineExists: (id) => this.db.getRepository(IvrLineEntity).existsBy({ id, tenantId: auth.tenantId }),
          ivrMenuExists: (id) => this.db.getRepository(IvrMenuEntity).existsBy({ id, tenantId: auth.tenantId }),
        },
      );
    } catch (err) {
      throw this.secrets.scrubError(err, this.secrets.actionPlaces(lists));
    }
    this.secrets.assertNoMasks(definition);
    return { ...definition, ...this.secrets.sealLists(definition) };
  }

  /**
   * One rule write: save, record the version, bring its Temporal Schedule in line and tell every
   * gateway's matcher, all before the commit, so a Temporal refusal leaves nothing half-written.
   */
  private async write(
    auth: AuthContext,
    change: (tx: EntityManager) => Promise<RuleEntity>,
    newHookToken: () => string | undefined = () => undefined,
  ): Promise<RuleResponse> {
    return this.db.transaction(async (tx) => {
      const rule = await change(tx);
      await this.recordVersion(tx, rule);
      await this.schedulesOr503(() => this.schedules.sync(rule));
      await tx.query(`SELECT pg_notify($1, $2)`, [RULES_CHANGED_CHANNEL, auth.tenantId]);
      return toRuleResponse(rule, { hookToken: newHookToken() });
    });
  }

  private async recordVersion(tx: EntityManager, rule: RuleEntity): Promise<void> {
    await tx
      .getRepository(RuleVersionEntity)
      .createQueryBuilder()
      .insert()
      // Sealed secrets, as in rules.actions and rules.on_failure; masked when read back (versions()).
      .values({ tenantId: rule.tenantId, ruleId: rule.id, version: rule.version, rule: toRuleRecord(rule) })
      .orIgnore() // setActive with no change re-saves the same version
      .execute();
  }

  private async schedulesOr503(op: () => Promise<void>): Promise<void> {
    try {
      await op();
    } catch (err) {
      if (err instanceof BadRequestException) throw err;
      throw temporalUnavailable(this.logger, "Temporal refused the rule's schedule", err);
    }
  }
}
