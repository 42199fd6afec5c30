import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import type { ExecutionInput } from '@ruleflow/entities';
import { RULE_EXECUTION_WORKFLOW, ruleRunSearchAttributes } from '@ruleflow/contract';
import type { Client, Connection } from '@temporalio/client';
import { ServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { DataSource } from 'typeorm';
import type { SweepLoop } from '../common/sweep-loop';
import { startSweepLoop } from '../common/sweep-loop';
import { RULEFLOW_CONFIG, TEMPORAL_CLIENT } from '../common/tokens';
import { MetricsService } from '../metrics/metrics.service';

/** How long one workflow start may take before it is left to the outbox. */
const START_DEADLINE_MS = 5000;

export interface PendingExecution {
  id: string;
  workflowId: string;
  input: ExecutionInput;
}

/**
 * Starts rule workflows for accepted executions: right away on the request path, and from the
 * transactional outbox (executions with no `dispatched_at`) for whatever a crash left unstarted.
 * Starting is idempotent: the workflow id is a business key and a closed id is never reused.
 */
@Injectable()
export class ExecutionDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExecutionDispatcher.name);
  private loop?: SweepLoop;

  constructor(
    private readonly db: DataSource,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    this.loop = startSweepLoop('outbox sweep', this.config.outbox.pollMs, this.logger, () => this.sweep());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  /** Start these executions in order; a failure is left for the outbox sweep. Returns how many started. */
  async dispatch(executions: PendingExecution[], via: 'request' | 'outbox' = 'request'): Promise<number> {
    let started = 0;
    for (const execution of executions) {
      try {
        const runId = await this.start(execution);
        await this.db.query(
          `UPDATE executions SET dispatched_at = coalesce(dispatched_at, now()), run_id = coalesce(run_id, $2)
            WHERE id = $1`,
          [execution.id, runId],
        );
        this.metrics.executionsStarted.inc({ via });
        started++;
      } catch (err) {
        this.metrics.dispatchFailures.inc();
        this.logger.warn(`could not start ${execution.workflowId} yet: ${(err as Error).message}`);
        if (via === 'request') break; // keep the priority order: the outbox starts the rest in order
      }
    }
    return started;
  }

  /** One pass over the outbox; rows are locked so several gateways never start the same run twice at once. */
  async sweep(graceMs = 2000): Promise<number> {
    return this.db.transaction(async (tx) => {
      const rows: Array<{ id: string; workflow_id: string; input: ExecutionInput }> = await tx.query(
        `SELECT id, workflow_id, input FROM executions
          WHERE dispatched_at IS NULL AND status = 'pending' AND created_at < now() - ($1::int * interval '1 millisecond')
          ORDER BY created_at, dispatch_order
          LIMIT 100
          FOR UPDATE SKIP LOCKED`,
        [graceMs],
      );
      let started = 0;
      for (const row of rows) {
        try {
          const runId = await this.start({ id: row.id, workflowId: row.workflow_id, input: row.input });
          await tx.query(`UPDATE executions SET dispatched_at = now(), run_id = coalesce(run_id, $2) WHERE id = $1`, [
            row.id,
            runId,
          ]);
          this.metrics.executionsStarted.inc({ via: 'outbox' });
          started++;
        } catch (err) {
          this.logger.warn(`outbox: could not start ${row.workflow_id}: ${(err as Error).message}`);
          // Temporal unreachable: the rest would fail too, so stop until the next sweep. Anything else is
          // particular to this row, which must not block the ones behind it.
          if (err instanceof ServiceError) break;
        }
      }
      if (started) this.logger.log(`outbox started ${started} run(s)`);
      return started;
    });
  }

  /** Start one run; "already started" means an earlier attempt got through, which is what we want. */
  private async start(execution: PendingExecution): Promise<string | null> {
    const { rule, event } = execution.input;
    try {
      // A deadline, so an unreachable Temporal costs a request seconds, not the client's full retry budget:
      // the run is durable already, and the outbox starts it later.
      const connection = this.temporal.connection as Connection;
      const handle = await connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        this.temporal.workflow.start(RULE_EXECUTION_WORKFLOW, {
          workflowId: execution.workflowId,
          taskQueue: this.config.temporal.taskQueue,
          args: [execution.input],
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          typedSearchAttributes: ruleRunSearchAttributes(rule),
          memo: { executionId: execution.id, eventId: event.id, ruleVersion: rule.version },
          staticSummary: `Rule **${rule.name}** v${rule.version} on ${event.entity}.${event.type}`,
          staticDetails: [
            `Execution \`${execution.id}\``,
            `Event \`${event.id}\` (${event.entity}.${event.type})`,
            `Actions: ${rule.actions.map((a) => `${a.name} (${a.type})`).join(' → ')}`,
          ].join('\n\n'),
        }),
      );
      return handle.firstExecutionRunId;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return null;
      throw err;
    }
  }
}
