// The graphology view of a dependency graph: node and edge attributes are the result objects themselves.
import { DirectedGraph } from 'graphology';
import type { DependencyEdge, DependencyGraphAttributes, DependencyNode } from '../dependency-graph.ts';

/** A graphology DirectedGraph with one node per service and one edge per caller → callee pair. */
export function graphologyOf(
  services: readonly DependencyNode[],
  edges: readonly DependencyEdge[],
  window: { readonly fromUnixNano: bigint; readonly toUnixNano: bigint },
): DirectedGraph<DependencyNode, DependencyEdge, DependencyGraphAttributes> {
  const g = new DirectedGraph<DependencyNode, DependencyEdge, DependencyGraphAttributes>({ allowSelfLoops: true });
  g.replaceAttributes({ fromUnixNano: window.fromUnixNano, toUnixNano: window.toUnixNano });
  for (const s of services) g.addNode(s.name, s);
  for (const e of edges) g.addDirectedEdgeWithKey(`${e.from}->${e.to}`, e.from, e.to, e);
  return g;
}
