/**
 * A PostgreSQL query runner that declares the current database scope (db-scope.ts) in every
 * transaction it opens, so row-level security sees the tenant (or the system) the code runs for.
 *
 * The scope is set with `set_config(…, true)`: transaction-local, gone at COMMIT/ROLLBACK, so a
 * pooled connection never carries one request's tenant into the next. A statement issued outside a
 * transaction is wrapped in one for the same reason.
 */
import type { DataSource, ReplicationMode } from 'typeorm';
import type { IsolationLevel } from 'typeorm/driver/types/IsolationLevel';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { PostgresQueryRunner } from 'typeorm/driver/postgres/PostgresQueryRunner';
import type { DbScope } from './db-scope';
import { currentDbScope, scopeSettings } from './db-scope';

const DECLARE_SCOPE = `SELECT set_config('ruleflow.scope', $1, true), set_config('ruleflow.tenant_id', $2, true)`;

export class ScopedQueryRunner extends PostgresQueryRunner {
  constructor(
    driver: PostgresDriver,
    mode: ReplicationMode,
    /** The scope declared when the code runs in none: nothing, except for tools and test fixtures. */
    private readonly fallbackScope?: DbScope,
  ) {
    super(driver, mode);
  }

  override async startTransaction(isolationLevel?: IsolationLevel): Promise<void> {
    const outermost = this.transactionDepth === 0;
    await super.startTransaction(isolationLevel);
    if (outermost) {
      try {
        await super.query(DECLARE_SCOPE, scopeSettings(currentDbScope() ?? this.fallbackScope));
      } catch (err) {
        await this.rollbackTransaction().catch(() => undefined);
        throw err;
      }
    }
  }

  override async query(query: string, parameters?: unknown[], useStructuredResult?: boolean): Promise<unknown> {
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

/** Make every query runner of `ds` (repositories, managers, transactions, migrations) a ScopedQueryRunner. */
export function useScopedQueryRunners(ds: DataSource, fallbackScope?: DbScope): DataSource {
  const driver = ds.driver as PostgresDriver;
  driver.createQueryRunner = (mode: ReplicationMode) => new ScopedQueryRunner(driver, mode, fallbackScope);
  return ds;
}
