import type { AllocationView } from '../contract';
import type { ActionSpec, RetrySpec } from '@ruleflow/rules';
import { ApplicationFailure, CancellationScope, patched } from '@temporalio/workflow';
import { inventoryAction, inventoryCompensation } from '../activity-profiles';
import type { RuleExecutionInput } from '../contract';
import { runActionKey } from './action-keys';

type Action = ActionSpec & { retry: RetrySpec };

/** The key of an `allocate_inventory` action's allocation: one allocation per run (workflow id; a resume's original) and action. */
function allocationKey(input: RuleExecutionInput, actionName: string): string {
  return runActionKey(input, 'allocate_inventory', actionName);
}

function invalidConfig(action: Action, message: string): never {
  throw ApplicationFailure.create({
    type: 'InvalidActionConfig',
    nonRetryable: true,
    message: `${action.name}: ${message}`,
  });
}

/** Guards a resume's retrying of an allocation that holds nothing under its key (see runAllocateInventory). */
export const RESUME_RETRIES_REJECTED_ALLOCATION_PATCH = 'resume-retries-rejected-allocation';

/** Runs an `allocate_inventory` action with its rendered config; output: the allocation. */
export async function runAllocateInventory(
  input: RuleExecutionInput,
  action: Action,
  config: Record<string, unknown>,
): Promise<{ output: AllocationView; attempts: number }> {
  const { orderId, lines, mode } = config;
  if (typeof orderId !== 'string' && typeof orderId !== 'number') invalidConfig(action, 'orderId must be a string');
  if (!Array.isArray(lines)) invalidConfig(action, 'lines must render to an array of {sku, quantity}');
  if (mode !== undefined && mode !== 'all_or_nothing' && mode !== 'partial')
    invalidConfig(action, 'mode must be "all_or_nothing" or "partial"');
  const { allocateInventory } = inventoryAction(action.retry, `${action.name}: allocate order ${String(orderId)}`);
  // A resume runs the original's key again: an allocation under it that holds nothing (rejected for want
  // of stock, or released by a cancelled run of the chain) is tried again against today's stock. Only on
  // resumes, and guarded: resumes recorded before it replay without the marker.
  const retryUnheld = Boolean(input.resume) && patched(RESUME_RETRIES_REJECTED_ALLOCATION_PATCH);
  const result = await allocateInventory({
    ...(retryUnheld ? { retryUnheld } : {}),
    tenantId: input.rule.tenantId,
    idempotencyKey: allocationKey(input, action.name),
    orderId: String(orderId),
    lines: lines.map((line: unknown) => {
      const l = (line ?? {}) as { sku?: unknown; quantity?: unknown };
      return { sku: String(l.sku), quantity: Number(l.quantity) };
    }),
    mode,
  });
  return { output: result.allocation, attempts: result.attempt };
}

/**
 * Guards a resume's reacquiring of the allocations it reuses: resumes recorded before it reused them
 * without the activity call.
 */
export const RESUME_REACQUIRES_ALLOCATIONS_PATCH = 'resume-reacquires-allocations';

/**
 * On a resume, the key of a reused `allocate_inventory`'s allocation, to hold again (the original's
 * compensation released it). Null, with no command, for any other action, for an allocation a reused
 * `release_inventory` of the run released, and on replay of a resume recorded before this.
 */
export function reusedAllocationToHold(input: RuleExecutionInput, action: Action): string | null {
  const reused = input.resume?.reused ?? {};
  if (action.type !== 'allocate_inventory' || !Object.hasOwn(reused, action.name)) return null;
  const { idempotencyKey } = reused[action.name] as AllocationView;
  const releasedByRun = input.rule.actions.some(
    (a) =>
      a.type === 'release_inventory' &&
      Object.hasOwn(reused, a.name) &&
      (reused[a.name] as { released?: AllocationView[] }).released?.some((r) => r.idempotencyKey === idempotencyKey),
  );
  return releasedByRun || !patched(RESUME_REACQUIRES_ALLOCATIONS_PATCH) ? null : idempotencyKey;
}

/**
 * Reserves a reused allocation again under its key (`reacquireAllocation`; one still held comes back
 * unchanged): the allocation as it is now. Throws the activity's failure (InventoryUnavailable) when
 * the stock is gone, like a fresh allocation.
 */
export async function reacquireReusedAllocation(
  input: RuleExecutionInput,
  action: Action,
  idempotencyKey: string,
): Promise<{ output: AllocationView; attempts: number }> {
  const { reacquireAllocation } = inventoryAction(action.retry, `${action.name}: hold the reused allocation again`);
  const result = await reacquireAllocation({ tenantId: input.rule.tenantId, idempotencyKey });
  return { output: result.allocation, attempts: result.attempt };
}

/** Keys of the allocations this run made so far: its successful `allocate_inventory` steps. */
function runAllocationKeys(input: RuleExecutionInput, steps: Record<string, unknown>): string[] {
  return input.rule.actions
    .filter((a) => a.type === 'allocate_inventory' && steps[a.name] !== undefined)
    .map((a) => (steps[a.name] as AllocationView).idempotencyKey);
}

/**
 * Runs a `release_inventory` action: with `idempotencyKey`, releases that allocation of the tenant
 * (unknown key → fails for good); without, every allocation made earlier in this run. Output `{released}`.
 */
export async function runReleaseInventory(
  input: RuleExecutionInput,
  action: Action,
  config: Record<string, unknown>,
): Promise<{ output: { released: AllocationView[] }; attempts: number }> {
  const given = config.idempotencyKey;
  if (given !== undefined && typeof given !== 'string') invalidConfig(action, 'idempotencyKey must be a string');
  // A failed action stops the run, so every allocate_inventory action before this one has succeeded.
  const index = input.rule.actions.findIndex((a) => a.name === action.name);
  const earlier = input.rule.actions.slice(0, index).filter((a) => a.type === 'allocate_inventory');
  const keys = given !== undefined ? [given] : earlier.map((a) => allocationKey(input, a.name));
  const { releaseAllocation } = inventoryAction(action.retry, `${action.name}: release ${keys.length} allocation(s)`);
  const released: AllocationView[] = [];
  for (const key of keys) {
    const allocation = await releaseAllocation({ tenantId: input.rule.tenantId, idempotencyKey: key });
    if (!allocation) {
      throw ApplicationFailure.create({
        type: 'AllocationNotFound',
        nonRetryable: true,
        message: `allocation "${key}" does not exist`,
      });
    }
    released.push(allocation);
  }
  return { output: { released }, attempts: 1 };
}

/**
 * Compensation for a run that ends without success: returns the stock of every allocation it made.
 * Schedules nothing when the run made none (so histories without inventory actions replay unchanged),
 * and cannot be cancelled: stock must not stay reserved for a run that gave up.
 */
export async function releaseRunAllocations(input: RuleExecutionInput, steps: Record<string, unknown>): Promise<void> {
  const keys = runAllocationKeys(input, steps);
  if (keys.length === 0) return;
  await CancellationScope.nonCancellable(() =>
    Promise.all(
      keys.map((idempotencyKey) =>
        inventoryCompensation.releaseAllocation({ tenantId: input.rule.tenantId, idempotencyKey }),
      ),
    ),
  );
}
