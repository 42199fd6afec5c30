import type {
  AlertStore,
  ChildRunStore,
  DeliveryStore,
  EndpointDeliveryStore,
  InventoryStore,
  IvrSessionStore,
  NotificationStore,
  WebhookEndpointLookup,
} from '@ruleflow/entities';
import type { TransformSandbox } from '@ruleflow/outbound';
import { SYSTEM_SCOPE_ACTIVITIES, withTenantScopes } from './activity-scope';
import { createAlertActivities } from './alerts/alert.activities';
import { createChainingActivities } from './chaining/chaining.activities';
import { createEndpointDeliveryActivities } from './endpoint-deliveries/endpoint-delivery.activities';
import type { ExecutionActivityDeps } from './execution/execution.activities';
import { createExecutionActivities } from './execution/execution.activities';
import type { OneTransaction } from './execution/run-journal.activities';
import { createRunJournalActivities } from './execution/run-journal.activities';
import type { MaintenanceActivityDeps } from './maintenance/maintenance.activities';
import type { NotificationProviders } from './notifications/notification.activities';
import { createNotificationActivities } from './notifications/notification.activities';
import { createMaintenanceActivities } from './maintenance/maintenance.activities';
import type { SchedulingActivityDeps } from './scheduling/scheduling.activities';
import { createSchedulingActivities } from './scheduling/scheduling.activities';
import { createInventoryActivities } from './inventory/inventory.activities';
import { createIvrSessionActivities } from './ivr/ivr-session.activities';
import type { TelephonyDeps } from './telephony/telephony.activities';
import { createTelephonyActivities } from './telephony/telephony.activities';
import type { SecretOpener } from './webhook-action/webhook.activities';
import { createEndpointResolverActivities } from './webhook-action/endpoint-resolver.activities';
import { createWebhookActivities } from './webhook-action/webhook.activities';

export * from './alerts';
export * from './chaining';
export * from './execution/execution.activities';
export * from './execution/run-journal.activities';
export * from './inventory';
export * from './ivr';
export * from './maintenance';
export * from './metrics';
export * from './notifications';
export * from './scheduling';
export * from './telephony';
export * from './webhook-action';

export interface ActivityDeps extends ExecutionActivityDeps, SchedulingActivityDeps, MaintenanceActivityDeps {
  deliveries: DeliveryStore;
  childRuns: ChildRunStore;
  inventory: InventoryStore;
  alerts: AlertStore;
  /** IVR sessions: the mirror rows of `ivr-<sessionId>` workflows. */
  ivrSessions: IvrSessionStore;
  webhooks: { allowPrivateNetworks: boolean; timeoutMs: number; circuitBreakerAfterMs: number };
  /** Endpoint deliveries (`WebhookDeliveryWorkflow`): the delivery and endpoint rows beside the attempt log. */
  endpointDeliveries: EndpointDeliveryStore;
  /** Opens sealed secrets (`enc:v1:…`) right before use; the worker passes its secret box. */
  secrets?: SecretOpener;
  notifications: NotificationStore;
  notify: NotificationProviders;
  /** Registered endpoints, for the rule `webhook` action with `config.webhookId`. */
  webhookEndpoints: WebhookEndpointLookup;
  /** The sandbox endpoint transforms run in (one per worker process, closed on shutdown). */
  transforms?: TransformSandbox;
  /** Phone lines and outbound calls (`ivr_call`); without it the action fails naming it. */
  telephony?: TelephonyDeps;
  /** Runs a run-journal batch in one database transaction (the worker's `inOneTransaction`); else one per write. */
  oneTransaction?: OneTransaction;
}

/** Every activity the worker registers, wired over small dependency interfaces. */
export function createActivities(deps: ActivityDeps) {
  const execution = createExecutionActivities(deps);
  const chaining = createChainingActivities(deps);
  return withTenantScopes(
    {
      ...execution,
      ...createRunJournalActivities(execution, chaining, deps.oneTransaction),
      ...createWebhookActivities({ deliveries: deps.deliveries, ...deps.webhooks, secrets: deps.secrets }),
      ...createEndpointResolverActivities({ endpoints: deps.webhookEndpoints, transforms: deps.transforms }),
      ...createEndpointDeliveryActivities({
        deliveries: deps.deliveries,
        endpointDeliveries: deps.endpointDeliveries,
        allowPrivateNetworks: deps.webhooks.allowPrivateNetworks,
        timeoutMs: deps.webhooks.timeoutMs,
        circuitBreakerAfterMs: deps.webhooks.circuitBreakerAfterMs,
        secrets: deps.secrets,
        transforms: deps.transforms,
      }),
      ...createSchedulingActivities(deps),
      ...createMaintenanceActivities(deps),
      ...chaining,
      ...createInventoryActivities({ inventory: deps.inventory }),
      ...createNotificationActivities({ notifications: deps.notifications, providers: deps.notify }),
      ...createAlertActivities({ alerts: deps.alerts }),
      ...createIvrSessionActivities({ ivrSessions: deps.ivrSessions }),
      ...createTelephonyActivities({ telephony: deps.telephony }),
    },
    SYSTEM_SCOPE_ACTIVITIES,
    (executionId) => deps.executions.tenantOf(executionId),
  );
}

export type RuleflowActivities = ReturnType<typeof createActivities>;
export * from './endpoint-deliveries';
export { MISSING_TENANT_SCOPE, SYSTEM_SCOPE_ACTIVITIES, withTenantScopes } from './activity-scope';
