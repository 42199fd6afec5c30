import type { DependencyEdge } from './dependency-graph';
import { findPath } from './dependency-graph';

const edges = (...pairs: Array<[string, string]>): DependencyEdge[] =>
  pairs.map(([parentRuleId, childRuleId]) => ({ parentRuleId, childRuleId }));

describe('findPath', () => {
  it.each([
    ['a direct edge', edges(['a', 'b']), 'a', 'b', ['a', 'b']],
    ['a chain', edges(['a', 'b'], ['b', 'c'], ['c', 'd']), 'a', 'd', ['a', 'b', 'c', 'd']],
    ['the shortest of two paths', edges(['a', 'b'], ['b', 'c'], ['c', 'd'], ['a', 'd']), 'a', 'd', ['a', 'd']],
    ['the start itself', edges(['a', 'b']), 'a', 'a', ['a']],
    [
      'through a diamond',
      edges(['a', 'b'], ['a', 'c'], ['b', 'd'], ['c', 'd'], ['d', 'e']),
      'a',
      'e',
      ['a', 'b', 'd', 'e'],
    ],
    ['nothing against the edge direction', edges(['a', 'b']), 'b', 'a', null],
    ['nothing when unconnected', edges(['a', 'b'], ['c', 'd']), 'a', 'd', null],
    ['nothing from an unknown node', edges(['a', 'b']), 'x', 'b', null],
    ['terminates on cyclic input', edges(['a', 'b'], ['b', 'a'], ['b', 'c']), 'a', 'z', null],
  ])('finds %s', (_name, graph, from, to, expected) => {
    expect(findPath(graph, from, to)).toEqual(expected);
  });
});
