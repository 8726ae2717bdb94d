// Encodes one SpanTable into the store's tables inside the caller's transaction: dedup by (trace id, span id),
// per-trace span ordinals and parent references, dictionary ids, sorted columnar appends, trace summaries merged.

import {
  type AppendResult,
  buildTraceIndex,
  DICTIONARY_COLUMNS,
  type DictColumn,
  type DictionaryColumnName,
  type SpanTable,
  StatusCode,
  spanTableFromColumns,
  type Utf8Column,
  utf8At,
} from '@aiops/span-model';
import {
  BIGINT,
  type DuckDBConnection,
  DuckDBDataChunk,
  type DuckDBType,
  type DuckDBValue,
  INTEGER,
  LIST,
  listValue,
  VARCHAR,
} from '@duckdb/node-api';
import { type AppendColumn, appendTypedColumns } from './column-appender.ts';
import { VALUE_SLOTS } from './ddl.ts';
import { type Dictionaries, LOC_MORE, LOC_REPEAT } from './dictionaries.ts';

/**
 * The rows of `tables` one after the other, as one span table: the typed-array columns are copied with `set` and the
 * dictionary codes and attribute keys remapped through small per-table maps (one array read per span per dictionary
 * column), then wrapped without further copying by `spanTableFromColumns`.
 *
 * Same rows and strings as span-model's `concatSpanTables`, which goes through `SpanTableBuilder.appendRows` span by
 * span (interning, events and links decoded and re-encoded): 1.4–2 CPU µs per span against 0.2–0.9 here
 * (`benchmarks/serve/path-probe.ts`).
 */
export function mergeSpanTables(tables: readonly SpanTable[]): SpanTable {
  if (tables.length === 1) return tables[0]!;
  let n = 0;
  let nAttr = 0;
  let attrBytes = 0;
  let eventBytes = 0;
  let linkBytes = 0;
  for (const t of tables) {
    const c = t.columns;
    const m = c.length;
    n += m;
    const a0 = c.attrOffsets[0]!;
    const a1 = c.attrOffsets[m]!;
    nAttr += a1 - a0;
    attrBytes += c.attrValues.offsets[a1]! - c.attrValues.offsets[a0]!;
    eventBytes += c.events.offsets[m]! - c.events.offsets[0]!;
    linkBytes += c.links.offsets[m]! - c.links.offsets[0]!;
  }
  const traceId = new Uint8Array(n * 16);
  const spanId = new Uint8Array(n * 8);
  const parentSpanId = new Uint8Array(n * 8);
  const parentRefType = new Uint8Array(n);
  const kind = new Uint8Array(n);
  const statusCode = new Uint8Array(n);
  const startUnixNano = new BigInt64Array(n);
  const durationNano = new BigInt64Array(n);
  const httpStatusCode = new Int16Array(n);
  const rpcStatusCode = new Int16Array(n);
  const attrOffsets = new Int32Array(n + 1);
  const attrKey = new Int32Array(nAttr);
  const attrType = new Uint8Array(nAttr);
  const attrValues: Utf8Column = { offsets: new Int32Array(nAttr + 1), bytes: new Uint8Array(attrBytes) };
  const events: Utf8Column = { offsets: new Int32Array(n + 1), bytes: new Uint8Array(eventBytes) };
  const links: Utf8Column = { offsets: new Int32Array(n + 1), bytes: new Uint8Array(linkBytes) };
  const keys: string[] = [];
  const keyIndex = new Map<string, number>();
  const dictValues = DICTIONARY_COLUMNS.map((): string[] => ['']);
  const dictIndex = DICTIONARY_COLUMNS.map(() => new Map<string, number>([['', 0]]));
  const dictCodes = DICTIONARY_COLUMNS.map(() => new Int32Array(n));
  /** Appends `src` rows [0, m) of a text column at row (or entry) `at` of `dst`, whose bytes end at `byteAt`. */
  const copyText = (src: Utf8Column, from: number, m: number, dst: Utf8Column, at: number, byteAt: number): number => {
    const b0 = src.offsets[from]!;
    const b1 = src.offsets[from + m]!;
    dst.bytes.set(src.bytes.subarray(b0, b1), byteAt);
    const shift = byteAt - b0;
    const out = dst.offsets;
    for (let i = 1; i <= m; i++) out[at + i] = src.offsets[from + i]! + shift;
    return byteAt + b1 - b0;
  };
  let r = 0;
  let e = 0;
  let attrByte = 0;
  let eventByte = 0;
  let linkByte = 0;
  for (const t of tables) {
    const c = t.columns;
    const m = c.length;
    if (m === 0) continue;
    traceId.set(c.traceId.subarray(0, m * 16), r * 16);
    spanId.set(c.spanId.subarray(0, m * 8), r * 8);
    parentSpanId.set(c.parentSpanId.subarray(0, m * 8), r * 8);
    parentRefType.set(c.parentRefType.subarray(0, m), r);
    kind.set(c.kind.subarray(0, m), r);
    statusCode.set(c.statusCode.subarray(0, m), r);
    startUnixNano.set(c.startUnixNano.subarray(0, m), r);
    durationNano.set(c.durationNano.subarray(0, m), r);
    httpStatusCode.set(c.httpStatusCode.subarray(0, m), r);
    rpcStatusCode.set(c.rpcStatusCode.subarray(0, m), r);
    for (let d = 0; d < DICTIONARY_COLUMNS.length; d++) {
      const src = t.dict(DICTIONARY_COLUMNS[d]!);
      const index = dictIndex[d]!;
      const values = dictValues[d]!;
      const remap = new Int32Array(src.values.length);
      for (let v = 0; v < src.values.length; v++) {
        const s = src.values[v]!;
        let code = index.get(s);
        if (code === undefined) {
          code = values.length;
          values.push(s);
          index.set(s, code);
        }
        remap[v] = code;
      }
      const out = dictCodes[d]!;
      const codes = src.codes;
      for (let i = 0; i < m; i++) out[r + i] = remap[codes[i]!]!;
    }
    const keyRemap = new Int32Array(c.attrKeys.length);
    for (let k = 0; k < c.attrKeys.length; k++) {
      const s = c.attrKeys[k]!;
      let code = keyIndex.get(s);
      if (code === undefined) {
        code = keys.length;
        keys.push(s);
        keyIndex.set(s, code);
      }
      keyRemap[k] = code;
    }
    const a0 = c.attrOffsets[0]!;
    const a1 = c.attrOffsets[m]!;
    for (let i = 1; i <= m; i++) attrOffsets[r + i] = c.attrOffsets[i]! - a0 + e;
    for (let a = a0; a < a1; a++) attrKey[e + a - a0] = keyRemap[c.attrKey[a]!]!;
    attrType.set(c.attrType.subarray(a0, a1), e);
    attrByte = copyText(c.attrValues, a0, a1 - a0, attrValues, e, attrByte);
    eventByte = copyText(c.events, 0, m, events, r, eventByte);
    linkByte = copyText(c.links, 0, m, links, r, linkByte);
    r += m;
    e += a1 - a0;
  }
  const dicts: Partial<Record<DictionaryColumnName, DictColumn>> = {};
  DICTIONARY_COLUMNS.forEach((name, d) => {
    dicts[name] = { codes: dictCodes[d]!, values: dictValues[d]! };
  });
  return spanTableFromColumns({
    length: n,
    traceId,
    spanId,
    parentSpanId,
    parentRefType,
    kind,
    statusCode,
    startUnixNano,
    durationNano,
    httpStatusCode,
    rpcStatusCode,
    dicts,
    attributes: { offsets: attrOffsets, key: attrKey, keys, type: attrType, values: attrValues },
    events,
    links,
  });
}

/** Mutable writer state that outlives a batch. */
export interface WriterState {
  nextTraceNo: number;
}

interface ExistingTrace {
  traceNo: number;
  hi: bigint;
  lo: bigint;
  startNs: bigint;
  baseNs: bigint;
  endNs: bigint;
  spanCount: number;
  errorCount: number;
  rootOp: number;
  rootStartNs: bigint;
  services: number[];
  ops: number[];
}

const CHUNK = 2048;
/**
 * No new shape with "repeat" locations once the store holds this many shapes: data whose repeat patterns vary
 * without end (random values flipping on many keys) would otherwise grow the shape dictionary with every batch.
 */
export const MAX_SHAPES_FOR_REPEATS = 20_000;
const encoder = new TextEncoder();

/** Appends `columns` (full-length arrays, one per table column) to `table` in chunks of 2048 rows. */
export async function appendColumns(
  conn: DuckDBConnection,
  table: string,
  types: readonly DuckDBType[],
  columns: readonly (readonly DuckDBValue[])[],
): Promise<void> {
  const n = columns[0]?.length ?? 0;
  if (n === 0) return;
  const appender = await conn.createAppender(table);
  for (let lo = 0; lo < n; lo += CHUNK) {
    const hi = Math.min(n, lo + CHUNK);
    const chunk = DuckDBDataChunk.create(types, hi - lo);
    chunk.setColumns(columns.map((col) => col.slice(lo, hi)));
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
}

const TRACE_TYPES: readonly DuckDBType[] = [
  INTEGER,
  BIGINT,
  BIGINT,
  BIGINT,
  BIGINT,
  BIGINT,
  INTEGER,
  INTEGER,
  INTEGER,
  BIGINT,
  LIST(INTEGER),
  LIST(INTEGER),
];

/** Creates the temporary tables the writer uses (once per connection). */
export async function createWriterTempTables(conn: DuckDBConnection): Promise<void> {
  await conn.run('CREATE TEMP TABLE IF NOT EXISTS _batch_ids (ord INTEGER, hi BIGINT, lo BIGINT)');
  await conn.run('CREATE TEMP TABLE IF NOT EXISTS _batch_found (trace_no INTEGER)');
  await conn.run(
    `CREATE TEMP TABLE IF NOT EXISTS _trace_upd (trace_no INTEGER, trace_hi BIGINT, trace_lo BIGINT,
       start_ns BIGINT, base_delta BIGINT, duration_ns BIGINT, span_count INTEGER, error_count INTEGER,
       root_op INTEGER, root_start_ns BIGINT, services INTEGER[], ops INTEGER[])`,
  );
}

function dataView(a: Uint8Array): DataView {
  return new DataView(a.buffer, a.byteOffset, a.byteLength);
}

/** Whether attribute values `a` and `b` have the same bytes. */
function sameBytes(values: { offsets: Int32Array; bytes: Uint8Array }, a: number, b: number): boolean {
  const { offsets, bytes } = values;
  const a0 = offsets[a]!;
  const len = offsets[a + 1]! - a0;
  const b0 = offsets[b]!;
  if (offsets[b + 1]! - b0 !== len) return false;
  for (let i = 0; i < len; i++) if (bytes[a0 + i] !== bytes[b0 + i]) return false;
  return true;
}

/** The value column a key prefers (FNV-1a of the key): one key tends to keep one column across shapes. */
function preferredSlot(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % VALUE_SLOTS;
}

function sortedUnion(a: readonly number[], b: Iterable<number>): number[] {
  const s = new Set(a);
  for (const x of b) s.add(x);
  return [...s].sort((x, y) => x - y);
}

interface ShapeHit {
  /** (attribute key code · 8 + type) · 2 + repeat, per attribute of the span, in the table's codes. */
  readonly codes: Int32Array;
  readonly id: number;
  readonly locs: Int8Array;
}

/** The shape whose codes equal `codes[0..len)` among those hashed to `h`. */
function findShape(shapes: Map<number, ShapeHit[]>, h: number, codes: Int32Array, len: number): ShapeHit | undefined {
  const hits = shapes.get(h);
  if (!hits) return undefined;
  next: for (const s of hits) {
    if (s.codes.length !== len) continue;
    for (let i = 0; i < len; i++) if (s.codes[i] !== codes[i]) continue next;
    return s;
  }
  return undefined;
}

/** A BigInt64Array's elements as little-endian 32-bit words (low word first). */
function int32Words(a: BigInt64Array, n: number): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, 2 * n);
}

/**
 * Span ids of one batch keyed by (trace ordinal, id as two 32-bit words) → seq: open addressing, at most half full.
 * Ids of stored spans of the batch's traces are inserted first, so late spans find their stored parents.
 */
class SpanIdTable {
  readonly #trace: Int32Array;
  readonly #hi: Int32Array;
  readonly #lo: Int32Array;
  readonly #seq: Int32Array;
  readonly #mask: number;
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.#trace = new Int32Array(size).fill(-1);
    this.#hi = new Int32Array(size);
    this.#lo = new Int32Array(size);
    this.#seq = new Int32Array(size);
    this.#mask = size - 1;
  }
  #slot(t: number, hi: number, lo: number): number {
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1) ^ Math.imul(t, 0x85ebca6b), 0xc2b2ae35);
    h ^= h >>> 15;
    let s = h & this.#mask;
    while (this.#trace[s] !== -1 && (this.#trace[s] !== t || this.#hi[s] !== hi || this.#lo[s] !== lo)) {
      s = (s + 1) & this.#mask;
    }
    return s;
  }
  /** The seq of span id (hi, lo) in trace `t`, or -1. */
  lookup(t: number, hi: number, lo: number): number {
    const s = this.#slot(t, hi, lo);
    return this.#trace[s] === -1 ? -1 : this.#seq[s]!;
  }
  /** Adds (or overwrites) span id (hi, lo) of trace `t`. */
  insert(t: number, hi: number, lo: number, seq: number): void {
    const s = this.#slot(t, hi, lo);
    this.#trace[s] = t;
    this.#hi[s] = hi;
    this.#lo[s] = lo;
    this.#seq[s] = seq;
  }
}

/**
 * Writes `table` into the store. Must run inside a transaction on the writer connection; the caller commits.
 *
 * Complexity: O(n log n) for the sort that groups rows by operation and attribute shape (for compression), plus one
 * join of the batch's trace ids against `traces` and, for traces already stored, one read of their span ids.
 */
export async function writeBatch(
  conn: DuckDBConnection,
  dicts: Dictionaries,
  state: WriterState,
  table: SpanTable,
): Promise<AppendResult & { opCounts: Map<number, number> }> {
  const n = table.numSpans;
  if (n === 0) return { inserted: 0, duplicates: 0, opCounts: new Map() };
  const c = table.columns;
  const index = buildTraceIndex(table);
  const T = index.traceCount;
  const tdv = dataView(c.traceId);
  const sdv = dataView(c.spanId);
  const pdv = dataView(c.parentSpanId);

  // 1. Which of the batch's traces are already stored.
  const his = new BigInt64Array(T);
  const los = new BigInt64Array(T);
  const ords = new Int32Array(T);
  for (let t = 0; t < T; t++) {
    const r = index.rows[index.offsets[t]!]!;
    his[t] = tdv.getBigInt64(r * 16, false);
    los[t] = tdv.getBigInt64(r * 16 + 8, false);
    ords[t] = t;
  }
  await conn.run('DELETE FROM _batch_ids');
  await appendTypedColumns(conn, '_batch_ids', T, [
    { kind: 'fixed', type: INTEGER, values: ords },
    { kind: 'fixed', type: BIGINT, values: his },
    { kind: 'fixed', type: BIGINT, values: los },
  ]);
  const found = await conn.runAndReadAll(
    `SELECT b.ord, t.trace_no, t.start_ns, t.base_delta, t.duration_ns, t.span_count, t.error_count, t.root_op,
            t.root_start_ns, t.services, t.ops
       FROM _batch_ids b JOIN traces t ON t.trace_hi = b.hi AND t.trace_lo = b.lo`,
  );
  const existing = new Map<number, ExistingTrace>();
  for (const r of found.getRows()) {
    const start = r[2] as bigint;
    const ord = Number(r[0]);
    existing.set(ord, {
      traceNo: Number(r[1]),
      hi: his[ord]!,
      lo: los[ord]!,
      startNs: start,
      baseNs: start + (r[3] as bigint),
      endNs: start + (r[4] as bigint),
      spanCount: Number(r[5]),
      errorCount: Number(r[6]),
      rootOp: Number(r[7]),
      rootStartNs: r[8] as bigint,
      services: ((r[9] as { items: DuckDBValue[] }).items as number[]).map(Number),
      ops: ((r[10] as { items: DuckDBValue[] }).items as number[]).map(Number),
    });
  }

  const existingNos = new Set<number>();
  for (const e of existing.values()) existingNos.add(e.traceNo);

  // 2. The span ids those traces already hold (for dedup and parent references).
  const stored: { traceNo: number; spanId: bigint; seq: number }[] = [];
  if (existing.size > 0) {
    const nos = [...existing.values()].map((e) => e.traceNo);
    await conn.run('DELETE FROM _batch_found');
    await appendColumns(conn, '_batch_found', [INTEGER], [nos]);
    const lo = Math.min(...nos);
    const hi = Math.max(...nos);
    const rows = await conn.runAndReadAll(
      `SELECT s.trace_no, s.span_id, s.seq FROM all_spans s JOIN _batch_found f ON s.trace_no = f.trace_no
        WHERE s.trace_no BETWEEN ${lo} AND ${hi}`,
    );
    for (const r of rows.getRows()) stored.push({ traceNo: Number(r[0]), spanId: r[1] as bigint, seq: Number(r[2]) });
  }

  // 3. Dictionary remaps from the table's codes to store ids.
  const svc = table.dict('service');
  const op = table.dict('operation');
  // Interned lazily: a table's dictionaries may hold values no accepted span uses (e.g. 'unknown_service').
  const lazy = (values: readonly string[], into: { intern(s: string): number }) => {
    const ids = new Int32Array(values.length).fill(-1);
    return (code: number): number => {
      let id = ids[code]!;
      if (id < 0) id = ids[code] = into.intern(values[code]!);
      return id;
    };
  };
  const svcId = lazy(svc.values, dicts.services);
  const resId = lazy(table.dict('resource').values, dicts.resources);
  const scopeId = lazy(table.dict('scope').values, dicts.scopes);
  const msgId = lazy(table.dict('statusMessage').values, dicts.strings);
  const stateId = lazy(table.dict('traceState').values, dicts.strings);
  const resCodes = table.dict('resource').codes;
  const scopeCodes = table.dict('scope').codes;
  const msgCodes = table.dict('statusMessage').codes;
  const stateCodes = table.dict('traceState').codes;
  // 4. Accept or skip each span; per-trace ordinals, parents, summaries. Span ids are looked up in one open-addressing
  // table keyed by (trace, span id) as 32-bit words, and times compared as words: no BigInt or Map per span.
  const ids = new SpanIdTable(n + stored.length);
  const ordOfNo = new Map<number, number>();
  for (const [ord, e] of existing) ordOfNo.set(e.traceNo, ord);
  for (const x of stored) {
    ids.insert(
      ordOfNo.get(x.traceNo)!,
      Number(BigInt.asIntN(32, x.spanId >> 32n)),
      Number(BigInt.asIntN(32, x.spanId)),
      x.seq,
    );
  }
  const sw = int32Words(c.startUnixNano, n);
  const dw = int32Words(c.durationNano, n);
  const opByPair = new Map<number, number>();
  let duplicates = 0;
  const accepted = new Int32Array(n);
  let m = 0;
  const groupStart: number[] = [];
  const seqOf = new Int32Array(n);
  const traceNoOf = new Int32Array(n);
  const parentSeq = new Int32Array(n);
  const opIdRow = new Int32Array(n);
  /** The trace's base time per row, as little-endian 32-bit words. */
  const baseW = new Int32Array(2 * n);
  let opMark = new Int32Array(Math.max(64, dicts.ops.values.length * 2));
  const svcMark = new Map<number, number>();
  const newTraces: ExistingTrace[] = [];
  const updatedTraces: ExistingTrace[] = [];
  let sorted = true;
  let lastNo = -1;
  const svcCodes = svc.codes;
  const opCodes = op.codes;
  const nOps = op.values.length;
  for (let t = 0; t < T; t++) {
    const ex = existing.get(t);
    const traceNo = ex ? ex.traceNo : state.nextTraceNo++;
    let nextSeq = ex ? ex.spanCount : 0;
    const first = m;
    let minRow = -1;
    let maxRow = -1;
    let maxHi = 0;
    let maxLo = 0;
    let errors = 0;
    let rootOp = -1;
    let rootRow = -1;
    const traceOps: number[] = [];
    for (let k = index.offsets[t]!; k < index.offsets[t + 1]!; k++) {
      const r = index.rows[k]!;
      if (ids.lookup(t, sdv.getInt32(r * 8, false), sdv.getInt32(r * 8 + 4, false)) >= 0) {
        duplicates++;
        continue;
      }
      ids.insert(t, sdv.getInt32(r * 8, false), sdv.getInt32(r * 8 + 4, false), nextSeq);
      seqOf[r] = nextSeq++;
      traceNoOf[r] = traceNo;
      accepted[m++] = r;
      const sHi = sw[2 * r + 1]!;
      const sLo = sw[2 * r]! >>> 0;
      if (minRow < 0 || sHi < sw[2 * minRow + 1]! || (sHi === sw[2 * minRow + 1]! && sLo < sw[2 * minRow]! >>> 0))
        minRow = r;
      // end = start + duration as (hi, lo) numbers: lo < 2^32 after the carry, hi exact in a double.
      let eLo = sLo + (dw[2 * r]! >>> 0);
      let eHi = sHi + dw[2 * r + 1]!;
      if (eLo >= 4294967296) {
        eLo -= 4294967296;
        eHi++;
      }
      if (maxRow < 0 || eHi > maxHi || (eHi === maxHi && eLo > maxLo)) {
        maxRow = r;
        maxHi = eHi;
        maxLo = eLo;
      }
      if (c.statusCode[r] === StatusCode.Error) errors++;
      const pairKey = svcCodes[r]! * nOps + opCodes[r]!;
      let opId = opByPair.get(pairKey);
      if (opId === undefined) {
        opId = dicts.op(svcId(svcCodes[r]!), op.values[opCodes[r]!]!);
        opByPair.set(pairKey, opId);
        if (opId >= opMark.length) {
          const grown = new Int32Array(opId * 2 + 64);
          grown.set(opMark);
          opMark = grown;
        }
      }
      opIdRow[r] = opId;
      if (opMark[opId] !== t + 1) {
        opMark[opId] = t + 1;
        traceOps.push(opId);
      }
      if (
        c.parentRefType[r] === 0 &&
        (rootOp < 0 || sHi < sw[2 * rootRow + 1]! || (sHi === sw[2 * rootRow + 1]! && sLo < sw[2 * rootRow]! >>> 0))
      ) {
        rootOp = opId;
        rootRow = r;
      }
    }
    if (m === first) continue;
    groupStart.push(first);
    if (traceNo < lastNo) sorted = false;
    lastNo = traceNo;
    for (let k = first; k < m; k++) {
      const r = accepted[k]!;
      parentSeq[r] =
        c.parentRefType[r] === 0 ? -1 : ids.lookup(t, pdv.getInt32(r * 8, false), pdv.getInt32(r * 8 + 4, false));
    }
    const count = m - first;
    const minStart = c.startUnixNano[minRow]!;
    const maxEnd = c.startUnixNano[maxRow]! + c.durationNano[maxRow]!;
    const rootStart = rootRow >= 0 ? c.startUnixNano[rootRow]! : 0n;
    svcMark.clear();
    for (const o of traceOps) svcMark.set(dicts.opService[o]!, 1);
    const services = [...svcMark.keys()];
    let base: bigint;
    if (ex) {
      const merged: ExistingTrace = {
        traceNo,
        hi: ex.hi,
        lo: ex.lo,
        startNs: minStart < ex.startNs ? minStart : ex.startNs,
        baseNs: ex.baseNs,
        endNs: maxEnd > ex.endNs ? maxEnd : ex.endNs,
        spanCount: ex.spanCount + count,
        errorCount: ex.errorCount + errors,
        rootOp: rootOp >= 0 && (ex.rootOp < 0 || rootStart < ex.rootStartNs) ? rootOp : ex.rootOp,
        rootStartNs: rootOp >= 0 && (ex.rootOp < 0 || rootStart < ex.rootStartNs) ? rootStart : ex.rootStartNs,
        services: sortedUnion(ex.services, services),
        ops: sortedUnion(ex.ops, traceOps),
      };
      updatedTraces.push(merged);
      base = ex.baseNs;
    } else {
      newTraces.push({
        traceNo,
        hi: his[t]!,
        lo: los[t]!,
        startNs: minStart,
        baseNs: minStart,
        endNs: maxEnd,
        spanCount: count,
        errorCount: errors,
        rootOp,
        rootStartNs: rootStart,
        services: services.sort((a, b) => a - b),
        ops: traceOps.sort((a, b) => a - b),
      });
      base = minStart;
    }
    const bLo = Number(BigInt.asIntN(32, base));
    const bHi = Number(BigInt.asIntN(32, base >> 32n));
    for (let k = first; k < m; k++) {
      const r = accepted[k]!;
      baseW[2 * r] = bLo;
      baseW[2 * r + 1] = bHi;
    }
  }
  const opCounts = new Map<number, number>();
  for (let k = 0; k < m; k++) {
    const id = opIdRow[accepted[k]!]!;
    opCounts.set(id, (opCounts.get(id) ?? 0) + 1);
  }

  // 5. Rows in trace order; attribute shapes with per-trace repeats (a value equal to the previous occurrence of the
  // same key and type in the trace is not stored again) and a column per value chosen by key.
  // 5. Rows in trace order (each trace's accepted spans are already consecutive, in seq order; only late spans of
  // stored traces can put a group out of order); attribute shapes with per-trace repeats (a value equal to the
  // previous occurrence of the same key and type in the trace is not stored again) and a column per value chosen by
  // key. A span's shape is found by a hash of its (key, type, repeat) codes, checked code by code.
  const groups = groupStart.length;
  const groupEnd = (g: number) => (g + 1 < groups ? groupStart[g + 1]! : m);
  let order = Array.from({ length: groups }, (_, g) => g);
  if (!sorted)
    order = order.sort((x, y) => traceNoOf[accepted[groupStart[x]!]!]! - traceNoOf[accepted[groupStart[y]!]!]!);
  const rowOf = new Int32Array(m);
  const av = c.attrValues;
  const slotRef = Array.from({ length: VALUE_SLOTS }, () => new Int32Array(m).fill(-1));
  const moreRef = new Int32Array(m).fill(-1);
  const moreText: string[] = [];
  const shapeCol = new Int32Array(m);
  const ktCount = c.attrKeys.length * 8;
  const lastGroup = new Int32Array(ktCount).fill(-1);
  const lastAttr = new Int32Array(ktCount);
  const shapeOf = new Map<number, ShapeHit[]>();
  let codes = new Int32Array(64);
  const repeat: boolean[] = [];
  const attrKey = c.attrKey;
  const attrType = c.attrType;
  const attrOffsets = c.attrOffsets;
  let k = 0;
  for (const g of order) {
    // Late spans of a stored trace keep every value: the earlier spans' values are not in memory.
    const canRepeat = !existingNos.has(traceNoOf[accepted[groupStart[g]!]!]!);
    for (let j = groupStart[g]!, jEnd = groupEnd(g); j < jEnd; j++, k++) {
      const r = accepted[j]!;
      rowOf[k] = r;
      const a0 = attrOffsets[r]!;
      const a1 = attrOffsets[r + 1]!;
      const len = a1 - a0;
      if (len > codes.length) codes = new Int32Array(len * 2);
      let repeats = 0;
      let h = len;
      for (let a = a0; a < a1; a++) {
        const kt = attrKey[a]! * 8 + attrType[a]!;
        let rep = false;
        if (canRepeat) {
          rep = lastGroup[kt] === g && sameBytes(av, lastAttr[kt]!, a);
          lastGroup[kt] = g;
          lastAttr[kt] = a;
        }
        repeat[a - a0] = rep;
        if (rep) repeats++;
        const code = kt * 2 + (rep ? 1 : 0);
        codes[a - a0] = code;
        h = Math.imul(h ^ code, 0x01000193);
      }
      let shape = findShape(shapeOf, h, codes, len);
      if (!shape && repeats > 0 && dicts.shapes.values.length >= MAX_SHAPES_FOR_REPEATS) {
        // Repeat patterns multiply shapes; past the cap, new patterns store every value (the reader still follows).
        h = len;
        for (let i = 0; i < len; i++) {
          codes[i] = codes[i]! & ~1;
          h = Math.imul(h ^ codes[i]!, 0x01000193);
        }
        repeat.fill(false, 0, len);
        shape = findShape(shapeOf, h, codes, len);
      }
      if (!shape) {
        const entries: [string, number, number][] = [];
        const used = new Uint8Array(VALUE_SLOTS);
        for (let a = a0; a < a1; a++) {
          const name = c.attrKeys[attrKey[a]!]!;
          let loc = LOC_REPEAT;
          if (!repeat[a - a0]) {
            loc = LOC_MORE;
            const home = preferredSlot(name);
            for (let probe = 0; probe < VALUE_SLOTS; probe++) {
              const slot = (home + probe) % VALUE_SLOTS;
              if (!used[slot]) {
                used[slot] = 1;
                loc = slot;
                break;
              }
            }
          }
          entries.push([name, attrType[a]!, loc]);
        }
        shape = {
          codes: codes.slice(0, len),
          id: dicts.shapes.intern(JSON.stringify(entries)),
          locs: Int8Array.from(entries, (e) => e[2]),
        };
        const hits = shapeOf.get(h);
        if (hits) hits.push(shape);
        else shapeOf.set(h, [shape]);
      }
      shapeCol[k] = shape.id;
      let more: string[] | undefined;
      const locs = shape.locs;
      for (let a = a0; a < a1; a++) {
        const loc = locs[a - a0]!;
        if (loc >= 0) slotRef[loc]![k] = a;
        else if (loc === LOC_MORE) (more ??= []).push(utf8At(av, a));
      }
      if (more) {
        moreRef[k] = moreText.length;
        moreText.push(JSON.stringify(more));
      }
    }
  }

  // 6. Fixed-width columns, copied as 32-bit words or bytes (ids are big-endian bytes stored as int64). A span class
  // is looked up by one number made of its parts' batch codes; the dictionary's string key only for new ones.
  const traceNoCol = new Int32Array(m);
  const seqCol = new Int32Array(m);
  const spanIdCol = new BigInt64Array(m);
  const parentSeqCol = new Int32Array(m);
  const parentIdCol = new BigInt64Array(m);
  const parentIdValid = new Uint8Array(m);
  const classCol = new Int32Array(m);
  const startCol = new BigInt64Array(m);
  const durCol = new BigInt64Array(m);
  const msgCol = new Int32Array(m);
  const stateCol = new Int32Array(m);
  const spanIdOut = new Uint8Array(spanIdCol.buffer);
  const parentIdOut = new Uint8Array(parentIdCol.buffer);
  const startOut = new Int32Array(startCol.buffer);
  const durOut = new Int32Array(durCol.buffer);
  const spanIdIn = c.spanId;
  const parentIdIn = c.parentSpanId;
  const resCount = table.dict('resource').values.length;
  const scopeCount = table.dict('scope').values.length;
  const shapeCount = dicts.shapes.values.length;
  // opId · resource · scope · shape · flags (< 256) as one exact number, when it fits in 2^53.
  const numericClassKey = dicts.ops.values.length * resCount * scopeCount * shapeCount * 256 < 2 ** 53;
  const classOf = new Map<number | string, number>();
  for (let k = 0; k < m; k++) {
    const r = rowOf[k]!;
    traceNoCol[k] = traceNoOf[r]!;
    seqCol[k] = seqOf[r]!;
    for (let i = 0; i < 8; i++) spanIdOut[k * 8 + i] = spanIdIn[r * 8 + 7 - i]!;
    const ref = c.parentRefType[r]!;
    parentSeqCol[k] = parentSeq[r]!;
    if (ref !== 0 && parentSeq[r]! < 0) {
      for (let i = 0; i < 8; i++) parentIdOut[k * 8 + i] = parentIdIn[r * 8 + 7 - i]!;
      parentIdValid[k] = 1;
    }
    const flags = c.kind[r]! | (c.statusCode[r]! << 3) | (ref << 5);
    const key = numericClassKey
      ? (((opIdRow[r]! * resCount + resCodes[r]!) * scopeCount + scopeCodes[r]!) * shapeCount + shapeCol[k]!) * 256 +
        flags
      : `${opIdRow[r]},${resCodes[r]},${scopeCodes[r]},${shapeCol[k]},${flags}`;
    let cls = classOf.get(key);
    if (cls === undefined) {
      cls = dicts.spanClass(opIdRow[r]!, resId(resCodes[r]!), scopeId(scopeCodes[r]!), shapeCol[k]!, flags);
      classOf.set(key, cls);
    }
    classCol[k] = cls;
    // start_off = start - the trace's base, in 32-bit words with a borrow.
    let lo = (sw[2 * r]! >>> 0) - (baseW[2 * r]! >>> 0);
    let borrow = 0;
    if (lo < 0) {
      lo += 4294967296;
      borrow = 1;
    }
    startOut[2 * k] = lo | 0;
    startOut[2 * k + 1] = (sw[2 * r + 1]! - baseW[2 * r + 1]! - borrow) | 0;
    durOut[2 * k] = dw[2 * r]!;
    durOut[2 * k + 1] = dw[2 * r + 1]!;
    msgCol[k] = msgId(msgCodes[r]!);
    stateCol[k] = stateId(stateCodes[r]!);
  }
  const moreEncoded = moreText.map((t) => encoder.encode(t));
  const moreOffsets = new Int32Array(moreText.length + 1);
  for (let i = 0; i < moreEncoded.length; i++) moreOffsets[i + 1] = moreOffsets[i]! + moreEncoded[i]!.length;
  const moreBytes = new Uint8Array(moreOffsets[moreText.length]!);
  for (let i = 0; i < moreEncoded.length; i++) moreBytes.set(moreEncoded[i]!, moreOffsets[i]!);
  const spanColumns: AppendColumn[] = [
    { kind: 'fixed', type: INTEGER, values: traceNoCol },
    { kind: 'fixed', type: INTEGER, values: seqCol },
    { kind: 'fixed', type: BIGINT, values: spanIdCol },
    { kind: 'fixed', type: INTEGER, values: parentSeqCol },
    { kind: 'fixed', type: BIGINT, values: parentIdCol, valid: parentIdValid },
    { kind: 'fixed', type: INTEGER, values: classCol },
    { kind: 'fixed', type: BIGINT, values: startCol },
    { kind: 'fixed', type: BIGINT, values: durCol },
    { kind: 'fixed', type: INTEGER, values: msgCol },
    { kind: 'fixed', type: INTEGER, values: stateCol },
    ...slotRef.map((ref): AppendColumn => ({ kind: 'text', type: VARCHAR, ref, offsets: av.offsets, bytes: av.bytes })),
    { kind: 'text', type: VARCHAR, ref: moreRef, offsets: moreOffsets, bytes: moreBytes },
    { kind: 'text', type: VARCHAR, ref: rowOf, ...c.events, emptyIsNull: true },
    { kind: 'text', type: VARCHAR, ref: rowOf, ...c.links, emptyIsNull: true },
  ];

  // 7. Write: dictionaries, spans, trace summaries.
  await dicts.writePending(conn);
  await appendTypedColumns(conn, 'spans_recent', m, spanColumns);
  if (newTraces.length > 0) {
    await appendColumns(conn, 'traces', TRACE_TYPES, traceColumns(newTraces));
  }
  if (updatedTraces.length > 0) {
    await conn.run('DELETE FROM _trace_upd');
    await appendColumns(conn, '_trace_upd', TRACE_TYPES, traceColumns(updatedTraces));
    await conn.run(
      `UPDATE traces SET start_ns = u.start_ns, base_delta = u.base_delta, duration_ns = u.duration_ns,
         span_count = u.span_count, error_count = u.error_count, root_op = u.root_op,
         root_start_ns = u.root_start_ns, services = u.services, ops = u.ops
         FROM _trace_upd u WHERE traces.trace_no = u.trace_no`,
    );
  }
  if (opCounts.size > 0) {
    const values = [...opCounts].map(([id, k]) => `(${id}, ${k})`).join(', ');
    await conn.run(
      `UPDATE operations SET span_count = operations.span_count + v.k FROM (VALUES ${values}) v(id, k)
        WHERE operations.op_id = v.id`,
    );
  }
  return { inserted: m, duplicates, opCounts };
}

function traceColumns(traces: readonly ExistingTrace[]): DuckDBValue[][] {
  const cols: DuckDBValue[][] = TRACE_TYPES.map(() => new Array<DuckDBValue>(traces.length));
  traces.forEach((t, k) => {
    cols[0]![k] = t.traceNo;
    cols[1]![k] = t.hi;
    cols[2]![k] = t.lo;
    cols[3]![k] = t.startNs;
    cols[4]![k] = t.baseNs - t.startNs;
    cols[5]![k] = t.endNs - t.startNs;
    cols[6]![k] = t.spanCount;
    cols[7]![k] = t.errorCount;
    cols[8]![k] = t.rootOp;
    cols[9]![k] = t.rootStartNs;
    cols[10]![k] = listValue(t.services);
    cols[11]![k] = listValue(t.ops);
  });
  return cols;
}
