import { asSystem, inTenantScope } from '@ruleflow/entities';
import { ApplicationFailure } from '@temporalio/common';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The activities that work across every tenant, by name: only these run in the system scope.
 * `cleanupExecutions` applies the retention policy to all tenants (RetentionCleanupWorkflow).
 * The gateway's outbox sweeps and schedule reconciliation are not activities; they declare `asSystem` themselves.
 */
export const SYSTEM_SCOPE_ACTIVITIES: readonly string[] = ['cleanupExecutions'];

/**
 * Execution-record activities that rule runs started before their inputs carried a tenant (still in
 * flight after an upgrade) call without one: for these, and only these, the tenant is the one that
 * owns the execution row the input names, looked up in the system scope. Nothing else is opened.
 */
export const LEGACY_EXECUTION_ACTIVITIES: readonly string[] = [
  'markExecutionRunning',
  'recordActionStarted',
  'recordActionResult',
  'completeExecution',
];

/** How the legacy path finds an execution's tenant (the worker passes the execution repository's lookup). */
export type TenantOfExecution = (executionId: string) => Promise<string | null>;

/** The failure type of an activity refused for want of a tenant. */
export const MISSING_TENANT_SCOPE = 'MissingTenantScope';

/**
 * Run each activity in the database scope of the tenant its input names (`input.tenantId`), so
 * row-level security holds in the worker too. A forgotten scope fails closed (db-scope.ts): an
 * activity named in `systemActivities` runs in the system scope whatever its input says; any other
 * called without a valid tenant id is refused for good (retrying cannot supply one), naming itself.
 */
export function withTenantScopes<T extends Record<string, (input: never) => Promise<unknown>>>(
  activities: T,
  systemActivities: readonly string[] = SYSTEM_SCOPE_ACTIVITIES,
  tenantOfExecution?: TenantOfExecution,
): T {
  const system = new Set(systemActivities);
  const legacy = new Set(LEGACY_EXECUTION_ACTIVITIES);
  /** The tenant of a legacy execution-record call: the execution row's, or undefined. */
  const legacyTenant = async (name: string, input: unknown): Promise<string | undefined> => {
    const executionId = (input as { executionId?: unknown } | undefined)?.executionId;
    if (!tenantOfExecution || !legacy.has(name) || typeof executionId !== 'string' || !UUID.test(executionId)) {
      return undefined;
    }
    return (await asSystem(() => tenantOfExecution(executionId))) ?? undefined;
  };
  const scoped: Record<string, (input: never) => Promise<unknown>> = {};
  for (const [name, activity] of Object.entries(activities)) {
    scoped[name] = system.has(name)
      ? (input: never) => asSystem(() => activity(input))
      : async (input: never) => {
          const given = (input as { tenantId?: unknown } | undefined)?.tenantId;
          const tenantId =
            typeof given === 'string' && UUID.test(given)
              ? given
              : given === undefined
                ? await legacyTenant(name, input)
                : undefined;
          if (tenantId === undefined) {
            throw ApplicationFailure.create({
              type: MISSING_TENANT_SCOPE,
              nonRetryable: true,
              message: `activity ${name} needs a tenant: its input has no valid tenantId, and it is not a system activity`,
            });
          }
          return inTenantScope(tenantId, () => activity(input));
        };
  }
  return scoped as T;
}
