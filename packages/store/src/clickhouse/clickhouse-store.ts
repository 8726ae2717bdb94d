// ClickHouseStore: reads and writes the OpenTelemetry Collector ClickHouse exporter's trace tables (`otel_traces`
// and `otel_traces_trace_id_ts`) as a TraceSource and TraceSink, pushing searches and aggregations down as SQL.
import {
  type AppendResult,
  type DataBounds,
  emptySpanTable,
  normalizeTraceId,
  type OperationInfo,
  type SpanQuery,
  type SpanTable,
  spanIdAt,
  type TraceQuery,
  type TraceSink,
  type TraceSource,
  type TraceSummary,
  traceIdAt,
} from '@aiops/span-model';
import { ClickHouseError, clickHouseErrorFrom } from './clickhouse-error.ts';
import { type ClickHouseExecutor, type ClickHouseParams, clickHouseHttpExecutor } from './clickhouse-executor.ts';
import { parseClickHouseUri } from './clickhouse-uri.ts';
import { arrowStreamFromSpans, insertColumns } from './internal/arrow-insert.ts';
import { spanTableFromArrowStream } from './internal/arrow-read.ts';
import { createStatements, qualified, REQUIRED_COLUMNS, type TableNames, tableNames } from './internal/ddl.ts';
import { ERROR_STATUS_SQL, spanSelectList } from './internal/rows.ts';

/** Options of {@link openClickHouseStore}. */
export interface OpenClickHouseStoreOptions {
  /** Database. Default: the URI path, else 'default'. */
  readonly database?: string;
  /** Span table. Default: the URI's `?table=`, else 'otel_traces'. */
  readonly table?: string;
  /** User name (overrides the URI's). */
  readonly username?: string;
  /** Password (overrides the URI's); pass it from the environment, never from a file. */
  readonly password?: string;
  /** Create database, tables and view when missing (as the exporter does). Default false: a missing table is an error. */
  readonly createSchema?: boolean;
  /** Run DDL `ON CLUSTER` this cluster. */
  readonly cluster?: string;
  /** Table engine of the created tables. Default 'MergeTree()' (e.g. 'ReplicatedMergeTree' on a cluster). */
  readonly engine?: string;
  /** TTL in days of the created tables (0: none). */
  readonly ttlDays?: number;
  /**
   * With `createSchema`: give the span table a projection ordered by trace id (not in the exporter's DDL), so trace
   * lookups read one granule instead of one per (service, operation) the trace touches. About 2–3× the bytes on disk
   * and slower inserts; existing tables can get it with `ALTER TABLE ... ADD PROJECTION` + `MATERIALIZE PROJECTION`.
   * Default false.
   */
  readonly traceIdProjection?: boolean;
  /** Create `<table>_local` tables on every shard and Distributed tables over them (needs `cluster`). */
  readonly distributed?: boolean;
  /** Spans per INSERT. Default 50 000. */
  readonly batchSpans?: number;
  /** Retries of a failed INSERT (network, timeout, server errors). Default 3. */
  readonly retries?: number;
  /** First retry delay in ms (doubles each retry). Default 250. */
  readonly retryDelayMs?: number;
  /** Skip spans whose (trace id, span id) is already stored. Default true. */
  readonly dedupe?: boolean;
  /** HTTP request timeout in ms. Default 30 000. */
  readonly timeoutMs?: number;
}

const DEFAULTS = {
  database: 'default',
  table: 'otel_traces',
  createSchema: false,
  batchSpans: 50_000,
  retries: 3,
  retryDelayMs: 250,
  dedupe: true,
} as const;

/** Per service and operation: counts and duration quantiles, computed by ClickHouse. */
export interface ClickHouseOperationStats {
  /** Service name. */
  readonly service: string;
  /** Operation name. */
  readonly operation: string;
  /** Spans. */
  readonly spanCount: number;
  /** Spans with status error. */
  readonly errorCount: number;
  /** Median duration, ns (exact). */
  readonly p50Nano: number;
  /** 95th percentile duration, ns (exact). */
  readonly p95Nano: number;
  /** 99th percentile duration, ns (exact). */
  readonly p99Nano: number;
}

/** A caller → callee service edge (a parent span of one service with a child span of another), from ClickHouse. */
export interface ClickHouseServiceEdge {
  /** Service of the parent span. */
  readonly caller: string;
  /** Service of the child span. */
  readonly callee: string;
  /** Parent/child span pairs. */
  readonly callCount: number;
  /** Child spans with status error. */
  readonly errorCount: number;
  /** Median child duration, ns (exact). */
  readonly p50Nano: number;
  /** 95th percentile child duration, ns (exact). */
  readonly p95Nano: number;
}

/** What {@link ClickHouseStore.describe} reports for `aiops sources test`. */
export interface ClickHouseDescription {
  /** Server version. */
  readonly version: string;
  /** `db.table` read and written. */
  readonly table: string;
  /** Whether the trace-id lookup table exists (faster searches by time). */
  readonly hasLookupTable: boolean;
}

interface Where {
  /** Conditions on span rows (pre-aggregation). */
  readonly where: string[];
  /** Conditions on the per-trace aggregate. */
  readonly having: string[];
  readonly params: Record<string, string | number | readonly string[]>;
}

function nanoParam(v: bigint, name: string): string {
  if (typeof v !== 'bigint') throw new TypeError(`store: ${name} must be a bigint`);
  return v.toString();
}

function floorSeconds(ns: bigint): number {
  const s = ns / 1_000_000_000n - (ns < 0n && ns % 1_000_000_000n !== 0n ? 1n : 0n);
  return Number(s);
}

function limitClause(limit: number | undefined, name: string): string {
  if (limit === undefined) return '';
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`store: ${name} must be a non-negative integer`);
  return `LIMIT ${limit}`;
}

/** First time window (s) of a newest-first search with a limit. */
const WINDOW_START_S = 600n;

/** Server-side errors worth retrying: memory limit, too many parts, too many queries, read-only replica, keeper. */
const RETRIABLE_ENGINE_CODES = new Set([202, 241, 242, 252, 999]);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * A trace store in ClickHouse, in the table layout of the OpenTelemetry Collector's ClickHouse exporter.
 *
 * **Details**
 * - Reads any table the exporter filled; writes rows the exporter (and Grafana's ClickHouse plugin, SigNoz-style
 *   queries) can read. Searches, `operations`, `bounds`, {@link ClickHouseStore.operationStats} and
 *   {@link ClickHouseStore.serviceEdges} run as GROUP BY queries in ClickHouse; only whole matching traces come back.
 * - The `_trace_id_ts` lookup table (filled by the exporter's materialized view) prunes time-window searches and
 *   trace lookups; without it the store still works, scanning more.
 * - Writes are batched (`batchSpans`), retried with exponential back-off, and deduplicated by (trace id, span id).
 * - Spans travel as Arrow IPC streams both ways (`FORMAT ArrowStream`), built from and read into the span table's
 *   typed arrays column by column; exact nanosecond timestamps, Map attributes and Nested events/links as the
 *   exporter's schema has them.
 *
 * **Complexity** One round trip per call (two per append batch with dedupe: the existing-span check, the insert).
 *
 * **Gotchas**
 * - The exporter keeps attribute values as text; types are recovered from the text (`"200"` reads back as the int
 *   200, `"true"` as a bool), so a string attribute that looks like a number comes back as a number.
 * - Span order within a trace is by start time (ClickHouse has no arrival order).
 * - Scope attributes and dropped-attribute counts have no column in the exporter's schema and are not stored.
 *
 * @example
 * ```ts
 * const ch = await openClickHouseStore('clickhouse://default@localhost:8123/otel', { password: process.env.CH_PW });
 * const slow = await ch.searchTraces({ service: 'checkout', minDurationNano: 2_000_000_000n, limit: 20 });
 * ```
 */
export class ClickHouseStore implements TraceSource, TraceSink {
  /** Always 'clickhouse'. */
  readonly kind: string = 'clickhouse';
  /** Server and table, without credentials (for messages). */
  readonly target: string;
  readonly #ex: ClickHouseExecutor;
  readonly #names: TableNames;
  readonly #spans: string;
  readonly #lookup: string;
  readonly #hasScope: boolean;
  readonly #hasLookup: boolean;
  readonly #version: string;
  readonly #opts: Required<Pick<OpenClickHouseStoreOptions, 'batchSpans' | 'retries' | 'retryDelayMs' | 'dedupe'>>;
  #writeChain: Promise<unknown> = Promise.resolve();
  #closed = false;

  /** Use {@link openClickHouseStore}. */
  constructor(init: {
    executor: ClickHouseExecutor;
    target: string;
    names: TableNames;
    hasScope: boolean;
    hasLookup: boolean;
    version: string;
    options: Required<Pick<OpenClickHouseStoreOptions, 'batchSpans' | 'retries' | 'retryDelayMs' | 'dedupe'>>;
  }) {
    this.#ex = init.executor;
    this.target = init.target;
    this.#names = init.names;
    this.#spans = qualified(init.names.database, init.names.spans);
    this.#lookup = qualified(init.names.database, init.names.traceIdTs);
    this.#hasScope = init.hasScope;
    this.#hasLookup = init.hasLookup;
    this.#version = init.version;
    this.#opts = init.options;
  }

  async #q(sql: string, params: ClickHouseParams | undefined, what: string): Promise<unknown[][]> {
    if (this.#closed) throw new ClickHouseError('closed', this.target, `${this.target}: the store is closed`);
    try {
      return await this.#ex.query(sql, params);
    } catch (err) {
      throw clickHouseErrorFrom(err, this.target, what);
    }
  }

  /** Server version, table and whether the lookup table exists. */
  describe(): ClickHouseDescription {
    return {
      version: this.#version,
      table: `${this.#names.database}.${this.#names.spans}`,
      hasLookupTable: this.#hasLookup,
    };
  }

  /** Runs a SELECT of {@link spanSelectList} and reads the spans from its Arrow result. */
  async #spansQuery(sql: string, params: ClickHouseParams | undefined, what: string): Promise<SpanTable> {
    if (this.#closed) throw new ClickHouseError('closed', this.target, `${this.target}: the store is closed`);
    let bytes: Uint8Array;
    try {
      bytes = await this.#ex.queryArrow(sql, params);
    } catch (err) {
      throw clickHouseErrorFrom(err, this.target, what);
    }
    return bytes.length === 0 ? emptySpanTable() : spanTableFromArrowStream(bytes).table;
  }

  /**
   * All spans of one trace (16 or 32 hex digits, any case), ordered by start; undefined when unknown.
   *
   * **Details** One query: a scalar subquery reads the trace's time range from the `_trace_id_ts` lookup table
   * (ordered by trace id), which bounds `Timestamp` so ClickHouse prunes partitions and primary-key ranges before
   * the trace-id bloom filter; without a lookup row the whole table is searched. A table with a projection ordered
   * by trace id (`traceIdProjection`) answers from the projection.
   *
   * **Gotchas** On the exporter's table (ordered by service, operation, time) a lookup reads one 8192-row granule of
   * every column per (service, operation) the trace touches; that, not the round trip, is the cost at scale.
   */
  async getTrace(traceId: string): Promise<SpanTable | undefined> {
    const hex = normalizeTraceId(traceId);
    if (!hex) return undefined;
    const range = this.#hasLookup
      ? `WITH (SELECT (if(count() = 0, toDateTime64(0, 0), toDateTime64(min(Start), 0)),
                       if(count() = 0, toDateTime64('2262-01-01 00:00:00', 0), toDateTime64(max(End), 0) + toIntervalSecond(1)))
                 FROM ${this.#lookup} WHERE TraceId = {id:String}) AS bounds `
      : '';
    const t = await this.#spansQuery(
      `${range}SELECT ${spanSelectList(this.#hasScope)} FROM ${this.#spans}
        WHERE TraceId = {id:String}${this.#hasLookup ? ' AND Timestamp >= bounds.1 AND Timestamp < bounds.2' : ''}
        ORDER BY Timestamp, SpanId`,
      { id: hex },
      'getTrace',
    );
    return t.numSpans === 0 ? undefined : t;
  }

  /** The WHERE (span rows) and HAVING (per trace) conditions of a query; undefined when nothing can match. */
  #conditions(q: TraceQuery & { traceIds?: readonly string[] }): Where | undefined {
    const where: string[] = [];
    const having: string[] = [];
    const params: Record<string, string | number | readonly string[]> = {};
    if (q.service !== undefined || q.operation !== undefined) {
      const sub: string[] = [];
      if (q.service !== undefined) {
        sub.push('ServiceName = {service:String}');
        params.service = q.service;
      }
      if (q.operation !== undefined) {
        sub.push('SpanName = {operation:String}');
        params.operation = q.operation;
      }
      if (this.#hasLookup && q.fromUnixNano !== undefined) {
        // Traces that start at or after `from` have all their spans there: the subquery prunes by time too.
        params.fromS = floorSeconds(q.fromUnixNano);
        sub.push('Timestamp >= toDateTime64({fromS:Int64}, 0)');
      }
      where.push(`TraceId IN (SELECT TraceId FROM ${this.#spans} WHERE ${sub.join(' AND ')})`);
    }
    if (q.traceIds !== undefined) {
      const ids = q.traceIds.map((t) => normalizeTraceId(t)).filter((t): t is string => t !== undefined);
      if (ids.length === 0) return undefined;
      where.push('TraceId IN {traceIds:Array(String)}');
      params.traceIds = ids;
    }
    if (q.fromUnixNano !== undefined) {
      params.from = nanoParam(q.fromUnixNano, 'fromUnixNano');
      having.push('startNs >= {from:Int64}');
    }
    if (q.toUnixNano !== undefined) {
      params.to = nanoParam(q.toUnixNano, 'toUnixNano');
      having.push('startNs < {to:Int64}');
    }
    if (this.#hasLookup && (q.fromUnixNano !== undefined || q.toUnixNano !== undefined)) {
      // The lookup table holds whole seconds (truncated): select a superset of traces, then filter exactly.
      const h: string[] = [];
      if (q.fromUnixNano !== undefined) {
        params.fromS = floorSeconds(q.fromUnixNano);
        h.push('min(Start) >= toDateTime({fromS:Int64})');
        where.push('Timestamp >= toDateTime64({fromS:Int64}, 0)');
      }
      if (q.toUnixNano !== undefined) {
        params.toS = floorSeconds(q.toUnixNano);
        h.push('min(Start) <= toDateTime({toS:Int64})');
      }
      where.push(`TraceId IN (SELECT TraceId FROM ${this.#lookup} GROUP BY TraceId HAVING ${h.join(' AND ')})`);
    }
    if (q.minDurationNano !== undefined) {
      params.minDur = nanoParam(q.minDurationNano, 'minDurationNano');
      having.push('durNs >= {minDur:Int64}');
    }
    if (q.maxDurationNano !== undefined) {
      params.maxDur = nanoParam(q.maxDurationNano, 'maxDurationNano');
      having.push('durNs <= {maxDur:Int64}');
    }
    if (q.failed === true) having.push('errors > 0');
    if (q.failed === false) having.push('errors = 0');
    return { where, having, params };
  }

  #aggregate(c: Where, columns: string, limit: string): string {
    return `SELECT TraceId, ${columns},
        min(toUnixTimestamp64Nano(Timestamp)) AS startNs,
        max(toUnixTimestamp64Nano(Timestamp) + toInt64(Duration)) - startNs AS durNs,
        countIf(${ERROR_STATUS_SQL}) AS errors
      FROM ${this.#spans}
      ${c.where.length ? `WHERE ${c.where.join(' AND ')}` : ''}
      GROUP BY TraceId
      ${c.having.length ? `HAVING ${c.having.join(' AND ')}` : ''}
      ORDER BY startNs DESC, TraceId DESC ${limit}`;
  }

  /**
   * Summaries of the traces that match, newest first: one GROUP BY in ClickHouse.
   *
   * **Details** With a `limit` and the lookup table, the search first looks at recent time windows (the last
   * 10 minutes of data, then 8× longer each time) and stops at the first window that yields `limit` traces: a trace
   * that starts inside a window has all its spans inside it, and every trace outside is older, so the answer is the
   * same as a search over all data, which runs last when the windows never fill.
   */
  async searchTraces(query: TraceQuery): Promise<TraceSummary[]> {
    if (query.limit === undefined || query.limit === 0 || !this.#hasLookup) return this.#searchOnce(query);
    const last = await this.#q(
      `SELECT toString(toUnixTimestamp(max(End)) + 1), toString(toUnixTimestamp(min(Start))) FROM ${this.#lookup}`,
      undefined,
      'searchTraces',
    );
    const endS = BigInt((last[0]?.[0] as string | undefined) ?? '0');
    const firstS = BigInt((last[0]?.[1] as string | undefined) ?? '0');
    for (let windowS = WINDOW_START_S; endS - windowS > firstS; windowS *= 8n) {
      const from = (endS - windowS) * 1_000_000_000n;
      if (query.fromUnixNano !== undefined && from <= query.fromUnixNano) break;
      const found = await this.#searchOnce({ ...query, fromUnixNano: from });
      if (found.length >= query.limit) return found;
    }
    return this.#searchOnce(query);
  }

  async #searchOnce(query: TraceQuery): Promise<TraceSummary[]> {
    const c = this.#conditions(query);
    if (!c) return [];
    const limit = limitClause(query.limit, 'limit');
    const rows = await this.#q(
      `SELECT TraceId, rootService, rootOperation, toString(startNs), toString(durNs), toUInt64(spans), services, toUInt64(errors)
         FROM (${this.#aggregate(
           c,
           `argMinIf(toString(ServiceName), (Timestamp, SpanId), ParentSpanId = '') AS rootService,
            argMinIf(toString(SpanName), (Timestamp, SpanId), ParentSpanId = '') AS rootOperation,
            count() AS spans, arraySort(groupUniqArray(toString(ServiceName))) AS services`,
           limit,
         )})`,
      c.params,
      'searchTraces',
    );
    return rows.map(
      (r): TraceSummary => ({
        traceId: r[0] as string,
        rootService: r[1] as string,
        rootOperation: r[2] as string,
        startUnixNano: BigInt(r[3] as string),
        durationNano: BigInt(r[4] as string),
        spanCount: Number(r[5]),
        services: r[6] as string[],
        errorCount: Number(r[7]),
      }),
    );
  }

  /** The SQL selecting the trace ids of a span query (for `IN (...)`), or undefined when nothing can match. */
  #selection(query: SpanQuery): { sql: string; params: Where['params']; where: string[] } | undefined {
    const c = this.#conditions(query);
    if (!c) return undefined;
    const limit = limitClause(query.limitTraces, 'limitTraces');
    const outer = c.where.filter((w) => w.startsWith('Timestamp >='));
    return { sql: `SELECT TraceId FROM (${this.#aggregate(c, '1', limit)})`, params: c.params, where: outer };
  }

  /** All spans of the traces that match (whole traces, ordered by trace then start). */
  async spans(query: SpanQuery): Promise<SpanTable> {
    const sel = this.#selection(query);
    if (!sel) return emptySpanTable();
    return this.#spansQuery(
      `SELECT ${spanSelectList(this.#hasScope)} FROM ${this.#spans}
        WHERE TraceId IN (${sel.sql}) ${sel.where.map((w) => `AND ${w}`).join(' ')}
        ORDER BY TraceId, Timestamp, SpanId`,
      sel.params,
      'spans',
    );
  }

  /** Distinct service names, sorted. */
  async services(): Promise<string[]> {
    const rows = await this.#q(
      `SELECT DISTINCT toString(ServiceName) AS s FROM ${this.#spans} ORDER BY s`,
      undefined,
      'services',
    );
    return rows.map((r) => r[0] as string);
  }

  /** Operations (of one service, or all) with span counts, sorted by service then operation. */
  async operations(service?: string): Promise<OperationInfo[]> {
    const rows = await this.#q(
      `SELECT toString(ServiceName) AS s, toString(SpanName) AS o, toUInt64(count()) FROM ${this.#spans}
        ${service === undefined ? '' : 'WHERE ServiceName = {service:String}'}
        GROUP BY s, o ORDER BY s, o`,
      service === undefined ? undefined : { service },
      'operations',
    );
    return rows.map((r) => ({ service: r[0] as string, operation: r[1] as string, spanCount: Number(r[2]) }));
  }

  /** Time range, span and trace counts; undefined when the table is empty. */
  async bounds(): Promise<DataBounds | undefined> {
    const r = (
      await this.#q(
        `SELECT toString(min(toUnixTimestamp64Nano(Timestamp))), toString(max(toUnixTimestamp64Nano(Timestamp) + toInt64(Duration))),
                toUInt64(count()), toUInt64(uniqExact(TraceId)) FROM ${this.#spans}`,
        undefined,
        'bounds',
      )
    )[0];
    if (!r || Number(r[2]) === 0) return undefined;
    return {
      fromUnixNano: BigInt(r[0] as string),
      toUnixNano: BigInt(r[1] as string),
      spanCount: Number(r[2]),
      traceCount: Number(r[3]),
    };
  }

  /**
   * Per service and operation of the selected traces: span and error counts and exact duration quantiles, computed
   * in ClickHouse (one GROUP BY; no spans are transferred).
   *
   * @example
   * ```ts
   * const stats = await ch.operationStats({ service: 'checkout', fromUnixNano: from });
   * ```
   */
  async operationStats(query: SpanQuery = {}): Promise<ClickHouseOperationStats[]> {
    const { filter, params } = this.#spanFilter(query);
    if (filter === undefined) return [];
    const rows = await this.#q(
      `SELECT toString(ServiceName) AS s, toString(SpanName) AS o, toUInt64(count()), toUInt64(countIf(${ERROR_STATUS_SQL})),
              quantilesExact(0.5, 0.95, 0.99)(Duration)
         FROM ${this.#spans} ${filter} GROUP BY s, o ORDER BY s, o`,
      params,
      'operationStats',
    );
    return rows.map((r) => {
      const q = (r[4] as (string | number)[]).map(Number);
      return {
        service: r[0] as string,
        operation: r[1] as string,
        spanCount: Number(r[2]),
        errorCount: Number(r[3]),
        p50Nano: q[0]!,
        p95Nano: q[1]!,
        p99Nano: q[2]!,
      };
    });
  }

  /**
   * Caller → callee service edges of the selected traces: parent/child span pairs whose services differ, joined
   * and aggregated in ClickHouse (on 64-bit hashes of the ids, to keep the join small).
   *
   * @example
   * ```ts
   * const edges = await ch.serviceEdges({ fromUnixNano: from, toUnixNano: to });
   * ```
   */
  async serviceEdges(query: SpanQuery = {}): Promise<ClickHouseServiceEdge[]> {
    const { filter, params } = this.#spanFilter(query);
    if (filter === undefined) return [];
    const and = filter ? `${filter} AND` : 'WHERE';
    const rows = await this.#q(
      `SELECT p.s AS caller, c.s AS callee, toUInt64(count()), toUInt64(countIf(c.err)),
              quantilesExact(0.5, 0.95)(c.d)
         FROM (SELECT cityHash64(TraceId, SpanId) AS k, toString(ServiceName) AS s FROM ${this.#spans} ${filter}) AS p
         INNER JOIN (SELECT cityHash64(TraceId, ParentSpanId) AS k, toString(ServiceName) AS s, Duration AS d,
                            ${ERROR_STATUS_SQL} AS err
                       FROM ${this.#spans} ${and} ParentSpanId != '') AS c ON c.k = p.k
        WHERE p.s != c.s
        GROUP BY caller, callee ORDER BY caller, callee`,
      params,
      'serviceEdges',
    );
    return rows.map((r) => {
      const q = (r[4] as (string | number)[]).map(Number);
      return {
        caller: r[0] as string,
        callee: r[1] as string,
        callCount: Number(r[2]),
        errorCount: Number(r[3]),
        p50Nano: q[0]!,
        p95Nano: q[1]!,
      };
    });
  }

  /** A WHERE clause over span rows selecting whole traces of a span query ('' for all; undefined for none). */
  #spanFilter(query: SpanQuery): { filter: string | undefined; params: Where['params'] } {
    const empty =
      query.fromUnixNano === undefined &&
      query.toUnixNano === undefined &&
      query.service === undefined &&
      query.traceIds === undefined &&
      query.limitTraces === undefined;
    if (empty) return { filter: '', params: {} };
    const sel = this.#selection(query);
    if (!sel) return { filter: undefined, params: {} };
    return {
      filter: `WHERE TraceId IN (${sel.sql}) ${sel.where.map((w) => `AND ${w}`).join(' ')}`,
      params: sel.params,
    };
  }

  /**
   * Writes spans: batches of `batchSpans` rows, each an INSERT retried with back-off; spans already stored (same
   * trace and span id) are skipped and counted as duplicates.
   *
   * **Details** Resolves once ClickHouse acknowledged every batch (synchronous inserts: the rows are queryable).
   * Appends are serialised.
   */
  append(spans: SpanTable): Promise<AppendResult> {
    const run = this.#writeChain.then(() => this.#append(spans));
    this.#writeChain = run.catch(() => undefined);
    return run;
  }

  async #append(spans: SpanTable): Promise<AppendResult> {
    if (this.#closed) throw new ClickHouseError('closed', this.target, `${this.target}: the store is closed`);
    let inserted = 0;
    let duplicates = 0;
    const n = spans.numSpans;
    const seen = new Set<string>();
    const columns = insertColumns(this.#hasScope);
    for (let start = 0; start < n; start += this.#opts.batchSpans) {
      const end = Math.min(n, start + this.#opts.batchSpans);
      let attempt = 0;
      for (;;) {
        try {
          const existing = this.#opts.dedupe ? await this.#existingSpans(spans, start, end) : new Set<string>();
          const rows = new Int32Array(end - start);
          let kept = 0;
          let dup = 0;
          const batchSeen = new Set<string>();
          for (let r = start; r < end; r++) {
            if (!this.#opts.dedupe) {
              rows[kept++] = r;
              continue;
            }
            const key = traceIdAt(spans, r) + spanIdAt(spans, r);
            if (existing.has(key) || seen.has(key) || batchSeen.has(key)) dup++;
            else {
              batchSeen.add(key);
              rows[kept++] = r;
            }
          }
          if (kept > 0) {
            const data = arrowStreamFromSpans(spans, rows.subarray(0, kept), this.#hasScope);
            await this.#ex.insertArrow(this.#spans, columns, data);
          }
          for (const k of batchSeen) seen.add(k);
          inserted += kept;
          duplicates += dup;
          break;
        } catch (err) {
          const e = clickHouseErrorFrom(err, this.target, 'insert');
          const retriable =
            e.code === 'unreachable' || e.code === 'timeout' || RETRIABLE_ENGINE_CODES.has(e.engineCode ?? -1);
          if (!retriable || attempt >= this.#opts.retries) throw e;
          await sleep(this.#opts.retryDelayMs * 2 ** attempt);
          attempt++;
        }
      }
    }
    return { inserted, duplicates };
  }

  /** `traceHex + spanHex` of the spans of rows `start..end`'s traces that are already stored. */
  async #existingSpans(spans: SpanTable, start: number, end: number): Promise<Set<string>> {
    const ids = new Set<string>();
    for (let r = start; r < end; r++) ids.add(traceIdAt(spans, r));
    let traceIds = [...ids];
    let range = '';
    const params: Record<string, string | number | readonly string[]> = {};
    if (this.#hasLookup) {
      const found = await this.#ex.query(
        `SELECT TraceId, toUnixTimestamp(min(Start)), toUnixTimestamp(max(End)) FROM ${this.#lookup}
          WHERE TraceId IN {ids:Array(String)} GROUP BY TraceId`,
        { ids: traceIds },
      );
      if (found.length === 0) return new Set();
      traceIds = found.map((r) => r[0] as string);
      params.from = Math.min(...found.map((r) => Number(r[1])));
      params.to = Math.max(...found.map((r) => Number(r[2]))) + 1;
      range = ' AND Timestamp >= toDateTime64({from:Int64}, 0) AND Timestamp < toDateTime64({to:Int64}, 0)';
    }
    params.ids = traceIds;
    const rows = await this.#ex.query(
      `SELECT TraceId, SpanId FROM ${this.#spans} WHERE TraceId IN {ids:Array(String)}${range}`,
      params,
    );
    return new Set(rows.map((r) => (r[0] as string) + (r[1] as string)));
  }

  /** Waits for running appends, then closes the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#writeChain;
    this.#closed = true;
    await this.#ex.close();
  }
}

/**
 * Opens a ClickHouse trace store: checks the server, the table and its schema (creating them when
 * `createSchema`), and returns a {@link ClickHouseStore}.
 *
 * **Details** `target` is a URI `clickhouse://user:pass@host:8123/db?table=otel_traces` (`clickhouses://` or
 * `?secure=1` for HTTPS; options override the URI), or a {@link ClickHouseExecutor} such as `chdbExecutor(session)`.
 *
 * **Complexity** Three small queries (version, system.columns for both tables), plus the DDL when creating.
 *
 * **Gotchas** Rejects with a {@link ClickHouseError}: `'unreachable'`, `'timeout'`, `'auth'`, `'not_found'` (no such
 * table and `createSchema` false), `'schema'` (a table without the exporter's columns). Messages never contain the
 * password.
 *
 * @example
 * ```ts
 * const ch = await openClickHouseStore('clickhouse://aiops@ch.internal:8123/otel', {
 *   password: process.env.CLICKHOUSE_PASSWORD,
 *   createSchema: true,
 * });
 * await ch.append(table);
 * ```
 */
export async function openClickHouseStore(
  target: string | ClickHouseExecutor,
  options: OpenClickHouseStoreOptions = {},
): Promise<ClickHouseStore> {
  let executor: ClickHouseExecutor;
  let label: string;
  let database = options.database;
  let table = options.table;
  if (typeof target === 'string') {
    const uri = parseClickHouseUri(target);
    database ??= uri.database;
    table ??= uri.table;
    executor = clickHouseHttpExecutor({
      url: uri.url,
      username: options.username ?? uri.username,
      password: options.password ?? uri.password,
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
    });
    label = uri.url;
  } else {
    executor = target;
    label = target.engine;
  }
  database ??= DEFAULTS.database;
  table ??= DEFAULTS.table;
  const names = tableNames({ database, table, distributed: options.distributed });
  const where = `${label} ${database}.${table}`;
  try {
    const version = String((await executor.query('SELECT version()'))[0]?.[0] ?? '');
    const columns = async (t: string): Promise<Map<string, string>> =>
      new Map(
        (
          await executor.query(
            'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String}',
            { db: database!, t },
          )
        ).map((r) => [r[0] as string, r[1] as string]),
      );
    let cols = await columns(names.spans);
    if (cols.size === 0 && (options.createSchema ?? DEFAULTS.createSchema)) {
      for (const sql of createStatements({
        database,
        table,
        cluster: options.cluster,
        engine: options.engine,
        ttlDays: options.ttlDays,
        distributed: options.distributed,
        traceIdProjection: options.traceIdProjection,
      })) {
        await executor.command(sql);
      }
      cols = await columns(names.spans);
    }
    if (cols.size === 0) {
      throw new ClickHouseError(
        'not_found',
        where,
        `${where}: table not found (create it with the OpenTelemetry Collector's ClickHouse exporter, or open with createSchema)`,
      );
    }
    const missing = REQUIRED_COLUMNS.filter(
      ([name, type]) =>
        !cols
          .get(name)
          ?.replace(/^LowCardinality\(/, '')
          .startsWith(type),
    ).map(([name, type]) => (cols.has(name) ? `${name} (${cols.get(name)}, expected ${type || 'any'}…)` : name));
    if (missing.length > 0) {
      throw new ClickHouseError(
        'schema',
        where,
        `${where}: not the OpenTelemetry exporter's trace schema; missing or wrong columns: ${missing.join(', ')}`,
      );
    }
    const hasLookup = (await columns(names.traceIdTs)).has('Start');
    return new ClickHouseStore({
      executor,
      target: where,
      names,
      hasScope: cols.has('ScopeName') && cols.has('ScopeVersion'),
      hasLookup,
      version,
      options: {
        batchSpans: options.batchSpans ?? DEFAULTS.batchSpans,
        retries: options.retries ?? DEFAULTS.retries,
        retryDelayMs: options.retryDelayMs ?? DEFAULTS.retryDelayMs,
        dedupe: options.dedupe ?? DEFAULTS.dedupe,
      },
    });
  } catch (err) {
    if (typeof target === 'string') await executor.close().catch(() => undefined);
    throw clickHouseErrorFrom(err, where, 'connecting');
  }
}
