import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import { RuleEntity, RuleVersionEntity } from '@ruleflow/entities';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import type { AuthContext } from '../auth/auth-context';
import type { Page } from '../common/pagination';
import { decodeCursor, toPage } from '../common/pagination';
import { RULEFLOW_CONFIG } from '../common/tokens';
import { isUuid } from '../common/uuid';
import type { CreateRuleDto, ListRulesQueryDto, UpdateRuleDto } from './dto/rule.dto';
import { parseRuleDefinition } from './rule-definition';
import type { RuleResponse } from './rule.mapper';
import { toRuleResponse } from './rule.mapper';

@Injectable()
export class RulesService {
  constructor(
    private readonly db: DataSource,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
  ) {}

  async create(auth: AuthContext, dto: CreateRuleDto): Promise<RuleResponse> {
    const definition = await parseRuleDefinition(dto, {
      allowPrivateNetworks: this.config.webhooks.allowPrivateNetworks,
    });
    return this.db.transaction(async (tx) => {
      const rule = tx.getRepository(RuleEntity).create({
        tenantId: auth.tenantId,
        name: dto.name,
        description: dto.description ?? null,
        entity: dto.entity,
        ...definition,
        priority: dto.priority ?? 0,
        isActive: dto.isActive ?? true,
        version: 1,
      });
      const saved = await tx.getRepository(RuleEntity).save(rule);
      await this.recordVersion(tx, saved);
      return toRuleResponse(saved);
    });
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
    return toPage(rows, offset, limit, toRuleResponse);
  }

  async get(auth: AuthContext, id: string): Promise<RuleResponse> {
    return toRuleResponse(await this.find(this.db.manager, auth, id));
  }

  async update(auth: AuthContext, id: string, dto: UpdateRuleDto): Promise<RuleResponse> {
    return this.db.transaction(async (tx) => {
      const rule = await this.find(tx, auth, id, true);
      const executableChanged = dto.trigger !== undefined || dto.conditions !== undefined || dto.actions !== undefined;
      if (executableChanged) {
        // Re-validate the whole definition: a new trigger type can invalidate old conditions.
        const definition = await parseRuleDefinition(
          {
            trigger: dto.trigger ?? { type: rule.triggerType },
            conditions: dto.conditions !== undefined ? dto.conditions : rule.conditions,
            actions: dto.actions ?? rule.actions,
          },
          { allowPrivateNetworks: this.config.webhooks.allowPrivateNetworks },
        );
        Object.assign(rule, definition);
      }
      if (dto.name !== undefined) rule.name = dto.name;
      if (dto.description !== undefined) rule.description = dto.description;
      if (dto.entity !== undefined) rule.entity = dto.entity;
      if (dto.priority !== undefined) rule.priority = dto.priority;
      if (dto.isActive !== undefined) rule.isActive = dto.isActive;
      rule.version += 1;
      const saved = await tx.getRepository(RuleEntity).save(rule);
      await this.recordVersion(tx, saved);
      return toRuleResponse(saved);
    });
  }

  async remove(auth: AuthContext, id: string): Promise<void> {
    const rule = await this.find(this.db.manager, auth, id);
    await this.db.getRepository(RuleEntity).delete({ id: rule.id, tenantId: auth.tenantId });
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

  private async recordVersion(tx: EntityManager, rule: RuleEntity): Promise<void> {
    await tx.getRepository(RuleVersionEntity).insert({
      tenantId: rule.tenantId,
      ruleId: rule.id,
      version: rule.version,
      rule: toRuleResponse(rule),
    });
  }
}
