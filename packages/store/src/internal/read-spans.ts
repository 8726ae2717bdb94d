// Rebuilds a SpanTable from rows of the `spans` table (joined with their trace's id and time base), reading DuckDB's
// result chunks column by column: numbers straight off the vectors' memory, text values as UTF-8 byte ranges copied
// into the span table without being decoded to JS strings, "repeat" markers resolved per trace with typed arrays.

import {
  type AttributeTriple,
  type AttributeType,
  type ParentRefType,
  type SpanKind,
  type SpanTable,
  SpanTableBuilder,
  type StatusCode,
} from '@aiops/span-model';
import type { DuckDBResult } from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import { VALUE_SLOTS } from './ddl.ts';
import { type Dictionaries, LOC_REPEAT } from './dictionaries.ts';
import { type Chunk, chunkOf, isValid } from './result-chunk.ts';

// Column positions: trace_hi, trace_lo, base, then SPAN_READ_COLUMNS.
const HI = 0;
const LO = 1;
const BASE = 2;
const NO = 3;
const SEQ = 4;
const SPAN_ID = 5;
const PARENT_SEQ = 6;
const PARENT_ID = 7;
const CLASS = 8;
const START_OFF = 9;
const DURATION = 10;
const STATUS_MSG = 11;
const TRACE_STATE = 12;
const V0 = 13;
const MORE = V0 + VALUE_SLOTS;
const EVENTS = MORE + 1;
const LINKS = MORE + 2;
const NUM_COLUMNS = LINKS + 1;

/** Byte width of each column's vector entries (VARCHAR: 16-byte `duckdb_string_t`). */
const WIDTH: readonly number[] = Array.from({ length: NUM_COLUMNS }, (_, c) =>
  c === NO || c === SEQ || c === PARENT_SEQ || c === CLASS || c === STATUS_MSG || c === TRACE_STATE
    ? 4
    : c >= V0
      ? 16
      : 8,
);

interface StoredEvent {
  timeUnixNano: string;
  name: string;
  attributes?: AttributeTriple[];
}
interface StoredLink {
  traceId: string;
  spanId: string;
  traceState?: string;
  attributes?: AttributeTriple[];
}

/** Thrown when a stored row cannot be turned back into a span (the caller maps it to StoreError 'corrupt'). */
export class CorruptRowError extends Error {}

/** Per-shape key codes of the builder, resolved once per shape. */
interface ShapeCodes {
  readonly codes: Int32Array;
  readonly types: Uint8Array;
  readonly locs: Int8Array;
  /** 1 where a later span of the trace may repeat this value (some shape marks its key and type "repeat"). */
  readonly keep: Uint8Array;
  /** Subset reads: the result column holding the value of each "repeat" attribute (-1 for the others). */
  readonly repeatCol: Int32Array;
}

const encoder = new TextEncoder();

/**
 * Rebuilds the spans of a query result that selects `trace_hi, trace_lo, base` then {@link SPAN_READ_COLUMNS}, with
 * the rows of each trace next to each other (ordered by trace number, or a single trace) and in any `seq` order
 * within a trace.
 *
 * **Details** With `repeatKeys` (`${type}:${key}`), the result is a subset of the rows of its traces: it has one more
 * VARCHAR column per entry, the value a row's "repeat" attribute of that key and type takes from the rows before it
 * ({@link LOC_REPEAT}), and `parent_seq` -1 with the parent's id in `parent_span_id`.
 *
 * **Complexity** O(rows + values); one native call per text value longer than 12 bytes, no object per span.
 */
export async function readSpans(
  result: DuckDBResult,
  dicts: Dictionaries,
  expectedRows = 1024,
  repeatKeys?: readonly string[],
): Promise<SpanTable> {
  const columns = NUM_COLUMNS + (repeatKeys?.length ?? 0);
  const b = new SpanTableBuilder({ initialCapacity: Math.max(expectedRows, 16) });
  const shapeCodes: (ShapeCodes | undefined)[] = [];
  const repeated = repeatedKeys(dicts);
  const codesOf = (shapeId: number): ShapeCodes => {
    let s = shapeCodes[shapeId];
    if (!s) {
      const shape = dicts.shape(shapeId);
      s = {
        codes: Int32Array.from(shape.keys, (k) => b.internAttributeKey(k)),
        types: shape.types,
        locs: shape.locs,
        keep: Uint8Array.from(shape.keys, (k, a) => (repeated.has(`${shape.types[a]}:${k}`) ? 1 : 0)),
        repeatCol: Int32Array.from(shape.keys, (k, a) => {
          const i = repeatKeys?.indexOf(`${shape.types[a]}:${k}`) ?? -1;
          return i < 0 ? -1 : NUM_COLUMNS + i;
        }),
      };
      shapeCodes[shapeId] = s;
    }
    return s;
  };
  const services = dicts.services.values;
  const strings = dicts.strings.values;
  let lastResource = -1;
  let lastScope = -1;

  // The rows of the current trace: the chunk and row of each, held until the trace is complete.
  const held: Chunk[] = [];
  let tChunk: Int32Array = new Int32Array(256);
  let tRow: Int32Array = new Int32Array(256);
  let tSeq: Int32Array = new Int32Array(256);
  let tOrder: Int32Array = new Int32Array(256);
  let tCount = 0;
  let traceNo = 0;
  // seq → index in the current trace (stamped with the trace serial so that nothing is cleared between traces).
  let seqIndex: Int32Array = new Int32Array(1024);
  let seqStamp: Int32Array = new Int32Array(1024);
  // Last value per (builder key code, type) in the current trace: the bytes live in `lastHeap`.
  let lastStamp: Int32Array = new Int32Array(1024);
  let lastStart: Int32Array = new Int32Array(1024);
  let lastEnd: Int32Array = new Int32Array(1024);
  let lastHeap: Uint8Array = new Uint8Array(1 << 16);
  let heapUsed = 0;
  let serial = 0;
  const traceBytes = new Uint8Array(16);
  const idBytes = new Uint8Array(8);
  const parentBytes = new Uint8Array(8);

  /** Copies the little-endian int64 at `src[off..off+8)` into `dst` as the big-endian id bytes. */
  const idFrom = (src: Uint8Array, off: number, dst: Uint8Array, at: number): void => {
    for (let k = 0; k < 8; k++) dst[at + k] = src[off + 7 - k]!;
  };

  const remember = (slot: number, buf: Uint8Array, start: number, end: number): void => {
    if (slot >= lastStamp.length) {
      const size = Math.max(slot + 1, lastStamp.length * 2);
      const grow = (a: Int32Array): Int32Array => {
        const g = new Int32Array(size);
        g.set(a);
        return g;
      };
      lastStamp = grow(lastStamp);
      lastStart = grow(lastStart);
      lastEnd = grow(lastEnd);
    }
    const len = end - start;
    if (heapUsed + len > lastHeap.length) {
      let size = lastHeap.length * 2;
      while (size < heapUsed + len) size *= 2;
      const g = new Uint8Array(size);
      g.set(lastHeap.subarray(0, heapUsed));
      lastHeap = g;
    }
    if (len <= 32) for (let k = 0; k < len; k++) lastHeap[heapUsed + k] = buf[start + k]!;
    else lastHeap.set(buf.subarray(start, end), heapUsed);
    lastStamp[slot] = serial;
    lastStart[slot] = heapUsed;
    lastEnd[slot] = heapUsed + len;
    heapUsed += len;
  };

  /** Text at (chunk, row, column): sets `textBuf/textStart/textEnd`, or returns false for NULL. */
  let textBuf: Uint8Array = lastHeap;
  let textStart = 0;
  let textEnd = 0;
  const text = (ch: Chunk, row: number, col: number): boolean => {
    if (!isValid(ch.valid[col], row)) return false;
    const data = ch.data[col]!;
    const off = row * 16;
    const len = (data[off]! | (data[off + 1]! << 8) | (data[off + 2]! << 16) | (data[off + 3]! << 24)) >>> 0;
    if (len <= 12) {
      textBuf = data;
      textStart = off + 4;
    } else {
      textBuf = bindings.get_data_from_pointer(data.buffer as ArrayBuffer, data.byteOffset + off + 8, len);
      textStart = 0;
    }
    textEnd = textStart + len;
    return true;
  };
  const textString = (ch: Chunk, row: number, col: number): string | null =>
    text(ch, row, col) ? decoder.decode(textBuf.subarray(textStart, textEnd)) : null;

  const emitTrace = (): void => {
    if (tCount === 0) return;
    serial++;
    heapUsed = 0;
    // Rows in seq order.
    let sorted = true;
    for (let k = 0; k < tCount; k++) {
      tOrder[k] = k;
      if (k > 0 && tSeq[k - 1]! > tSeq[k]!) sorted = false;
    }
    if (!sorted) tOrder.subarray(0, tCount).sort((x, y) => tSeq[x]! - tSeq[y]!);
    for (let k = 0; k < tCount; k++) {
      const s = tSeq[k]!;
      if (s >= seqIndex.length) {
        const size = Math.max(s + 1, seqIndex.length * 2);
        const gi = new Int32Array(size);
        gi.set(seqIndex);
        seqIndex = gi;
        const gs = new Int32Array(size);
        gs.set(seqStamp);
        seqStamp = gs;
      }
      if (s >= 0) {
        seqIndex[s] = k;
        seqStamp[s] = serial;
      }
    }
    const first = held[tChunk[0]!]!;
    const r0 = tRow[0]!;
    idFrom(first.data[HI]!, r0 * 8, traceBytes, 0);
    idFrom(first.data[LO]!, r0 * 8, traceBytes, 8);
    const bd = first.data[BASE]!;
    const baseLo = (bd[r0 * 8]! | (bd[r0 * 8 + 1]! << 8) | (bd[r0 * 8 + 2]! << 16) | (bd[r0 * 8 + 3]! << 24)) >>> 0;
    const baseHi = bd[r0 * 8 + 4]! | (bd[r0 * 8 + 5]! << 8) | (bd[r0 * 8 + 6]! << 16) | (bd[r0 * 8 + 7]! << 24);

    for (let o = 0; o < tCount; o++) {
      const k = tOrder[o]!;
      const ch = held[tChunk[k]!]!;
      const r = tRow[k]!;
      const cls = dicts.classOf(ch.i32[CLASS]![r]!);
      // A subset read remembers values per row: a repeat refers to an earlier attribute of the same span, or to the
      // value SQL found in the rows before it (which are not in the result).
      if (repeatKeys) serial++;
      const resource = cls.resourceId;
      if (resource !== lastResource) {
        b.setResource(dicts.resource(resource));
        lastResource = resource;
      }
      const scopeId = cls.scopeId;
      if (scopeId !== lastScope) {
        const scope = dicts.scope(scopeId);
        b.setScope(scope.name, scope.version, scope.attributes);
        lastScope = scopeId;
      }
      b.beginSpan();
      b.setTraceIdBytes(traceBytes, 0, 16);
      idFrom(ch.data[SPAN_ID]!, r * 8, idBytes, 0);
      b.setSpanIdBytes(idBytes, 0, 8);
      const flags = cls.flags;
      const ref = (flags >> 5) as ParentRefType;
      if (ref !== 0) {
        const parentSeq = ch.i32[PARENT_SEQ]![r]!;
        if (parentSeq >= 0) {
          if (parentSeq >= seqStamp.length || seqStamp[parentSeq] !== serial) {
            throw new CorruptRowError(`parent of span ${hex(idBytes)}`);
          }
          const p = seqIndex[parentSeq]!;
          idFrom(held[tChunk[p]!]!.data[SPAN_ID]!, tRow[p]! * 8, parentBytes, 0);
        } else {
          if (!isValid(ch.valid[PARENT_ID], r)) throw new CorruptRowError(`parent of span ${hex(idBytes)}`);
          idFrom(ch.data[PARENT_ID]!, r * 8, parentBytes, 0);
        }
        b.setParentSpanIdBytes(parentBytes, 0, 8, ref);
      }
      const op = cls.opId;
      b.setService(services[dicts.opService[op]!]!);
      b.setOperation(dicts.opName[op]!);
      b.setKind((flags & 7) as SpanKind);
      const status = ((flags >> 3) & 3) as StatusCode;
      const message = strings[ch.i32[STATUS_MSG]![r]!]!;
      if (status !== 0 || message !== '') b.setStatus(status, message);
      const traceState = strings[ch.i32[TRACE_STATE]![r]!]!;
      if (traceState !== '') b.setTraceState(traceState);
      // start = base + start_off and end = start + duration, on 32-bit words (no BigInt).
      const sd = ch.data[START_OFF]!;
      const so = r * 8;
      const offLo = (sd[so]! | (sd[so + 1]! << 8) | (sd[so + 2]! << 16) | (sd[so + 3]! << 24)) >>> 0;
      const offHi = sd[so + 4]! | (sd[so + 5]! << 8) | (sd[so + 6]! << 16) | (sd[so + 7]! << 24);
      const dd = ch.data[DURATION]!;
      const durLo = (dd[so]! | (dd[so + 1]! << 8) | (dd[so + 2]! << 16) | (dd[so + 3]! << 24)) >>> 0;
      const durHi = dd[so + 4]! | (dd[so + 5]! << 8) | (dd[so + 6]! << 16) | (dd[so + 7]! << 24);
      let sLo = baseLo + offLo;
      let sHi = baseHi + offHi;
      if (sLo > 0xffffffff) {
        sLo -= 0x100000000;
        sHi += 1;
      }
      let eLo = sLo + durLo;
      let eHi = sHi + durHi;
      if (eLo > 0xffffffff) {
        eLo -= 0x100000000;
        eHi += 1;
      }
      b.setStartEndWords(sLo | 0, sHi | 0, eLo | 0, eHi | 0);

      const shape = codesOf(cls.shapeId);
      let more: string[] | undefined;
      let nextMore = 0;
      const nAttr = shape.codes.length;
      for (let a = 0; a < nAttr; a++) {
        const code = shape.codes[a]!;
        const type = shape.types[a]! as AttributeType;
        const loc = shape.locs[a]!;
        const slot = code * 8 + type;
        if (loc >= 0) {
          if (!text(ch, r, V0 + loc)) throw new CorruptRowError(`attribute ${a} of span ${hex(idBytes)}`);
          const buf = textBuf;
          const start = textStart;
          const end = textEnd;
          b.addAttributeUtf8(code, type, buf, start, end);
          if (shape.keep[a] === 1) remember(slot, buf, start, end);
        } else if (loc === LOC_REPEAT && repeatKeys && !(slot < lastStamp.length && lastStamp[slot] === serial)) {
          const col = shape.repeatCol[a]!;
          if (col < 0 || !text(ch, r, col)) throw new CorruptRowError(`attribute ${a} of span ${hex(idBytes)}`);
          b.addAttributeUtf8(code, type, textBuf, textStart, textEnd);
          if (shape.keep[a] === 1) remember(slot, textBuf, textStart, textEnd);
        } else if (loc === LOC_REPEAT) {
          if (slot >= lastStamp.length || lastStamp[slot] !== serial) {
            throw new CorruptRowError(`attribute ${a} of span ${hex(idBytes)}`);
          }
          b.addAttributeUtf8(code, type, lastHeap, lastStart[slot]!, lastEnd[slot]!);
        } else {
          more ??= JSON.parse(textString(ch, r, MORE) ?? '[]') as string[];
          const value = more[nextMore++];
          if (value === undefined || value === null) {
            throw new CorruptRowError(`attribute ${a} of span ${hex(idBytes)}`);
          }
          b.addAttributeCoded(code, type, value);
          const bytes = encoder.encode(value);
          remember(slot, bytes, 0, bytes.length);
        }
      }
      const events = textString(ch, r, EVENTS);
      if (events) {
        for (const e of JSON.parse(events) as StoredEvent[]) {
          b.addEvent({ timeUnixNano: BigInt(e.timeUnixNano), name: e.name, attributes: e.attributes ?? [] });
        }
      }
      const links = textString(ch, r, LINKS);
      if (links) {
        for (const l of JSON.parse(links) as StoredLink[]) {
          b.addLink({
            traceId: l.traceId,
            spanId: l.spanId,
            traceState: l.traceState ?? '',
            attributes: l.attributes ?? [],
          });
        }
      }
      const reason = b.commitSpan();
      if (reason) throw new CorruptRowError(`span ${hex(idBytes)}: ${reason}`);
    }
    tCount = 0;
  };

  for (;;) {
    const raw = await bindings.fetch_chunk((result as unknown as { result: never }).result);
    if (!raw) break;
    const rows = bindings.data_chunk_get_size(raw);
    if (rows === 0) break;
    const ch = chunkOf(raw, rows, WIDTH, columns);
    const nos = ch.i32[NO]!;
    const seqs = ch.i32[SEQ]!;
    // Chunks still needed: only those holding rows of the current (unfinished) trace.
    if (tCount === 0) held.length = 0;
    held.push(ch);
    let ci = held.length - 1;
    for (let r = 0; r < rows; r++) {
      const no = nos[r]!;
      if (tCount > 0 && no !== traceNo) {
        emitTrace();
        if (ci > 0) {
          held.length = 0;
          held.push(ch);
          ci = 0;
        }
      }
      traceNo = no;
      if (tCount === tChunk.length) {
        const size = tCount * 2;
        const g = (a: Int32Array): Int32Array => {
          const n = new Int32Array(size);
          n.set(a);
          return n;
        };
        tChunk = g(tChunk);
        tRow = g(tRow);
        tSeq = g(tSeq);
        tOrder = new Int32Array(size);
      }
      tChunk[tCount] = ci;
      tRow[tCount] = r;
      tSeq[tCount] = seqs[r]!;
      tCount++;
    }
  }
  emitTrace();
  return b.finish();
}

const decoder = new TextDecoder();

const repeatedCache = new WeakMap<Dictionaries, { generation: number; shapes: number; keys: Set<string> }>();

/** `${type}:${key}` of every attribute that some shape marks "repeat" (only those values are carried per trace). */
function repeatedKeys(dicts: Dictionaries): Set<string> {
  let entry = repeatedCache.get(dicts);
  if (!entry || entry.generation !== dicts.generation) {
    entry = { generation: dicts.generation, shapes: 0, keys: new Set() };
    repeatedCache.set(dicts, entry);
  }
  const n = dicts.shapes.values.length;
  for (let id = entry.shapes; id < n; id++) {
    const shape = dicts.shape(id);
    for (let a = 0; a < shape.keys.length; a++) {
      if (shape.locs[a] === LOC_REPEAT) entry.keys.add(`${shape.types[a]}:${shape.keys[a]}`);
    }
  }
  entry.shapes = n;
  return entry.keys;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const x of bytes) s += x.toString(16).padStart(2, '0');
  return s;
}
