/**
 * `rateLimitPerSecond` on an endpoint: its deliveries go out spaced `1000 / rate` ms apart, whichever
 * worker runs them. The next free send slot lives in PostgreSQL (`webhook_rate_slots`) and is taken
 * with one atomic UPDATE, so two workers never take the same slot. A delivery waits for its turn
 * inside its attempt's activity (heartbeating); waiting is neither an attempt nor a failure, so it
 * spends none of the delivery's retry schedule. A turn further away than the activity can wait is
 * not reserved: the activity fails retryably with `nextRetryDelay` (Temporal's own activity retry,
 * unlimited for this activity and invisible in the delivery log) and asks again then.
 */
import type { EndpointDeliveryStore } from '@ruleflow/entities';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';

/** The failure type of an attempt that must wait longer than one activity may for its endpoint's turn. */
export const ENDPOINT_RATE_LIMITED = 'EndpointRateLimited';
/** The longest a delivery waits for its turn inside one activity. */
export const MAX_TURN_WAIT_MS = 30_000;
/** Left of the activity's start-to-close timeout for the request itself and the writes after it. */
const SEND_RESERVE_MS = 60_000;
const HEARTBEAT_EVERY_MS = 1000;

/** Waits until this delivery may be sent to the endpoint, or throws a retryable failure to come back later. */
export async function awaitTurn(
  store: Pick<EndpointDeliveryStore, 'reserveSlot'>,
  tenantId: string,
  webhookId: string,
  perSecond: number,
): Promise<void> {
  const ctx = activityContext();
  const budget = ctx ? Math.max(0, ctx.info.startToCloseTimeoutMs - SEND_RESERVE_MS) : MAX_TURN_WAIT_MS;
  const slot = await store.reserveSlot(tenantId, webhookId, 1000 / perSecond, Math.min(MAX_TURN_WAIT_MS, budget));
  if (!slot.reserved) {
    throw ApplicationFailure.create({
      type: ENDPOINT_RATE_LIMITED,
      message: `endpoint ${webhookId} is limited to ${perSecond} deliveries per second; waiting for its turn`,
      nextRetryDelay: slot.waitMs,
    });
  }
  await pause(ctx, slot.waitMs);
}

/** Sleeps `ms`, heartbeating (a no-op for local activities) so a long wait is not taken for a lost worker. */
async function pause(ctx: Context | undefined, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (let left = ms; left > 0; left = until - Date.now()) {
    const step = Math.min(left, HEARTBEAT_EVERY_MS);
    if (ctx) {
      ctx.heartbeat();
      await ctx.sleep(step);
    } else {
      await new Promise((resolve) => setTimeout(resolve, step));
    }
  }
}

/** The running activity's context; undefined when called directly (tests of the activity alone). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
