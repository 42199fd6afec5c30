/** One edge of the rule DAG: `childRuleId` runs after a successful run of `parentRuleId`. */
export interface DependencyEdge {
  parentRuleId: string;
  childRuleId: string;
}

/**
 * The shortest path from `from` to `to` along the edges (both ends included), or null when `to`
 * cannot be reached. Breadth first with a visited set, so it terminates on any input, cyclic or not.
 */
export function findPath(edges: readonly DependencyEdge[], from: string, to: string): string[] | null {
  const next = new Map<string, string[]>();
  for (const { parentRuleId, childRuleId } of edges) {
    const list = next.get(parentRuleId);
    if (list) list.push(childRuleId);
    else next.set(parentRuleId, [childRuleId]);
  }
  const cameFrom = new Map<string, string | null>([[from, null]]);
  const queue = [from];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    if (node === to) {
      const path: string[] = [];
      for (let at: string | null = node; at !== null; at = cameFrom.get(at) ?? null) path.push(at);
      return path.reverse();
    }
    for (const child of next.get(node) ?? []) {
      if (cameFrom.has(child)) continue;
      cameFrom.set(child, node);
      queue.push(child);
    }
  }
  return null;
}
