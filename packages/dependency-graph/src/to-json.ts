// JSON export of a dependency graph: the documented field names, plain numbers and strings, nothing circular.
import type {
  DependencyEdge,
  DependencyGraph,
  DependencyNode,
  EndpointCriticalPath,
  EndpointView,
  ServiceAnomaly,
  SinglePointOfFailure,
} from './dependency-graph.ts';

/** JSON form of a {@link DependencyGraph}: the result without the graphology view, times as decimal strings. */
export interface DependencyGraphJson {
  /** Window: ns since the epoch as decimal strings, and its length in seconds. */
  readonly window: { readonly fromUnixNano: string; readonly toUnixNano: string; readonly seconds: number };
  /** Spans read. */
  readonly spanCount: number;
  /** Traces read. */
  readonly traceCount: number;
  /** `{name, kind, calls, errorRate, p50Ms, p95Ms, p99Ms, …}`. */
  readonly services: readonly DependencyNode[];
  /** `{from, to, calls, errorRate, p50Ms, p95Ms, p99Ms, …}`. */
  readonly edges: readonly DependencyEdge[];
  /** `{entry, path[], p99Ms, bottleneck, share, …}`. */
  readonly criticalPaths: readonly EndpointCriticalPath[];
  /** `{service, dependents, endpointsAffected, …}`. */
  readonly singlePointsOfFailure: readonly SinglePointOfFailure[];
  /** Entry endpoints with their call trees. */
  readonly endpoints: readonly EndpointView[];
  /** Anomalous services. */
  readonly anomalies: readonly ServiceAnomaly[];
  /** Data and input problems. */
  readonly warnings: readonly string[];
}

// Milliseconds to the microsecond and shares to 1e-6: exact enough, and the JSON stays readable.
const round = (_key: string, v: unknown): unknown =>
  typeof v === 'number' ? (Number.isFinite(v) ? (Number.isInteger(v) ? v : Math.round(v * 1e6) / 1e6) : null) : v;

/**
 * The graph as a JSON-ready object (`JSON.stringify(toJson(g))`).
 *
 * **Details** Field names are the documented output of `aiops analyze-dependencies --format json`: `services[]
 * {name, kind, calls, errorRate, p50Ms, p95Ms, p99Ms}`, `edges[] {from, to, calls, errorRate, p50Ms, p95Ms, p99Ms}`,
 * `criticalPaths[] {entry, path[], p99Ms, bottleneck, share}`, `singlePointsOfFailure[] {service, dependents,
 * endpointsAffected}`, each with extra fields. Numbers are rounded to 6 decimals; non-finite numbers become null.
 *
 * **Complexity** O(size of the result).
 *
 * **Gotchas** The graphology view (`graph.graph`) is left out: use `graph.graph.export()` for graphology's format.
 *
 * @example
 * ```ts
 * process.stdout.write(JSON.stringify(toJson(dependencyGraph(table)), null, 2));
 * ```
 */
export function toJson(graph: DependencyGraph): DependencyGraphJson {
  const plain = {
    window: {
      fromUnixNano: graph.window.fromUnixNano.toString(),
      toUnixNano: graph.window.toUnixNano.toString(),
      seconds: graph.window.seconds,
    },
    spanCount: graph.spanCount,
    traceCount: graph.traceCount,
    services: graph.services,
    edges: graph.edges,
    criticalPaths: graph.criticalPaths,
    singlePointsOfFailure: graph.singlePointsOfFailure,
    endpoints: graph.endpoints,
    anomalies: graph.anomalies,
    warnings: graph.warnings,
  };
  return JSON.parse(JSON.stringify(plain, round)) as DependencyGraphJson;
}
