/**
 * The run journal: a rule run's record writes, several at a time. The workflow keeps the writes that
 * are due and sends them together, as one local activity, right before the next thing that must come
 * after them (an action, the end of the run): a one-webhook run records itself in two calls instead
 * of five. Each entry is one of the execution activities' writes, applied in order with the same
 * idempotency, so a retry of the whole batch is harmless.
 */
import type { ExecutionStatus } from '@ruleflow/entities';
import type { ChainingActivities, PrepareChildRunsInput, PreparedChildRuns } from '../chaining/chaining.activities';
import { afterCommit } from '../metrics/run-metrics';
import type { ExecutionActivities } from './execution.activities';

type ActionResultEntry = Omit<Parameters<ExecutionActivities['recordActionResult']>[0], 'tenantId' | 'executionId'>;
type CompleteEntry = Omit<Parameters<ExecutionActivities['completeExecution']>[0], 'tenantId' | 'executionId'>;

/** One write of the journal, in the order the run made it. */
export type RunJournalEntry =
  | { kind: 'running'; runId: string }
  | { kind: 'actionStarted'; actionName: string }
  | { kind: 'actionWaiting'; actionName: string }
  | ({ kind: 'actionResult' } & ActionResultEntry)
  | ({ kind: 'complete' } & CompleteEntry);

export interface RecordRunInput {
  tenantId: string;
  executionId: string;
  entries: RunJournalEntry[];
  /** After the entries: record the runs of the rule's dependents (only after a `complete` as success). */
  chain?: Omit<PrepareChildRunsInput, 'tenantId'>;
}

export interface RecordRunResult {
  /** From a `running` entry: the run's status then; `cancelled` means it must not run (nothing after it was written). */
  status?: ExecutionStatus;
  /** From `chain`: the dependent runs to start. */
  children?: PreparedChildRuns;
}

/** Runs a batch's writes in one database transaction (the worker's `inOneTransaction`); by default, each on its own. */
export type OneTransaction = <T>(fn: () => Promise<T>) => Promise<T>;

export function createRunJournalActivities(
  execution: ExecutionActivities,
  chaining: ChainingActivities,
  oneTransaction: OneTransaction = (fn) => fn(),
) {
  return {
    /**
     * The batch in one transaction: one BEGIN/COMMIT for all its writes, and all of them or none (a retry
     * redoes it); its metrics are recorded once it has committed, so a retried batch counts once.
     */
    recordRun(input: RecordRunInput): Promise<RecordRunResult> {
      return afterCommit(() => oneTransaction(() => record(input)));
    },
  };

  async function record(input: RecordRunInput): Promise<RecordRunResult> {
    const { tenantId, executionId } = input;
    const result: RecordRunResult = {};
    for (const entry of input.entries) {
      switch (entry.kind) {
        case 'running': {
          const { status } = await execution.markExecutionRunning({ tenantId, executionId, runId: entry.runId });
          result.status = status;
          // Cancelled through the API before it started: the run stops here, so nothing more is recorded.
          if (status === 'cancelled') return result;
          break;
        }
        case 'actionStarted':
          await execution.recordActionStarted({ tenantId, executionId, actionName: entry.actionName });
          break;
        case 'actionWaiting':
          await execution.recordActionWaiting({ tenantId, executionId, actionName: entry.actionName });
          break;
        case 'actionResult': {
          const { kind: _kind, ...rest } = entry;
          await execution.recordActionResult({ tenantId, executionId, ...rest });
          break;
        }
        case 'complete': {
          const { kind: _kind, ...rest } = entry;
          await execution.completeExecution({ tenantId, executionId, ...rest });
          break;
        }
      }
    }
    if (input.chain) result.children = await chaining.prepareChildRuns({ tenantId, ...input.chain });
    return result;
  }
}

export type RunJournalActivities = ReturnType<typeof createRunJournalActivities>;
