import type { IvrMenuItem, IvrMenuSnapshot, IvrMenuTree } from '@ruleflow/rules';
import { IVR_LIMITS } from '@ruleflow/rules';
import type { DataSource, EntityManager } from 'typeorm';
import { In } from 'typeorm';
import { IvrMenuEntity } from '../ivr-menu.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A tree reachable from a root holds more menus than `IVR_LIMITS.treeMenusMax` (the gateway refuses such edits). */
export class IvrMenuTreeTooLargeError extends Error {
  constructor(rootMenuId: string) {
    super(`the menus reachable from ${rootMenuId} exceed ${IVR_LIMITS.treeMenusMax}`);
    this.name = 'IvrMenuTreeTooLargeError';
  }
}

/** The snapshot of one stored menu, as a session runs it. */
export function toIvrMenuSnapshot(menu: IvrMenuEntity): IvrMenuSnapshot {
  return {
    id: menu.id,
    name: menu.name,
    prompt: menu.prompt,
    items: (menu.items ?? []).map((item): IvrMenuItem => ({
      digit: item.digit,
      label: item.label,
      action: item.action,
      target: item.target ?? null,
    })),
    timeoutMs: menu.timeoutMs,
    maxRetries: menu.maxRetries,
    invalidPrompt: menu.invalidPrompt,
    timeoutPrompt: menu.timeoutPrompt,
    version: menu.version,
  };
}

/** The submenu targets a menu names (the edges of the menu graph). */
export function submenuTargets(items: readonly IvrMenuItem[]): string[] {
  return items
    .filter((item) => item.action === 'submenu' && typeof item.target === 'string')
    .map((item) => item.target as string);
}

/**
 * Takes the tenant's IVR menu lock until the transaction of `tx` ends. Every write that checks what
 * names a menu (menus' submenu targets and parents, phone lines' `menu_id`) takes it first, so a
 * menu cannot be deleted between another writer's check and its insert.
 */
export async function lockIvrMenus(tx: EntityManager, tenantId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('ivr_menus'), hashtext($1))`, [tenantId]);
}

/** Loads the menus a session runs over. */
export interface IvrMenuTreeLoader {
  loadTree(tenantId: string, rootMenuId: string): Promise<IvrMenuTree | null>;
}

/** PostgreSQL implementation over `ivr_menus`, scoped by tenant. */
export class IvrMenuRepository implements IvrMenuTreeLoader {
  constructor(private readonly db: DataSource) {}

  findMenu(tenantId: string, menuId: string): Promise<IvrMenuEntity | null> {
    if (!UUID.test(menuId)) return Promise.resolve(null);
    return this.db.getRepository(IvrMenuEntity).findOneBy({ id: menuId, tenantId });
  }

  /**
   * The root and every menu of the same tenant reachable from it through submenu targets, level by
   * level (one query per level). Null when the root is not a menu of the tenant. A target that is no
   * menu of the tenant is left out (the machine treats pressing it as an invalid digit). More than
   * `IVR_LIMITS.treeMenusMax` menus throws IvrMenuTreeTooLargeError.
   */
  async loadTree(tenantId: string, rootMenuId: string): Promise<IvrMenuTree | null> {
    const root = await this.findMenu(tenantId, rootMenuId);
    if (!root) return null;
    const menus: Record<string, IvrMenuSnapshot> = { [root.id]: toIvrMenuSnapshot(root) };
    let count = 1;
    const seen = new Set<string>([root.id]);
    let frontier = [root];
    while (frontier.length > 0) {
      const next = new Set<string>();
      for (const menu of frontier) {
        for (const target of submenuTargets(menu.items ?? [])) {
          if (!seen.has(target) && UUID.test(target)) next.add(target);
        }
      }
      if (next.size === 0) break;
      for (const id of next) seen.add(id);
      if (count + next.size > IVR_LIMITS.treeMenusMax) {
        // Some of `next` may not exist: count only what does before refusing.
        const found = await this.db.getRepository(IvrMenuEntity).countBy({ tenantId, id: In([...next]) });
        if (count + found > IVR_LIMITS.treeMenusMax) throw new IvrMenuTreeTooLargeError(root.id);
      }
      frontier = await this.db.getRepository(IvrMenuEntity).findBy({ tenantId, id: In([...next]) });
      for (const menu of frontier) menus[menu.id] = toIvrMenuSnapshot(menu);
      count += frontier.length;
    }
    return { rootMenuId: root.id, menus };
  }
}
