// TraceStore: the embedded DuckDB trace store (TraceSource + TraceSink), and openStore / defaultStoreDir.
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  type AppendResult,
  buildTraceIndex,
  bytesToHex,
  type DataBounds,
  emptySpanTable,
  isSpanTable,
  normalizeTraceId,
  type OperationInfo,
  type SpanQuery,
  type SpanTable,
  type TraceQuery,
  type TraceSink,
  type TraceSource,
  type TraceSummary,
  takeSpans,
} from '@aiops/span-model';
import { type DuckDBConnection, DuckDBInstance, type DuckDBPreparedStatement } from '@duckdb/node-api';
import { COMPACT, CREATE_SCHEMA, SCHEMA_VERSION, SPAN_READ_COLUMNS } from './internal/ddl.ts';
import { Dictionaries } from './internal/dictionaries.ts';
import { Mutex } from './internal/mutex.ts';
import {
  analysisColumns,
  OutOfOrderError,
  readAnalysisSpans,
  type SelectedTraces,
  wantedColumns,
} from './internal/read-analysis.ts';
import { CorruptRowError, readSpans } from './internal/read-spans.ts';
import { enteringClassesSql, requestSpansSql } from './internal/request-spans.ts';
import { createWriterTempTables, mergeSpanTables, type WriterState, writeBatch } from './internal/write-batch.ts';
import { StoreError } from './store-error.ts';

/** Query of {@link TraceStore.requestSpans}. */
export interface RequestSpanQuery {
  /** Traces starting at or after this instant (ns since the epoch). */
  readonly fromUnixNano?: bigint;
  /** Traces starting before this instant (ns since the epoch). */
  readonly toUnixNano?: bigint;
  /** The spans entering this service; without it, the root spans. */
  readonly service?: string;
  /** Only request spans of this operation. */
  readonly operation?: string;
}

/** Options of {@link openStore}. */
export interface OpenStoreOptions {
  /** Store directory. Default: {@link defaultStoreDir}. Created when missing (unless `readOnly`). */
  readonly dir?: string;
  /** Open without writing: no schema creation, `append` rejects. Default false. */
  readonly readOnly?: boolean;
  /** Spans per internal write batch when one `append` gets a larger table. Default 200,000. */
  readonly maxBatchSpans?: number;
  /**
   * When set, `append` calls {@link TraceStore.compact} after this many spans (see there). Default: never; the
   * live server sets it so that late spans rejoin their traces.
   */
  readonly compactSpans?: number;
  /**
   * DuckDB worker threads. Default: DuckDB's own (one per core). A short-lived process that only looks up a few
   * traces (for example `aiops trace`) spends less CPU per lookup with 1 (6.6–7.4 vs 8.0–12.9 ms at 10M spans on a
   * loaded 2-core machine); large scans and aggregations want more.
   */
  readonly threads?: number;
}

const DEFAULTS = { readOnly: false, maxBatchSpans: 200_000, compactSpans: Number.POSITIVE_INFINITY } as const;

/** Up to this many trace ids, a query tests them with an OR of comparisons; more go through a hash join. */
const TRACE_ID_OR_LIMIT = 16;

/** File name of the database inside the store directory. */
export const STORE_FILE_NAME = 'traces.duckdb';

/**
 * The default store directory: `$AIOPS_HOME` when set, else `~/.aiops`.
 *
 * @example
 * ```ts
 * defaultStoreDir(); // '/home/me/.aiops'
 * ```
 */
export function defaultStoreDir(): string {
  const home = process.env.AIOPS_HOME;
  return home && home.trim() !== '' ? resolve(home) : join(homedir(), '.aiops');
}

function engineError(err: unknown, dir: string): StoreError {
  const message = err instanceof Error ? err.message : String(err);
  if (/Could not set lock|Conflicting lock/i.test(message)) {
    const pid = /PID (\d+)/.exec(message)?.[1];
    return new StoreError(
      'locked',
      dir,
      `store: the trace store in ${dir} is in use by another process${pid ? ` (PID ${pid})` : ''}; ` +
        'stop it (for example a running `aiops serve`) or query it through that process',
      { cause: err },
    );
  }
  if (/not a valid DuckDB database|Corrupt|checksum/i.test(message)) {
    return new StoreError('corrupt', dir, `store: ${join(dir, STORE_FILE_NAME)} is not a readable trace store`, {
      cause: err,
    });
  }
  if (/newer version|older version|storage version/i.test(message)) {
    return new StoreError('version', dir, `store: ${dir} was written by an incompatible version of DuckDB`, {
      cause: err,
    });
  }
  return new StoreError('io', dir, `store: ${dir}: ${message.split('\n')[0]}`, { cause: err });
}

function hiLo(hex: string): [bigint, bigint] {
  return [BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)), BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`))];
}

function hexOf(hi: bigint, lo: bigint): string {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, hi, false);
  v.setBigInt64(8, lo, false);
  return bytesToHex(b, 0, 16);
}

function nano(value: bigint, name: string): string {
  if (typeof value !== 'bigint') throw new TypeError(`store: ${name} must be a bigint (ns since the epoch)`);
  return value.toString();
}

/**
 * The embedded trace store: a DuckDB database in one directory, read through {@link TraceSource} and written through
 * {@link TraceSink}. Get one with {@link openStore}.
 *
 * **Details**
 * - `append` is atomic and durable: one transaction per call, committed to DuckDB's write-ahead log before the
 *   promise resolves, so an acknowledged batch survives `kill -9`. Spans already stored (same trace id and span id)
 *   are skipped and counted in `duplicates`; spans of a trace that arrive in later batches update its summary.
 * - Reads (`getTrace`, `searchTraces`, ...) use their own connection and see only committed data.
 * - `getTrace` accepts 16 or 32 hex digits in any case; a 64-bit id equals its zero-padded 128-bit form.
 *
 * **Complexity** `getTrace` reads the trace table's id columns (16 B per trace) and then only the row groups of
 * `spans` whose zone maps contain the trace's number. `searchTraces` reads only the trace table.
 *
 * **Gotchas** One process at a time: DuckDB locks the file, and a second `openStore` on the same directory fails
 * with a {@link StoreError} of code `'locked'`. Call `close()` to release it.
 *
 * @example
 * ```ts
 * const store = await openStore({ dir: '/tmp/aiops' });
 * await store.append(table);
 * const trace = await store.getTrace('4bf92f3577b34da6a3ce929d0e0e4736');
 * await store.close();
 * ```
 */
export class TraceStore implements TraceSource, TraceSink {
  /** Backend name. */
  readonly kind: string = 'duckdb';
  /** The store directory. */
  readonly dir: string;
  /** The database file. */
  readonly path: string;
  /** Whether the store was opened read-only. */
  readonly readOnly: boolean;
  #instance: DuckDBInstance | undefined;
  #writer: DuckDBConnection | undefined;
  #reader: DuckDBConnection | undefined;
  readonly #dicts: Dictionaries;
  readonly #state: WriterState;
  readonly #writeLock = new Mutex();
  readonly #readLock = new Mutex();
  readonly #prepared = new Map<string, DuckDBPreparedStatement>();
  readonly #maxBatch: number;
  readonly #compactSpans: number;
  #recentSpans: number;

  /** Use {@link openStore}. */
  constructor(internals: {
    dir: string;
    path: string;
    readOnly: boolean;
    instance: DuckDBInstance;
    writer: DuckDBConnection | undefined;
    reader: DuckDBConnection;
    dicts: Dictionaries;
    nextTraceNo: number;
    maxBatchSpans: number;
    compactSpans: number;
    recentSpans: number;
  }) {
    this.dir = internals.dir;
    this.path = internals.path;
    this.readOnly = internals.readOnly;
    this.#instance = internals.instance;
    this.#writer = internals.writer;
    this.#reader = internals.reader;
    this.#dicts = internals.dicts;
    this.#state = { nextTraceNo: internals.nextTraceNo };
    this.#maxBatch = internals.maxBatchSpans;
    this.#compactSpans = internals.compactSpans;
    this.#recentSpans = internals.recentSpans;
  }

  #readConn(): DuckDBConnection {
    if (!this.#reader) throw new StoreError('closed', this.dir, `store: ${this.dir} is closed`);
    return this.#reader;
  }

  async #read<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.#readLock.run(async () => {
      const conn = this.#readConn();
      try {
        return await fn(conn);
      } catch (err) {
        if (err instanceof StoreError) throw err;
        if (err instanceof CorruptRowError) {
          throw new StoreError('corrupt', this.dir, `store: ${this.dir} holds an unreadable span (${err.message})`, {
            cause: err,
          });
        }
        throw engineError(err, this.dir);
      }
    });
  }

  /**
   * Writes spans durably; resolves once they are committed (queryable, and safe from a crash).
   *
   * **Details** Duplicates (same trace id and span id as a stored span, or as an earlier span of the same table) are
   * skipped and counted. Tables larger than `maxBatchSpans` are written in several transactions of whole traces.
   *
   * **Complexity** O(n log n) in JS plus DuckDB's columnar appends.
   *
   * **Gotchas** Rejects with a StoreError of code 'read-only' on a read-only store; with 'io' when the disk fails (the
   * batch is then rolled back entirely).
   */
  async append(spans: SpanTable): Promise<AppendResult> {
    if (!isSpanTable(spans)) throw new TypeError('store: append() expects a SpanTable');
    return this.#appendTable(spans);
  }

  /**
   * Writes several span tables as if they were one: the same result as `append(concatSpanTables(tables))`, without
   * span-model's span-by-span concatenation.
   *
   * **Details** The tables' rows are joined column by column (typed-array copies, dictionary codes remapped per
   * table) and written by the same path as {@link TraceStore.append}: one transaction when the total is at most
   * `maxBatchSpans`, otherwise several of whole traces. A trace split across the tables is written as one trace;
   * duplicates within and across the tables, and against stored spans, are skipped and counted; late spans update
   * their trace's summary. An empty list resolves to `{ inserted: 0, duplicates: 0 }`.
   *
   * **Complexity** O(total spans + attribute entries) for the join: 0.2–0.9 CPU µs per span measured in
   * `benchmarks/serve/path-probe.ts`, against 1.4–2 µs for `concatSpanTables`; then as `append`.
   *
   * **Gotchas** Rejects as `append` does; a non-SpanTable element is a TypeError naming its position.
   *
   * @example
   * ```ts
   * const { inserted, duplicates } = await store.appendAll([requestA, requestB, requestC]);
   * ```
   */
  async appendAll(tables: readonly SpanTable[]): Promise<AppendResult> {
    if (!Array.isArray(tables)) throw new TypeError('store: appendAll() expects an array of SpanTables');
    tables.forEach((t, i) => {
      if (!isSpanTable(t)) throw new TypeError(`store: appendAll() element ${i} is not a SpanTable`);
    });
    this.#checkWritable();
    const nonEmpty = tables.filter((t) => t.numSpans > 0);
    if (nonEmpty.length === 0) return { inserted: 0, duplicates: 0 };
    return this.#appendTable(mergeSpanTables(nonEmpty));
  }

  #checkWritable(): void {
    if (this.readOnly || !this.#writer) {
      if (!this.#reader) throw new StoreError('closed', this.dir, `store: ${this.dir} is closed`);
      throw new StoreError('read-only', this.dir, `store: ${this.dir} was opened read-only`);
    }
  }

  async #appendTable(spans: SpanTable): Promise<AppendResult> {
    this.#checkWritable();
    let inserted = 0;
    let duplicates = 0;
    for (const part of this.#split(spans)) {
      const r = await this.#writeLock.run(() => this.#appendOne(part));
      inserted += r.inserted;
      duplicates += r.duplicates;
      this.#recentSpans += r.inserted;
      if (this.#recentSpans >= this.#compactSpans) await this.compact();
    }
    return { inserted, duplicates };
  }

  /**
   * Rewrites the recently appended spans in trace order into the main span table (one transaction).
   *
   * **Details** Each `append` writes its spans in trace order, but spans of one trace that arrive in different
   * batches (the normal case with a live collector: every service exports on its own) end up in different row
   * groups. Compaction puts each trace's spans next to each other again, so a trace lookup decompresses one
   * vector per column instead of several, and the trace number column compresses to almost nothing.
   *
   * **Complexity** O(recent spans · log) inside DuckDB; about 1-2 s per million spans on one core.
   *
   * **Gotchas** The space of the moved rows is freed at the next checkpoint and reused by later writes; the file
   * itself does not shrink.
   */
  async compact(): Promise<void> {
    const conn = this.#writer;
    if (!conn) throw new StoreError('read-only', this.dir, `store: ${this.dir} was opened read-only`);
    await this.#writeLock.run(async () => {
      try {
        await conn.run('BEGIN TRANSACTION');
        for (const sql of COMPACT) await conn.run(sql);
        await conn.run('COMMIT');
        this.#recentSpans = 0;
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw engineError(err, this.dir);
      }
    });
  }

  #split(spans: SpanTable): SpanTable[] {
    if (spans.numSpans <= this.#maxBatch) return [spans];
    const index = buildTraceIndex(spans);
    const parts: SpanTable[] = [];
    let from = 0;
    let t0 = 0;
    for (let t = 0; t < index.traceCount; t++) {
      const end = index.offsets[t + 1]!;
      if (end - from >= this.#maxBatch || t === index.traceCount - 1) {
        parts.push(takeSpans(spans, index.rows.subarray(index.offsets[t0]!, end)));
        from = end;
        t0 = t + 1;
      }
    }
    return parts;
  }

  async #appendOne(spans: SpanTable): Promise<AppendResult> {
    const conn = this.#writer;
    if (!conn) throw new StoreError('closed', this.dir, `store: ${this.dir} is closed`);
    const nextTraceNo = this.#state.nextTraceNo;
    try {
      await conn.run('BEGIN TRANSACTION');
      const r = await writeBatch(conn, this.#dicts, this.#state, spans);
      await conn.run('COMMIT');
      this.#dicts.commit();
      return { inserted: r.inserted, duplicates: r.duplicates };
    } catch (err) {
      try {
        await conn.run('ROLLBACK');
      } catch {
        // The transaction may already be aborted; the reload below restores the writer's view either way.
      }
      this.#state.nextTraceNo = nextTraceNo;
      try {
        await this.#dicts.load(conn);
      } catch {
        // Reported through the original error.
      }
      throw engineError(err, this.dir);
    }
  }

  /** All spans of one trace (16 or 32 hex digits, any case), or undefined when unknown or not a trace id. */
  async getTrace(traceId: string): Promise<SpanTable | undefined> {
    const hex = normalizeTraceId(traceId);
    if (!hex) return undefined;
    const [hi, lo] = hiLo(hex);
    return this.#read(async (conn) => {
      const byId = await this.#prepare(
        conn,
        'SELECT trace_no, start_ns + base_delta FROM traces WHERE trace_hi = $1 AND trace_lo = $2 LIMIT 1',
      );
      byId.bindBigInt(1, hi);
      byId.bindBigInt(2, lo);
      const found = (await byId.runAndReadAll()).getRows()[0];
      if (!found) return undefined;
      // No ORDER BY: the rows of one trace are few, readSpans orders them without a sort in the engine.
      const spansOf = await this.#prepare(
        conn,
        `SELECT $1::BIGINT, $2::BIGINT, $3::BIGINT, ${SPAN_READ_COLUMNS} FROM all_spans s WHERE s.trace_no = $4`,
      );
      spansOf.bindBigInt(1, hi);
      spansOf.bindBigInt(2, lo);
      spansOf.bindBigInt(3, found[1] as bigint);
      spansOf.bindInteger(4, Number(found[0]));
      return readSpans(await spansOf.stream(), this.#dicts);
    });
  }

  /**
   * The traces `sel` selects, for a read of the span table without a join on them, or undefined when a join is
   * cheaper: they are less than half the trace numbers between the smallest and the largest selected (a few ids, a
   * service's traces among many). A time window selects a run of trace numbers: the read then filters on that range
   * (the engine skips the row groups outside it).
   */
  async #selectedTraces(conn: DuckDBConnection, sel: string): Promise<SelectedTraces | undefined> {
    const reader = await conn.runAndReadAll(
      `SELECT trace_no, trace_hi, trace_lo, base FROM (${sel}) ORDER BY trace_no`,
    );
    // An empty result has no column arrays at all.
    const [nos = [], his = [], los = [], bases = []] = reader.getColumns() as [number[], bigint[], bigint[], bigint[]];
    const m = nos.length;
    if (m === 0 || m * 2 < nos[m - 1]! - nos[0]! + 1) return undefined;
    const first = nos[0]!;
    const indexByNo = new Int32Array(nos[m - 1]! - first + 1).fill(-1);
    for (let i = 0; i < m; i++) indexByNo[nos[i]! - first] = i;
    return {
      first,
      indexByNo,
      hi: BigInt64Array.from(his),
      lo: BigInt64Array.from(los),
      base: BigInt64Array.from(bases),
    };
  }

  /** A prepared statement of the reader connection, prepared once. */
  async #prepare(conn: DuckDBConnection, sql: string): Promise<DuckDBPreparedStatement> {
    let p = this.#prepared.get(sql);
    if (!p) {
      p = await conn.prepare(sql);
      this.#prepared.set(sql, p);
    }
    return p;
  }

  /** SQL conditions on `traces` for a query, or undefined when nothing can match. */
  #traceWhere(q: TraceQuery & { traceIds?: readonly string[] }): string[] | undefined {
    const where: string[] = [];
    let serviceId: number | undefined;
    if (q.service !== undefined) {
      serviceId = this.#dicts.services.ids.get(q.service);
      if (serviceId === undefined || serviceId >= this.#dicts.services.committed) return undefined;
      where.push(`list_contains(services, ${serviceId})`);
    }
    if (q.operation !== undefined) {
      const ids: number[] = [];
      const { opName, opService } = this.#dicts;
      for (let id = 0; id < this.#dicts.ops.committed; id++) {
        if (opName[id] === q.operation && (serviceId === undefined || opService[id] === serviceId)) ids.push(id);
      }
      if (ids.length === 0) return undefined;
      where.push(`list_has_any(ops, [${ids.join(',')}])`);
    }
    if (q.fromUnixNano !== undefined) where.push(`start_ns >= ${nano(q.fromUnixNano, 'fromUnixNano')}`);
    if (q.toUnixNano !== undefined) where.push(`start_ns < ${nano(q.toUnixNano, 'toUnixNano')}`);
    if (q.minDurationNano !== undefined) where.push(`duration_ns >= ${nano(q.minDurationNano, 'minDurationNano')}`);
    if (q.maxDurationNano !== undefined) where.push(`duration_ns <= ${nano(q.maxDurationNano, 'maxDurationNano')}`);
    if (q.failed === true) where.push('error_count > 0');
    if (q.failed === false) where.push('error_count = 0');
    if (q.traceIds !== undefined) {
      const pairs: [bigint, bigint][] = [];
      for (const id of q.traceIds) {
        const hex = normalizeTraceId(id);
        if (hex) pairs.push(hiLo(hex));
      }
      if (pairs.length === 0) return undefined;
      // A few ids: an OR of comparisons (zone maps prune). Many: a hash semi-join against a VALUES list — an OR of
      // n comparisons costs O(n) per trace row (4,000 ids took 52 CPU-s on 202k traces).
      where.push(
        pairs.length <= TRACE_ID_OR_LIMIT
          ? `(${pairs.map(([hi, lo]) => `(trace_hi = ${hi} AND trace_lo = ${lo})`).join(' OR ')})`
          : `trace_no IN (SELECT t.trace_no FROM traces t JOIN (VALUES ${pairs
              .map(([hi, lo]) => `(${hi}::BIGINT, ${lo}::BIGINT)`)
              .join(', ')}) AS ids(hi, lo) ON t.trace_hi = ids.hi AND t.trace_lo = ids.lo)`,
      );
    }
    return where;
  }

  /** Summaries of the traces that match, newest first (reads only the trace table). */
  async searchTraces(query: TraceQuery): Promise<TraceSummary[]> {
    const where = this.#traceWhere(query);
    if (!where) return [];
    const limit = limitClause(query.limit, 'limit');
    return this.#read(async (conn) => {
      const rows = (
        await conn.runAndReadAll(
          `SELECT trace_hi, trace_lo, root_op, start_ns, duration_ns, span_count, services, error_count FROM traces
            ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY start_ns DESC, trace_no DESC ${limit}`,
        )
      ).getRows();
      const d = this.#dicts;
      return rows.map((r): TraceSummary => {
        const rootOp = Number(r[2]);
        return {
          traceId: hexOf(r[0] as bigint, r[1] as bigint),
          rootService: rootOp >= 0 ? d.services.values[d.opService[rootOp]!]! : '',
          rootOperation: rootOp >= 0 ? d.opName[rootOp]! : '',
          startUnixNano: r[3] as bigint,
          durationNano: r[4] as bigint,
          spanCount: Number(r[5]),
          services: ((r[6] as { items: number[] }).items ?? []).map((id) => d.services.values[Number(id)]!).sort(),
          errorCount: Number(r[7]),
        };
      });
    });
  }

  /** All spans of the traces that match (whole traces, ordered by trace then arrival). */
  async spans(query: SpanQuery): Promise<SpanTable> {
    const where = this.#traceWhere(query);
    if (!where) return emptySpanTable();
    const limit = limitClause(query.limitTraces, 'limitTraces');
    const sel = `SELECT trace_no, trace_hi, trace_lo, start_ns + base_delta AS base, span_count FROM traces
            ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY start_ns DESC, trace_no DESC ${limit}`;
    return this.#read(async (conn) => {
      // The span count of the selected traces (a scan of the trace table) sizes the table being built up front.
      const expected = (await conn.runAndReadAll(`SELECT sum(span_count) FROM (${sel})`)).getRows()[0]?.[0];
      if (query.detail === 'analysis') {
        const wanted = wantedColumns(query.analysisColumns);
        const columns = analysisColumns(this.#dicts, wanted);
        const read = async (ordered: boolean, traces?: SelectedTraces): Promise<SpanTable> =>
          readAnalysisSpans(
            await conn.stream(
              traces
                ? // No join: the trace columns come from `traces`; duration_ns stands in for them (same width).
                  `SELECT s.duration_ns, s.duration_ns, s.duration_ns, ${columns.select} FROM all_spans s
                    WHERE s.trace_no BETWEEN ${traces.first} AND ${traces.first + traces.indexByNo.length - 1}`
                : `WITH sel AS MATERIALIZED (${sel})
             SELECT sel.trace_hi, sel.trace_lo, sel.base, ${columns.select}
               FROM all_spans s JOIN sel ON s.trace_no = sel.trace_no ${ordered ? 'ORDER BY s.trace_no, s.seq' : ''}`,
            ),
            this.#dicts,
            Math.min(Number(expected ?? 0), 1 << 28),
            // The texts come from every trace the conditions select, without the limit (or, read without a join,
            // from the trace numbers up to the largest read: a range filter, no join): a superset of the rows read
            // even when traces were appended in between.
            async () =>
              columns.distinct
                ? ((
                    await conn.runAndReadAll(
                      traces
                        ? columns.distinct(
                            `s.trace_no BETWEEN ${traces.first} AND ${traces.first + traces.indexByNo.length - 1}`,
                          )
                        : `WITH sel AS MATERIALIZED (SELECT trace_no FROM traces ${where.length ? `WHERE ${where.join(' AND ')}` : ''})
                       ${columns.distinct('s.trace_no IN (SELECT trace_no FROM sel)')}`,
                    )
                  ).getRows() as [bigint, string][])
                : [],
            wanted,
            !ordered,
            traces,
          );
        // Stored rows are mostly in (trace, seq) order already (each batch writes whole traces in order, compaction
        // sorts): read them as they come, and sort only when a row arrives out of order (late spans of a trace).
        // A join loses the scan order: narrow selections go straight to the sorted join.
        const traces = await this.#selectedTraces(conn, sel);
        if (!traces) return read(true);
        try {
          return await read(false, traces);
        } catch (err) {
          if (!(err instanceof OutOfOrderError)) throw err;
          return read(true);
        }
      }
      return readSpans(
        await conn.stream(
          `WITH sel AS MATERIALIZED (${sel})
         SELECT sel.trace_hi, sel.trace_lo, sel.base, ${SPAN_READ_COLUMNS}
           FROM all_spans s JOIN sel ON s.trace_no = sel.trace_no ORDER BY s.trace_no, s.seq`,
        ),
        this.#dicts,
        Math.min(Number(expected ?? 0), 1 << 28),
      );
    });
  }

  /**
   * The request spans of the traces starting in a window: their root spans (no parent reference), or with
   * `service` the spans of that service whose parent is absent from the trace, is the span itself or belongs to
   * another service. With `operation`, only those of that operation (any service when no service is given).
   *
   * **Details** The same spans, with every column, as filtering `spans({ fromUnixNano, toUnixNano, service })` with
   * `buildChildrenIndex`: `aiops stats traces` reads its requests this way without loading whole traces.
   * Parent span ids are kept; the parents themselves are not returned.
   *
   * **Complexity** One scan of the span table's class and id columns (plus a join on the parents with `service`),
   * a scan of the value columns that hold attribute values the returned spans repeat (stored once per trace), and
   * only the returned spans decoded in JS: 6.9 CPU-s for the 202k root spans of 18M stored spans.
   *
   * **Gotchas** Ordered by trace, then arrival within the trace. An unknown service or operation gives an empty
   * table.
   *
   * @example
   * ```ts
   * const roots = await store.requestSpans({ fromUnixNano, toUnixNano });          // one span per request
   * const cart = await store.requestSpans({ service: 'cart', operation: 'POST /cart' });
   * ```
   */
  async requestSpans(query: RequestSpanQuery): Promise<SpanTable> {
    const { service, operation, ...window } = query;
    const where = this.#traceWhere({ ...window, ...(service !== undefined ? { service } : {}) });
    if (!where) return emptySpanTable();
    return this.#read(async (conn) => {
      const selection = {
        traceWhere: where,
        serviceId: service === undefined ? undefined : this.#dicts.services.ids.get(service),
        operation,
      };
      const run = async (): Promise<SpanTable> => {
        let classes: Set<number> | undefined;
        if (selection.serviceId !== undefined) {
          // Which span classes enter the service, first: the final statement then reads only spans of those.
          const sql = enteringClassesSql(this.#dicts, selection);
          if (sql === undefined) return emptySpanTable();
          classes = new Set((await conn.runAndReadAll(sql)).getRows().map((r) => Number(r[0])));
          if (classes.size === 0) return emptySpanTable();
        }
        const q = requestSpansSql(this.#dicts, { ...selection, ...(classes ? { classes } : {}) });
        if (q === undefined) return emptySpanTable();
        return readSpans(await conn.stream(q.sql), this.#dicts, 1024, q.repeatKeys);
      };
      // Both statements in one transaction, so that they see the same spans.
      await conn.run('BEGIN TRANSACTION');
      let table: SpanTable;
      try {
        table = await run();
      } catch (err) {
        await conn.run('ROLLBACK').catch(() => undefined);
        throw err;
      }
      await conn.run('COMMIT');
      return table;
    });
  }

  /** Distinct service names, sorted. */
  async services(): Promise<string[]> {
    return this.#read(async (conn) =>
      (await conn.runAndReadAll('SELECT name FROM services ORDER BY name')).getRows().map((r) => String(r[0])),
    );
  }

  /** Operations (of one service, or all) with their span counts, sorted by service then operation. */
  async operations(service?: string): Promise<OperationInfo[]> {
    return this.#read(async (conn) => {
      const filter = service === undefined ? '' : 'WHERE s.name = $1';
      const reader = await conn.runAndReadAll(
        `SELECT s.name, o.name, o.span_count FROM operations o JOIN services s ON s.service_id = o.service_id
          ${filter} ORDER BY s.name, o.name`,
        service === undefined ? [] : [service],
      );
      return reader.getRows().map((r) => ({ service: String(r[0]), operation: String(r[1]), spanCount: Number(r[2]) }));
    });
  }

  /** Time range, span and trace counts; undefined when the store is empty. */
  async bounds(): Promise<DataBounds | undefined> {
    return this.#read(async (conn) => {
      const r = (
        await conn.runAndReadAll(
          'SELECT min(start_ns), max(start_ns + duration_ns), sum(span_count)::BIGINT, count(*) FROM traces',
        )
      ).getRows()[0];
      if (!r || Number(r[3]) === 0) return undefined;
      return {
        fromUnixNano: r[0] as bigint,
        toUnixNano: r[1] as bigint,
        spanCount: Number(r[2]),
        traceCount: Number(r[3]),
      };
    });
  }

  /**
   * Writes everything from the write-ahead log into the database file (compressed). DuckDB also does this by
   * itself when the log grows past 16 MB and on close; call it before measuring the file size.
   */
  async checkpoint(): Promise<void> {
    const conn = this.#writer;
    if (!conn) throw new StoreError('read-only', this.dir, `store: ${this.dir} was opened read-only`);
    await this.#writeLock.run(async () => {
      try {
        await conn.run('CHECKPOINT');
      } catch (err) {
        throw engineError(err, this.dir);
      }
    });
  }

  /** Waits for running calls, then releases the connections and the file lock. Idempotent. */
  async close(): Promise<void> {
    await this.#writeLock.run(async () => undefined);
    await this.#readLock.run(async () => undefined);
    for (const p of this.#prepared.values()) p.destroySync();
    this.#prepared.clear();
    this.#writer?.closeSync();
    this.#reader?.closeSync();
    this.#instance?.closeSync();
    this.#writer = undefined;
    this.#reader = undefined;
    this.#instance = undefined;
  }
}

function limitClause(limit: number | undefined, name: string): string {
  if (limit === undefined) return '';
  if (!Number.isInteger(limit) || limit < 0) throw new RangeError(`store: ${name} must be a non-negative integer`);
  return `LIMIT ${limit}`;
}

/**
 * Opens (and creates when missing) the embedded trace store in a directory.
 *
 * **Details** The directory defaults to {@link defaultStoreDir} (`$AIOPS_HOME` or `~/.aiops`) and is created when
 * missing; the database is `traces.duckdb` inside it. A read-only open never creates anything.
 *
 * **Complexity** Loads the small dictionary tables (services, operations, resources, attribute shapes) into memory.
 *
 * **Gotchas** Rejects with a {@link StoreError}: `'locked'` when another process has the store open (DuckDB allows
 * one writing process per file), `'corrupt'` when the file is not a DuckDB database, `'not-found'` for a read-only
 * open of a missing store, `'version'` for an incompatible file, `'io'` otherwise.
 *
 * @example
 * ```ts
 * const store = await openStore();                        // ~/.aiops/traces.duckdb
 * const ro = await openStore({ dir: '/data/aiops', readOnly: true });
 * ```
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<TraceStore> {
  const dir = resolve(options.dir ?? defaultStoreDir());
  const readOnly = options.readOnly ?? DEFAULTS.readOnly;
  const maxBatchSpans = options.maxBatchSpans ?? DEFAULTS.maxBatchSpans;
  const compactSpans = options.compactSpans ?? DEFAULTS.compactSpans;
  if (compactSpans !== Number.POSITIVE_INFINITY && (!Number.isInteger(compactSpans) || compactSpans < 1)) {
    throw new RangeError('store: compactSpans must be a positive integer');
  }
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new RangeError('store: threads must be a positive integer');
  }
  if (!Number.isInteger(maxBatchSpans) || maxBatchSpans < 1) {
    throw new RangeError('store: maxBatchSpans must be a positive integer');
  }
  const path = join(dir, STORE_FILE_NAME);
  if (readOnly && !existsSync(path)) {
    throw new StoreError('not-found', dir, `store: no trace store in ${dir} (import traces first)`);
  }
  if (!readOnly) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw new StoreError('io', dir, `store: cannot create ${dir}: ${(err as Error).message}`, { cause: err });
    }
  }
  let instance: DuckDBInstance;
  try {
    const config: Record<string, string> = readOnly ? { access_mode: 'READ_ONLY' } : {};
    if (options.threads !== undefined) config.threads = String(options.threads);
    instance = await DuckDBInstance.create(path, config);
  } catch (err) {
    throw engineError(err, dir);
  }
  try {
    const first = await instance.connect();
    if (!readOnly) {
      for (const sql of CREATE_SCHEMA) await first.run(sql);
      await first.run(`INSERT OR IGNORE INTO meta VALUES ('schema_version', '${SCHEMA_VERSION}')`);
    }
    const version = (
      await first.runAndReadAll("SELECT value FROM meta WHERE key = 'schema_version'").catch(() => undefined)
    )?.getRows()[0]?.[0];
    if (version === undefined) {
      throw new StoreError('corrupt', dir, `store: ${path} is a DuckDB file but not an aiops trace store`);
    }
    if (String(version) !== String(SCHEMA_VERSION)) {
      throw new StoreError(
        'version',
        dir,
        `store: ${dir} has schema version ${String(version)}, this aiops reads version ${SCHEMA_VERSION}; import the traces again into a new store directory`,
      );
    }
    const dicts = new Dictionaries();
    await dicts.load(first);
    const next = (await first.runAndReadAll('SELECT coalesce(max(trace_no) + 1, 0) FROM traces')).getRows()[0]![0];
    const recent = (await first.runAndReadAll('SELECT count(*) FROM spans_recent')).getRows()[0]![0];
    let writer: DuckDBConnection | undefined;
    if (!readOnly) {
      writer = first;
      await createWriterTempTables(writer);
    }
    const reader = readOnly ? first : await instance.connect();
    return new TraceStore({
      dir,
      path,
      readOnly,
      instance,
      writer,
      reader,
      dicts,
      nextTraceNo: Number(next),
      maxBatchSpans,
      compactSpans,
      recentSpans: Number(recent),
    });
  } catch (err) {
    instance.closeSync();
    if (err instanceof StoreError) throw err;
    throw engineError(err, dir);
  }
}
