import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { RuleDependencyEntity, RuleEntity } from '@ruleflow/entities';
import type { EntityManager } from 'typeorm';
import { DataSource, In, QueryFailedError } from 'typeorm';
import type { AuthContext } from '../auth/auth-context';
import { isUuid } from '../common/uuid';
import type { DependencyEdge } from './dependency-graph';
import { findPath } from './dependency-graph';
import type { CreateDependencyDto } from './dto/dependency.dto';

/** The public representation of a dependency (an edge of the rule DAG). */
export function toDependencyResponse(d: RuleDependencyEntity) {
  return {
    id: d.id,
    parentRuleId: d.parentRuleId,
    childRuleId: d.childRuleId,
    createdAt: d.createdAt.toISOString(),
  };
}
export type DependencyResponse = ReturnType<typeof toDependencyResponse>;

/** A rule as listed among another rule's parents or children. */
export function toRuleSummary(rule: RuleEntity) {
  return {
    id: rule.id,
    name: rule.name,
    entity: rule.entity,
    isActive: rule.isActive,
    triggerType: rule.triggerType,
  };
}
export type RuleSummary = ReturnType<typeof toRuleSummary>;

/**
 * Namespace of the per-tenant advisory lock (two-key form: this, and a hash of the tenant id) that
 * serialises the DAG writes of one tenant. Tenants never wait for each other.
 */
const DAG_LOCK_NAMESPACE = 'ruleflow.rule_dependencies';

/**
 * Every edge reachable from $2 (following parent → child) in tenant $1, but only when $3 is among
 * the reachable rules: adding $3 → $2 would then close a cycle, and these edges name it. `UNION`
 * (not `UNION ALL`) visits each rule once, so this is linear in the size of the graph.
 */
const CYCLE_EDGES_SQL = `
  WITH RECURSIVE reachable(rule_id) AS (
    SELECT $2::uuid
    UNION
    SELECT d.child_rule_id
      FROM rule_dependencies d JOIN reachable r ON d.parent_rule_id = r.rule_id
     WHERE d.tenant_id = $1
  )
  SELECT d.parent_rule_id AS "parentRuleId", d.child_rule_id AS "childRuleId"
    FROM rule_dependencies d JOIN reachable r ON d.parent_rule_id = r.rule_id
   WHERE d.tenant_id = $1
     AND EXISTS (SELECT 1 FROM reachable WHERE rule_id = $3::uuid)`;

@Injectable()
export class DependenciesService {
  constructor(private readonly db: DataSource) {}

  /**
   * Add parent → child. The tenant's advisory lock is held from before the reachability check until
   * the insert commits, so concurrent requests (A → B and B → A at once) cannot both pass the check.
   */
  async add(auth: AuthContext, parentRuleId: string, dto: CreateDependencyDto): Promise<DependencyResponse> {
    const childRuleId = dto.childRuleId;
    return this.db.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))`, [DAG_LOCK_NAMESPACE, auth.tenantId]);
      await this.findRules(tx, auth, [parentRuleId, childRuleId]);
      if (parentRuleId === childRuleId) throw new ConflictException(`rule ${parentRuleId} cannot depend on itself`);

      const edges: DependencyEdge[] = await tx.query(CYCLE_EDGES_SQL, [auth.tenantId, childRuleId, parentRuleId]);
      const path = findPath(edges, childRuleId, parentRuleId);
      if (path) {
        const names = await this.names(tx, auth, path);
        const cycle = [parentRuleId, ...path].map((id) => `${names.get(id) ?? '?'} (${id})`).join(' → ');
        throw new ConflictException(`dependency would close a cycle: ${cycle}`);
      }

      const inserted = await this.insertEdge(tx, auth, parentRuleId, childRuleId);
      if (!inserted) throw new ConflictException(`rule ${childRuleId} already depends on rule ${parentRuleId}`);
      return toDependencyResponse(inserted);
    });
  }

  /** The rules this one starts after a success (children) and the rules that start it (parents). */
  async list(auth: AuthContext, ruleId: string): Promise<{ children: RuleSummary[]; parents: RuleSummary[] }> {
    await this.findRules(this.db.manager, auth, [ruleId]);
    const [children, parents] = await Promise.all([
      this.neighbours(auth, ruleId, 'child'),
      this.neighbours(auth, ruleId, 'parent'),
    ]);
    return { children: children.map(toRuleSummary), parents: parents.map(toRuleSummary) };
  }

  /** Remove parent → child; 404 when there is no such edge (in this tenant). */
  async remove(auth: AuthContext, parentRuleId: string, childRuleId: string): Promise<void> {
    const result =
      isUuid(parentRuleId) && isUuid(childRuleId)
        ? await this.db
            .createQueryBuilder()
            .delete()
            .from(RuleDependencyEntity)
            .where('tenant_id = :tenantId AND parent_rule_id = :parentRuleId AND child_rule_id = :childRuleId', {
              tenantId: auth.tenantId,
              parentRuleId,
              childRuleId,
            })
            .execute()
        : { affected: 0 };
    if (!result.affected) throw new NotFoundException(`rule ${parentRuleId} has no dependency on rule ${childRuleId}`);
  }

  /** The caller's rules by id, or 404 naming the first missing one (another tenant's rule is none). */
  private async findRules(em: EntityManager, auth: AuthContext, ids: string[]): Promise<Map<string, RuleEntity>> {
    const valid = ids.filter(isUuid);
    const rows = valid.length
      ? await em.getRepository(RuleEntity).find({ where: { tenantId: auth.tenantId, id: In(valid) } })
      : [];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const missing = ids.find((id) => !byId.has(id));
    if (missing !== undefined) throw new NotFoundException(`rule ${missing} not found`);
    return byId;
  }

  private async names(em: EntityManager, auth: AuthContext, ids: string[]): Promise<Map<string, string>> {
    const rows = await em
      .getRepository(RuleEntity)
      .find({ select: { id: true, name: true }, where: { tenantId: auth.tenantId, id: In(ids) } });
    return new Map(rows.map((r) => [r.id, JSON.stringify(r.name)]));
  }

  /** Insert the edge; null when it already exists. A rule deleted meanwhile (foreign key) is a 404. */
  private async insertEdge(
    tx: EntityManager,
    auth: AuthContext,
    parentRuleId: string,
    childRuleId: string,
  ): Promise<RuleDependencyEntity | null> {
    try {
      const rows: Array<{ id: string; created_at: Date }> = await tx.query(
        `INSERT INTO rule_dependencies (tenant_id, parent_rule_id, child_rule_id) VALUES ($1, $2, $3)
         ON CONFLICT (parent_rule_id, child_rule_id) DO NOTHING
         RETURNING id, created_at`,
        [auth.tenantId, parentRuleId, childRuleId],
      );
      const row = rows[0];
      if (!row) return null;
      return Object.assign(new RuleDependencyEntity(), {
        id: row.id,
        tenantId: auth.tenantId,
        parentRuleId,
        childRuleId,
        createdAt: new Date(row.created_at),
      });
    } catch (err) {
      if (err instanceof QueryFailedError && (err as { code?: string }).code === '23503') {
        throw new NotFoundException(`rule ${parentRuleId} or ${childRuleId} no longer exists`);
      }
      throw err;
    }
  }

  /** The rules at the other end of this rule's edges in one direction, highest priority first. */
  private neighbours(auth: AuthContext, ruleId: string, want: 'child' | 'parent'): Promise<RuleEntity[]> {
    const [self, other] = want === 'child' ? ['parent_rule_id', 'child_rule_id'] : ['child_rule_id', 'parent_rule_id'];
    return this.db
      .getRepository(RuleEntity)
      .createQueryBuilder('r')
      .innerJoin(RuleDependencyEntity, 'd', `d.${other} = r.id AND d.tenant_id = r.tenant_id`)
      .where(`d.tenant_id = :tenantId AND d.${self} = :ruleId`, { tenantId: auth.tenantId, ruleId })
      .orderBy('r.priority', 'DESC')
      .addOrderBy('r.name', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .getMany();
  }
}
