/**
 * A PostgreSQL query runner that declares the current database scope (db-scope.ts) in every
 * transaction it opens, so row-level security sees the tenant (or the system) the code runs for.
 *
 * The scope is set with `set_config(…, true)`: transaction-local, gone at COMMIT/ROLLBACK, so a
 * pooled connection never carries one request's tenant into the next. A statement issued outside a
 * transaction is wrapped in one for the same reason.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, ReplicationMode } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import type { DbScope } from './db-scope';
import { currentDbScope, scopeSettings } from './db-scope';

const DECLARE_SCOPE = `SELECT set_config('ruleflow.scope', $1, true), set_config('ruleflow.tenant_id', $2, true)`;
const SCOPES: ReadonlySet<string> = new Set(['', 'system', 'tenant']);
const UUID_OR_EMPTY = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?$/i;

/**
 * `START TRANSACTION` and the scope declaration as one simple-protocol query: one round trip instead of
 * two for every transaction. The values are inlined, so they are checked to be exactly the closed set
 * they can be (a scope kind, a UUID or nothing); anything else is refused rather than quoted.
 */
function beginWithScope([scope, tenantId]: [string, string]): string {
  if (!SCOPES.has(scope) || !UUID_OR_EMPTY.test(tenantId)) throw new Error('refusing to declare a malformed scope');
  return `START TRANSACTION; SELECT set_config('ruleflow.scope', '${scope}', true), set_config('ruleflow.tenant_id', '${tenantId}', true)`;
}

export class ScopedQueryRunner extends PostgresQueryRunner {
  constructor(
    driver: PostgresDriver,
    mode: ReplicationMode,
    /** The scope declared when the code runs in none: nothing, except for tools and test fixtures. */
    private readonly fallbackScope?: DbScope,
  ) {
    super(driver, mode);
  }

  /** Lent to the code inside `inOneTransaction`: its callers' `release()` leaves the connection held. */
  held = false;

  override release(): Promise<void> {
    return this.held ? Promise.resolve() : super.release();
  }

  /** The scope that the next `START TRANSACTION` (sent by `super.startTransaction`) declares with it. */
  private scopeWithBegin: [string, string] | undefined;

  override async startTransaction(isolationLevel?: IsolationLevel): Promise<void> {
    const outermost = this.transactionDepth === 0;
    const settings = scopeSettings(currentDbScope() ?? this.fallbackScope);
    if (outermost && !isolationLevel) {
      // The common case: declared in the same round trip as the BEGIN (see `query`).
      this.scopeWithBegin = settings;
      try {
        await super.startTransaction();
      } finally {
        this.scopeWithBegin = undefined;
      }
      return;
    }
    await super.startTransaction(isolationLevel);
    // An isolation level must be set before any other statement, so the scope follows it.
    if (outermost) {
      try {
        await super.query(DECLARE_SCOPE, settings);
      } catch (err) {
        await this.rollbackTransaction().catch(() => undefined);
        throw err;
      }
    }
  }

  override async query(query: string, parameters?: unknown[], useStructuredResult?: boolean): Promise<unknown> {
    if (query === 'START TRANSACTION' && this.scopeWithBegin) {
      const settings = this.scopeWithBegin;
      this.scopeWithBegin = undefined;
      return super.query(beginWithScope(settings), undefined, useStructuredResult);
    }
    if (this.isTransactionActive) return super.query(query, parameters, useStructuredResult);
    await this.startTransaction();
    let result: unknown;
    try {
      result = await super.query(query, parameters, useStructuredResult);
    } catch (err) {
      await this.rollbackTransaction().catch(() => undefined);
      throw err;
    }
    await this.commitTransaction();
    return result;
  }
}

/** The transaction `inOneTransaction` opened, while it is open: lent to every query its code makes on that driver. */
interface SharedTransaction {
  driver: PostgresDriver;
  runner: ScopedQueryRunner;
  open: boolean;
}
const shared = new AsyncLocalStorage<SharedTransaction>();

/** Make every query runner of `ds` (repositories, managers, transactions, migrations) a ScopedQueryRunner. */
export function useScopedQueryRunners(ds: DataSource, fallbackScope?: DbScope): DataSource {
  const driver = ds.driver as PostgresDriver;
  driver.createQueryRunner = (mode: ReplicationMode) => {
    const lent = shared.getStore();
    if (lent?.open && lent.driver === driver) return lent.runner;
    return new ScopedQueryRunner(driver, mode, fallbackScope);
  };
  return ds;
}

/**
 * Run `fn` with every query it makes on `ds` in ONE transaction (declaring the current scope, as any):
 * one BEGIN and one COMMIT instead of one pair per statement or repository call, and all of it or
 * nothing. Transactions opened inside become savepoints. `fn` must make its queries one after
 * another (they share one connection). Inside another `inOneTransaction` on `ds`, `fn` joins it.
 */
export async function inOneTransaction<T>(ds: DataSource, fn: () => Promise<T>): Promise<T> {
  const driver = ds.driver as PostgresDriver;
  const outer = shared.getStore();
  if (outer?.open && outer.driver === driver) return fn();
  const runner = ds.createQueryRunner() as ScopedQueryRunner;
  const lent: SharedTransaction = { driver, runner, open: false };
  try {
    await runner.startTransaction();
    runner.held = true;
    lent.open = true;
    const result = await shared.run(lent, fn);
    lent.open = false;
    await runner.commitTransaction();
    return result;
  } catch (err) {
    lent.open = false;
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  } finally {
    lent.open = false;
    runner.held = false;
    await runner.release();
  }
}
