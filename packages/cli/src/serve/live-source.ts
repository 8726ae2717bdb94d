// What the query API of `aiops serve` reads: the store merged with the head block (spans acknowledged but not yet
// written to the store), so a span is queryable the moment its export is acknowledged. A trace can have spans in
// both (its late spans arrived after the first ones were flushed): such traces are put together from both sides.
import {
  buildTraceIndex,
  concatSpanTables,
  type DataBounds,
  emptySpanTable,
  normalizeTraceId,
  type OperationInfo,
  type SpanQuery,
  type SpanTable,
  type TraceQuery,
  type TraceSource,
  type TraceSummary,
  takeSpans,
} from '@aiops/span-model';
import { emptyPart, type HeadBlock, mergePart, partsOf, type TracePart } from './head-block.ts';
import type { StoreBackend } from './store-client.ts';

/** Most trace ids per store read when head traces are checked against the store. */
const STORE_LOOKUP_BATCH = 5_000;

/**
 * Trace ids written to the store by this server recently: a head trace among them also has spans in the store.
 *
 * **Details** Kept in generations (one per flush); the oldest generations are dropped beyond `maxIds` ids.
 */
export class RecentTraceIds {
  readonly #generations: Set<string>[] = [];
  readonly #maxIds: number;
  #size = 0;

  constructor(maxIds = 200_000) {
    this.#maxIds = maxIds;
  }

  /** Whether ids were ever dropped (then an id not found here may still have been flushed). */
  evicted = false;

  /** Records the ids of one flush. */
  add(ids: Iterable<string>): void {
    const g = new Set(ids);
    this.#generations.push(g);
    this.#size += g.size;
    while (this.#size > this.#maxIds && this.#generations.length > 1) {
      this.#size -= this.#generations.shift()!.size;
      this.evicted = true;
    }
  }

  /** Whether the id was flushed recently. */
  has(id: string): boolean {
    for (let i = this.#generations.length - 1; i >= 0; i--) if (this.#generations[i]!.has(id)) return true;
    return false;
  }
}

function summaryOf(id: string, p: TracePart): TraceSummary {
  return {
    traceId: id,
    rootService: p.rootService,
    rootOperation: p.rootOperation,
    startUnixNano: p.startUnixNano,
    durationNano: p.endUnixNano - p.startUnixNano,
    spanCount: p.spanCount,
    services: [...p.services].sort(),
    errorCount: p.errorCount,
  };
}

function matches(p: TracePart, q: TraceQuery): boolean {
  if (q.service !== undefined && !p.services.has(q.service)) return false;
  if (q.operation !== undefined) {
    if (q.service !== undefined) {
      if (!p.ops.has(`${q.service}\u0000${q.operation}`)) return false;
    } else {
      let any = false;
      for (const o of p.ops) if (o.slice(o.indexOf('\u0000') + 1) === q.operation) any = true;
      if (!any) return false;
    }
  }
  if (q.fromUnixNano !== undefined && p.startUnixNano < q.fromUnixNano) return false;
  if (q.toUnixNano !== undefined && p.startUnixNano >= q.toUnixNano) return false;
  const d = p.endUnixNano - p.startUnixNano;
  if (q.minDurationNano !== undefined && d < q.minDurationNano) return false;
  if (q.maxDurationNano !== undefined && d > q.maxDurationNano) return false;
  if (q.failed === true && p.errorCount === 0) return false;
  if (q.failed === false && p.errorCount > 0) return false;
  return true;
}

const byStartDesc = (a: { startUnixNano: bigint }, b: { startUnixNano: bigint }): number =>
  a.startUnixNano < b.startUnixNano ? 1 : a.startUnixNano > b.startUnixNano ? -1 : 0;

/** `table` (one trace) without the later rows of a span id seen before; `table` itself when there are none. */
function withoutRepeatedSpans(table: SpanTable): SpanTable {
  const ids = table.columns.spanId;
  const seen = new Set<string>();
  const keep: number[] = [];
  for (let r = 0; r < table.numSpans; r++) {
    const id = Buffer.from(ids.buffer, ids.byteOffset + r * 8, 8).toString('hex');
    if (seen.has(id)) continue;
    seen.add(id);
    keep.push(r);
  }
  return keep.length === table.numSpans ? table : takeSpans(table, Int32Array.from(keep));
}

/**
 * The store and the head block as one {@link TraceSource}.
 *
 * **Details** Reads that the head can answer alone (a trace only in the head) do not wait for the store thread.
 *
 * **Complexity** Searches visit every head trace (their parts are computed once per request table); the store's
 * side costs what it costs without a head.
 *
 * **Gotchas** Until the next flush, a span sent twice (same trace and span id) is in the head twice: it counts twice
 * in `bounds().spanCount`, in a search summary's `spanCount` and in `operations()`, and `getTrace`/`spans` return it
 * twice; the store keeps one copy. Whether a head trace also has spans in the store is looked up once per trace (a
 * store read of its id, in batches) the first time a query needs it, then remembered while the trace is in the head.
 */
export class LiveSource implements TraceSource {
  readonly kind: string = 'duckdb';
  readonly #store: StoreBackend;
  readonly #head: HeadBlock;
  readonly #recent: RecentTraceIds;

  readonly #storeEmptyAtStart: boolean;

  /**
   * `storeEmptyAtStart`: the store had no spans when the server started (after the WAL replay). Then, as long as
   * `recent` has dropped no ids, a trace it does not hold has no spans in the store, and no lookup is needed.
   */
  readonly #settled: () => Promise<void>;

  constructor(
    store: StoreBackend,
    head: HeadBlock,
    recent: RecentTraceIds,
    storeEmptyAtStart = false,
    settled: () => Promise<void> = async () => undefined,
  ) {
    this.#store = store;
    this.#head = head;
    this.#recent = recent;
    this.#storeEmptyAtStart = storeEmptyAtStart;
    this.#settled = settled;
  }

  /**
   * Runs a read that merges the store with the head so that no span is seen on both sides. A flush's tables stay in
   * the head until the store has replied, but the store can answer another read with them already committed: such
   * a read, and one that a flush began or ended during, is run again once the flush running then is over (at most 3
   * times; it does not wait for later flushes, which under sustained ingest never stop).
   */
  async #consistent<T>(read: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.#head.flushing) await this.#settled();
      const epoch = this.#head.epoch;
      const result = await read();
      if ((this.#head.epoch === epoch && !this.#head.flushing) || attempt >= 3) return result;
    }
  }

  /** Whether the store may have spans of a head trace (flushed by this run, found there, or not checked yet). */
  #maybeInStore(id: string): boolean {
    if (this.#recent.has(id)) return true;
    const known = this.#head.inStore(id);
    if (known !== undefined) return known;
    return !(this.#storeEmptyAtStart && !this.#recent.evicted);
  }

  /**
   * The store's spans of those head traces that may have some there. Traces not checked yet are looked up here (a
   * trace whose first spans an earlier run of the server stored is one of them) and what was found is remembered.
   */
  async #storedPartsOf(ids: Iterable<string>): Promise<SpanTable[]> {
    const ask: string[] = [];
    for (const id of ids) if (this.#maybeInStore(id)) ask.push(id);
    const out: SpanTable[] = [];
    for (let i = 0; i < ask.length; i += STORE_LOOKUP_BATCH) {
      const batch = ask.slice(i, i + STORE_LOOKUP_BATCH);
      const stored = await this.#store.spans({ traceIds: batch });
      const found = new Set<string>();
      if (stored.numSpans > 0) {
        const index = buildTraceIndex(stored);
        const tid = stored.columns.traceId;
        for (let t = 0; t < index.traceCount; t++) {
          const first = index.rows[index.offsets[t]!]! * 16;
          found.add(Buffer.from(tid.subarray(first, first + 16)).toString('hex'));
        }
        out.push(stored);
      }
      for (const id of batch) this.#head.setInStore(id, found.has(id));
    }
    return out;
  }

  getTrace(traceId: string): Promise<SpanTable | undefined> {
    // A trace known to be only in the head is answered at once, even while a flush runs (nothing to merge).
    const hex = normalizeTraceId(traceId);
    const head = hex && !this.#maybeInStore(hex) ? this.#head.get(hex) : undefined;
    if (head) return Promise.resolve(head);
    // Not through #consistent: waiting for flushes to end made lookups wait seconds under sustained ingest.
    return this.#getTrace(traceId);
  }

  async #getTrace(traceId: string): Promise<SpanTable | undefined> {
    const hex = normalizeTraceId(traceId);
    if (!hex) return undefined;
    const head = this.#head.get(hex);
    if (head && !this.#maybeInStore(hex)) return head;
    for (let attempt = 0; ; attempt++) {
      const epoch = this.#head.epoch;
      const stored = await this.#store.getTrace(hex);
      // A flush that began or ended during the store read may have moved spans out of the head after the store was
      // read: read the store again (a few ms; flushes take seconds, so this ends at once).
      if (this.#head.epoch !== epoch && attempt < 3) continue;
      const fresh = this.#head.get(hex);
      if (!fresh) return stored;
      this.#head.setInStore(hex, stored !== undefined && stored.numSpans > 0);
      // A flush committed and not yet out of the head has its spans on both sides: each is kept once.
      return stored && stored.numSpans > 0 ? withoutRepeatedSpans(concatSpanTables([stored, fresh])) : fresh;
    }
  }

  /** Head traces with their parts, merged with their store parts when they are split. */
  async #headTraces(): Promise<Map<string, TracePart>> {
    const traces = this.#head.traces();
    for (const stored of await this.#storedPartsOf(traces.keys())) {
      const index = buildTraceIndex(stored);
      const parts = partsOf(stored, index);
      const tid = stored.columns.traceId;
      for (let t = 0; t < index.traceCount; t++) {
        const first = index.rows[index.offsets[t]!]! * 16;
        const p = traces.get(Buffer.from(tid.subarray(first, first + 16)).toString('hex'));
        if (p) mergePart(p, parts[t]!);
      }
    }
    return traces;
  }

  searchTraces(query: TraceQuery): Promise<TraceSummary[]> {
    return this.#consistent(() => this.#searchTraces(query));
  }

  async #searchTraces(query: TraceQuery): Promise<TraceSummary[]> {
    if (this.#head.spans === 0) return this.#store.searchTraces(query);
    const head = await this.#headTraces();
    const own: TraceSummary[] = [];
    for (const [id, p] of head) if (matches(p, query)) own.push(summaryOf(id, p));
    const storeQuery = query.limit === undefined ? query : { ...query, limit: query.limit + head.size };
    const stored = (await this.#store.searchTraces(storeQuery)).filter((s) => !head.has(s.traceId));
    const all = stored.concat(own).sort(byStartDesc);
    return query.limit === undefined ? all : all.slice(0, query.limit);
  }

  spans(query: SpanQuery): Promise<SpanTable> {
    return this.#consistent(() => this.#spans(query));
  }

  async #spans(query: SpanQuery): Promise<SpanTable> {
    if (this.#head.spans === 0) return this.#store.spans(query);
    const head = await this.#headTraces();
    const ids = query.traceIds ? new Set(query.traceIds.map((t) => normalizeTraceId(t) ?? '')) : undefined;
    const selected: { id: string; startUnixNano: bigint }[] = [];
    for (const [id, p] of head) {
      if (ids && !ids.has(id)) continue;
      if (!matches(p, { ...(query.service === undefined ? {} : { service: query.service }), ...window(query) }))
        continue;
      selected.push({ id, startUnixNano: p.startUnixNano });
    }
    const storeQuery =
      query.limitTraces === undefined ? query : { ...query, limitTraces: query.limitTraces + head.size };
    const stored = await this.#store.spans(storeQuery);
    // Traces of the store's answer, minus those the head has (they are added whole below).
    const index = buildTraceIndex(stored);
    const tid = stored.columns.traceId;
    const start = stored.columns.startUnixNano;
    const candidates: { startUnixNano: bigint; store: number; id: string }[] = [];
    for (let t = 0; t < index.traceCount; t++) {
      const first = index.rows[index.offsets[t]!]!;
      const id = Buffer.from(tid.subarray(first * 16, first * 16 + 16)).toString('hex');
      if (head.has(id)) continue;
      let s = start[first]!;
      for (let k = index.offsets[t]! + 1; k < index.offsets[t + 1]!; k++)
        if (start[index.rows[k]!]! < s) s = start[index.rows[k]!]!;
      candidates.push({ startUnixNano: s, store: t, id });
    }
    for (const h of selected) candidates.push({ startUnixNano: h.startUnixNano, store: -1, id: h.id });
    candidates.sort(byStartDesc);
    const kept = query.limitTraces === undefined ? candidates : candidates.slice(0, query.limitTraces);
    const storeRows: number[] = [];
    const headIds: string[] = [];
    for (const c of kept) {
      if (c.store >= 0)
        for (let k = index.offsets[c.store]!; k < index.offsets[c.store + 1]!; k++) storeRows.push(index.rows[k]!);
      else headIds.push(c.id);
    }
    const parts: SpanTable[] = [];
    if (storeRows.length > 0) parts.push(storeRows.length === stored.numSpans ? stored : takeSpans(stored, storeRows));
    parts.push(...(await this.#storedPartsOf(headIds)));
    for (const id of headIds) {
      const t = this.#head.get(id);
      if (t) parts.push(t);
    }
    if (parts.length === 0) return emptySpanTable();
    return parts.length === 1 ? parts[0]! : concatSpanTables(parts);
  }

  async services(): Promise<string[]> {
    const names = new Set(await this.#store.services());
    for (const key of this.#head.operationCounts().keys()) names.add(key.slice(0, key.indexOf('\u0000')));
    return [...names].sort();
  }

  operations(service?: string): Promise<OperationInfo[]> {
    return this.#consistent(() => this.#operations(service));
  }

  async #operations(service: string | undefined): Promise<OperationInfo[]> {
    const stored = await this.#store.operations(service);
    const counts = this.#head.operationCounts();
    if (counts.size === 0) return stored;
    const merged = new Map<string, number>();
    for (const o of stored) merged.set(`${o.service}\u0000${o.operation}`, o.spanCount);
    for (const [key, n] of counts) {
      if (service !== undefined && key.slice(0, key.indexOf('\u0000')) !== service) continue;
      merged.set(key, (merged.get(key) ?? 0) + n);
    }
    return [...merged]
      .map(([key, spanCount]) => {
        const cut = key.indexOf('\u0000');
        return { service: key.slice(0, cut), operation: key.slice(cut + 1), spanCount };
      })
      .sort((a, b) =>
        a.service < b.service
          ? -1
          : a.service > b.service
            ? 1
            : a.operation < b.operation
              ? -1
              : a.operation > b.operation
                ? 1
                : 0,
      );
  }

  bounds(): Promise<DataBounds | undefined> {
    return this.#consistent(() => this.#bounds());
  }

  async #bounds(): Promise<DataBounds | undefined> {
    const stored = await this.#store.bounds();
    if (this.#head.spans === 0) return stored;
    const total = emptyPart();
    let newTraces = 0;
    const traces = this.#head.traces();
    if (stored) await this.#storedPartsOf(traces.keys()); // which head traces the store counts already
    for (const [id, p] of traces) {
      mergePart(total, p);
      if (!stored || !this.#maybeInStore(id)) newTraces++;
    }
    if (!stored) {
      return {
        fromUnixNano: total.startUnixNano,
        toUnixNano: total.endUnixNano,
        spanCount: total.spanCount,
        traceCount: newTraces,
      };
    }
    return {
      fromUnixNano: total.startUnixNano < stored.fromUnixNano ? total.startUnixNano : stored.fromUnixNano,
      toUnixNano: total.endUnixNano > stored.toUnixNano ? total.endUnixNano : stored.toUnixNano,
      spanCount: stored.spanCount + total.spanCount,
      traceCount: stored.traceCount + newTraces,
    };
  }

  /** The store is closed by the server, not through the query API. */
  async close(): Promise<void> {}
}

function window(q: SpanQuery): TraceQuery {
  return {
    ...(q.fromUnixNano === undefined ? {} : { fromUnixNano: q.fromUnixNano }),
    ...(q.toUnixNano === undefined ? {} : { toUnixNano: q.toUnixNano }),
  };
}
