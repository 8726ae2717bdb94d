// The bottleneck of one trace: where its critical path spends the most time, and the span to look at first.
//
//   0 api      |====================================|   0..100   server of `api`
//   1 SELECT        |=======================|            10..70   client span of `api`, peer.service=orders-db
//   2 redis                                   |===|      75..85   client span of `api`, db.system=redis
//   exclusive on the path: orders-db 60, api 30, redis 10 → bottleneck: orders-db / SELECT, share 0.6
//
// Algorithm: the critical path (CRISP walk), exclusive time summed per attributed service, then per operation of
// that service; a leaf client call to an uninstrumented dependency is attributed to the dependency.
// Reference: CRISP, Zhang et al., ATC'22 (critical-path exclusive time as the bottleneck measure).
import {
  buildTraceTree,
  SPAN_KIND_NAMES,
  type SpanTable,
  STATUS_CODE_NAMES,
  spanIdAt,
  type TraceTree,
  traceIdAt,
} from '@aiops/span-model';
import { type CriticalPaths, criticalPaths } from './critical-paths.ts';
import { attributeSpans } from './internal/attribution.ts';
import { bottleneckOf, bottleneckScratch, slowestDescendantOnPath } from './internal/bottleneck.ts';

/** Options of {@link traceBottleneck}. */
export interface TraceBottleneckOptions {
  /** A prebuilt tree of the same table. */
  readonly tree?: TraceTree;
  /** Precomputed critical paths of that tree (for example from {@link criticalPaths}). */
  readonly paths?: CriticalPaths;
  /** Trace ordinal in the tree. Default 0. */
  readonly trace?: number;
  /** Fold Kubernetes pod names (`checkout-7d9f8b5c4-x2k4p`) into their workload (`checkout`). Default true. */
  readonly groupPods?: boolean;
}

/** A span named in a bottleneck, with the semantic attributes that say what it waited on. */
export interface BottleneckSpan {
  /** Span row. */
  readonly row: number;
  /** Span id, 16 hex digits. */
  readonly spanId: string;
  /** Service that emitted the span. */
  readonly service: string;
  /** Operation (span name). */
  readonly operation: string;
  /** Span kind name ('unspecified' when absent). */
  readonly kind: string;
  /** 'unset' | 'ok' | 'error'. */
  readonly statusCode: string;
  /** Span duration, ns. */
  readonly durationNano: number;
  /** Exclusive time on the critical path, ns. */
  readonly exclusiveNano: number;
  /** `db.system` ('' when absent). */
  readonly dbSystem: string;
  /** `db.statement` / `db.query.text` ('' when absent). */
  readonly dbStatement: string;
  /** `peer.service` ('' when absent). */
  readonly peerService: string;
  /** `server.address` / `net.peer.name` ('' when absent). */
  readonly serverAddress: string;
  /** `http.route` ('' when absent). */
  readonly httpRoute: string;
}

/** The bottleneck of one trace. */
export interface TraceBottleneck {
  /** Trace id, 32 hex digits. */
  readonly traceId: string;
  /**
   * Where the time goes: the service (pods folded) with the most exclusive time on the critical path, or the
   * dependency (database, cache, external API) that a leaf client call waited on.
   */
  readonly service: string;
  /** Whether `service` is a dependency reached by a client call rather than an instrumented service. */
  readonly isDependency: boolean;
  /** Operation of `service` with the most exclusive time on the path. */
  readonly operation: string;
  /** Exclusive time of `service` on the path, ns. */
  readonly exclusiveNano: number;
  /** Exclusive time of `service`/`operation` on the path, ns. */
  readonly operationExclusiveNano: number;
  /** `exclusiveNano` / `totalNano` (0..1). */
  readonly share: number;
  /** Critical-path length (the head's duration), ns. */
  readonly totalNano: number;
  /** Row of the span of `service`/`operation` with the most exclusive time. */
  readonly row: number;
  /** Its id, 16 hex digits. */
  readonly spanId: string;
  /** That span with its attributes. */
  readonly span: BottleneckSpan;
  /** Its descendant on the path with the most exclusive time (e.g. the query under a slow handler), if any. */
  readonly slowestDescendant: BottleneckSpan | undefined;
}

/** A {@link BottleneckSpan} for `row`. @internal */
export function bottleneckSpan(table: SpanTable, paths: CriticalPaths, row: number): BottleneckSpan {
  const c = table.columns;
  return {
    row,
    spanId: spanIdAt(table, row),
    service: table.stringAt('service', row),
    operation: table.stringAt('operation', row),
    kind: SPAN_KIND_NAMES[c.kind[row]!] ?? 'unspecified',
    statusCode: STATUS_CODE_NAMES[c.statusCode[row]!] ?? 'unset',
    durationNano: table.times.durationNano[row]!,
    exclusiveNano: paths.exclusiveNano[row]!,
    dbSystem: table.stringAt('dbSystem', row),
    dbStatement: table.stringAt('dbStatement', row),
    peerService: table.stringAt('peerService', row),
    serverAddress: table.stringAt('serverAddress', row),
    httpRoute: table.stringAt('httpRoute', row),
  };
}

/**
 * The bottleneck of one trace: the service (or dependency) and operation with the largest exclusive time on the
 * critical path, its share of the end-to-end latency, and the span to look at.
 *
 * **Details**
 * - Exclusive time on the critical path is summed per service, then per operation of the winning service; the
 *   span of that operation with the most exclusive time is `row`.
 * - A leaf client span to a database, cache or external API (no child span: the callee is not instrumented) is
 *   attributed to the callee, named by `peer.service`, the database name or system, or `server.address`; its
 *   `span.service` still names the caller.
 * - `slowestDescendant` is the on-path descendant of `row` with the most exclusive time (undefined for a leaf).
 *
 * **Complexity** O(spans of the table) to build the tree and paths when not passed in; O(segments of the trace)
 * with `options.paths`.
 *
 * **Gotchas** Returns undefined for an empty table or a trace without a head (a parent cycle only).
 *
 * @example
 * ```ts
 * const b = traceBottleneck(table);
 * `${b.service} ${b.operation}: ${(b.share * 100).toFixed(0)}% of ${b.totalNano / 1e6} ms`;
 * b.span.dbStatement; // the slow query, when the bottleneck is a database call
 * ```
 */
export function traceBottleneck(table: SpanTable, options: TraceBottleneckOptions = {}): TraceBottleneck | undefined {
  const tree = options.paths?.tree ?? options.tree ?? buildTraceTree(table);
  if (tree.table !== table) throw new TypeError('critical-path: options.tree/paths were built on another table');
  const trace = options.trace ?? 0;
  if (tree.traces.traceCount === 0) return undefined;
  if (!Number.isInteger(trace) || trace < 0 || trace >= tree.traces.traceCount) {
    throw new RangeError(`critical-path: trace ${trace} is out of range (${tree.traces.traceCount} traces)`);
  }
  const paths = options.paths ?? criticalPaths(tree);
  if (paths.head[trace]! < 0) return undefined;
  const attribution = attributeSpans(table, tree, options.groupPods ?? true);
  const ops = table.dict('operation');
  const raw = bottleneckOf(paths, attribution, ops.codes, trace, bottleneckScratch(attribution, ops.values.length), {
    code: -1,
    op: -1,
    row: -1,
    exclusiveNano: 0,
    operationExclusiveNano: 0,
  });
  const totalNano = paths.totalNano[trace]!;
  const row = raw.row;
  const desc = slowestDescendantOnPath(paths, row);
  return {
    traceId: traceIdAt(table, row),
    service: attribution.names[raw.code]!,
    isDependency: attribution.isDependency[row] === 1,
    operation: ops.values[raw.op]!,
    exclusiveNano: raw.exclusiveNano,
    operationExclusiveNano: raw.operationExclusiveNano,
    share: totalNano > 0 ? raw.exclusiveNano / totalNano : 0,
    totalNano,
    row,
    spanId: spanIdAt(table, row),
    span: bottleneckSpan(table, paths, row),
    slowestDescendant: desc >= 0 ? bottleneckSpan(table, paths, desc) : undefined,
  };
}
