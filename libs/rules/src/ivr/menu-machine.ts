/**
 * The IVR menu state machine (API.md "IVR (phone menus)"): pure, no I/O and no clock; the time of
 * each event is passed in (`at`, an ISO timestamp). A session runs over an `IvrMenuTree`, a snapshot of
 * every menu reachable from the root taken when the session starts, so editing a menu later never
 * changes a running call.
 *
 * Semantics, precisely:
 * - `submenu` pushes the current menu on `menuStack` and moves to the target; `back` pops it (at the
 *   root `back` re-prompts the current menu and counts nothing: the retry count is left as it was).
 *   The stack keeps the last `IVR_MAX_MENU_STACK` menus (submenu cycles are allowed, so it is bounded).
 * - `repeat` re-prompts the current menu.
 * - `agent`, `transfer` and `hangup` end the session with outcome `{type, target}`.
 * - Retries: `retryCount` counts the consecutive failed attempts (an invalid digit or a timeout)
 *   since the last valid input. A failure answers the menu's `invalidPrompt`/`timeoutPrompt` (or a
 *   default that repeats the menu prompt) while `retryCount <= maxRetries`; the failure that makes
 *   `retryCount > maxRetries` ends the session with `{type: 'max_retries'}`. So `maxRetries: 3`
 *   re-prompts three times and the fourth consecutive failure ends the call; `maxRetries: 0` ends on
 *   the first failure.
 * - A valid digit (one of the menu's items, whatever its action) resets the retry count to 0, except
 *   a `back` at the root, which counts nothing (neither a retry nor a reset). `goBack` is the same as
 *   pressing a `back` item.
 * - `hangUp` ends the session with `{type: 'hangup'}`.
 * - Every event after the start appends `{at, menuId, input, result}` to `history` (menuId = the menu
 *   the caller was in; input = the digit, or null for back/timeout/hang-up); only the last
 *   `IVR_MAX_HISTORY` entries are kept.
 * - Any event on an ended state throws `IvrSessionEndedError`.
 */
import type { IvrHistoryEntry, IvrOutcome, IvrTurn } from './types';

export type IvrItemAction = 'submenu' | 'agent' | 'transfer' | 'hangup' | 'repeat' | 'back';
export const IVR_ITEM_ACTIONS: readonly IvrItemAction[] = ['submenu', 'agent', 'transfer', 'hangup', 'repeat', 'back'];
/** The DTMF keys a caller can press. */
export const IVR_DIGITS: readonly string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '#'];

export interface IvrMenuItem {
  digit: string;
  label: string;
  action: IvrItemAction;
  target?: string | null;
}

export interface IvrMenuSnapshot {
  id: string;
  name: string;
  prompt: string;
  items: IvrMenuItem[];
  timeoutMs: number;
  maxRetries: number;
  invalidPrompt: string | null;
  timeoutPrompt: string | null;
  version: number;
}

/** Every menu reachable from the root, snapshotted when a session starts. */
export interface IvrMenuTree {
  rootMenuId: string;
  menus: Record<string, IvrMenuSnapshot>;
}

export interface IvrSessionState {
  menuId: string;
  menuStack: string[];
  retryCount: number;
  ended: boolean;
  outcome: IvrOutcome | null;
  history: IvrHistoryEntry[];
}

export interface IvrStep {
  state: IvrSessionState;
  turn: IvrTurn;
}

/**
 * Bounds of a menu and of a tree, shared by the gateway's validation and the repository. A session's
 * tree travels in the workflow's history, so its worst case stays well under Temporal's payload limits:
 * 50 menus × (3 prompts of 1000 + 12 items of 100 + 200) ≈ 330 kB.
 */
export const IVR_LIMITS = {
  nameMaxLength: 200,
  promptMaxLength: 1000,
  labelMaxLength: 100,
  targetMaxLength: 200,
  /** One item per key at most. */
  itemsMax: IVR_DIGITS.length,
  timeoutMsMin: 1000,
  timeoutMsMax: 120_000,
  timeoutMsDefault: 10_000,
  maxRetriesMin: 0,
  maxRetriesMax: 10,
  maxRetriesDefault: 3,
  /** Menus a session's tree may hold (the root and every menu reachable from it). */
  treeMenusMax: 50,
  /** Menus one tenant may have. */
  tenantMenusMax: 200,
} as const;

export const IVR_MAX_HISTORY = 50;
export const IVR_MAX_MENU_STACK = 50;
export const IVR_DEFAULT_INVALID_PROMPT = 'Sorry, that is not a valid choice.';
export const IVR_DEFAULT_TIMEOUT_PROMPT = 'Sorry, we did not receive your choice.';

/** An event was sent to a session that has already ended. */
export class IvrSessionEndedError extends Error {
  constructor() {
    super('the IVR session has ended');
    this.name = 'IvrSessionEndedError';
  }
}

/** The tree does not hold a menu the session needs (a snapshot that is not self-contained). */
export class IvrMenuTreeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IvrMenuTreeError';
  }
}

function menuOf(tree: IvrMenuTree, menuId: string): IvrMenuSnapshot {
  const menu = Object.prototype.hasOwnProperty.call(tree.menus, menuId) ? tree.menus[menuId] : undefined;
  if (!menu) throw new IvrMenuTreeError(`menu ${menuId} is not in the session's menu tree`);
  return menu;
}

function hasMenu(tree: IvrMenuTree, menuId: string | null | undefined): menuId is string {
  return typeof menuId === 'string' && Object.prototype.hasOwnProperty.call(tree.menus, menuId);
}

function assertLive(state: IvrSessionState): void {
  if (state.ended) throw new IvrSessionEndedError();
}

function record(state: IvrSessionState, entry: IvrHistoryEntry): IvrHistoryEntry[] {
  const history = [...state.history, entry];
  return history.length > IVR_MAX_HISTORY ? history.slice(history.length - IVR_MAX_HISTORY) : history;
}

function awaiting(menuId: string, prompt: string, action: string | null, target: string | null): IvrTurn {
  return { state: 'awaiting_input', menuId, prompt, action, target, outcome: null };
}

function end(
  state: IvrSessionState,
  outcome: IvrOutcome,
  entry: IvrHistoryEntry,
  action: string | null,
  retryCount = state.retryCount,
): IvrStep {
  const next: IvrSessionState = {
    ...state,
    retryCount,
    ended: true,
    outcome,
    history: record(state, entry),
  };
  return {
    state: next,
    turn: {
      state: 'ended',
      menuId: state.menuId,
      prompt: null,
      action,
      target: outcome.target ?? null,
      outcome,
    },
  };
}

/** A failed attempt (invalid digit or timeout): a retry, or the end past `maxRetries`. */
function fail(
  tree: IvrMenuTree,
  state: IvrSessionState,
  at: string,
  input: string | null,
  kind: 'invalid' | 'timeout',
): IvrStep {
  const menu = menuOf(tree, state.menuId);
  const retryCount = state.retryCount + 1;
  if (retryCount > menu.maxRetries) {
    return end(
      state,
      { type: 'max_retries', target: null },
      { at, menuId: menu.id, input, result: 'max_retries' },
      null,
      retryCount,
    );
  }
  const custom = kind === 'invalid' ? menu.invalidPrompt : menu.timeoutPrompt;
  const fallback = kind === 'invalid' ? IVR_DEFAULT_INVALID_PROMPT : IVR_DEFAULT_TIMEOUT_PROMPT;
  const prompt = custom ?? `${fallback} ${menu.prompt}`;
  return {
    state: { ...state, retryCount, history: record(state, { at, menuId: menu.id, input, result: kind }) },
    turn: awaiting(menu.id, prompt, null, null),
  };
}

function back(tree: IvrMenuTree, state: IvrSessionState, at: string, input: string | null): IvrStep {
  const current = menuOf(tree, state.menuId);
  const stack = [...state.menuStack];
  let previous: string | undefined;
  while (stack.length > 0) {
    const candidate = stack.pop();
    if (hasMenu(tree, candidate)) {
      previous = candidate;
      break;
    }
  }
  if (previous === undefined) {
    // At the root: re-prompt, count nothing.
    return {
      state: { ...state, menuStack: [], history: record(state, { at, menuId: current.id, input, result: 'back' }) },
      turn: awaiting(current.id, current.prompt, 'back', null),
    };
  }
  const target = menuOf(tree, previous);
  return {
    state: {
      ...state,
      menuId: target.id,
      menuStack: stack,
      retryCount: 0,
      history: record(state, { at, menuId: current.id, input, result: 'back' }),
    },
    turn: awaiting(target.id, target.prompt, 'back', target.id),
  };
}

/** A new session at the root menu. */
export function startIvrSession(tree: IvrMenuTree): IvrStep {
  const root = menuOf(tree, tree.rootMenuId);
  return {
    state: { menuId: root.id, menuStack: [], retryCount: 0, ended: false, outcome: null, history: [] },
    turn: awaiting(root.id, root.prompt, null, null),
  };
}

/** The caller pressed `digit`. */
export function pressDigit(tree: IvrMenuTree, state: IvrSessionState, digit: string, at: string): IvrStep {
  assertLive(state);
  const menu = menuOf(tree, state.menuId);
  const item = menu.items.find((candidate) => candidate.digit === digit);
  if (!item) return fail(tree, state, at, digit, 'invalid');
  const target = item.target ?? null;
  switch (item.action) {
    case 'submenu': {
      // A target missing from the snapshot cannot be entered: the press counts as invalid.
      if (!hasMenu(tree, target)) return fail(tree, state, at, digit, 'invalid');
      const next = menuOf(tree, target);
      const menuStack = [...state.menuStack, menu.id];
      return {
        state: {
          ...state,
          menuId: next.id,
          menuStack:
            menuStack.length > IVR_MAX_MENU_STACK ? menuStack.slice(menuStack.length - IVR_MAX_MENU_STACK) : menuStack,
          retryCount: 0,
          history: record(state, { at, menuId: menu.id, input: digit, result: 'submenu' }),
        },
        turn: awaiting(next.id, next.prompt, 'submenu', next.id),
      };
    }
    case 'back':
      return back(tree, state, at, digit);
    case 'repeat':
      return {
        state: {
          ...state,
          retryCount: 0,
          history: record(state, { at, menuId: menu.id, input: digit, result: 'repeat' }),
        },
        turn: awaiting(menu.id, menu.prompt, 'repeat', null),
      };
    case 'agent':
    case 'transfer':
    case 'hangup':
      return end(
        state,
        { type: item.action, target },
        { at, menuId: menu.id, input: digit, result: item.action },
        item.action,
        0,
      );
    default:
      return fail(tree, state, at, digit, 'invalid');
  }
}

/** Back to the previous menu (`POST /v1/ivr/sessions/:id/back`). */
export function goBack(tree: IvrMenuTree, state: IvrSessionState, at: string): IvrStep {
  assertLive(state);
  return back(tree, state, at, null);
}

/** No input within the menu's `timeoutMs`. */
export function timeOut(tree: IvrMenuTree, state: IvrSessionState, at: string): IvrStep {
  assertLive(state);
  return fail(tree, state, at, null, 'timeout');
}

/** The caller hung up (or the provider reported the call over). */
export function hangUp(tree: IvrMenuTree, state: IvrSessionState, at: string): IvrStep {
  assertLive(state);
  return end(
    state,
    { type: 'hangup', target: null },
    { at, menuId: state.menuId, input: null, result: 'hangup' },
    null,
  );
}
