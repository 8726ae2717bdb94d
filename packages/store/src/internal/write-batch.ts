// Encodes one SpanTable into the store's tables inside the caller's transaction: dedup by (trace id, span id),
// per-trace span ordinals and parent references, dictionary ids, sorted columnar appends, trace summaries merged.

import { type AppendResult, buildTraceIndex, type SpanTable, StatusCode, utf8At } from '@aiops/span-model';
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
  const opCounts = new Map<number, number>();
  if (n === 0) return { inserted: 0, duplicates: 0, opCounts };
  const c = table.columns;
  const index = buildTraceIndex(table);
  const T = index.traceCount;
  const tdv = dataView(c.traceId);
  const sdv = dataView(c.spanId);
  const pdv = dataView(c.parentSpanId);

  // 1. Which of the batch's traces are already stored.
  const his: bigint[] = new Array(T);
  const los: bigint[] = new Array(T);
  const ords: number[] = new Array(T);
  for (let t = 0; t < T; t++) {
    const r = index.rows[index.offsets[t]!]!;
    his[t] = tdv.getBigInt64(r * 16, false);
    los[t] = tdv.getBigInt64(r * 16 + 8, false);
    ords[t] = t;
  }
  await conn.run('DELETE FROM _batch_ids');
  await appendColumns(conn, '_batch_ids', [INTEGER, BIGINT, BIGINT], [ords, his, los]);
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
  const storedSpans = new Map<number, Map<bigint, number>>();
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
    for (const r of rows.getRows()) {
      const no = Number(r[0]);
      let m = storedSpans.get(no);
      if (!m) storedSpans.set(no, (m = new Map()));
      m.set(r[1] as bigint, Number(r[2]));
    }
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
  const opIdOf = new Map<number, number>();
  const resId = lazy(table.dict('resource').values, dicts.resources);
  const scopeId = lazy(table.dict('scope').values, dicts.scopes);
  const msgId = lazy(table.dict('statusMessage').values, dicts.strings);
  const stateId = lazy(table.dict('traceState').values, dicts.strings);
  const resCodes = table.dict('resource').codes;
  const scopeCodes = table.dict('scope').codes;
  const msgCodes = table.dict('statusMessage').codes;
  const stateCodes = table.dict('traceState').codes;
  const shapeOf = new Map<string, { id: number; locs: Int8Array }>();

  // 4. Accept or skip each span; per-trace ordinals, parents, summaries.
  let duplicates = 0;
  const accepted: number[] = [];
  const seqOf = new Int32Array(n);
  const traceNoOf = new Int32Array(n);
  const parentSeq = new Int32Array(n);
  const opIdRow = new Int32Array(n);
  const baseOfRow: bigint[] = new Array(n);
  const newTraces: ExistingTrace[] = [];
  const updatedTraces: ExistingTrace[] = [];
  for (let t = 0; t < T; t++) {
    const ex = existing.get(t);
    const traceNo = ex ? ex.traceNo : state.nextTraceNo++;
    const ids = (ex && storedSpans.get(ex.traceNo)) || new Map<bigint, number>();
    let nextSeq = ex ? ex.spanCount : 0;
    const first = accepted.length;
    let minStart = 0n;
    let maxEnd = 0n;
    let errors = 0;
    let rootOp = -1;
    let rootStart = 0n;
    const services = new Set<number>();
    const ops = new Set<number>();
    for (let k = index.offsets[t]!; k < index.offsets[t + 1]!; k++) {
      const r = index.rows[k]!;
      const sid = sdv.getBigInt64(r * 8, false);
      if (ids.has(sid)) {
        duplicates++;
        continue;
      }
      ids.set(sid, nextSeq);
      seqOf[r] = nextSeq++;
      traceNoOf[r] = traceNo;
      accepted.push(r);
      const start = c.startUnixNano[r]!;
      const end = start + c.durationNano[r]!;
      if (accepted.length - 1 === first || start < minStart) minStart = start;
      if (accepted.length - 1 === first || end > maxEnd) maxEnd = end;
      if (c.statusCode[r] === StatusCode.Error) errors++;
      const sc = svc.codes[r]!;
      const pairKey = sc * 4194304 + op.codes[r]!;
      let opId = opIdOf.get(pairKey);
      if (opId === undefined) {
        opId = dicts.op(svcId(sc), op.values[op.codes[r]!]!);
        opIdOf.set(pairKey, opId);
      }
      opIdRow[r] = opId;
      opCounts.set(opId, (opCounts.get(opId) ?? 0) + 1);
      services.add(svcId(sc));
      ops.add(opId);
      if (c.parentRefType[r] === 0 && (rootOp < 0 || start < rootStart)) {
        rootOp = opId;
        rootStart = start;
      }
    }
    if (accepted.length === first) continue;
    for (let k = first; k < accepted.length; k++) {
      const r = accepted[k]!;
      if (c.parentRefType[r] === 0) parentSeq[r] = -1;
      else parentSeq[r] = ids.get(pdv.getBigInt64(r * 8, false)) ?? -1;
    }
    const count = accepted.length - first;
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
        ops: sortedUnion(ex.ops, ops),
      };
      updatedTraces.push(merged);
      for (let k = first; k < accepted.length; k++) baseOfRow[accepted[k]!] = ex.baseNs;
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
        rootStartNs: rootOp >= 0 ? rootStart : 0n,
        services: [...services].sort((a, b) => a - b),
        ops: [...ops].sort((a, b) => a - b),
      });
      for (let k = first; k < accepted.length; k++) baseOfRow[accepted[k]!] = minStart;
    }
  }

  // 5. Rows in trace order; attribute shapes with per-trace repeats (a value equal to the previous occurrence of the
  // same key and type in the trace is not stored again) and a column per value chosen by key.
  accepted.sort((x, y) => traceNoOf[x]! - traceNoOf[y]! || seqOf[x]! - seqOf[y]!);
  const m = accepted.length;
  const av = c.attrValues;
  const slotRef = Array.from({ length: VALUE_SLOTS }, () => new Int32Array(m).fill(-1));
  const moreRef = new Int32Array(m).fill(-1);
  const moreText: string[] = [];
  const shapeCol = new Int32Array(m);
  const lastSeen = new Map<number, number>();
  const repeat: boolean[] = [];
  let lastTrace = -1;
  for (let k = 0; k < m; k++) {
    const r = accepted[k]!;
    const traceNo = traceNoOf[r]!;
    if (traceNo !== lastTrace) {
      lastSeen.clear();
      lastTrace = traceNo;
    }
    // Late spans of a stored trace keep every value: the earlier spans' values are not in memory.
    const canRepeat = !existingNos.has(traceNo);
    const a0 = c.attrOffsets[r]!;
    const a1 = c.attrOffsets[r + 1]!;
    let key = '';
    let repeats = 0;
    for (let a = a0; a < a1; a++) {
      const kt = c.attrKey[a]! * 8 + c.attrType[a]!;
      let rep = false;
      if (canRepeat) {
        const prev = lastSeen.get(kt);
        rep = prev !== undefined && sameBytes(av, prev, a);
        lastSeen.set(kt, a);
      }
      repeat[a - a0] = rep;
      if (rep) repeats++;
      key += rep ? `${kt}r,` : `${kt},`;
    }
    let shape = shapeOf.get(key);
    if (!shape && repeats > 0 && dicts.shapes.values.length >= MAX_SHAPES_FOR_REPEATS) {
      // Repeat patterns multiply shapes; past the cap, new patterns store every value (the reader still follows).
      key = key.replaceAll('r,', ',');
      repeat.fill(false, 0, a1 - a0);
      shape = shapeOf.get(key);
    }
    if (!shape) {
      const entries: [string, number, number][] = [];
      const used = new Uint8Array(VALUE_SLOTS);
      for (let a = a0; a < a1; a++) {
        const name = c.attrKeys[c.attrKey[a]!]!;
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
        entries.push([name, c.attrType[a]!, loc]);
      }
      shape = { id: dicts.shapes.intern(JSON.stringify(entries)), locs: Int8Array.from(entries, (e) => e[2]) };
      shapeOf.set(key, shape);
    }
    shapeCol[k] = shape.id;
    let more: string[] | undefined;
    for (let a = a0; a < a1; a++) {
      const loc = shape.locs[a - a0]!;
      if (loc >= 0) slotRef[loc]![k] = a;
      else if (loc === LOC_MORE) (more ??= []).push(utf8At(av, a));
    }
    if (more) {
      moreRef[k] = moreText.length;
      moreText.push(JSON.stringify(more));
    }
  }

  // 6. Fixed-width columns.
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
  const rowRef = new Int32Array(m);
  for (let k = 0; k < m; k++) {
    const r = accepted[k]!;
    rowRef[k] = r;
    traceNoCol[k] = traceNoOf[r]!;
    seqCol[k] = seqOf[r]!;
    spanIdCol[k] = sdv.getBigInt64(r * 8, false);
    const ref = c.parentRefType[r]!;
    parentSeqCol[k] = parentSeq[r]!;
    if (ref !== 0 && parentSeq[r]! < 0) {
      parentIdCol[k] = pdv.getBigInt64(r * 8, false);
      parentIdValid[k] = 1;
    }
    classCol[k] = dicts.spanClass(
      opIdRow[r]!,
      resId(resCodes[r]!),
      scopeId(scopeCodes[r]!),
      shapeCol[k]!,
      c.kind[r]! | (c.statusCode[r]! << 3) | (ref << 5),
    );
    startCol[k] = c.startUnixNano[r]! - baseOfRow[r]!;
    durCol[k] = c.durationNano[r]!;
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
    { kind: 'text', type: VARCHAR, ref: rowRef, ...c.events, emptyIsNull: true },
    { kind: 'text', type: VARCHAR, ref: rowRef, ...c.links, emptyIsNull: true },
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
