import { currentDbScope, inTenantScope } from '@ruleflow/entities';
import { CoalescedWrites } from './coalesced-writes';

describe('CoalescedWrites (group commit of request-path marks)', () => {
  const tenantA = '11111111-1111-4111-8111-111111111111';
  const tenantB = '22222222-2222-4222-8222-222222222222';

  it('writes a lone call at once and the calls that arrive meanwhile together, each batch in its scope', async () => {
    const batches: Array<{ items: number[]; scope: unknown }> = [];
    let release!: () => void;
    const firstWrite = new Promise<void>((resolve) => (release = resolve));
    const writes = new CoalescedWrites<number>(async (items) => {
      batches.push({ items, scope: currentDbScope() });
      if (batches.length === 1) await firstWrite;
    });
    const first = inTenantScope(tenantA, () => writes.add(1));
    const waiting = [2, 3, 4].map((n) => inTenantScope(tenantA, () => writes.add(n)));
    const other = inTenantScope(tenantB, () => writes.add(9));
    release();
    await Promise.all([first, ...waiting, other]);
    expect(batches).toEqual([
      { items: [1], scope: { kind: 'tenant', tenantId: tenantA } },
      { items: [9], scope: { kind: 'tenant', tenantId: tenantB } },
      { items: [2, 3, 4], scope: { kind: 'tenant', tenantId: tenantA } },
    ]);
  });

  it("rejects every call of a failed batch with the write's error, and goes on with the next", async () => {
    let fail = true;
    const writes = new CoalescedWrites<number>(async () => {
      if (fail) {
        fail = false;
        throw new Error('database down');
      }
    });
    const results = await Promise.allSettled([writes.add(1), writes.add(2), writes.add(3)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    await expect(writes.add(4)).resolves.toBeUndefined();
  });
});
