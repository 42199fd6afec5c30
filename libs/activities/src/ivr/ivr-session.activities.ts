import type { IvrSessionMirror, IvrSessionStore } from '@ruleflow/entities';
import { ApplicationFailure } from '@temporalio/common';

export interface IvrSessionActivityDeps {
  ivrSessions: IvrSessionStore;
}

/** The failure type of a mirror write whose session row is gone (removed by hand, or by retention). */
export const IVR_SESSION_ROW_MISSING = 'IvrSessionRowMissing';

/** Activities of the IVR session workflow (`ivr-<sessionId>`): its queryable mirror in `ivr_sessions`. */
export function createIvrSessionActivities({ ivrSessions }: IvrSessionActivityDeps) {
  return {
    /**
     * Write the session's state over its row (unless a newer revision is there) and offer `call.started`
     * / `call.ended` to subscribed endpoints in the same transaction; idempotent, so retries are harmless.
     */
    async mirrorIvrSession(input: IvrSessionMirror): Promise<void> {
      const found = await ivrSessions.mirror(input);
      if (!found) {
        throw ApplicationFailure.create({
          type: IVR_SESSION_ROW_MISSING,
          nonRetryable: true,
          message: `IVR session ${input.sessionId} has no row to mirror into`,
        });
      }
    },
  };
}

export type IvrSessionActivities = ReturnType<typeof createIvrSessionActivities>;
