import { asSystem, inTenantScope } from '@ruleflow/entities';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Run each activity in the database scope of the tenant its input names (`input.tenantId`), so
 * row-level security holds in the worker too; activities keyed by an execution id or working across
 * tenants (retention) run in the system scope.
 */
export function withTenantScopes<T extends Record<string, (input: never) => Promise<unknown>>>(activities: T): T {
  const scoped: Record<string, (input: never) => Promise<unknown>> = {};
  for (const [name, activity] of Object.entries(activities)) {
    scoped[name] = (input: never) => {
      const tenantId = (input as { tenantId?: unknown } | undefined)?.tenantId;
      const run = () => activity(input);
      return typeof tenantId === 'string' && UUID.test(tenantId) ? inTenantScope(tenantId, run) : asSystem(run);
    };
  }
  return scoped as T;
}
