/**
 * The IVR shapes shared by the menu machine, the session workflow and the gateway (API.md "IVR").
 * They live here, in pure rules, so the machine can return them; `@ruleflow/contract` re-exports them.
 */

/** How a call session ended. */
export interface IvrOutcome {
  type: 'agent' | 'transfer' | 'hangup' | 'max_retries';
  target?: string | null;
}

/** The answer to one turn of a call: where the caller is now and what to say. */
export interface IvrTurn {
  state: 'awaiting_input' | 'ended';
  menuId: string;
  prompt: string | null;
  action: string | null;
  target: string | null;
  outcome: IvrOutcome | null;
}

/** One entry of a session's history. */
export interface IvrHistoryEntry {
  at: string;
  menuId: string;
  input: string | null;
  result: string;
}
