import type { IvrMenuTree, IvrSessionState, IvrStep, IvrTurn } from '@ruleflow/rules';
import { goBack, hangUp, IvrSessionEndedError, pressDigit, startIvrSession, timeOut } from '@ruleflow/rules';
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
} from '@temporalio/workflow';
import { ivrSessionLocalWrite, ivrSessionWrite } from './activity-profiles';
import type { IvrSessionInput, IvrSessionResult, IvrSessionView } from './contract';
import {
  IVR_CONTINUE_AS_NEW_AFTER,
  IVR_DIGIT_PATTERN,
  IVR_INVALID_DIGIT,
  IVR_MAX_DIGITS,
  IVR_PROVIDER_BACKSTOP_MS,
  IVR_SESSION_ENDED,
  ivrBackUpdate,
  ivrCallEndedSignal,
  ivrHangUpUpdate,
  ivrInputUpdate,
  ivrSessionQuery,
  ivrTimeoutUpdate,
} from './contract';

/**
 * Guards one workflow task per key press: the mirror as a local activity and the wait for input as a
 * standing timer (see `InputTimer`), under one patch so a session carries one patch marker. Sessions
 * recorded with a mirror activity and a timer restarted by every change replay down that path.
 */
export const IVR_ONE_TASK_PER_PRESS_PATCH = 'ivr-one-task-per-press';

/**
 * The wait for input without a new timer for every key press: one timer stands until the earliest
 * deadline it must honour. A press that moves the deadline later keeps it (when it fires early the loop
 * arms it again for the rest); only a deadline earlier than the standing timer's (a menu with a shorter
 * timeout) replaces it. So a press costs the workflow task its Update needs, and no timer commands.
 */
class InputTimer {
  private scope: CancellationScope | null = null;
  /** When the standing timer fires (epoch ms, workflow time); infinity when none stands. */
  firesAt = Number.POSITIVE_INFINITY;
  fired = false;

  /** A timer fires by `deadline` (epoch ms, workflow time). */
  arm(deadline: number): void {
    if (this.scope && this.firesAt <= deadline) return;
    this.scope?.cancel();
    const scope = new CancellationScope();
    this.scope = scope;
    this.firesAt = deadline;
    scope
      .run(() => sleep(Math.max(1, deadline - Date.now())))
      .then(
        () => {
          if (this.scope !== scope) return;
          this.scope = null;
          this.firesAt = Number.POSITIVE_INFINITY;
          this.fired = true;
        },
        () => undefined, // replaced by an earlier one: cancelled
      );
  }
}

function endedFailure(): ApplicationFailure {
  return ApplicationFailure.create({
    type: IVR_SESSION_ENDED,
    nonRetryable: true,
    message: 'the IVR session has ended',
  });
}

/** Workflow time (the same on replay) as an ISO timestamp. */
const now = (): string => new Date(Date.now()).toISOString();

/**
 * The session's state in a plain class: the pure menu machine's state plus what the mirror needs.
 * Every change goes through `apply`, which bumps the revision the main loop and the mirror follow.
 */
class IvrSession {
  state: IvrSessionState;
  revision: number;
  inputsThisRun = 0;
  digits: string[];
  lastActivityAt: string;
  readonly startedAt: string;
  endedAt: string | null = null;

  constructor(
    readonly input: IvrSessionInput,
    readonly tree: IvrMenuTree,
  ) {
    this.state = input.state ?? startIvrSession(tree).state;
    this.revision = input.revision ?? 0;
    this.digits = input.digits ?? [];
    this.startedAt = input.startedAt ?? now();
    this.lastActivityAt = input.lastActivityAt ?? this.startedAt;
    if (this.state.ended) this.endedAt = this.lastActivityAt;
  }

  get ended(): boolean {
    return this.state.ended;
  }

  /** Apply one event of the machine; an event on an ended session is an update failure, not a workflow failure. */
  apply(step: (state: IvrSessionState, at: string) => IvrStep, digit: string | null = null): IvrTurn {
    if (this.state.ended) throw endedFailure();
    const at = now();
    let result: IvrStep;
    try {
      result = step(this.state, at);
    } catch (err) {
      if (err instanceof IvrSessionEndedError) throw endedFailure();
      throw err;
    }
    this.state = result.state;
    this.revision++;
    this.inputsThisRun++;
    this.lastActivityAt = at;
    if (digit !== null) this.digits = [...this.digits, digit].slice(-IVR_MAX_DIGITS);
    if (this.state.ended) this.endedAt = at;
    this.describe();
    return result.turn;
  }

  /**
   * Write the state as it is now into `ivr_sessions` (a newer write wins whatever order they land in).
   * Not an async wrapper: every promise a workflow makes costs the SDK a captured stack trace, and this
   * runs for every key press; the activity's own promise is the one awaited.
   */
  mirror(event: 'call.started' | 'call.ended' | null = null): Promise<void> {
    const { state } = this;
    const write = patched(IVR_ONE_TASK_PER_PRESS_PATCH) ? ivrSessionLocalWrite : ivrSessionWrite;
    return write.mirrorIvrSession({
      tenantId: this.input.tenantId,
      sessionId: this.input.sessionId,
      revision: this.revision,
      state: state.ended ? 'ended' : 'awaiting_input',
      menuId: state.menuId,
      menuStack: state.menuStack,
      retryCount: state.retryCount,
      outcome: state.outcome,
      history: state.history,
      lastActivityAt: this.lastActivityAt,
      endedAt: this.endedAt,
      event,
    });
  }

  /** After a change: mirror it, offering `call.ended` with the write that ends the session. */
  changed(): Promise<void> {
    return this.mirror(this.state.ended ? 'call.ended' : null);
  }

  view(): IvrSessionView {
    const { state } = this;
    return {
      sessionId: this.input.sessionId,
      callId: this.input.callId,
      state: state.ended ? 'ended' : 'awaiting_input',
      menuId: state.menuId,
      menuStack: state.menuStack,
      retryCount: state.retryCount,
      startedAt: this.startedAt,
      lastActivityAt: this.lastActivityAt,
      endedAt: this.endedAt,
      outcome: state.outcome,
      history: state.history,
    };
  }

  describe(): void {
    const menu = this.tree.menus[this.state.menuId];
    const name = menu ? menu.name : this.state.menuId;
    setCurrentDetails(
      this.state.ended
        ? `Ended in menu **${name}**: ${this.state.outcome?.type ?? 'unknown'}`
        : `In menu **${name}** (retries ${this.state.retryCount})`,
    );
  }

  /** When the caller's time in this menu runs out (epoch ms, workflow time). */
  deadline(): number {
    return Date.parse(this.lastActivityAt) + this.timeoutMs();
  }

  /** The wait for input: the menu's timeoutMs, or only a backstop when the provider times callers out. */
  timeoutMs(): number {
    const menuMs = this.tree.menus[this.state.menuId]?.timeoutMs ?? 10_000;
    return this.input.providerTimeouts ? Math.max(IVR_PROVIDER_BACKSTOP_MS, menuMs * 3) : menuMs;
  }
}

/**
 * One phone call's menu session (`ivr-<sessionId>`), an entity-like workflow over the pure menu machine
 * of `@ruleflow/rules`: digits, back and hang-up arrive as Updates (validated first, answered after the
 * workflow took them and mirrored them into `ivr_sessions`); the wait for input is a durable timer of
 * the current menu's `timeoutMs`, restarted by every change. The run continues as new every
 * `continueAsNewAfter` changes, after its handlers finish. At the end it signals `notifyWorkflowId`.
 */
export async function IvrSessionWorkflow(input: IvrSessionInput): Promise<IvrSessionResult> {
  const session = new IvrSession(input, input.tree);
  const first = input.state === undefined;

  const validateLive = () => {
    if (session.ended) throw endedFailure();
  };
  setHandler(ivrSessionQuery, () => session.view());
  setHandler(
    ivrInputUpdate,
    async ({ digit }) => {
      const turn = session.apply((state, at) => pressDigit(session.tree, state, digit, at), digit);
      await session.changed();
      return turn;
    },
    {
      validator: (arg) => {
        validateLive();
        const digit = (arg as { digit?: unknown } | undefined)?.digit;
        if (typeof digit !== 'string' || !IVR_DIGIT_PATTERN.test(digit)) {
          throw ApplicationFailure.create({
            type: IVR_INVALID_DIGIT,
            nonRetryable: true,
            message: 'digit must be one of 0-9, * or #',
          });
        }
      },
    },
  );
  setHandler(
    ivrBackUpdate,
    async () => {
      const turn = session.apply((state, at) => goBack(session.tree, state, at));
      await session.changed();
      return turn;
    },
    { validator: validateLive },
  );
  setHandler(
    ivrTimeoutUpdate,
    async () => {
      const turn = session.apply((state, at) => timeOut(session.tree, state, at));
      await session.changed();
      return turn;
    },
    { validator: validateLive },
  );
  setHandler(
    ivrHangUpUpdate,
    async () => {
      const turn = session.apply((state, at) => hangUp(session.tree, state, at));
      await session.changed();
      return turn;
    },
    { validator: validateLive },
  );

  session.describe();
  if (first) {
    // Revision 1: the row the gateway inserted (revision 0) takes the machine's first state.
    session.revision++;
    await session.mirror('call.started');
  }

  const limit = input.continueAsNewAfter ?? IVR_CONTINUE_AS_NEW_AFTER;
  const standing = patched(IVR_ONE_TASK_PER_PRESS_PATCH) ? new InputTimer() : null;
  while (!session.ended) {
    if (session.inputsThisRun >= limit) {
      await condition(allHandlersFinished);
      if (!session.ended) {
        return continueAsNew<typeof IvrSessionWorkflow>({
          ...input,
          state: session.state,
          inputsSoFar: (input.inputsSoFar ?? 0) + session.inputsThisRun,
          revision: session.revision,
          digits: session.digits,
          startedAt: session.startedAt,
          lastActivityAt: session.lastActivityAt,
        });
      }
      break;
    }
    const seen = session.revision;
    if (standing) {
      if (Date.now() >= session.deadline()) {
        session.apply((state, at) => timeOut(session.tree, state, at));
        await session.changed();
        continue;
      }
      standing.arm(session.deadline());
      // A press moves the deadline later, which the standing timer already covers: the loop wakes only
      // when there is something to do (an end, the timer, the continue-as-new limit, an earlier
      // deadline to arm), so a press costs no round of this loop (the same commands as waking each time).
      await condition(
        () =>
          session.ended || standing.fired || session.inputsThisRun >= limit || session.deadline() < standing.firesAt,
      );
      standing.fired = false;
      continue;
    }
    const changed = await condition(() => session.revision !== seen || session.ended, session.timeoutMs());
    if (!changed) {
      session.apply((state, at) => timeOut(session.tree, state, at));
      await session.changed();
    }
  }

  // The last handler's mirror (with `call.ended`) finishes before the run does.
  await condition(allHandlersFinished);
  const result: IvrSessionResult = {
    sessionId: input.sessionId,
    callId: input.callId,
    outcome: session.state.outcome,
    digits: session.digits,
  };
  if (input.notifyWorkflowId) {
    try {
      await getExternalWorkflowHandle(input.notifyWorkflowId).signal(ivrCallEndedSignal, result);
    } catch {
      // The waiting run is gone (ended, timed out, cancelled): nobody to tell; the session still ends well.
    }
  }
  return result;
}
