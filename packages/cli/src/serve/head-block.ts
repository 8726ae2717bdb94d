// The head block of `aiops serve`: the spans that are durable in the write-ahead log but not yet written to DuckDB,
// kept as the decoded span tables of their requests, with a trace id → (table, trace) map, so the query API answers
// from them the moment a request is acknowledged. The background writer takes the tables out once they are in the
// store.
import {
  buildTraceIndex,
  bytesToHex,
  concatSpanTables,
  type SpanTable,
  StatusCode,
  type TraceIndex,
  takeSpans,
  traceRows,
} from '@aiops/span-model';

/** What one table contributes to one trace: the parts a {@link TraceSummary} is merged from. */
export interface TracePart {
  startUnixNano: bigint;
  endUnixNano: bigint;
  spanCount: number;
  errorCount: number;
  /** Root span (no parent) with the earliest start, or -1. */
  rootStart: bigint;
  rootService: string;
  rootOperation: string;
  services: Set<string>;
  /** `service\u0000operation` of every span. */
  ops: Set<string>;
}

/** One request's spans in the head. */
export interface HeadChunk {
  readonly table: SpanTable;
  readonly index: TraceIndex;
  /** Hex id of each trace of `index`. */
  readonly ids: readonly string[];
  /** Per-trace parts, computed when first searched. */
  parts: TracePart[] | undefined;
  /** Being written to the store right now. */
  flushing: boolean;
}

interface Location {
  readonly chunk: HeadChunk;
  readonly trace: number;
}

/** An empty part, to merge others into. */
export function emptyPart(): TracePart {
  return {
    startUnixNano: 0n,
    endUnixNano: 0n,
    spanCount: 0,
    errorCount: 0,
    rootStart: 0n,
    rootService: '',
    rootOperation: '',
    services: new Set(),
    ops: new Set(),
  };
}

/** Adds `b` into `a`. */
export function mergePart(a: TracePart, b: TracePart): void {
  if (b.spanCount === 0) return;
  if (a.spanCount === 0 || b.startUnixNano < a.startUnixNano) a.startUnixNano = b.startUnixNano;
  if (a.spanCount === 0 || b.endUnixNano > a.endUnixNano) a.endUnixNano = b.endUnixNano;
  a.spanCount += b.spanCount;
  a.errorCount += b.errorCount;
  if (b.rootOperation !== '' || b.rootService !== '') {
    if ((a.rootOperation === '' && a.rootService === '') || b.rootStart < a.rootStart) {
      a.rootStart = b.rootStart;
      a.rootService = b.rootService;
      a.rootOperation = b.rootOperation;
    }
  }
  for (const s of b.services) a.services.add(s);
  for (const o of b.ops) a.ops.add(o);
}

/** The parts of every trace of `table` (one pass over the columns). */
export function partsOf(table: SpanTable, index: TraceIndex): TracePart[] {
  const c = table.columns;
  const svc = table.dict('service');
  const op = table.dict('operation');
  const parts: TracePart[] = [];
  for (let t = 0; t < index.traceCount; t++) {
    const p = emptyPart();
    let hasRoot = false;
    for (let k = index.offsets[t]!; k < index.offsets[t + 1]!; k++) {
      const r = index.rows[k]!;
      const start = c.startUnixNano[r]!;
      const end = start + c.durationNano[r]!;
      if (p.spanCount === 0 || start < p.startUnixNano) p.startUnixNano = start;
      if (p.spanCount === 0 || end > p.endUnixNano) p.endUnixNano = end;
      p.spanCount++;
      if (c.statusCode[r] === StatusCode.Error) p.errorCount++;
      const s = svc.values[svc.codes[r]!] ?? '';
      const o = op.values[op.codes[r]!] ?? '';
      p.services.add(s);
      p.ops.add(`${s}\u0000${o}`);
      if (c.parentRefType[r] === 0 && (!hasRoot || start < p.rootStart)) {
        hasRoot = true;
        p.rootStart = start;
        p.rootService = s;
        p.rootOperation = o;
      }
    }
    parts.push(p);
  }
  return parts;
}

/**
 * The in-memory head block.
 *
 * **Details** Tables are added in acknowledgement order. {@link beginFlush} marks every table present as being
 * written; {@link endFlush} removes them once the store has them (or unmarks them after a failed write). Queries see
 * every table until it is removed, so a span is always visible either here or in the store.
 *
 * **Complexity** `add` builds a trace index of the table (a hash over the binary trace ids) and one hex string per
 * trace; `get` is a map lookup plus a copy of the trace's rows.
 *
 * **Gotchas** A span sent twice (an exporter retrying) is counted twice here until the store drops the duplicate.
 */
export class HeadBlock {
  #chunks: HeadChunk[] = [];
  #byTrace = new Map<string, Location[]>();
  /** Per head trace: whether the store has spans of it too (absent: not known yet). */
  #inStore = new Map<string, boolean>();
  #spans = 0;
  #flushingSpans = 0;
  /** Changes whenever a flush begins or ends (readers that merged the store with the head check it). */
  epoch = 0;

  /** Spans in the head (including those being written). */
  get spans(): number {
    return this.#spans;
  }

  /** Whether a flush holds some of the head's tables now (the store may or may not have committed them yet). */
  get flushing(): boolean {
    return this.#flushingSpans > 0;
  }

  /** Spans not yet being written. */
  get unflushedSpans(): number {
    return this.#spans - this.#flushingSpans;
  }

  /** Distinct traces in the head. */
  get traceCount(): number {
    return this.#byTrace.size;
  }

  /** Adds one request's spans; returns its chunk (undefined for an empty table). */
  add(table: SpanTable): HeadChunk | undefined {
    if (table.numSpans === 0) return undefined;
    const index = buildTraceIndex(table);
    const ids: string[] = new Array(index.traceCount);
    const tid = table.columns.traceId;
    const chunk: HeadChunk = { table, index, ids, parts: undefined, flushing: false };
    for (let t = 0; t < index.traceCount; t++) {
      const id = bytesToHex(tid, index.rows[index.offsets[t]!]! * 16, 16);
      ids[t] = id;
      const locs = this.#byTrace.get(id);
      if (locs) locs.push({ chunk, trace: t });
      else this.#byTrace.set(id, [{ chunk, trace: t }]);
    }
    this.#chunks.push(chunk);
    this.#spans += table.numSpans;
    return chunk;
  }

  /**
   * Takes back a chunk whose WAL write failed (its request is refused, 503). A chunk a flush has taken meanwhile is
   * left to that flush: its spans are then in the store, and the client's retry is a duplicate the store skips.
   */
  discard(chunk: HeadChunk): void {
    if (chunk.flushing || !this.#chunks.includes(chunk)) return;
    this.#remove([chunk]);
  }

  /** Marks every table present as being written and returns them. */
  beginFlush(): HeadChunk[] {
    this.epoch++;
    const out: HeadChunk[] = [];
    for (const c of this.#chunks) {
      if (c.flushing) continue;
      c.flushing = true;
      this.#flushingSpans += c.table.numSpans;
      out.push(c);
    }
    return out;
  }

  /** Removes the written tables (`written`), or unmarks them when the write failed. */
  endFlush(chunks: readonly HeadChunk[], written: boolean): void {
    this.epoch++;
    for (const c of chunks) {
      c.flushing = false;
      this.#flushingSpans -= c.table.numSpans;
    }
    if (!written) return;
    this.#remove(chunks);
    for (const c of chunks) for (const id of c.ids) if (this.#byTrace.has(id)) this.#inStore.set(id, true); // its flushed part is stored
  }

  #remove(chunks: readonly HeadChunk[]): void {
    const gone = new Set(chunks);
    this.#chunks = this.#chunks.filter((c) => !gone.has(c));
    for (const c of chunks) {
      this.#spans -= c.table.numSpans;
      for (const id of c.ids) {
        const locs = this.#byTrace.get(id);
        if (!locs) continue;
        const rest = locs.filter((l) => !gone.has(l.chunk));
        if (rest.length === 0) {
          this.#byTrace.delete(id);
          this.#inStore.delete(id);
        } else this.#byTrace.set(id, rest);
      }
    }
  }

  /** Whether the store also has spans of this head trace: true, false, or undefined when not known yet. */
  inStore(traceId: string): boolean | undefined {
    return this.#inStore.get(traceId);
  }

  /**
   * Records what a store read found for a head trace. A `false` never overrides a `true` (a flush that committed
   * while the store was read has put part of the trace there); ids no longer in the head are ignored.
   */
  setInStore(traceId: string, value: boolean): void {
    if (!this.#byTrace.has(traceId)) return;
    if (value || this.#inStore.get(traceId) !== true) this.#inStore.set(traceId, value);
  }

  /** Whether the head has spans of this trace (32 lower-case hex digits). */
  has(traceId: string): boolean {
    return this.#byTrace.has(traceId);
  }

  /** The head's spans of one trace (32 lower-case hex digits), or undefined. */
  get(traceId: string): SpanTable | undefined {
    const locs = this.#byTrace.get(traceId);
    if (!locs) return undefined;
    const parts = locs.map((l) => takeSpans(l.chunk.table, traceRows(l.chunk.index, l.trace)));
    return parts.length === 1 ? parts[0] : concatSpanTables(parts);
  }

  /** Every trace of the head with its merged part. */
  traces(): Map<string, TracePart> {
    const out = new Map<string, TracePart>();
    for (const c of this.#chunks) {
      c.parts ??= partsOf(c.table, c.index);
      for (let t = 0; t < c.ids.length; t++) {
        const id = c.ids[t]!;
        let p = out.get(id);
        if (!p) out.set(id, (p = emptyPart()));
        mergePart(p, c.parts[t]!);
      }
    }
    return out;
  }

  /** Span counts per service and operation (`service\u0000operation`). */
  operationCounts(): Map<string, number> {
    const out = new Map<string, number>();
    for (const c of this.#chunks) {
      const svc = c.table.dict('service');
      const op = c.table.dict('operation');
      const pairs = new Map<number, number>();
      for (let r = 0; r < c.table.numSpans; r++) {
        const key = svc.codes[r]! * 4194304 + op.codes[r]!;
        pairs.set(key, (pairs.get(key) ?? 0) + 1);
      }
      for (const [key, n] of pairs) {
        const name = `${svc.values[Math.floor(key / 4194304)] ?? ''}\u0000${op.values[key % 4194304] ?? ''}`;
        out.set(name, (out.get(name) ?? 0) + n);
      }
    }
    return out;
  }
}
