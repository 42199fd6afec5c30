import { createChainingActivities } from './chaining/chaining.activities';
import type { ChildRunStore } from './chaining/child-run.store';
import type { ExecutionActivityDeps } from './execution/execution.activities';
import { createExecutionActivities } from './execution/execution.activities';
import type { MaintenanceActivityDeps } from './maintenance/maintenance.activities';
import { createMaintenanceActivities } from './maintenance/maintenance.activities';
import type { SchedulingActivityDeps } from './scheduling/scheduling.activities';
import { createSchedulingActivities } from './scheduling/scheduling.activities';
import type { DeliveryStore } from './stores/delivery.store';
import { createWebhookActivities } from './webhook/webhook.activities';

export * from './chaining';
export * from './execution/execution.activities';
export * from './maintenance';
export * from './scheduling';
export * from './stores/delivery.store';
export * from './stores/execution.store';
export * from './webhook';

export interface ActivityDeps extends ExecutionActivityDeps, SchedulingActivityDeps, MaintenanceActivityDeps {
  deliveries: DeliveryStore;
  childRuns: ChildRunStore;
  webhooks: { allowPrivateNetworks: boolean; timeoutMs: number };
}

/** Every activity the worker registers, wired over small dependency interfaces. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createExecutionActivities(deps),
    ...createWebhookActivities({ deliveries: deps.deliveries, ...deps.webhooks }),
    ...createSchedulingActivities(deps),
    ...createMaintenanceActivities(deps),
    ...createChainingActivities(deps),
  };
}

export type RuleflowActivities = ReturnType<typeof createActivities>;
