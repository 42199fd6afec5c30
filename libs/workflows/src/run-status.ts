/**
 * What a rule run shows in the Temporal UI's workflow list when it ends (workflow code): the `RunStatus`
 * search attribute, so partial, failed and cancelled runs can be told apart and filtered.
 */
import { patched, upsertSearchAttributes } from '@temporalio/workflow';
import { RunStatusKey } from './contract';
import type { RunStatusValue } from './contract';

/**
 * Guards the `RunStatus` upsert (a new command at the end of a run): runs recorded before it replay
 * without it.
 */
export const RUN_STATUS_PATCH = 'run-status-search-attribute';

/** Sets the run's `RunStatus` search attribute (runs recorded before it shipped replay without it). */
export function markRunStatus(status: RunStatusValue): void {
  if (patched(RUN_STATUS_PATCH)) upsertSearchAttributes([{ key: RunStatusKey, value: status }]);
}

/**
 * The failure without its stack frames: the UI shows a failure's stack trace, and a workflow's frames
 * name the worker's source files. The message (and the details) say what went wrong.
 */
export function withoutStack<E extends Error>(failure: E): E {
  failure.stack = `${failure.name}: ${failure.message}`;
  return failure;
}
