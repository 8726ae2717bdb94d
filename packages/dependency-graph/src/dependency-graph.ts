// The service dependency graph of a span table: services and inferred backing stores as nodes, calls as edges, with
// call rates, error rates and exact latency percentiles; endpoint call trees, critical paths per entry endpoint,
// single points of failure and services anomalous against a baseline.
//
// Algorithm: one pass over the spans in trace pre-order (`buildTraceTree`). A span whose parent belongs to another
// service is one call from the parent's service; when the parent is a client span the call is timed by it, else by
// the callee's span. A client span with no child in another service is a call to the peer its attributes name
// (`peer.service`, `server.address`, `db.system`, `messaging.system`). Producer → queue and queue → consumer are two
// edges. Each call also extends the call tree of its trace's entry endpoint (one tree node per distinct path).
// Percentiles are exact: the durations of each edge are sorted (counting sort by edge, then a numeric sort).
//
//   frontend GET /checkout |==================================|        server (root: endpoint)
//   frontend  POST charge      |=====================|                 client ─┐ one call frontend → payment,
//   payment   POST /charge       |=================|                   server ─┘ timed by the client span
//   payment   INSERT               |=======|                           client, db.system=postgresql, no server
//                                                                      span → call payment → postgresql
//
// Reference: Jaeger's dependency job (spark-dependencies: parent/child service pairs, client/server sharing);
// OpenTelemetry servicegraph connector (client/server pairing, virtual nodes for uninstrumented peers).
import type { CriticalPathSegment, SpanTable, TraceIndex, TraceTree } from '@aiops/span-model';
import { buildTraceTree, isSpanTable } from '@aiops/span-model';
import type { DirectedGraph } from 'graphology';
import { type Aggregate, aggregate, KEY } from './internal/aggregate.ts';
import { selectCriticalTraces, summarizeCriticalPaths } from './internal/critical.ts';
import { graphologyOf } from './internal/graphology.ts';
import { mitigationFor } from './internal/mitigation.ts';
import { articulationPoints, transitiveDependents } from './internal/spof.ts';

/** What a node of the dependency graph is. */
export type DependencyNodeKind = 'service' | 'database' | 'cache' | 'queue' | 'external';

/** A service, backing store or external system, with the calls it received. */
export interface DependencyNode {
  /** Service name, or the inferred peer's name (`peer.service`, topic, `server.address`, db name or system). */
  readonly name: string;
  /** What it is. */
  readonly kind: DependencyNodeKind;
  /** Requests it received: spans entering the service (root spans and spans whose parent is in another service);
   * for inferred nodes, the calls made to it. */
  readonly calls: number;
  /** Of those, failed (status error, HTTP ≥ 500 or `error=true`). */
  readonly errors: number;
  /** errors / calls. */
  readonly errorRate: number;
  /** calls per second over the window. */
  readonly ratePerSec: number;
  /** Mean duration of the received requests, ms. */
  readonly meanMs: number;
  /** Median, ms (nearest rank, exact). */
  readonly p50Ms: number;
  /** 95th percentile, ms. */
  readonly p95Ms: number;
  /** 99th percentile, ms. */
  readonly p99Ms: number;
  /** Nodes that call it, sorted. */
  readonly callers: readonly string[];
  /** Nodes it calls, sorted. */
  readonly callees: readonly string[];
  /** Traces (with a root span) whose calls reach it. */
  readonly traces: number;
}

/** Calls from one node to another. */
export interface DependencyEdge {
  /** Caller. */
  readonly from: string;
  /** Callee. */
  readonly to: string;
  /** Kind of the callee. */
  readonly toKind: DependencyNodeKind;
  /** Number of calls. */
  readonly calls: number;
  /** Failed calls (the client or the server span failed). */
  readonly errors: number;
  /** errors / calls. */
  readonly errorRate: number;
  /** calls per second over the window. */
  readonly ratePerSec: number;
  /** This edge's share of all calls the caller makes. */
  readonly share: number;
  /** Mean call duration, ms. */
  readonly meanMs: number;
  /** Median call duration, ms (nearest rank, exact). */
  readonly p50Ms: number;
  /** 95th percentile, ms. */
  readonly p95Ms: number;
  /** 99th percentile, ms. */
  readonly p99Ms: number;
  /** Where the durations come from: caller's client spans, callee's server spans, or both. */
  readonly latencyFrom: 'client' | 'server' | 'mixed';
}

/** A node of an endpoint's call tree: one distinct path of services from the entry. */
export interface EndpointTreeNode {
  /** Node name. */
  readonly service: string;
  /** Node kind. */
  readonly kind: DependencyNodeKind;
  /** Calls along this path. */
  readonly calls: number;
  /** Traces of the endpoint that made at least one such call. */
  readonly traces: number;
  /** traces / the endpoint's traces. */
  readonly traceShare: number;
  /** Calls made from here, most traces first. */
  readonly children: readonly EndpointTreeNode[];
}

/** What one entry endpoint (root operation) reaches. */
export interface EndpointView {
  /** `service operation`, e.g. `frontend GET /checkout`. */
  readonly entry: string;
  /** Entry service. */
  readonly service: string;
  /** Root span name. */
  readonly operation: string;
  /** Traces whose (first) root span is this endpoint. */
  readonly traces: number;
  /** Failed traces / traces (root span failed). */
  readonly errorRate: number;
  /** Median root span duration, ms. */
  readonly p50Ms: number;
  /** 95th percentile, ms. */
  readonly p95Ms: number;
  /** 99th percentile, ms. */
  readonly p99Ms: number;
  /** Every node its traces reach, with the share of its traces reaching it; most reached first. */
  readonly reaches: readonly {
    readonly service: string;
    readonly kind: DependencyNodeKind;
    readonly traces: number;
    readonly traceShare: number;
  }[];
  /** The call tree (the root is the entry service). */
  readonly tree: EndpointTreeNode;
}

/** Priority of a critical path finding. */
export type Priority = 'high' | 'medium' | 'low';

/** The path of services that holds most of an endpoint's tail latency. */
export interface EndpointCriticalPath {
  /** `service operation` of the entry. */
  readonly entry: string;
  /** Nodes from the entry service to the bottleneck, along the call tree. */
  readonly path: readonly string[];
  /** P99 of the endpoint's trace durations, ms. */
  readonly p99Ms: number;
  /**
   * The node that makes the endpoint's P99 slow: the one whose critical-path time in the traces at or above the P99
   * exceeds its critical-path time in a typical trace of the endpoint the most.
   */
  readonly bottleneck: string;
  /** Kind of the bottleneck. */
  readonly bottleneckKind: DependencyNodeKind;
  /** Bottleneck's share (0..1) of the critical-path time of the traces at or above the P99. */
  readonly share: number;
  /** How much longer the bottleneck holds the critical path in a tail trace than in a typical one, ms. */
  readonly excessMs: number;
  /** high: share ≥ 0.5; medium: ≥ 0.25; low otherwise (see `DEFAULTS.priority`). */
  readonly priority: Priority;
  /** Traces at or above the P99 whose critical path was used. */
  readonly tailTraces: number;
  /** Every node's share of that critical-path time, largest first. */
  readonly contributions: readonly { readonly service: string; readonly share: number }[];
}

/** A node whose failure breaks many entry endpoints. */
export interface SinglePointOfFailure {
  /** Node name. */
  readonly service: string;
  /** Node kind. */
  readonly kind: DependencyNodeKind;
  /** Nodes that depend on it directly or transitively. */
  readonly dependents: number;
  /** Nodes that call it directly. */
  readonly directDependents: number;
  /** Names of the transitive dependents, sorted. */
  readonly dependentServices: readonly string[];
  /** Entry endpoints with at least one trace that called it. */
  readonly endpointsAffected: number;
  /** Their names. */
  readonly endpoints: readonly string[];
  /** Share of all rooted traces that called it. */
  readonly traceShare: number;
  /** Calls it received. */
  readonly calls: number;
  /** Whether removing it disconnects the (undirected) graph. */
  readonly articulationPoint: boolean;
  /** What to do about it. */
  readonly mitigation: string;
}

/** A node whose latency or error rate is well above its own baseline. */
export interface ServiceAnomaly {
  /** Node name. */
  readonly service: string;
  /** Node kind. */
  readonly kind: DependencyNodeKind;
  /** What is anomalous. */
  readonly reasons: readonly ('latency' | 'errors')[];
  /** Calls now. */
  readonly calls: number;
  /** Calls in the baseline. */
  readonly baselineCalls: number;
  /** P95 now, ms. */
  readonly p95Ms: number;
  /** P95 in the baseline, ms. */
  readonly baselineP95Ms: number;
  /** p95Ms / baselineP95Ms. */
  readonly latencyRatio: number;
  /** Error rate now. */
  readonly errorRate: number;
  /** Error rate in the baseline. */
  readonly baselineErrorRate: number;
}

/** Graph-level attributes of the graphology view. */
export interface DependencyGraphAttributes {
  /** Window start, ns since the epoch. */
  readonly fromUnixNano: bigint;
  /** Window end. */
  readonly toUnixNano: bigint;
}

/** The dependency graph and everything derived from it. */
export interface DependencyGraph {
  /** Every node, sorted by name. */
  readonly services: readonly DependencyNode[];
  /** Every edge, sorted by caller then callee. */
  readonly edges: readonly DependencyEdge[];
  /** Entry endpoints, most traces first. */
  readonly endpoints: readonly EndpointView[];
  /** Critical path per entry endpoint (empty unless `options.criticalPaths` is given), highest P99 first. */
  readonly criticalPaths: readonly EndpointCriticalPath[];
  /** Single points of failure, most endpoints affected first. */
  readonly singlePointsOfFailure: readonly SinglePointOfFailure[];
  /** Nodes anomalous against `options.baseline` (empty without one). */
  readonly anomalies: readonly ServiceAnomaly[];
  /** The window rates are computed over. */
  readonly window: { readonly fromUnixNano: bigint; readonly toUnixNano: bigint; readonly seconds: number };
  /** Spans read. */
  readonly spanCount: number;
  /** Traces read. */
  readonly traceCount: number;
  /** Problems with the data or the inputs, as sentences. */
  readonly warnings: readonly string[];
  /** The same graph as a graphology DirectedGraph (node and edge attributes are the objects above). */
  readonly graph: DirectedGraph<DependencyNode, DependencyEdge, DependencyGraphAttributes>;
}

/** Thresholds of anomaly detection against a baseline. */
export interface AnomalyThresholds {
  /** P95 at least this many times the baseline P95. */
  readonly latencyRatio?: number;
  /** ... and at least this many ms above it. */
  readonly minLatencyDeltaMs?: number;
  /** Error rate at least this much above the baseline rate (absolute) and twice it. */
  readonly errorRateDelta?: number;
  /** Both windows need at least this many calls. */
  readonly minCalls?: number;
}

/**
 * Critical paths of every trace in columns: trace `t` owns segments `segmentOffsets[t] .. segmentOffsets[t+1]`.
 * The result of `criticalPaths(tree)` in @aiops/critical-path has this shape and can be passed as is.
 */
export interface ColumnarCriticalPaths {
  /** Start of each trace's segments; traceCount + 1 entries. */
  readonly segmentOffsets: Int32Array;
  /** Span row of each segment. */
  readonly segmentRow: Int32Array;
  /** Segment start, ns relative to the table's `times.baseUnixNano`. */
  readonly segmentStartNano: Float64Array;
  /** Segment end, ns relative to the table's `times.baseUnixNano`. */
  readonly segmentEndNano: Float64Array;
}

/** Options of {@link dependencyGraph}. */
export interface DependencyGraphOptions {
  /** A prebuilt trace tree of the same table. */
  readonly tree?: TraceTree;
  /** A prebuilt trace index of the same table (used when `tree` is absent). */
  readonly traceIndex?: TraceIndex;
  /**
   * Critical path of each trace, indexed by trace ordinal of `buildTraceIndex(table)`: segment arrays, or the same
   * in columns (pass `criticalPaths(tree)` of @aiops/critical-path as is: no per-segment objects).
   */
  readonly criticalPaths?: readonly (readonly CriticalPathSegment[])[] | ColumnarCriticalPaths;
  /**
   * Critical paths on demand, instead of `criticalPaths`: called once with the ascending trace ordinals whose paths
   * the summary reads (each endpoint's tail and its typical sample, see `criticalPathSample`); returns paths indexed
   * by trace ordinal (`segmentOffsets` has traceCount + 1 entries; traces not asked for may have none). Lets the
   * caller compute a few thousand paths instead of one per trace. Ignored when `criticalPaths` is given.
   */
  readonly criticalPathsOf?: (traces: Int32Array) => ColumnarCriticalPaths;
  /**
   * Traces per endpoint, evenly spaced in trace order, whose critical paths give its typical time per node (all of
   * them when it has fewer). Default 1,000.
   */
  readonly criticalPathSample?: number;
  /** A baseline window (spans or its graph) for anomaly detection. */
  readonly baseline?: SpanTable | DependencyGraph;
  /** Window length for rates, ns. Default: from the earliest span start to the latest span end. */
  readonly windowNano?: number;
  /** Traces at or above this quantile of their endpoint's durations feed the critical path. Default 0.99. */
  readonly tailQuantile?: number;
  /** A node is a single point of failure when it affects at least this many endpoints (or is an articulation
   * point). Default 2. */
  readonly minEndpointsAffected?: number;
  /** Anomaly thresholds. */
  readonly anomaly?: AnomalyThresholds;
}

/** Defaults of {@link DependencyGraphOptions}. */
export const DEFAULTS: {
  readonly tailQuantile: number;
  readonly criticalPathSample: number;
  readonly minEndpointsAffected: number;
  readonly anomaly: Required<AnomalyThresholds>;
  readonly priority: { readonly high: number; readonly medium: number };
} = {
  tailQuantile: 0.99,
  criticalPathSample: 1000,
  minEndpointsAffected: 2,
  anomaly: { latencyRatio: 1.5, minLatencyDeltaMs: 2, errorRateDelta: 0.05, minCalls: 20 },
  priority: { high: 0.5, medium: 0.25 },
};

const num = (x: number): number => (Number.isFinite(x) ? x : 0);
const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Builds the service dependency graph of `table`.
 *
 * **Details**
 * - Nodes: every service, plus databases, caches (redis, memcached, …), queues and external systems named by client
 *   spans that have no server span of another service below them (uninstrumented peers).
 * - Edges: a span whose parent is in another service is one call. With span kinds, a client span and its server
 *   child are one call timed by the client span; without kinds (Jaeger/Zipkin data, public datasets) every
 *   parent → child service change is a call timed by the child.
 * - Producer → queue is timed by the producer span; queue → consumer by the consumer span.
 * - Endpoints are root spans' (service, operation); each trace counts for its earliest root span.
 * - Critical paths need `options.criticalPaths` or `options.criticalPathsOf` (the cli computes them with the
 *   critical-path package); without them `criticalPaths` is empty and `warnings` says so. Per endpoint, the summary
 *   reads the paths of every trace at or above its P99 and of `criticalPathSample` traces evenly spaced in trace
 *   order (its typical time per node): with `criticalPathsOf` only those paths are computed.
 *
 * **Complexity** O(n) for the pass plus O(c) to select exact percentiles of the c call durations; O(V·(V+E)) for
 * dependents.
 *
 * **Gotchas** Orphan subtrees (missing parent span) still give edges but belong to no endpoint; they are counted in
 * `warnings`. Rates use the span window unless `options.windowNano` is given (pass the query window when the table
 * is a time-range query, so that quiet edges are not over-rated).
 *
 * @example
 * ```ts
 * const g = dependencyGraph(table, { criticalPaths });
 * g.edges.find((e) => e.from === 'checkout' && e.to === 'postgresql')?.p99Ms;
 * g.singlePointsOfFailure[0]?.mitigation;
 * ```
 */
export function dependencyGraph(table: SpanTable, options: DependencyGraphOptions = {}): DependencyGraph {
  if (!isSpanTable(table)) throw new TypeError('dependency-graph: dependencyGraph expects a SpanTable');
  const tailQuantile = options.tailQuantile ?? DEFAULTS.tailQuantile;
  if (!(tailQuantile > 0 && tailQuantile <= 1)) {
    throw new RangeError(`dependency-graph: tailQuantile must be in (0, 1], got ${tailQuantile}`);
  }
  const sampleSize = options.criticalPathSample ?? DEFAULTS.criticalPathSample;
  if (!(Number.isInteger(sampleSize) && sampleSize >= 1)) {
    throw new RangeError(`dependency-graph: criticalPathSample must be a whole number ≥ 1, got ${sampleSize}`);
  }
  const tree = options.tree ?? buildTraceTree(table, options.traceIndex ? { traceIndex: options.traceIndex } : {});
  const agg = aggregate(table, tree, options.windowNano);
  const warnings: string[] = [];
  const nodeCount = agg.nodes.names.length;
  const names = agg.nodes.names;
  const kinds = agg.nodes.kinds;
  const seconds = agg.windowNano / 1e9;
  const rate = (c: number): number => (seconds > 0 ? c / seconds : 0);

  // Nodes and edges.
  const outCalls = new Float64Array(nodeCount);
  for (let e = 0; e < agg.edgeFrom.length; e++) outCalls[agg.edgeFrom[e]!]! += agg.edgeStats[e]!.count;
  const callers: Set<string>[] = Array.from({ length: nodeCount }, () => new Set());
  const callees: Set<string>[] = Array.from({ length: nodeCount }, () => new Set());
  const edges: DependencyEdge[] = [];
  for (let e = 0; e < agg.edgeFrom.length; e++) {
    const f = agg.edgeFrom[e]!;
    const t = agg.edgeTo[e]!;
    const s = agg.edgeStats[e]!;
    callers[t]!.add(names[f]!);
    callees[f]!.add(names[t]!);
    const src = agg.edgeSource[e]!;
    edges.push({
      from: names[f]!,
      to: names[t]!,
      toKind: kinds[t]!,
      calls: s.count,
      errors: s.errors,
      errorRate: s.count ? s.errors / s.count : 0,
      ratePerSec: rate(s.count),
      share: outCalls[f]! > 0 ? s.count / outCalls[f]! : 0,
      meanMs: num(s.meanMs),
      p50Ms: num(s.p50Ms),
      p95Ms: num(s.p95Ms),
      p99Ms: num(s.p99Ms),
      latencyFrom: src === 1 ? 'client' : src === 2 ? 'server' : 'mixed',
    });
  }
  edges.sort((a, b) => byName(a.from, b.from) || byName(a.to, b.to));
  const nodeObjs: DependencyNode[] = [];
  for (let v = 0; v < nodeCount; v++) {
    const s = agg.nodeStats[v]!;
    nodeObjs.push({
      name: names[v]!,
      kind: kinds[v]!,
      calls: s.count,
      errors: s.errors,
      errorRate: s.count ? s.errors / s.count : 0,
      ratePerSec: rate(s.count),
      meanMs: num(s.meanMs),
      p50Ms: num(s.p50Ms),
      p95Ms: num(s.p95Ms),
      p99Ms: num(s.p99Ms),
      callers: [...callers[v]!].sort(byName),
      callees: [...callees[v]!].sort(byName),
      traces: agg.nodeTraces[v]!,
    });
  }
  const services = [...nodeObjs].sort((a, b) => byName(a.name, b.name));

  const endpoints = endpointViews(agg);
  const entryName = (e: number): string => `${names[agg.endpointService[e]!]} ${agg.endpointOperation[e]}`;

  // Critical paths.
  const criticalPaths: EndpointCriticalPath[] = [];
  if (!options.criticalPaths && !options.criticalPathsOf) {
    warnings.push('critical paths not given (options.criticalPaths): criticalPaths is empty');
  } else {
    const svcCodes = table.dict('service').codes;
    const selection = selectCriticalTraces(agg, tailQuantile, sampleSize);
    const paths = options.criticalPaths ?? options.criticalPathsOf!(selection.needed);
    const cp = summarizeCriticalPaths(agg, (row) => agg.nodes.serviceNode[svcCodes[row]!]!, paths, selection);
    if (cp.missingTraces > 0) warnings.push(`${cp.missingTraces} tail traces have no critical path; skipped`);
    if (cp.badSegments > 0) warnings.push(`${cp.badSegments} critical-path segments name no span of the table`);
    for (const c of cp.paths) {
      criticalPaths.push({
        entry: entryName(c.endpoint),
        path: c.pathNodes.map((v) => names[v]!),
        p99Ms: c.p99Nano / 1e6,
        bottleneck: names[c.bottleneck]!,
        bottleneckKind: kinds[c.bottleneck]!,
        share: c.share,
        excessMs: c.excessNano / 1e6,
        priority: c.share >= DEFAULTS.priority.high ? 'high' : c.share >= DEFAULTS.priority.medium ? 'medium' : 'low',
        tailTraces: c.tailTraces,
        contributions: c.contributions.map((x) => ({ service: names[x.node]!, share: x.share })),
      });
    }
    criticalPaths.sort((a, b) => b.p99Ms - a.p99Ms || byName(a.entry, b.entry));
  }

  // Single points of failure.
  const minEndpoints = options.minEndpointsAffected ?? DEFAULTS.minEndpointsAffected;
  const cut = articulationPoints(nodeCount, agg.edgeFrom, agg.edgeTo);
  const dependents = transitiveDependents(nodeCount, agg.edgeFrom, agg.edgeTo);
  const endpointsOf: number[][] = Array.from({ length: nodeCount }, () => []);
  for (const key of agg.endpointNodeIds.keys()) endpointsOf[key % KEY]!.push(Math.floor(key / KEY));
  let rootedTraces = 0;
  for (const c of agg.endpointTraces) rootedTraces += c;
  const singlePointsOfFailure: SinglePointOfFailure[] = [];
  for (let v = 0; v < nodeCount; v++) {
    const eps = endpointsOf[v]!;
    if (eps.length < minEndpoints && !cut[v]) continue;
    if (eps.length === 0) continue;
    const direct = callers[v]!.size;
    const spof: Omit<SinglePointOfFailure, 'mitigation'> = {
      service: names[v]!,
      kind: kinds[v]!,
      dependents: dependents[v]!.length,
      directDependents: direct,
      dependentServices: dependents[v]!.map((d) => names[d]!).sort(byName),
      endpointsAffected: eps.length,
      endpoints: eps.map(entryName).sort(byName),
      traceShare: rootedTraces > 0 ? agg.nodeTraces[v]! / rootedTraces : 0,
      calls: agg.nodeStats[v]!.count,
      articulationPoint: cut[v] === 1,
    };
    singlePointsOfFailure.push({ ...spof, mitigation: mitigationFor(spof, [...callers[v]!].sort(byName)) });
  }
  singlePointsOfFailure.sort(
    (a, b) =>
      b.endpointsAffected - a.endpointsAffected ||
      b.traceShare - a.traceShare ||
      b.dependents - a.dependents ||
      b.calls - a.calls ||
      byName(a.service, b.service),
  );

  // Anomalies against the baseline.
  let anomalies: ServiceAnomaly[] = [];
  if (options.baseline) {
    const base = isSpanTable(options.baseline)
      ? dependencyGraph(options.baseline, {}).services
      : options.baseline.services;
    anomalies = anomaliesAgainst(services, base, { ...DEFAULTS.anomaly, ...options.anomaly });
  }

  if (agg.orphanHeads > 0) {
    warnings.push(
      `${agg.orphanHeads} spans have a parent missing from their trace: their calls count as edges but belong to no endpoint`,
    );
  }
  if (agg.rootlessTraces > 0) warnings.push(`${agg.rootlessTraces} traces have no root span (no endpoint)`);
  if (agg.multiRootTraces > 0) {
    warnings.push(`${agg.multiRootTraces} traces have several root spans; each counts for its earliest root`);
  }
  if (agg.unresolvedCalls > 0) {
    warnings.push(
      `${agg.unresolvedCalls} client spans have no server span and no peer attribute (peer.service, server.address, db.system, messaging.system): callee unknown`,
    );
  }
  if (tree.issues.clockSkew.length > 0) {
    warnings.push(`${tree.issues.clockSkew.length} spans lie outside their parent (clock skew or async work)`);
  }
  if (table.numSpans > 0 && agg.spansWithKind === 0) {
    warnings.push('no span has a span kind: every parent → child service change counts as one call timed by the child');
  }
  if (table.numSpans > 0 && !(seconds > 0)) warnings.push('the window is empty: rates are 0');

  const base = table.times.baseUnixNano;
  const window = { fromUnixNano: base, toUnixNano: base + BigInt(Math.round(agg.windowNano)), seconds };
  return {
    services,
    edges,
    endpoints,
    criticalPaths,
    singlePointsOfFailure,
    anomalies,
    window,
    spanCount: table.numSpans,
    traceCount: tree.traces.traceCount,
    warnings,
    graph: graphologyOf(services, edges, window),
  };
}

function endpointViews(agg: Aggregate): EndpointView[] {
  const names = agg.nodes.names;
  const kinds = agg.nodes.kinds;
  const children: number[][] = agg.treeParent.map(() => []);
  for (let tn = 0; tn < agg.treeParent.length; tn++) {
    const p = agg.treeParent[tn]!;
    if (p >= 0) children[p]!.push(tn);
  }
  const endpoints = agg.endpointService.length;
  const durs: number[][] = Array.from({ length: endpoints }, () => []);
  const fails = new Int32Array(endpoints);
  for (let t = 0; t < agg.traceEndpoint.length; t++) {
    const e = agg.traceEndpoint[t]!;
    if (e < 0) continue;
    durs[e]!.push(agg.traceDurNano[t]!);
    fails[e]! += agg.traceErr[t]!;
  }
  const reaches: { service: string; kind: DependencyNodeKind; traces: number; traceShare: number }[][] = Array.from(
    { length: endpoints },
    () => [],
  );
  for (const [key, idx] of agg.endpointNodeIds) {
    const e = Math.floor(key / KEY);
    const v = key % KEY;
    const traces = agg.endpointNodeTraces[idx]!;
    const total = agg.endpointTraces[e]!;
    reaches[e]!.push({ service: names[v]!, kind: kinds[v]!, traces, traceShare: total ? traces / total : 0 });
  }
  const out: EndpointView[] = [];
  for (let e = 0; e < endpoints; e++) {
    const total = agg.endpointTraces[e]!;
    const build = (tn: number): EndpointTreeNode => ({
      service: names[agg.treeNode[tn]!]!,
      kind: kinds[agg.treeNode[tn]!]!,
      calls: agg.treeCalls[tn]!,
      traces: agg.treeTraces[tn]!,
      traceShare: total ? agg.treeTraces[tn]! / total : 0,
      children: children[tn]!.map(build).sort((a, b) => b.traces - a.traces || byName(a.service, b.service)),
    });
    const sorted = Float64Array.from(durs[e]!).sort();
    const q = (p: number): number =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! / 1e6 : 0;
    out.push({
      entry: `${names[agg.endpointService[e]!]} ${agg.endpointOperation[e]}`,
      service: names[agg.endpointService[e]!]!,
      operation: agg.endpointOperation[e]!,
      traces: total,
      errorRate: total ? fails[e]! / total : 0,
      p50Ms: q(0.5),
      p95Ms: q(0.95),
      p99Ms: q(0.99),
      reaches: reaches[e]!.sort((a, b) => b.traces - a.traces || byName(a.service, b.service)),
      tree: build(agg.endpointRoot[e]!),
    });
  }
  return out.sort((a, b) => b.traces - a.traces || byName(a.entry, b.entry));
}

function anomaliesAgainst(
  now: readonly DependencyNode[],
  base: readonly DependencyNode[],
  th: Required<AnomalyThresholds>,
): ServiceAnomaly[] {
  const before = new Map(base.map((s) => [s.name, s]));
  const out: ServiceAnomaly[] = [];
  for (const s of now) {
    const b = before.get(s.name);
    if (!b || s.calls < th.minCalls || b.calls < th.minCalls) continue;
    const reasons: ('latency' | 'errors')[] = [];
    if (s.p95Ms >= th.latencyRatio * b.p95Ms && s.p95Ms - b.p95Ms >= th.minLatencyDeltaMs) reasons.push('latency');
    if (s.errorRate >= b.errorRate + th.errorRateDelta && s.errorRate >= 2 * b.errorRate) reasons.push('errors');
    if (reasons.length === 0) continue;
    out.push({
      service: s.name,
      kind: s.kind,
      reasons,
      calls: s.calls,
      baselineCalls: b.calls,
      p95Ms: s.p95Ms,
      baselineP95Ms: b.p95Ms,
      latencyRatio: b.p95Ms > 0 ? s.p95Ms / b.p95Ms : Number.POSITIVE_INFINITY,
      errorRate: s.errorRate,
      baselineErrorRate: b.errorRate,
    });
  }
  return out.sort((a, b) => b.latencyRatio - a.latencyRatio || b.errorRate - a.errorRate);
}
