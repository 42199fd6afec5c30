import type { ExecutionActivityDeps } from './execution/execution.activities';
import { createExecutionActivities } from './execution/execution.activities';
import type { DeliveryStore } from './stores/delivery.store';
import { createWebhookActivities } from './webhook/webhook.activities';

export * from './execution/execution.activities';
export * from './stores/delivery.store';
export * from './stores/execution.store';
export * from './webhook';

export interface ActivityDeps extends ExecutionActivityDeps {
  deliveries: DeliveryStore;
  webhooks: { allowPrivateNetworks: boolean; timeoutMs: number };
}

/** Every activity the worker registers, wired over small dependency interfaces. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createExecutionActivities(deps),
    ...createWebhookActivities({ deliveries: deps.deliveries, ...deps.webhooks }),
  };
}

export type RuleflowActivities = ReturnType<typeof createActivities>;
