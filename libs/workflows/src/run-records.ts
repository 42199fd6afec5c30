/**
 * How a rule run records its progress in PostgreSQL (workflow code). Runs started since the journal
 * shipped queue their writes and send them together, as one local activity (`recordRun`), right before
 * whatever must come after them: an action, compensation, the end. Older histories made each write a
 * regular activity at once, so they replay down that path, command for command.
 */
import type { PreparedChildRuns, RecordRunInput, RecordRunResult, RunJournalEntry } from '@ruleflow/activities';
import { patched } from '@temporalio/workflow';
import { childRunWrite, dbWrite, runJournal } from './activity-profiles';
import type { RuleExecutionInput } from './contract';

type ExecutionStatus = NonNullable<RecordRunResult['status']>;

/**
 * Guards the run journal, and with it a `webhook` action's first attempt as a local activity (one patch
 * for both, so a new run carries one patch marker): runs recorded with one regular activity per write
 * and per attempt replay without it.
 */
export const RULE_RUN_JOURNAL_PATCH = 'rule-run-journal';

type ActionResult = Extract<RunJournalEntry, { kind: 'actionResult' }>;
type Completion = Extract<RunJournalEntry, { kind: 'complete' }>;

export class RunRecords {
  private readonly tenantId: string;
  private readonly executionId: string;
  /** Decided once, at the first write: journal (new runs) or one activity per write (older histories). */
  private readonly journal: boolean;
  private pending: RunJournalEntry[] = [];

  constructor(private readonly input: RuleExecutionInput) {
    this.tenantId = input.rule.tenantId;
    this.executionId = input.executionId;
    this.journal = patched(RULE_RUN_JOURNAL_PATCH);
  }

  /** The run starts: its status then (`cancelled`: cancelled through the API before it started; run nothing). */
  async running(runId: string): Promise<ExecutionStatus | undefined> {
    if (this.journal) {
      this.pending.push({ kind: 'running', runId });
      return undefined; // known at the first flush
    }
    const started = await dbWrite.markExecutionRunning({ ...this.ids(), runId });
    return started?.status;
  }

  async actionStarted(actionName: string): Promise<void> {
    if (this.journal) this.pending.push({ kind: 'actionStarted', actionName });
    else await dbWrite.recordActionStarted({ ...this.ids(), actionName });
  }

  /** A `wait_for_approval` action waits for a decision (sent with the next flush). */
  async actionWaiting(actionName: string): Promise<void> {
    if (this.journal) this.pending.push({ kind: 'actionWaiting', actionName });
    else await dbWrite.recordActionWaiting({ ...this.ids(), actionName });
  }

  async actionResult(result: Omit<ActionResult, 'kind'>): Promise<void> {
    if (this.journal) this.pending.push({ kind: 'actionResult', ...result });
    else await dbWrite.recordActionResult({ ...this.ids(), ...result });
  }

  async complete(completion: Omit<Completion, 'kind'>): Promise<void> {
    if (this.journal) this.pending.push({ kind: 'complete', ...completion });
    else await dbWrite.completeExecution({ ...this.ids(), ...completion });
  }

  /**
   * Writes what is queued (journal runs; older ones wrote at once). Returns the run's status when a
   * `running` entry went with it: `cancelled` means nothing after it was written and nothing may run.
   */
  async flush(): Promise<ExecutionStatus | undefined> {
    if (!this.journal || this.pending.length === 0) return undefined;
    return (await this.send()).status;
  }

  /** Writes what is queued, then records the runs of the rule's dependents (after a success). */
  async chain(parent: Parameters<typeof childRunWrite.prepareChildRuns>[0]['parent']): Promise<PreparedChildRuns> {
    const { rule, event, executionId } = this.input;
    const request = { parentExecutionId: executionId, parentRuleId: rule.id, event, parent };
    if (!this.journal) return childRunWrite.prepareChildRuns({ tenantId: this.tenantId, ...request });
    return (await this.send(request)).children ?? { runs: [], skipped: [] };
  }

  /** One `recordRun` with everything queued (and the chaining request, at the end of a success). */
  private send(chain?: RecordRunInput['chain']): Promise<RecordRunResult> {
    const entries = this.pending;
    this.pending = [];
    return runJournal.recordRun({ ...this.ids(), entries, ...(chain ? { chain } : {}) });
  }

  private ids() {
    return { tenantId: this.tenantId, executionId: this.executionId };
  }
}
