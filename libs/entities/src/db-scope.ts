/**
 * The database scope of the code running now: one tenant, the system, or nothing.
 *
 * PostgreSQL row-level security (migration 1764201600001) shows a tenant-owned row only when the
 * transaction has declared that tenant (`ruleflow.tenant_id`) or the system scope (`ruleflow.scope`).
 * Every transaction our DataSource opens declares the scope found here, with `set_config(…, true)`
 * so it ends with the transaction and never leaks to the next user of a pooled connection
 * (see scoped-query-runner.ts). No scope means no tenant rows at all: a forgotten scope fails closed.
 *
 * - The gateway runs each authenticated request in its key's tenant scope (TenantScopeInterceptor).
 * - Background work (outbox sweeps, change capture, migrations, key lookups) runs `asSystem`.
 * - Worker activities run in the scope of the tenant their input names.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type DbScope = { kind: 'tenant'; tenantId: string } | { kind: 'system' };

const storage = new AsyncLocalStorage<DbScope>();
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function tenantScope(tenantId: string): DbScope {
  if (!UUID.test(tenantId)) throw new Error(`not a tenant id: ${JSON.stringify(tenantId).slice(0, 60)}`);
  return { kind: 'tenant', tenantId };
}

/** Run `fn` seeing only the rows of `tenantId`. */
export function inTenantScope<T>(tenantId: string, fn: () => T): T {
  return storage.run(tenantScope(tenantId), fn);
}

/** Run `fn` with every tenant's rows visible: for background work that is not on behalf of one tenant. */
export function asSystem<T>(fn: () => T): T {
  return storage.run({ kind: 'system' }, fn);
}

/** The scope of the code running now, if any. */
export function currentDbScope(): DbScope | undefined {
  return storage.getStore();
}

/** The `ruleflow.scope` and `ruleflow.tenant_id` settings for the current scope. */
export function scopeSettings(scope: DbScope | undefined): [scope: string, tenantId: string] {
  if (!scope) return ['', ''];
  return scope.kind === 'system' ? ['system', ''] : ['tenant', scope.tenantId];
}
