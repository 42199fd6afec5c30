import { Injectable } from '@nestjs/common';
import type { EventSource, ExecutionInput, NewExecution } from '@ruleflow/entities';
import { ExecutionEntity, newExecutionRow, recordTriggerEvent } from '@ruleflow/entities';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { PendingExecution } from './execution-dispatcher.service';
import { ExecutionDispatcher } from './execution-dispatcher.service';

export interface LaunchedExecution {
  executionId: string;
  ruleId: string;
  workflowId: string;
}

/**
 * The one way the gateway starts rule runs (events, manual runs, hooks, reruns): write `pending`
 * executions first (durable, the outbox), then start their workflows in order.
 */
@Injectable()
export class ExecutionLauncher {
  constructor(
    private readonly db: DataSource,
    private readonly dispatcher: ExecutionDispatcher,
  ) {}

  /** Write pending executions inside the caller's transaction; start them with `start` after it commits. */
  async record(em: EntityManager, specs: NewExecution[]): Promise<PendingExecution[]> {
    if (specs.length === 0) return [];
    const rows = specs.map((spec, i) => newExecutionRow({ dispatchOrder: i, ...spec }));
    await em.getRepository(ExecutionEntity).insert(rows as QueryDeepPartialEntity<ExecutionEntity>[]);
    return rows.map((row) => ({ id: row.id!, workflowId: row.workflowId!, input: row.input as ExecutionInput }));
  }

  /** Start recorded runs now (whatever fails is started by the outbox sweep). */
  async start(pending: PendingExecution[]): Promise<void> {
    if (pending.length) await this.dispatcher.dispatch(pending);
  }

  /**
   * Record and start one run in its own transaction. With `eventSource` (hook calls, manual runs) the
   * run's event is stored in the same transaction, so `GET /v1/events` shows what started it; reruns
   * pass none (their event is the original's).
   */
  async launch(spec: NewExecution, eventSource?: EventSource): Promise<LaunchedExecution> {
    const pending = await this.db.transaction(async (tx) => {
      if (eventSource) await recordTriggerEvent(tx, spec.rule.tenantId, spec.event, eventSource);
      return this.record(tx, [spec]);
    });
    await this.start(pending);
    return { executionId: spec.id, ruleId: spec.rule.id, workflowId: spec.workflowId };
  }
}
