// The part of a dependency graph downstream (what a service calls, transitively) or upstream (what calls it).
import type { DependencyGraph } from './dependency-graph.ts';
import { graphologyOf } from './internal/graphology.ts';

/** Options of {@link subgraph}. */
export interface SubgraphOptions {
  /** The service (or backing store) to start from. */
  readonly service: string;
  /** `downstream`: nodes it reaches; `upstream`: nodes that reach it. */
  readonly direction: 'downstream' | 'upstream';
}

/**
 * The graph restricted to `service` and the nodes downstream or upstream of it.
 *
 * **Details** Keeps the edges between kept nodes (each lies on a path from or to `service`), the endpoints whose
 * traces reach `service`, their critical paths, and the single points of failure and anomalies among kept nodes.
 * Node statistics are those of the whole graph.
 *
 * **Complexity** O(V + E) plus the size of the result.
 *
 * **Gotchas** An unknown `service` gives an empty graph with a warning (it usually comes from user input).
 *
 * @example
 * ```ts
 * const g = subgraph(dependencyGraph(table), { service: 'checkout', direction: 'downstream' });
 * g.services.map((s) => s.name); // ['checkout', 'payment', 'postgresql', ...]
 * ```
 */
export function subgraph(graph: DependencyGraph, options: SubgraphOptions): DependencyGraph {
  const { service, direction } = options;
  if (direction !== 'downstream' && direction !== 'upstream') {
    throw new TypeError(`dependency-graph: subgraph direction must be 'downstream' or 'upstream', got ${direction}`);
  }
  const g = graph.graph;
  const keep = new Set<string>();
  if (g.hasNode(service)) {
    keep.add(service);
    const queue = [service];
    for (let k = 0; k < queue.length; k++) {
      const visit = (n: string): void => {
        if (!keep.has(n)) {
          keep.add(n);
          queue.push(n);
        }
      };
      if (direction === 'downstream') g.forEachOutNeighbor(queue[k]!, visit);
      else g.forEachInNeighbor(queue[k]!, visit);
    }
  }
  const services = graph.services.filter((s) => keep.has(s.name));
  const edges = graph.edges.filter((e) => keep.has(e.from) && keep.has(e.to));
  const endpoints = graph.endpoints.filter((e) => e.reaches.some((r) => r.service === service));
  const entries = new Set(endpoints.map((e) => e.entry));
  const warnings = [...graph.warnings];
  if (!g.hasNode(service)) warnings.push(`service "${service}" is not in the graph`);
  return {
    ...graph,
    services,
    edges,
    endpoints,
    criticalPaths: graph.criticalPaths.filter((c) => entries.has(c.entry)),
    singlePointsOfFailure: graph.singlePointsOfFailure.filter((s) => keep.has(s.service)),
    anomalies: graph.anomalies.filter((a) => keep.has(a.service)),
    warnings,
    graph: graphologyOf(services, edges, graph.window),
  };
}
