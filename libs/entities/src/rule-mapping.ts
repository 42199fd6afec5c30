import type { ParentContext, RuleEvent, RuleSnapshot, RunResume, TriggerType } from '@ruleflow/rules';
import type { ExecutionActionRecord, ExecutionEntity, ExecutionInput } from './execution.entity';
import type { RuleEntity } from './rule.entity';

/** What a run executes: the rule as plain data, detached from the entity. */
export function toRuleSnapshot(rule: RuleEntity): RuleSnapshot {
  return {
    id: rule.id,
    tenantId: rule.tenantId,
    name: rule.name,
    version: rule.version,
    entity: rule.entity,
    triggerType: rule.triggerType,
    conditions: rule.conditions,
    actions: rule.actions,
    // Only when there are some: a rule without handlers runs the same input as before they existed.
    ...(rule.onFailure?.length ? { onFailure: rule.onFailure } : {}),
  };
}

/** Every action of a new run, not started yet (`phase` marks the rule's `onFailure` actions). */
export function pendingActionRecords(
  actions: ReadonlyArray<{ name: string; type: string }>,
  phase?: 'on_failure',
): ExecutionActionRecord[] {
  return actions.map((action) => ({
    name: action.name,
    type: action.type,
    status: 'pending',
    attempts: 0,
    output: null,
    error: null,
    startedAt: null,
    completedAt: null,
    ...(phase ? { phase } : {}),
  }));
}

export interface NewExecution {
  id: string;
  rule: RuleEntity;
  event: RuleEvent;
  workflowId: string;
  triggerType: TriggerType;
  parent?: ParentContext | null;
  rerunOf?: string | null;
  dispatchOrder?: number;
  testMode?: boolean;
  /** The rule as a run ran it (a resume runs the original's version); default: `rule` as it is now. */
  snapshot?: RuleSnapshot;
  /** A resume: its reused actions are recorded `success` with `reused: true` from the start. */
  resume?: RunResume;
}

/** The row of a new `pending` execution, carrying the workflow input (the outbox starts it if nobody else does). */
export function newExecutionRow(spec: NewExecution): Partial<ExecutionEntity> & { input: ExecutionInput } {
  const input: ExecutionInput = {
    executionId: spec.id,
    rule: spec.snapshot ?? toRuleSnapshot(spec.rule),
    event: spec.event,
    parent: spec.parent ?? null,
    ...(spec.resume ? { resume: spec.resume } : {}),
  };
  return {
    id: spec.id,
    tenantId: spec.rule.tenantId,
    ruleId: spec.rule.id,
    ruleVersion: input.rule.version,
    eventId: spec.event.id,
    parentExecutionId: spec.parent?.executionId ?? null,
    rerunOf: spec.rerunOf ?? null,
    workflowId: spec.workflowId,
    triggerType: spec.triggerType,
    status: 'pending',
    testMode: spec.testMode ?? false,
    // onFailure actions are listed after the others, so the journal's writes find them by name.
    actions: [
      ...reusedActionRecords(pendingActionRecords(input.rule.actions), spec.resume),
      ...pendingActionRecords(input.rule.onFailure ?? [], 'on_failure'),
    ],
    input,
    dispatchOrder: spec.dispatchOrder ?? 0,
  };
}

/** A resume's records: each action it reuses reads `success`, attempts 0, `reused`, with the original's output. */
function reusedActionRecords(records: ExecutionActionRecord[], resume: RunResume | undefined): ExecutionActionRecord[] {
  if (!resume) return records;
  return records.map((record) =>
    Object.hasOwn(resume.reused, record.name)
      ? { ...record, status: 'success', output: resume.reused[record.name], reused: true }
      : record,
  );
}
