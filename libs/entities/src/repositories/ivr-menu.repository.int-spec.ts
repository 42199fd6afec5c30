import { openTestDataSource, insertTenants } from '@ruleflow/testing';
import type { IvrMenuItem } from '@ruleflow/rules';
import { IVR_LIMITS } from '@ruleflow/rules';
import { inTenantScope } from '../db-scope';
import { IvrMenuEntity } from '../ivr-menu.entity';
import { IvrMenuRepository, IvrMenuTreeTooLargeError } from './ivr-menu.repository';

describe('IvrMenuRepository.loadTree (real PostgreSQL)', () => {
  let testDb: Awaited<ReturnType<typeof openTestDataSource>>;
  let menus: IvrMenuRepository;
  let tenantId: string;
  let otherTenantId: string;

  beforeAll(async () => {
    testDb = await openTestDataSource('ivr-menu-repository-spec');
    menus = new IvrMenuRepository(testDb.db);
    [tenantId, otherTenantId] = (await insertTenants(testDb.db, 2)) as [string, string];
  });
  afterAll(async () => {
    await testDb?.close();
  });

  async function insert(tenant: string, name: string, items: IvrMenuItem[] = []): Promise<IvrMenuEntity> {
    const repo = testDb.db.getRepository(IvrMenuEntity);
    return repo.save(repo.create({ tenantId: tenant, name, prompt: `say ${name}`, items }));
  }
  const sub = (digit: string, target: string): IvrMenuItem => ({ digit, label: 'go', action: 'submenu', target });

  it('loads the root and every menu reachable through submenu targets, cycles included, and nothing else', async () => {
    const leaf = await insert(tenantId, 'leaf', [{ digit: '1', label: 'agent', action: 'agent', target: 'q' }]);
    const middle = await insert(tenantId, 'middle', [sub('1', leaf.id)]);
    const root = await insert(tenantId, 'root', [sub('1', middle.id), sub('2', leaf.id)]);
    // A cycle back to the root, and a menu nobody reaches.
    await testDb.db.getRepository(IvrMenuEntity).update({ id: leaf.id }, { items: [sub('9', root.id)] });
    await insert(tenantId, 'unreached');

    const tree = await menus.loadTree(tenantId, root.id);
    expect(tree?.rootMenuId).toBe(root.id);
    expect(Object.keys(tree?.menus ?? {}).sort()).toEqual([root.id, middle.id, leaf.id].sort());
    expect(tree?.menus[middle.id]).toEqual({
      id: middle.id,
      name: 'middle',
      prompt: 'say middle',
      items: [{ digit: '1', label: 'go', action: 'submenu', target: leaf.id }],
      timeoutMs: 10000,
      maxRetries: 3,
      invalidPrompt: null,
      timeoutPrompt: null,
      version: 1,
    });
  });

  it('is null for an unknown root, a non-uuid and another tenant’s menu; never follows into another tenant', async () => {
    const foreign = await insert(otherTenantId, 'foreign');
    const root = await insert(tenantId, 'root-with-foreign-target', [sub('1', foreign.id), sub('2', 'not-a-uuid')]);
    expect(await menus.loadTree(tenantId, foreign.id)).toBeNull();
    expect(await menus.loadTree(tenantId, 'nope')).toBeNull();
    expect(await menus.loadTree(tenantId, '00000000-0000-4000-8000-000000000000')).toBeNull();
    const tree = await menus.loadTree(tenantId, root.id);
    expect(Object.keys(tree?.menus ?? {})).toEqual([root.id]);
  });

  it('sees only the scope’s tenant under row-level security', async () => {
    const root = await insert(tenantId, 'scoped');
    const scoped = new IvrMenuRepository(testDb.db);
    // The fixture's DataSource is system-scoped by default; a tenant scope hides the other tenant's rows.
    expect(await inTenantScope(otherTenantId, () => scoped.loadTree(tenantId, root.id))).toBeNull();
    expect(await inTenantScope(tenantId, () => scoped.loadTree(tenantId, root.id))).not.toBeNull();
  });

  it('refuses a tree of more than the bound', async () => {
    let target = await insert(tenantId, 'chain-0');
    for (let i = 1; i < IVR_LIMITS.treeMenusMax; i += 1)
      target = await insert(tenantId, `chain-${i}`, [sub('1', target.id)]);
    // Exactly at the bound: loads.
    expect(Object.keys((await menus.loadTree(tenantId, target.id))?.menus ?? {})).toHaveLength(IVR_LIMITS.treeMenusMax);
    const over = await insert(tenantId, 'chain-over', [sub('1', target.id)]);
    await expect(menus.loadTree(tenantId, over.id)).rejects.toBeInstanceOf(IvrMenuTreeTooLargeError);
  });
});
