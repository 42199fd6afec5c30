import { Injectable, Logger } from '@nestjs/common';
import type { ExecutionInput } from '@ruleflow/entities';
import { RULE_EXECUTION_WORKFLOW, ruleRunSearchAttributes } from '@ruleflow/contract';
import type { EntityManager } from 'typeorm';
import type { OutboxSpec, OutboxStart } from '../common/outbox-dispatcher';
import { OutboxDispatcher } from '../common/outbox-dispatcher';
import { CoalescedWrites } from '../common/coalesced-writes';

export interface PendingExecution {
  id: string;
  workflowId: string;
  input: ExecutionInput;
}

/**
 * Starts rule workflows for accepted executions: right away on the request path, and from the
 * transactional outbox (executions with no `dispatched_at`) for whatever a crash left unstarted.
 */
@Injectable()
export class ExecutionDispatcher extends OutboxDispatcher<PendingExecution> {
  protected readonly logger = new Logger(ExecutionDispatcher.name);

  protected get spec(): OutboxSpec {
    return {
      name: 'outbox',
      noun: 'run(s)',
      graceMs: 2000,
      started: this.metrics.executionsStarted,
      // Keep the priority order: the outbox starts the rest in order.
      stopsRequestPath: () => true,
    };
  }

  protected async claim(tx: EntityManager, graceMs: number, limit: number): Promise<PendingExecution[]> {
    const rows: Array<{ id: string; workflow_id: string; input: ExecutionInput }> = await tx.query(
      `SELECT id, workflow_id, input FROM executions
        WHERE dispatched_at IS NULL AND status = 'pending' AND created_at < now() - ($1::int * interval '1 millisecond')
        ORDER BY created_at, dispatch_order
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED`,
      [graceMs],
    );
    return rows.map((row) => ({ id: row.id, workflowId: row.workflow_id, input: row.input }));
  }

  protected workflowId(execution: PendingExecution): string {
    return execution.workflowId;
  }

  protected startOf(execution: PendingExecution): OutboxStart {
    const { rule, event } = execution.input;
    return {
      workflowType: RULE_EXECUTION_WORKFLOW,
      workflowId: execution.workflowId,
      args: [execution.input],
      typedSearchAttributes: ruleRunSearchAttributes(rule, event.id),
      memo: { executionId: execution.id, eventId: event.id, ruleVersion: rule.version },
      // Plain text: the UI shows a summary as is in lists and in a parent's timeline.
      staticSummary: `Rule ${rule.name} v${rule.version} on ${event.entity}.${event.type}`,
      staticDetails: [
        `Execution \`${execution.id}\``,
        `Event \`${event.id}\` (${event.entity}.${event.type})`,
        `Actions: ${rule.actions.map((a) => `${a.name} (${a.type})`).join(' → ')}`,
      ].join('\n\n'),
    };
  }

  /** The request path's marks: concurrent requests' runs marked together, one statement per batch. */
  private readonly requestMarks = new CoalescedWrites<{ id: string; runId: string | null }>(async (marks) => {
    await this.db.query(
      `UPDATE executions e SET dispatched_at = coalesce(e.dispatched_at, now()), run_id = coalesce(e.run_id, m.run_id)
         FROM unnest($1::uuid[], $2::text[]) AS m(id, run_id)
        WHERE e.id = m.id`,
      [marks.map((m) => m.id), marks.map((m) => m.runId)],
    );
  });

  protected async markDispatched(em: EntityManager, execution: PendingExecution, runId: string | null): Promise<void> {
    // Outside a transaction (the request path): batched with other requests' marks. The sweep marks in its own.
    if (em === this.db.manager) return this.requestMarks.add({ id: execution.id, runId });
    await em.query(
      `UPDATE executions SET dispatched_at = coalesce(dispatched_at, now()), run_id = coalesce(run_id, $2)
        WHERE id = $1`,
      [execution.id, runId],
    );
  }
}
