import type { Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import { asSystem } from '@ruleflow/entities';
import type { Client, Connection, WorkflowStartOptions } from '@temporalio/client';
import { ServiceError, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Counter } from 'prom-client';
import type { EntityManager } from 'typeorm';
import { DataSource } from 'typeorm';
import { MetricsService } from '../metrics/metrics.service';
import { RULEFLOW_CONFIG, TEMPORAL_CLIENT } from './tokens';

/** How long one workflow start may take before it is left to the outbox. */
const START_DEADLINE_MS = 5000;
/** Rows per outbox pass. */
const SWEEP_BATCH = 100;

/** What tells one outbox from another: its rows, its workflow, its words in the log. */
export interface OutboxSpec {
  /** Log prefix: `<name> sweep failed`, `<name>: could not start …`, `<name> started 3 <noun>`. */
  name: string;
  /** What the sweep's summary line counts. */
  noun: string;
  /** The sweep leaves rows younger than this to the request path that recorded them. */
  graceMs: number;
  /** Workflows started, labelled `via` (request or outbox). */
  started: Counter<'via'>;
  /**
   * On the request path, whether this failure leaves the rest of the batch to the sweep. The sweep
   * itself stops only when Temporal is unreachable: any other failure is particular to its row.
   */
  stopsRequestPath(err: unknown): boolean;
}

/** The workflow start of one outbox row (task queue, id reuse and the deadline are added here). */
export type OutboxStart = { workflowType: string } & Omit<WorkflowStartOptions, 'taskQueue' | 'workflowIdReusePolicy'>;

/**
 * A transactional outbox of workflow starts: rows are written (undispatched) in the transaction that
 * accepts the work; `dispatch` starts them right after it commits, and a sweep every `outbox.pollMs`
 * starts whatever a crash or an unreachable Temporal left behind, taking rows with FOR UPDATE SKIP
 * LOCKED so several gateways never start the same row at once. Starting is idempotent: the workflow
 * id is a business key and a closed id is never reused, so "already started" counts as started.
 */
export abstract class OutboxDispatcher<T> implements OnApplicationBootstrap, OnApplicationShutdown {
  // Injected as properties, so that the dispatchers need no constructor of their own.
  @Inject(DataSource) protected readonly db: DataSource;
  @Inject(TEMPORAL_CLIENT) protected readonly temporal: Client;
  @Inject(RULEFLOW_CONFIG) protected readonly config: RuleflowConfig;
  @Inject(MetricsService) protected readonly metrics: MetricsService;
  protected abstract readonly logger: Logger;
  private loop?: SweepLoop;

  /** What differs between outboxes; read once per call, so subclasses may build it from injected services. */
  protected abstract get spec(): OutboxSpec;

  /** Undispatched rows older than `graceMs`, oldest first, at most `limit`, locked FOR UPDATE SKIP LOCKED. */
  protected abstract claim(tx: EntityManager, graceMs: number, limit: number): Promise<T[]>;

  /** The workflow id of a row, for logs. */
  protected abstract workflowId(item: T): string;

  /** The workflow a row starts. */
  protected abstract startOf(item: T): OutboxStart;

  /** Record that the row's workflow is started (`runId` is null when an earlier attempt started it). */
  protected abstract markDispatched(em: EntityManager, item: T, runId: string | null): Promise<void>;

  onApplicationBootstrap(): void {
    this.loop = startSweepLoop(`${this.spec.name} sweep`, this.config.outbox.pollMs, this.logger, () => this.sweep());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.loop?.stop();
  }

  /** Start these rows now, in order (call after the transaction that wrote them committed). Returns how many started. */
  async dispatch(items: readonly T[]): Promise<number> {
    const spec = this.spec;
    let started = 0;
    for (const item of items) {
      try {
        const runId = await this.start(item);
        await this.markDispatched(this.db.manager, item, runId);
        spec.started.inc({ via: 'request' });
        started++;
      } catch (err) {
        this.metrics.dispatchFailures.inc();
        this.logger.warn(`could not start ${this.workflowId(item)} yet: ${(err as Error).message}`);
        if (spec.stopsRequestPath(err)) break;
      }
    }
    return started;
  }

  /** One pass over the outbox, in one transaction holding the row locks. Returns how many started. */
  async sweep(graceMs = this.spec.graceMs): Promise<number> {
    const spec = this.spec;
    return this.db.transaction(async (tx) => {
      const rows = await this.claim(tx, graceMs, SWEEP_BATCH);
      let started = 0;
      for (const row of rows) {
        try {
          const runId = await this.start(row);
          await this.markDispatched(tx, row, runId);
          spec.started.inc({ via: 'outbox' });
          started++;
        } catch (err) {
          this.logger.warn(`${spec.name}: could not start ${this.workflowId(row)}: ${(err as Error).message}`);
          // Temporal unreachable: the rest would fail too, so stop until the next sweep. Anything else is
          // particular to this row, which must not block the ones behind it.
          if (err instanceof ServiceError) break;
        }
      }
      if (started) this.logger.log(`${spec.name} started ${started} ${spec.noun}`);
      return started;
    });
  }

  /** Start one row's workflow; "already started" means an earlier attempt got through, which is what we want. */
  private async start(item: T): Promise<string | null> {
    const { workflowType, ...options } = this.startOf(item);
    try {
      // A deadline, so an unreachable Temporal costs a request seconds, not the client's full retry budget:
      // the row is durable already, and the sweep starts it later.
      const connection = this.temporal.connection as Connection;
      const handle = await connection.withDeadline(Date.now() + START_DEADLINE_MS, () =>
        this.temporal.workflow.start(workflowType, {
          ...options,
          taskQueue: this.config.temporal.taskQueue,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        }),
      );
      return handle.firstExecutionRunId;
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return null;
      throw err;
    }
  }
}

/** A background sweep that runs every `intervalMs`, one pass at a time, until stopped. */
interface SweepLoop {
  /** Stop scheduling passes and wait for the one under way. */
  stop(): Promise<void>;
}

/**
 * Run `pass` now and then `intervalMs` after each pass ends, in the system database scope (sweeps
 * look at every tenant's rows). A failed pass is logged as `<what> failed: …` and the loop goes on.
 */
function startSweepLoop(what: string, intervalMs: number, logger: Logger, pass: () => Promise<unknown>): SweepLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  const tick = () => {
    if (stopped) return;
    running = asSystem(pass)
      .then(() => undefined)
      .catch((err: unknown) => logger.warn(`${what} failed: ${(err as Error).message}`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
