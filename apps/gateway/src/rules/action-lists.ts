/**
 * A rule holds actions in two lists: `actions`, and `onFailure` (run after a failed or partial run).
 * Both are validated, sealed, opened, masked and versioned by the same code; these helpers apply one
 * function to each list, named by its path (error messages say `actions[0]…` or `onFailure[0]…`).
 */
export const ACTION_LISTS = ['actions', 'onFailure'] as const;
export type ActionListName = (typeof ACTION_LISTS)[number];
export type ActionLists<T> = Record<ActionListName, T>;

/** Each list mapped by `fn`. */
export function mapActionLists<A, B>(lists: ActionLists<A>, fn: (list: A, path: ActionListName) => B): ActionLists<B> {
  return { actions: fn(lists.actions, 'actions'), onFailure: fn(lists.onFailure, 'onFailure') };
}
