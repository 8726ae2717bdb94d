// @aiops/dependency-graph: Service dependency graph, critical paths and single points of failure from traces.
export { DEPENDENCY_GRAPH_COLUMNS } from './columns.ts';
export {
  type AnomalyThresholds,
  type ColumnarCriticalPaths,
  DEFAULTS,
  type DependencyEdge,
  type DependencyGraph,
  type DependencyGraphAttributes,
  type DependencyGraphOptions,
  type DependencyNode,
  type DependencyNodeKind,
  dependencyGraph,
  type EndpointCriticalPath,
  type EndpointTreeNode,
  type EndpointView,
  type Priority,
  type ServiceAnomaly,
  type SinglePointOfFailure,
} from './dependency-graph.ts';
export { type SubgraphOptions, subgraph } from './subgraph.ts';
export { toDot } from './to-dot.ts';
export { type DependencyGraphJson, toJson } from './to-json.ts';
export { toMermaid } from './to-mermaid.ts';
