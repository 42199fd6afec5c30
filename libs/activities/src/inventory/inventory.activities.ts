import type { AllocationView } from '@ruleflow/contract';
import type { AllocationMode } from '@ruleflow/rules';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { InventoryStore } from '@ruleflow/entities';
import { InventoryRequestError } from '@ruleflow/entities';

export interface InventoryActivityDeps {
  inventory: InventoryStore;
}

function invalid(err: unknown): never {
  if (err instanceof InventoryRequestError) {
    throw ApplicationFailure.create({ type: 'InvalidInventoryRequest', nonRetryable: true, message: err.message });
  }
  throw err;
}

/** The allocation with the attempt number; a `rejected` one fails for good (InventoryUnavailable). */
function held(allocation: AllocationView): { allocation: AllocationView; attempt: number } {
  if (allocation.status === 'rejected') {
    throw ApplicationFailure.create({
      type: 'InventoryUnavailable',
      nonRetryable: true,
      message: `not enough stock for order ${allocation.orderId}: ${allocation.lines
        .map((l) => `${l.sku} (requested ${l.requested})`)
        .join(', ')}`,
      // `attempt` is how the workflow reports the attempts of a failed action.
      details: [{ attempt: Context.current().info.attempt, allocation }],
    });
  }
  return { allocation, attempt: Context.current().info.attempt };
}

/** Inventory activities: idempotent by the caller's key, so retries never reserve twice. */
export function createInventoryActivities({ inventory }: InventoryActivityDeps) {
  return {
    /**
     * Allocates under the key (with the attempt number); a `rejected` allocation fails for good
     * (InventoryUnavailable). `retryUnheld` (a resume): an allocation stored under the key that holds
     * nothing (`rejected`, `released`) is tried again against today's stock (see InventoryRepository.allocate).
     */
    async allocateInventory({
      retryUnheld = false,
      ...req
    }: {
      tenantId: string;
      idempotencyKey: string;
      orderId: string;
      lines: Array<{ sku: string; quantity: number }>;
      mode?: AllocationMode;
      retryUnheld?: boolean;
    }): Promise<{ allocation: AllocationView; attempt: number }> {
      const { allocation } = await inventory.allocate(req, { retryUnheld }).catch(invalid);
      return held(allocation);
    },
    /**
     * A resumed run's reused allocation, reserved again under its key if it was released (the original's
     * compensation); one still held comes back unchanged. `rejected` (the stock is gone) fails for good
     * as InventoryUnavailable like a fresh allocation; an unknown key as AllocationNotFound.
     */
    async reacquireAllocation(input: {
      tenantId: string;
      idempotencyKey: string;
    }): Promise<{ allocation: AllocationView; attempt: number }> {
      const allocation = await inventory.reacquire(input.tenantId, input.idempotencyKey);
      if (!allocation) {
        throw ApplicationFailure.create({
          type: 'AllocationNotFound',
          nonRetryable: true,
          message: `allocation "${input.idempotencyKey}" does not exist`,
        });
      }
      return held(allocation);
    },
    /** Returns an allocation's stock (idempotent); null when the key is unknown. */
    async releaseAllocation(input: { tenantId: string; idempotencyKey: string }): Promise<AllocationView | null> {
      return inventory.release(input.tenantId, input.idempotencyKey);
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;
