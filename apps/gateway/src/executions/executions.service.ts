import { randomUUID } from 'node:crypto';
import { ConflictException, Inject, Injectable, Logger, NotFoundException } from '@nestjs/common';
import type { RuleflowConfig } from '@ruleflow/config';
import type { ExecutionActionRecord, ExecutionInput, ExecutionStatus, NewExecution } from '@ruleflow/entities';
import { EXECUTION_STATUSES, ExecutionEntity, RuleEntity } from '@ruleflow/entities';
import type { RunResume, TriggerType } from '@ruleflow/rules';
import { ruleRerunWorkflowId } from '@ruleflow/contract';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { EntityManager } from 'typeorm';
import { DataSource, In } from 'typeorm';
import type { AuthContext } from '../auth/auth-context';
import { decodeCursor, toPage } from '../common/pagination';
import { RULEFLOW_CONFIG, TEMPORAL_CLIENT } from '../common/tokens';
import { isUuid } from '../common/uuid';
import { ExecutionLauncher } from './execution-launcher.service';
import { temporalUnavailable } from '../temporal/temporal-unavailable';
import type {
  BulkCancelDto,
  BulkRerunDto,
  ExecutionSummary,
  ExecutionSummaryQueryDto,
  ListExecutionsQueryDto,
  RerunDto,
} from './dto/execution.dto';
import { BULK_CANCEL_CAP, BULK_RERUN_CAP, CANCELLABLE_STATUSES } from './dto/execution.dto';
import { toExecutionResponse } from './execution.mapper';

const TERMINAL: ReadonlySet<ExecutionStatus> = new Set(['success', 'failed', 'partial', 'cancelled']);
/** The runs `from: "failed"` can resume: those that ended with a failed action. */
const RESUMABLE: ReadonlySet<ExecutionStatus> = new Set(['failed', 'partial']);
const DEFAULT_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;
/** How long a cancel waits for the workflow to record `cancelled`, so the answer usually shows it. */
const CANCEL_SETTLE_MS = 2000;
/** A bound on Temporal calls made while answering a request, so an outage gives a 503, not a hang. */
const TEMPORAL_DEADLINE_MS = 5000;
/** Shorter for the late-start check of a never-started run: Temporal is often the reason it never started. */
const LATE_START_DEADLINE_MS = 1500;
/** How many runs a bulk cancel cancels at the same time. */
const BULK_CANCEL_PARALLEL = 8;

/**
 * Marks a run `cancelled` without its workflow (never started, or gone from Temporal); pending
 * actions become `skipped` as the workflow would record them. A no-op on a run that has ended.
 */
const CANCEL_DIRECTLY_SQL = `
  UPDATE executions SET
      status = 'cancelled', error = $2, error_action = NULL,
      dispatched_at = coalesce(dispatched_at, now()),
      completed_at = now(),
      duration_ms = GREATEST(0, (EXTRACT(EPOCH FROM (now() - coalesce(started_at, created_at))) * 1000)::int),
      actions = (
        SELECT coalesce(jsonb_agg(
          CASE WHEN a->>'status' IN ('pending','running','waiting') THEN a || '{"status":"skipped"}'::jsonb ELSE a END
          ORDER BY ord), '[]'::jsonb)
        FROM jsonb_array_elements(actions) WITH ORDINALITY AS t(a, ord)
      )
    WHERE id = $1 AND status NOT IN ('success','failed','partial','cancelled')`;

/** How a resume may have ended for its chain to be resumed again (see checkResumeChain). */
const RESUME_ENDED_UNSUCCESSFULLY: ReadonlySet<ExecutionStatus> = new Set(['failed', 'partial', 'cancelled']);

/**
 * SQL: execution `x` is in the resume chain whose idempotency base (the first run's workflow id) is
 * `base`: that first run or a resume along it (the caller also matches the event).
 */
const IN_CHAIN_SQL = (x: string, base: string) =>
  `(${x}.workflow_id = ${base} OR ${x}.input->'resume'->>'idempotencyBase' = ${base})`;

/**
 * SQL for the bulk rerun (`e`, from "failed"): `e` is what checkResumeChain accepts, i.e. no resume of
 * its chain is live or ended success, and no newer run of the chain failed.
 */
const RESUMABLE_IN_CHAIN_SQL = `AND NOT EXISTS (
  SELECT 1 FROM executions y
   WHERE y.tenant_id = e.tenant_id AND y.event_id = e.event_id AND y.id <> e.id
     AND ${IN_CHAIN_SQL('y', `coalesce(e.input->'resume'->>'idempotencyBase', e.workflow_id)`)}
     AND ((y.input->'resume' IS NOT NULL AND y.status NOT IN ('failed','partial','cancelled'))
          OR (y.status IN ('failed','partial') AND (y.created_at, y.id) > (e.created_at, e.id))))`;

/** Serialises a tenant's reruns and resumes (one and bulk) for the rest of the transaction. */
async function lockReruns(em: EntityManager, tenantId: string): Promise<void> {
  await em.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`ruleflow:bulk-rerun:${tenantId}`]);
}

/** What cancelling one run did: see ExecutionsService.cancelRun. */
interface CancelOutcome {
  kind: 'ended' | 'marked' | 'requested';
  row: ExecutionEntity;
}

export interface RerunResponse {
  executionId: string;
  workflowId: string;
}

@Injectable()
export class ExecutionsService {
  private readonly logger = new Logger(ExecutionsService.name);

  constructor(
    private readonly db: DataSource,
    @Inject(RULEFLOW_CONFIG) private readonly config: RuleflowConfig,
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    private readonly runs: ExecutionLauncher,
  ) {}

  async list(auth: AuthContext, query: ListExecutionsQueryDto) {
    const limit = query.limit ?? 50;
    const offset = decodeCursor(query.cursor);
    const qb = this.db
      .getRepository(ExecutionEntity)
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId', { tenantId: auth.tenantId });
    if (query.ruleId) qb.andWhere('e.rule_id = :ruleId', { ruleId: query.ruleId });
    if (query.status) qb.andWhere('e.status = :status', { status: query.status });
    if (query.eventId) qb.andWhere('e.event_id = :eventId', { eventId: query.eventId });
    const rows = await qb
      .orderBy('e.created_at', 'DESC')
      .addOrderBy('e.dispatch_order', 'DESC')
      .addOrderBy('e.id', 'DESC')
      .offset(offset)
      .limit(limit + 1)
      .getMany();
    return toPage(rows, offset, limit, (e) => toExecutionResponse(this.config, e));
  }

  async get(auth: AuthContext, id: string) {
    return toExecutionResponse(this.config, await this.find(this.db.manager, auth, id));
  }

  /** Executions per status created since `since` (default: the last 7 days); all six statuses present. */
  async summary(auth: AuthContext, query: ExecutionSummaryQueryDto): Promise<ExecutionSummary> {
    const since = query.since ? new Date(query.since) : new Date(Date.now() - DEFAULT_WINDOW_MS);
    const rows: Array<{ status: ExecutionStatus; n: number }> = await this.db.query(
      `SELECT status, count(*)::int AS n FROM executions
        WHERE tenant_id = $1 AND created_at >= $2
        GROUP BY status`,
      [auth.tenantId, since],
    );
    const summary = Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0])) as ExecutionSummary;
    for (const row of rows) summary[row.status] = row.n;
    return summary;
  }

  /**
   * Cancel a run that has not ended. A started run is cancelled through Temporal and its workflow
   * records `cancelled` itself (a running delay or activity stops). A run never started is marked
   * `cancelled` in the same locked transaction that sets `dispatched_at`, so the outbox skips it.
   */
  async cancel(auth: AuthContext, id: string) {
    const execution = await this.find(this.db.manager, auth, id);
    const outcome = await this.cancelRun(auth, execution);
    if (outcome.kind === 'ended') throw ended(outcome.row);
    if (outcome.kind === 'marked') return this.get(auth, id);
    return toExecutionResponse(this.config, await this.settle(auth, id));
  }

  /**
   * Cancel every `pending`/`running` run of the tenant matching the filter (rule, status, created
   * since), oldest first, at most BULK_CANCEL_CAP per call, each the way `cancel` does it (without
   * waiting for the workflows to record the end). Runs that end meanwhile are not counted.
   */
  async bulkCancel(auth: AuthContext, dto: BulkCancelDto): Promise<{ count: number }> {
    const statuses = dto.status ? [dto.status] : [...CANCELLABLE_STATUSES];
    const qb = this.db
      .getRepository(ExecutionEntity)
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId', { tenantId: auth.tenantId })
      .andWhere('e.status IN (:...statuses)', { statuses });
    if (dto.ruleId) qb.andWhere('e.rule_id = :ruleId', { ruleId: dto.ruleId });
    if (dto.since) qb.andWhere('e.created_at >= :since', { since: new Date(dto.since) });
    const rows = await qb.orderBy('e.created_at', 'ASC').addOrderBy('e.id', 'ASC').limit(BULK_CANCEL_CAP).getMany();
    let count = 0;
    // A few at a time: each is a Temporal call (or a row lock) of its own.
    for (let i = 0; i < rows.length; i += BULK_CANCEL_PARALLEL) {
      const outcomes = await Promise.all(
        rows.slice(i, i + BULK_CANCEL_PARALLEL).map((row) => this.cancelRun(auth, row)),
      );
      count += outcomes.filter((o) => o.kind !== 'ended').length;
    }
    return { count };
  }

  /**
   * Run the rule again on the event of this execution: from the start at its current version, or
   * (`from: "failed"`) resume a failed or partial run (see resumeSpec; any other status → 409).
   * Either way a deleted rule → 409.
   */
  async rerun(auth: AuthContext, id: string, dto: RerunDto = {}): Promise<RerunResponse> {
    const original = await this.find(this.db.manager, auth, id);
    const resume = dto.from === 'failed';
    if (resume && !RESUMABLE.has(original.status)) {
      throw new ConflictException(
        `execution ${id} did not fail (status ${original.status}): only a failed or partial run can be resumed`,
      );
    }
    const rule = await this.db.getRepository(RuleEntity).findOneBy({ id: original.ruleId, tenantId: auth.tenantId });
    if (!rule) throw new ConflictException(`rule ${original.ruleId} of execution ${id} no longer exists`);
    if (!resume) {
      const { executionId, workflowId } = await this.runs.launch(rerunSpec(rule, original));
      return { executionId, workflowId };
    }
    const [started] = await this.db.transaction(async (tx) => {
      // Serialised with every other resume (and bulk rerun) of the tenant: two calls cannot both start one.
      await lockReruns(tx, auth.tenantId);
      await this.checkResumeChain(tx, auth.tenantId, original);
      const sent = await this.sentWebhooks(tx, auth.tenantId, [original]);
      return this.runs.record(tx, [resumeSpec(rule, original, sent.get(id))]);
    });
    await this.runs.start([started!]);
    return { executionId: started!.id, workflowId: started!.workflowId };
  }

  /**
   * A run's resume chain shares its idempotency keys (the first run's workflow id): so that a resume's
   * compensation never returns what another resume of the chain holds, the chain has at most one live
   * or successful resume, and only its newest failed or partial run is resumed. 409 otherwise, naming
   * the run in the way. Call under lockReruns.
   */
  private async checkResumeChain(em: EntityManager, tenantId: string, original: Original): Promise<void> {
    const chain: Array<{ id: string; status: ExecutionStatus; resume: boolean }> = await em.query(
      `SELECT x.id, x.status, (x.input->'resume') IS NOT NULL AS resume
         FROM executions x
        WHERE x.tenant_id = $1 AND x.event_id = $2 AND ${IN_CHAIN_SQL('x', '$3')}
        ORDER BY x.created_at DESC, x.id DESC`,
      [tenantId, original.input.event.id, idempotencyBase(original)],
    );
    const live = chain.find((x) => x.resume && !RESUME_ENDED_UNSUCCESSFULLY.has(x.status));
    if (live) {
      throw new ConflictException(
        live.status === 'success'
          ? `execution ${original.id} has already been resumed: execution ${live.id} (a resume of the same run) ended success`
          : `execution ${original.id} is being resumed: execution ${live.id} (a resume of the same run) is ${live.status}`,
      );
    }
    const newest = chain.find((x) => RESUMABLE.has(x.status));
    if (newest && newest.id !== original.id) {
      throw new ConflictException(
        `execution ${original.id} was resumed by execution ${newest.id}, which ended ${newest.status}: resume execution ${newest.id} instead`,
      );
    }
  }

  /**
   * Rerun every `status` execution of the tenant since `since` (default 7 days) that has not been
   * rerun yet and whose rule still exists, oldest first, at most BULK_RERUN_CAP per call; with
   * `from: "failed"` each is resumed (every selectable status, failed or partial, can be).
   */
  async bulkRerun(auth: AuthContext, dto: BulkRerunDto): Promise<{ count: number }> {
    const since = dto.since ? new Date(dto.since) : new Date(Date.now() - DEFAULT_WINDOW_MS);
    const pending = await this.db.transaction(async (tx) => {
      // Serialise bulk reruns of a tenant: two concurrent calls would both see "not rerun yet".
      await lockReruns(tx, auth.tenantId);
      const params: unknown[] = [auth.tenantId, dto.status, since, BULK_RERUN_CAP];
      if (dto.ruleId) params.push(dto.ruleId);
      const rows: Array<{
        id: string;
        rule_id: string;
        trigger_type: TriggerType;
        workflow_id: string;
        actions: ExecutionActionRecord[];
        input: ExecutionInput;
      }> = await tx.query(
        `SELECT e.id, e.rule_id, e.trigger_type, e.workflow_id, e.actions, e.input
             FROM executions e
             JOIN rules r ON r.id = e.rule_id AND r.tenant_id = e.tenant_id
            WHERE e.tenant_id = $1 AND e.status = $2 AND e.created_at >= $3
              ${dto.ruleId ? 'AND e.rule_id = $5' : ''}
              AND NOT EXISTS (SELECT 1 FROM executions x WHERE x.tenant_id = e.tenant_id AND x.rerun_of = e.id)
              ${dto.from === 'failed' ? RESUMABLE_IN_CHAIN_SQL : ''}
            ORDER BY e.created_at, e.id
            LIMIT $4`,
        params,
      );
      if (rows.length === 0) return [];
      const rules = await tx.getRepository(RuleEntity).findBy({
        tenantId: auth.tenantId,
        id: In([...new Set(rows.map((r) => r.rule_id))]),
      });
      const byId = new Map(rules.map((r) => [r.id, r]));
      const originals = rows.flatMap((row): Array<Original & { rule: RuleEntity }> => {
        const rule = byId.get(row.rule_id);
        if (!rule) return [];
        const { id, trigger_type: triggerType, workflow_id: workflowId, actions, input } = row;
        return [{ id, triggerType, workflowId, actions, input, rule }];
      });
      const sent = dto.from === 'failed' ? await this.sentWebhooks(tx, auth.tenantId, originals) : null;
      const specs = originals.map((original) =>
        sent ? resumeSpec(original.rule, original, sent.get(original.id)) : rerunSpec(original.rule, original),
      );
      return this.runs.record(tx, specs);
    });
    await this.runs.start(pending);
    return { count: pending.length };
  }

  /**
   * Cancel one run that has not ended. A started run is cancelled through Temporal and its workflow
   * records `cancelled` itself (a running delay or activity stops): `requested`. A run never started
   * is marked `cancelled` in the same locked transaction that sets `dispatched_at`, so the outbox
   * skips it: `marked` (so is a run Temporal no longer knows). `ended`: it had ended already.
   */
  private async cancelRun(auth: AuthContext, execution: ExecutionEntity): Promise<CancelOutcome> {
    const id = execution.id;
    if (TERMINAL.has(execution.status)) return { kind: 'ended', row: execution };

    if (execution.dispatchedAt === null) {
      const outcome = await this.db.transaction(async (tx) => {
        // Waits for an outbox sweep holding the row (it locks before starting), so we see its result.
        const row = await this.find(tx, auth, id, true);
        if (TERMINAL.has(row.status)) return { kind: 'ended' as const, row };
        if (row.dispatchedAt !== null) return { kind: 'started' as const, row };
        await tx.query(CANCEL_DIRECTLY_SQL, [id, 'cancelled before it started']);
        return { kind: 'marked' as const, row };
      });
      if (outcome.kind === 'ended') return outcome;
      if (outcome.kind === 'marked') {
        // The request path starts a run before it sets dispatched_at (it holds no row lock, and its
        // start may retry for a while): should such a start have landed, cancel that workflow too.
        // Best effort and awaited (an in-flight gRPC retry must not outlive the app), bounded by a deadline.
        await this.cancelWorkflow(execution.workflowId, LATE_START_DEADLINE_MS).catch((err: unknown) =>
          this.logger.debug(`no late start to cancel for ${execution.workflowId}: ${(err as Error).message}`),
        );
        return outcome;
      }
    }

    const found = await this.cancelWorkflow(execution.workflowId);
    if (!found) {
      // Temporal has no open run under this id: it ended (then the record is terminal) or is gone.
      const current = await this.find(this.db.manager, auth, id);
      if (TERMINAL.has(current.status)) return { kind: 'ended', row: current };
      await this.db.query(CANCEL_DIRECTLY_SQL, [id, 'cancelled (the run was not found in Temporal)']);
      return { kind: 'marked', row: current };
    }
    return { kind: 'requested', row: execution };
  }

  /** Ask Temporal to cancel the run; false when it has no open run under this id. */
  private async cancelWorkflow(workflowId: string, deadlineMs = TEMPORAL_DEADLINE_MS): Promise<boolean> {
    try {
      await this.temporal.withDeadline(Date.now() + deadlineMs, () =>
        this.temporal.workflow.getHandle(workflowId).cancel(),
      );
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw temporalUnavailable(this.logger, 'could not reach Temporal to cancel the run', err);
    }
  }

  /** The execution once its workflow has recorded the end, or as it is after CANCEL_SETTLE_MS. */
  private async settle(auth: AuthContext, id: string): Promise<ExecutionEntity> {
    const deadline = Date.now() + CANCEL_SETTLE_MS;
    for (;;) {
      const current = await this.find(this.db.manager, auth, id);
      if (TERMINAL.has(current.status) || Date.now() >= deadline) return current;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * By original execution id, the `webhook-id` each of its webhook actions was last sent with in its
   * resume chain (the original, the first run of the chain, and every resume of it) and the last
   * attempt number logged under it.
   */
  private async sentWebhooks(
    em: EntityManager,
    tenantId: string,
    originals: Original[],
  ): Promise<Map<string, RunResume['webhookDeliveries']>> {
    const sent = new Map<string, RunResume['webhookDeliveries']>();
    if (originals.length === 0) return sent;
    const rows: Array<{ original_id: string; action_name: string; delivery_id: string; attempts: number }> =
      await em.query(
        `SELECT DISTINCT ON (o.id, d.action_name)
                o.id AS original_id, d.action_name, d.id AS delivery_id,
                (SELECT coalesce(max((a->>'attemptNumber')::int), 0)
                   FROM jsonb_array_elements(d.attempts) AS a)::int AS attempts
           FROM unnest($2::uuid[], $3::text[], $4::text[]) AS o(id, event_id, base)
           JOIN executions x ON x.tenant_id = $1 AND x.event_id = o.event_id AND ${IN_CHAIN_SQL('x', 'o.base')}
           JOIN deliveries d ON d.tenant_id = $1 AND d.execution_id = x.id AND d.action_name IS NOT NULL
          ORDER BY o.id, d.action_name, d.created_at DESC`,
        [tenantId, originals.map((o) => o.id), originals.map((o) => o.input.event.id), originals.map(idempotencyBase)],
      );
    for (const row of rows) {
      const byAction = sent.get(row.original_id) ?? {};
      byAction[row.action_name] = { deliveryId: row.delivery_id, attempts: row.attempts };
      sent.set(row.original_id, byAction);
    }
    return sent;
  }

  /** An execution of the caller's tenant, or 404 (another tenant's is indistinguishable from none). */
  async find(em: EntityManager, auth: AuthContext, id: string, lock = false): Promise<ExecutionEntity> {
    const execution = isUuid(id)
      ? await em.getRepository(ExecutionEntity).findOne({
          where: { id, tenantId: auth.tenantId },
          lock: lock ? { mode: 'pessimistic_write' } : undefined,
        })
      : null;
    if (!execution) throw new NotFoundException(`execution ${id} not found`);
    return execution;
  }
}

function ended(execution: ExecutionEntity): ConflictException {
  return new ConflictException(`execution ${execution.id} has already ended: ${execution.status}`);
}

/** What a rerun needs of the run it reruns. */
type Original = Pick<ExecutionEntity, 'id' | 'triggerType' | 'workflowId' | 'actions' | 'input'>;

/**
 * A new run of `rule` as it is now, on the original's event and with its trigger type. The parent
 * context is kept so a child rule's `{{parent…}}` templates render as they did.
 */
function rerunSpec(rule: RuleEntity, original: Original): NewExecution {
  const id = randomUUID();
  const { event, parent } = original.input;
  return {
    id,
    rule,
    event,
    workflowId: ruleRerunWorkflowId(rule.id, event.id, id),
    triggerType: original.triggerType,
    parent: parent ?? null,
    rerunOf: original.id,
  };
}

/** The workflow id the original run's idempotency keys were derived from (the first run's, along a resume chain). */
function idempotencyBase(original: Original): string {
  return original.input.resume?.idempotencyBase ?? original.workflowId;
}

/**
 * A resume of `original` (failed or partial): the original's rule snapshot (its version, whatever the
 * rule is now) on its event; every action it recorded `success` is reused (not run again, its output
 * in `steps`); the others run (skipped ones have their `when` evaluated again, over the same context)
 * with the original's idempotency keys and, for webhooks it sent, the same `webhook-id`.
 */
function resumeSpec(
  rule: RuleEntity,
  original: Original,
  webhookDeliveries: RunResume['webhookDeliveries'] = {},
): NewExecution {
  const snapshot = original.input.rule;
  const mainActions = new Set(snapshot.actions.map((a) => a.name));
  const reused: Record<string, unknown> = {};
  for (const action of original.actions) {
    if (action.status === 'success' && action.phase !== 'on_failure' && mainActions.has(action.name)) {
      reused[action.name] = action.output;
    }
  }
  return {
    ...rerunSpec(rule, original),
    snapshot,
    resume: { idempotencyBase: idempotencyBase(original), reused, webhookDeliveries },
  };
}
