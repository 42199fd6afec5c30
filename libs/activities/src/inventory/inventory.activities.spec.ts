import type { AllocationView } from '@ruleflow/contract';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createInventoryActivities } from './inventory.activities';
import type { InventoryStore } from '@ruleflow/entities';
import { InventoryRequestError } from '@ruleflow/entities';

const allocation = (status: AllocationView['status']): AllocationView => ({
  id: 'a1',
  idempotencyKey: 'wf/reserve',
  orderId: 'o1',
  status,
  lines: [{ sku: 's', requested: 2, allocated: status === 'rejected' ? 0 : 2 }],
  createdAt: '2026-01-01T00:00:00.000Z',
});

function fake(result: AllocationView | Error): InventoryStore {
  return {
    allocate: async () => {
      if (result instanceof Error) throw result;
      return { allocation: result, created: true };
    },
    release: async () => null,
    reacquire: async () => {
      if (result instanceof Error) throw result;
      return result;
    },
  };
}

const input = { tenantId: 't', idempotencyKey: 'wf/reserve', orderId: 'o1', lines: [{ sku: 's', quantity: 2 }] };

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected an ApplicationFailure');
}

describe('inventory activities', () => {
  it('returns the allocation with the attempt number', async () => {
    const { allocateInventory } = createInventoryActivities({ inventory: fake(allocation('allocated')) });
    const result = await new MockActivityEnvironment({ attempt: 3 }).run(allocateInventory, input);
    expect(result).toEqual({ allocation: allocation('allocated'), attempt: 3 });
  });

  it('fails a rejected allocation for good as InventoryUnavailable', async () => {
    const { allocateInventory } = createInventoryActivities({ inventory: fake(allocation('rejected')) });
    const failure = await failureOf(new MockActivityEnvironment({ attempt: 2 }).run(allocateInventory, input));
    expect(failure).toMatchObject({ type: 'InventoryUnavailable', nonRetryable: true });
    expect(failure.details?.[0]).toEqual({ attempt: 2, allocation: allocation('rejected') });
  });

  it('reacquires with the attempt number; a rejected reacquire fails for good, an unknown key too', async () => {
    const ok = createInventoryActivities({ inventory: fake(allocation('allocated')) });
    const key = { tenantId: 't', idempotencyKey: 'wf/reserve' };
    await expect(new MockActivityEnvironment({ attempt: 2 }).run(ok.reacquireAllocation, key)).resolves.toEqual({
      allocation: allocation('allocated'),
      attempt: 2,
    });

    const gone = createInventoryActivities({ inventory: fake(allocation('rejected')) });
    const failure = await failureOf(new MockActivityEnvironment().run(gone.reacquireAllocation, key));
    expect(failure).toMatchObject({ type: 'InventoryUnavailable', nonRetryable: true });
    expect(failure.details?.[0]).toEqual({ attempt: 1, allocation: allocation('rejected') });

    const unknown = createInventoryActivities({
      inventory: { ...fake(allocation('allocated')), reacquire: async () => null },
    });
    const missing = await failureOf(new MockActivityEnvironment().run(unknown.reacquireAllocation, key));
    expect(missing).toMatchObject({ type: 'AllocationNotFound', nonRetryable: true });
  });

  it('asks the store to retry an unheld allocation only for a resume (retryUnheld), not passing the flag on', async () => {
    const calls: unknown[][] = [];
    const store: InventoryStore = {
      ...fake(allocation('allocated')),
      allocate: async (...args) => {
        calls.push(args);
        return { allocation: allocation('allocated'), created: true };
      },
    };
    const { allocateInventory } = createInventoryActivities({ inventory: store });
    await new MockActivityEnvironment().run(allocateInventory, input);
    await new MockActivityEnvironment().run(allocateInventory, { ...input, retryUnheld: true });
    expect(calls).toEqual([
      [input, { retryUnheld: false }],
      [input, { retryUnheld: true }],
    ]);
  });

  it('fails an invalid request for good, and leaves other errors retryable', async () => {
    const bad = createInventoryActivities({ inventory: fake(new InventoryRequestError('unknown sku: "x"')) });
    const failure = await failureOf(new MockActivityEnvironment().run(bad.allocateInventory, input));
    expect(failure).toMatchObject({ type: 'InvalidInventoryRequest', nonRetryable: true, message: 'unknown sku: "x"' });

    const down = createInventoryActivities({ inventory: fake(new Error('connection refused')) });
    await expect(new MockActivityEnvironment().run(down.allocateInventory, input)).rejects.toThrow(
      /^connection refused$/,
    );
  });
});
