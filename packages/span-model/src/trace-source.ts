// The read interface every trace backend implements (embedded store, ClickHouse, Jaeger, Tempo, Zipkin, files),
// so the cli and the analyzers never depend on where spans live.
import type { DictionaryColumnName } from './schema.ts';
import type { SpanTable } from './span-table.ts';

/** One trace in a search result: trace-level columns only, no spans. */
export interface TraceSummary {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** Service of the root span ('' when the trace has no root). */
  readonly rootService: string;
  /** Operation of the root span. */
  readonly rootOperation: string;
  /** Earliest span start, ns since the epoch. */
  readonly startUnixNano: bigint;
  /** Latest span end minus earliest start, ns. */
  readonly durationNano: bigint;
  /** Number of spans. */
  readonly spanCount: number;
  /** Distinct services, sorted. */
  readonly services: readonly string[];
  /** Number of spans with status error. */
  readonly errorCount: number;
}

/** Which traces to find. All fields are optional and combine with AND. */
export interface TraceQuery {
  /** Traces with at least one span of this service. */
  readonly service?: string;
  /** Traces with at least one span of this operation (of `service` when both are given). */
  readonly operation?: string;
  /** Traces starting at or after this time (ns since the epoch). */
  readonly fromUnixNano?: bigint;
  /** Traces starting before this time. */
  readonly toUnixNano?: bigint;
  /** Traces at least this long (ns). */
  readonly minDurationNano?: bigint;
  /** Traces at most this long (ns). */
  readonly maxDurationNano?: bigint;
  /** Only traces with (true) or without (false) an error span. */
  readonly failed?: boolean;
  /** At most this many traces, newest first. Default: all. */
  readonly limit?: number;
}

/** Which spans to load for an analysis: whole traces whose start falls in the window. */
export interface SpanQuery {
  /** Traces starting at or after this time. */
  readonly fromUnixNano?: bigint;
  /** Traces starting before this time. */
  readonly toUnixNano?: bigint;
  /** Only traces touching this service. */
  readonly service?: string;
  /** Only these traces (hex ids). */
  readonly traceIds?: readonly string[];
  /** At most this many traces (the newest). */
  readonly limitTraces?: number;
  /**
   * How much of each span the caller needs. Default `'full'`: every column exactly as stored.
   *
   * **Details** `'analysis'`: only what the analyzers read must be exact, so a source may return a lighter table.
   * Exact: ids, parent ids and reference type, service, operation, kind, start, duration, status code and message,
   * trace state, resource, scope, every derived column (`httpStatusCode`, `httpRoute`, `dbSystem`, `errorType`,
   * `exceptionMessage`, `host`, ...), and the failure signals. Reduced: the generic attribute list may keep only
   * {@link ANALYSIS_ATTRIBUTE_KEYS}, `links` may be '', and `events` may keep only the spans whose events may name an
   * `exception` or `error` event (what {@link spanFailureSignals} and the derived `errorType` / `exceptionMessage`
   * read).
   *
   * **Gotchas** Sources that have no lighter read ignore it and return the full table, so callers must not rely on
   * the reduction either. Analyses that count arbitrary attributes (slow-trace traits, `diff`) need `'full'`.
   */
  readonly detail?: 'full' | 'analysis';
  /**
   * With `detail: 'analysis'`: the derived dictionary columns (from `httpMethod` on, see
   * {@link DERIVED_DICTIONARY_COLUMNS}) the caller reads. Default: all of them.
   *
   * **Details** The columns listed are exact; a derived column not listed may come back empty (every code 0, the
   * value ''), so a source need not read or code its values. The columns before the derived ones (`service`,
   * `operation`, `statusMessage`, `traceState`, `resource`, `scope`), `errorType`, `httpStatusCode`,
   * `rpcStatusCode` and so the failure signals stay exact whatever the list.
   *
   * **Gotchas** Ignored by sources without a lighter read and with `detail: 'full'`. Naming a column that is not a
   * dictionary column is a `TypeError`.
   *
   * @example
   * ```ts
   * await source.spans({ fromUnixNano, toUnixNano, detail: 'analysis', analysisColumns: ['peerService', 'dbSystem'] });
   * ```
   */
  readonly analysisColumns?: readonly DictionaryColumnName[];
}

/** An operation seen in the data. */
export interface OperationInfo {
  /** Service name. */
  readonly service: string;
  /** Operation name. */
  readonly operation: string;
  /** Number of spans. */
  readonly spanCount: number;
}

/** The time range and size of the data of a source. */
export interface DataBounds {
  /** Earliest span start, ns since the epoch. */
  readonly fromUnixNano: bigint;
  /** Latest span end. */
  readonly toUnixNano: bigint;
  /** Number of spans. */
  readonly spanCount: number;
  /** Number of traces. */
  readonly traceCount: number;
}

/**
 * Where spans are read from. The cli and every analysis go through this interface only.
 *
 * **Details** Implementations return {@link SpanTable}s; traces are always complete (every span of a trace that
 * matches is returned).
 *
 * @example
 * ```ts
 * async function show(source: TraceSource, id: string) {
 *   const spans = await source.getTrace(id);
 *   if (!spans) return 'not found';
 * }
 * ```
 */
export interface TraceSource {
  /** Short name of the backend, e.g. 'duckdb', 'clickhouse', 'jaeger', 'file'. */
  readonly kind: string;
  /** All spans of one trace (id as 16 or 32 hex digits, any case), or undefined when unknown. */
  getTrace(traceId: string): Promise<SpanTable | undefined>;
  /** Summaries of the traces that match, newest first. */
  searchTraces(query: TraceQuery): Promise<TraceSummary[]>;
  /** All spans of the traces that match. */
  spans(query: SpanQuery): Promise<SpanTable>;
  /**
   * Optional: only the request spans of the traces starting in a window, without the rest of each trace. The
   * requests are the root spans (no parent reference), or with `service` the spans of that service whose parent is
   * absent from the trace, is the span itself or belongs to another service; with `operation`, only those of that
   * operation. The spans have every column, exactly as `spans()` returns them.
   *
   * Sources that can select these spans cheaply implement it (the embedded store); callers pick the request spans
   * out of `spans()` when it is absent.
   */
  requestSpans?(query: {
    readonly fromUnixNano?: bigint;
    readonly toUnixNano?: bigint;
    readonly service?: string;
    readonly operation?: string;
  }): Promise<SpanTable>;
  /** Distinct service names, sorted. */
  services(): Promise<string[]>;
  /** Distinct operations (of one service, or all), with span counts. */
  operations(service?: string): Promise<OperationInfo[]>;
  /** Time range and size of the data, or undefined when empty. */
  bounds(): Promise<DataBounds | undefined>;
  /** Releases connections and files. */
  close(): Promise<void>;
}

/** Result of writing spans to a {@link TraceSink}. */
export interface AppendResult {
  /** Spans written. */
  readonly inserted: number;
  /** Spans skipped because the same (trace id, span id) was already stored. */
  readonly duplicates: number;
}

/** Where spans are written: the embedded store, or ClickHouse. */
export interface TraceSink {
  /** Writes spans durably; resolves once they are queryable and safe from a crash. */
  append(spans: SpanTable): Promise<AppendResult>;
}

/** One piece of a trace's critical path: the trace waits on span `row` from `startNano` to `endNano`. */
export interface CriticalPathSegment {
  /** Span row in the table the path was computed on. */
  readonly row: number;
  /** Start, ns relative to the table's `times.baseUnixNano`. */
  readonly startNano: number;
  /** End, ns relative to the table's `times.baseUnixNano`. */
  readonly endNano: number;
}
