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
  UTINYINT,
  VARCHAR,
} from '@duckdb/node-api';
import { VALUE_SLOTS } from './ddl.ts';
import type { Dictionaries } from './dictionaries.ts';

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

const SPAN_TYPES: readonly DuckDBType[] = [
  INTEGER, // trace_no
  INTEGER, // seq
  BIGINT, // span_id
  INTEGER, // parent_seq
  BIGINT, // parent_span_id
  UTINYINT, // flags
  INTEGER, // op_id
  INTEGER, // resource_id
  INTEGER, // scope_id
  BIGINT, // start_off
  BIGINT, // duration_ns
  INTEGER, // status_msg
  INTEGER, // trace_state
  INTEGER, // shape_id
  ...Array.from({ length: VALUE_SLOTS }, () => VARCHAR),
  VARCHAR, // attr_more
  VARCHAR, // events
  VARCHAR, // links
];

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
  const shapeOf = new Map<string, number>();

  // 4. Accept or skip each span; per-trace ordinals, parents, summaries.
  let duplicates = 0;
  const accepted: number[] = [];
  const seqOf = new Int32Array(n);
  const traceNoOf = new Int32Array(n);
  const parentSeq = new Int32Array(n);
  const opIdRow = new Int32Array(n);
  const shapeRow = new Int32Array(n);
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

  // 5. Attribute shapes.
  for (const r of accepted) {
    const a0 = c.attrOffsets[r]!;
    const a1 = c.attrOffsets[r + 1]!;
    let key = '';
    for (let a = a0; a < a1; a++) key += `${c.attrKey[a]}:${c.attrType[a]},`;
    let id = shapeOf.get(key);
    if (id === undefined) {
      const pairs: [string, number][] = [];
      for (let a = a0; a < a1; a++) pairs.push([c.attrKeys[c.attrKey[a]!]!, c.attrType[a]!]);
      id = dicts.shapes.intern(JSON.stringify(pairs));
      shapeOf.set(key, id);
    }
    shapeRow[r] = id;
  }

  // 6. Rows in trace order (best for small batches; compaction later re-sorts by operation and shape).
  accepted.sort((x, y) => traceNoOf[x]! - traceNoOf[y]! || seqOf[x]! - seqOf[y]!);
  const m = accepted.length;
  const cols: DuckDBValue[][] = SPAN_TYPES.map(() => new Array<DuckDBValue>(m));
  for (let k = 0; k < m; k++) {
    const r = accepted[k]!;
    cols[0]![k] = traceNoOf[r]!;
    cols[1]![k] = seqOf[r]!;
    cols[2]![k] = sdv.getBigInt64(r * 8, false);
    const ref = c.parentRefType[r]!;
    cols[3]![k] = parentSeq[r]!;
    cols[4]![k] = ref !== 0 && parentSeq[r]! < 0 ? pdv.getBigInt64(r * 8, false) : null;
    cols[5]![k] = c.kind[r]! | (c.statusCode[r]! << 3) | (ref << 5);
    cols[6]![k] = opIdRow[r]!;
    cols[7]![k] = resId(resCodes[r]!);
    cols[8]![k] = scopeId(scopeCodes[r]!);
    cols[9]![k] = c.startUnixNano[r]! - baseOfRow[r]!;
    cols[10]![k] = c.durationNano[r]!;
    cols[11]![k] = msgId(msgCodes[r]!);
    cols[12]![k] = stateId(stateCodes[r]!);
    cols[13]![k] = shapeRow[r]!;
    const a0 = c.attrOffsets[r]!;
    const a1 = c.attrOffsets[r + 1]!;
    for (let s = 0; s < VALUE_SLOTS; s++) cols[14 + s]![k] = a0 + s < a1 ? utf8At(c.attrValues, a0 + s) : null;
    if (a1 - a0 > VALUE_SLOTS) {
      const more: string[] = [];
      for (let a = a0 + VALUE_SLOTS; a < a1; a++) more.push(utf8At(c.attrValues, a));
      cols[14 + VALUE_SLOTS]![k] = JSON.stringify(more);
    } else cols[14 + VALUE_SLOTS]![k] = null;
    const ev = utf8At(c.events, r);
    const li = utf8At(c.links, r);
    cols[15 + VALUE_SLOTS]![k] = ev === '' ? null : ev;
    cols[16 + VALUE_SLOTS]![k] = li === '' ? null : li;
  }

  // 7. Write: dictionaries, spans, trace summaries.
  await dicts.writePending(conn);
  await appendColumns(conn, 'spans_recent', SPAN_TYPES, cols);
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
