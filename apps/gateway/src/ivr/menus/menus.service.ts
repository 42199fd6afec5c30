import { BadRequestException, ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { IvrMenuEntity, lockIvrMenus, submenuTargets } from '@ruleflow/entities';
import type { IvrMenuItem } from '@ruleflow/rules';
import { IVR_LIMITS } from '@ruleflow/rules';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import type { AuthContext } from '../../auth/auth-context';
import type { Page, PageQueryDto } from '../../common/pagination';
import { fetchPage } from '../../common/pagination';
import { isUuid } from '../../common/uuid';
import type { CreateIvrMenuDto, IvrMenuItemDto, UpdateIvrMenuDto } from './dto/menu.dto';

export interface IvrMenuResponse {
  id: string;
  name: string;
  prompt: string;
  items: IvrMenuItem[];
  timeoutMs: number;
  maxRetries: number;
  invalidPrompt: string | null;
  timeoutPrompt: string | null;
  parentMenuId: string | null;
  version: number;
  createdAt: string;
  updatedAt: string;
}

export function toIvrMenuResponse(menu: IvrMenuEntity): IvrMenuResponse {
  return {
    id: menu.id,
    name: menu.name,
    prompt: menu.prompt,
    items: menu.items.map((item) => ({ ...item, target: item.target ?? null })),
    timeoutMs: menu.timeoutMs,
    maxRetries: menu.maxRetries,
    invalidPrompt: menu.invalidPrompt,
    timeoutPrompt: menu.timeoutPrompt,
    parentMenuId: menu.parentMenuId,
    version: menu.version,
    createdAt: menu.createdAt.toISOString(),
    updatedAt: menu.updatedAt.toISOString(),
  };
}

/** The tenant's menu graph: submenu edges and parents, by id (at most IVR_LIMITS.tenantMenusMax rows). */
interface MenuNode {
  targets: string[];
  parentMenuId: string | null;
}

const NEEDS_TARGET: ReadonlySet<string> = new Set(['submenu', 'agent', 'transfer']);
const TAKES_TARGET: ReadonlySet<string> = new Set(['submenu', 'agent', 'transfer', 'hangup']);

/**
 * IVR menus (`/v1/ivr/menus`). Every write runs in one transaction holding the tenant's menu lock, so
 * the checks that read other menus (submenu targets, parents, references, tree size, count) cannot
 * race another write of the same tenant's menus.
 *
 * Graph rules: submenu targets may form cycles (a session pushes its stack on each submenu, so `back`
 * always unwinds); `parentMenuId` (the menus' hierarchy, informational) may not: no menu is its own
 * ancestor. The menus reachable from any menu stay within IVR_LIMITS.treeMenusMax, the snapshot a
 * session starts with.
 */
@Injectable()
export class IvrMenusService {
  constructor(private readonly db: DataSource) {}

  create(auth: AuthContext, dto: CreateIvrMenuDto): Promise<IvrMenuResponse> {
    return this.db.transaction(async (tx) => {
      const graph = await this.lockGraph(tx, auth);
      if (graph.size >= IVR_LIMITS.tenantMenusMax) {
        throw new ConflictException(`a tenant has ${IVR_LIMITS.tenantMenusMax} IVR menus at most`);
      }
      const items = this.validateItems(dto.items, graph, null);
      const parentMenuId = dto.parentMenuId ?? null;
      if (parentMenuId !== null && !graph.has(parentMenuId)) {
        throw new BadRequestException(`parentMenuId: no menu ${parentMenuId} of this tenant`);
      }
      const repo = tx.getRepository(IvrMenuEntity);
      const saved = await repo.save(
        repo.create({
          tenantId: auth.tenantId,
          name: dto.name,
          prompt: dto.prompt,
          items,
          timeoutMs: dto.timeoutMs ?? IVR_LIMITS.timeoutMsDefault,
          maxRetries: dto.maxRetries ?? IVR_LIMITS.maxRetriesDefault,
          invalidPrompt: dto.invalidPrompt ?? null,
          timeoutPrompt: dto.timeoutPrompt ?? null,
          parentMenuId,
        }),
      );
      graph.set(saved.id, { targets: submenuTargets(items), parentMenuId });
      this.assertTreesBounded(graph);
      return toIvrMenuResponse(await this.find(tx, auth, saved.id));
    });
  }

  list(auth: AuthContext, query: PageQueryDto): Promise<Page<IvrMenuResponse>> {
    return fetchPage(
      query,
      (skip, take) =>
        this.db.getRepository(IvrMenuEntity).find({
          where: { tenantId: auth.tenantId },
          order: { createdAt: 'DESC', id: 'DESC' },
          skip,
          take,
        }),
      toIvrMenuResponse,
    );
  }

  async get(auth: AuthContext, id: string): Promise<IvrMenuResponse> {
    return toIvrMenuResponse(await this.find(this.db.manager, auth, id));
  }

  /** Any change bumps `version`; running sessions keep the snapshot they started with. */
  update(auth: AuthContext, id: string, dto: UpdateIvrMenuDto): Promise<IvrMenuResponse> {
    return this.db.transaction(async (tx) => {
      const graph = await this.lockGraph(tx, auth);
      const current = await this.find(tx, auth, id);
      const changes: Partial<IvrMenuEntity> = {};
      if (dto.name !== undefined) changes.name = dto.name;
      if (dto.prompt !== undefined) changes.prompt = dto.prompt;
      if (dto.items !== undefined) changes.items = this.validateItems(dto.items, graph, current.id);
      if (dto.timeoutMs !== undefined) changes.timeoutMs = dto.timeoutMs;
      if (dto.maxRetries !== undefined) changes.maxRetries = dto.maxRetries;
      if (dto.invalidPrompt !== undefined) changes.invalidPrompt = dto.invalidPrompt;
      if (dto.timeoutPrompt !== undefined) changes.timeoutPrompt = dto.timeoutPrompt;
      if (dto.parentMenuId !== undefined) {
        this.validateParent(graph, current.id, dto.parentMenuId);
        changes.parentMenuId = dto.parentMenuId;
      }
      if (Object.keys(changes).length === 0) return toIvrMenuResponse(current);
      graph.set(current.id, {
        targets: submenuTargets(changes.items ?? current.items),
        parentMenuId: changes.parentMenuId !== undefined ? changes.parentMenuId : current.parentMenuId,
      });
      this.assertTreesBounded(graph);
      await tx
        .createQueryBuilder()
        .update(IvrMenuEntity)
        .set({ ...changes, version: () => 'version + 1', updatedAt: () => 'now()' })
        .where('id = :id AND tenant_id = :tenantId', { id: current.id, tenantId: auth.tenantId })
        .execute();
      return toIvrMenuResponse(await this.find(tx, auth, current.id));
    });
  }

  /** Refused (409) while another menu names it (submenu target or parent) or a phone line answers with it. */
  async remove(auth: AuthContext, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const graph = await this.lockGraph(tx, auth);
      const menu = await this.find(tx, auth, id);
      for (const [otherId, node] of graph) {
        if (otherId === menu.id) continue;
        if (node.parentMenuId === menu.id) {
          throw new ConflictException(`menu ${menu.id} is the parent of menu ${otherId}`);
        }
        if (node.targets.includes(menu.id)) {
          throw new ConflictException(`menu ${menu.id} is a submenu of menu ${otherId}`);
        }
      }
      // ivr_lines arrives with the phone lines' migration; until then no line can name a menu.
      const [{ present }] = (await tx.query(`SELECT to_regclass('ivr_lines') IS NOT NULL AS present`)) as [
        { present: boolean },
      ];
      if (present) {
        const lines = (await tx.query(`SELECT id FROM ivr_lines WHERE tenant_id = $1 AND menu_id = $2 LIMIT 1`, [
          auth.tenantId,
          menu.id,
        ])) as Array<{ id: string }>;
        if (lines.length > 0) throw new ConflictException(`menu ${menu.id} is the menu of phone line ${lines[0]?.id}`);
      }
      await tx.getRepository(IvrMenuEntity).delete({ id: menu.id, tenantId: auth.tenantId });
    });
  }

  private async find(em: EntityManager, auth: AuthContext, id: string): Promise<IvrMenuEntity> {
    if (!isUuid(id)) throw new NotFoundException(`IVR menu ${id} not found`);
    const menu = await em.getRepository(IvrMenuEntity).findOneBy({ id, tenantId: auth.tenantId });
    if (!menu) throw new NotFoundException(`IVR menu ${id} not found`);
    return menu;
  }

  /** Takes the tenant's menu lock (until the transaction ends) and reads its menu graph. */
  private async lockGraph(tx: EntityManager, auth: AuthContext): Promise<Map<string, MenuNode>> {
    await lockIvrMenus(tx, auth.tenantId);
    const rows = (await tx.query(`SELECT id, items, parent_menu_id FROM ivr_menus WHERE tenant_id = $1`, [
      auth.tenantId,
    ])) as Array<{ id: string; items: IvrMenuItem[]; parent_menu_id: string | null }>;
    return new Map(
      rows.map((row) => [row.id, { targets: submenuTargets(row.items ?? []), parentMenuId: row.parent_menu_id }]),
    );
  }

  /** Digits unique; targets where the action needs one (submenu: a menu of this tenant), none elsewhere. */
  private validateItems(items: IvrMenuItemDto[], graph: Map<string, MenuNode>, selfId: string | null): IvrMenuItem[] {
    const seen = new Set<string>();
    return items.map((item, i) => {
      if (seen.has(item.digit)) throw new BadRequestException(`items[${i}].digit: ${item.digit} is used twice`);
      seen.add(item.digit);
      const target = item.target ?? null;
      if (NEEDS_TARGET.has(item.action) && target === null) {
        throw new BadRequestException(`items[${i}].target: required for action ${item.action}`);
      }
      if (!TAKES_TARGET.has(item.action) && target !== null) {
        throw new BadRequestException(`items[${i}].target: action ${item.action} takes no target`);
      }
      if (item.action === 'submenu' && target !== null && target !== selfId && !(isUuid(target) && graph.has(target))) {
        throw new BadRequestException(`items[${i}].target: no menu ${target} of this tenant`);
      }
      return { digit: item.digit, label: item.label, action: item.action, target };
    });
  }

  /** The parent must be a menu of this tenant and the hierarchy stays a forest (no menu its own ancestor). */
  private validateParent(graph: Map<string, MenuNode>, selfId: string, parentMenuId: string | null): void {
    if (parentMenuId === null) return;
    if (!graph.has(parentMenuId)) throw new BadRequestException(`parentMenuId: no menu ${parentMenuId} of this tenant`);
    let cursor: string | null = parentMenuId;
    for (let steps = 0; cursor !== null && steps <= graph.size; steps += 1) {
      if (cursor === selfId) throw new BadRequestException('parentMenuId: the menu would be its own ancestor');
      cursor = graph.get(cursor)?.parentMenuId ?? null;
    }
  }

  /** Every menu's reachable set (its session's snapshot) within IVR_LIMITS.treeMenusMax. */
  private assertTreesBounded(graph: Map<string, MenuNode>): void {
    for (const rootId of graph.keys()) {
      const seen = new Set<string>([rootId]);
      const queue = [rootId];
      while (queue.length > 0) {
        const id = queue.shift() as string;
        for (const target of graph.get(id)?.targets ?? []) {
          if (seen.has(target) || !graph.has(target)) continue;
          seen.add(target);
          if (seen.size > IVR_LIMITS.treeMenusMax) {
            throw new BadRequestException(
              `items: the menus reachable from menu ${rootId} would exceed ${IVR_LIMITS.treeMenusMax}`,
            );
          }
          queue.push(target);
        }
      }
    }
  }
}
