// Encodes span-table rows as one Arrow IPC stream (`FORMAT ArrowStream`) in the column layout of the OpenTelemetry
// Collector ClickHouse exporter's `otel_traces` table, built column-wise from the span table's typed arrays.
import {
  type AttributeTriple,
  AttributeType,
  ParentRefType,
  type SpanTable,
  type Utf8Column,
  utf8At,
} from '@aiops/span-model';
import {
  type Data,
  type DataType,
  Dictionary,
  Field,
  Int32,
  List,
  Map_,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimestampNanosecond,
  tableToIPC,
  Uint64,
  Utf8,
} from 'apache-arrow';
import { KIND_TEXT, REF_TYPE_KEY, STATUS_TEXT } from './rows.ts';

const encoder = new TextEncoder();
const HEX = new Uint8Array(512);
for (let i = 0; i < 256; i++) {
  const h = i.toString(16).padStart(2, '0');
  HEX[i * 2] = h.charCodeAt(0);
  HEX[i * 2 + 1] = h.charCodeAt(1);
}

/** A growable UTF-8 column (Arrow `Utf8`: int32 offsets + bytes). */
class Utf8Builder {
  offsets: Int32Array;
  bytes: Uint8Array;
  length = 0;
  size = 0;

  constructor(rows: number, bytes: number) {
    this.offsets = new Int32Array(rows + 1);
    this.bytes = new Uint8Array(Math.max(16, bytes));
  }

  #reserve(rows: number, bytes: number): void {
    if (this.length + rows + 1 > this.offsets.length) {
      const o = new Int32Array(Math.max(this.offsets.length * 2, this.length + rows + 1));
      o.set(this.offsets);
      this.offsets = o;
    }
    if (this.size + bytes > this.bytes.length) {
      const b = new Uint8Array(Math.max(this.bytes.length * 2, this.size + bytes));
      b.set(this.bytes.subarray(0, this.size));
      this.bytes = b;
    }
  }

  pushBytes(src: Uint8Array, start: number, end: number): void {
    this.#reserve(1, end - start);
    this.bytes.set(src.subarray(start, end), this.size);
    this.size += end - start;
    this.offsets[++this.length] = this.size;
  }

  pushString(s: string): void {
    this.#reserve(1, s.length * 3);
    this.size += encoder.encodeInto(s, this.bytes.subarray(this.size)).written;
    this.offsets[++this.length] = this.size;
  }

  /** Lower-case hex of `width` bytes of `src` at `at`. */
  pushHex(src: Uint8Array, at: number, width: number): void {
    this.#reserve(1, width * 2);
    const out = this.bytes;
    let p = this.size;
    for (let i = at; i < at + width; i++) {
      const b = src[i]! * 2;
      out[p++] = HEX[b]!;
      out[p++] = HEX[b + 1]!;
    }
    this.size = p;
    this.offsets[++this.length] = p;
  }

  finish(): Data<Utf8> {
    return makeData({
      type: new Utf8(),
      length: this.length,
      nullCount: 0,
      valueOffsets: this.offsets.subarray(0, this.length + 1),
      data: this.bytes.subarray(0, this.size),
    });
  }
}

function utf8Data(values: readonly string[]): Data<Utf8> {
  const b = new Utf8Builder(values.length, values.length * 16);
  for (const v of values) b.pushString(v);
  return b.finish();
}

/** Dictionary ids must be unique within one schema. */
class Ids {
  next = 0;
}

function dictData(ids: Ids, indices: Int32Array, values: readonly string[]): Data<Dictionary<Utf8, Int32>> {
  return makeData({
    type: new Dictionary(new Utf8(), new Int32(), ids.next++),
    length: indices.length,
    nullCount: 0,
    data: indices,
    dictionary: makeVector(utf8Data(values)),
  });
}

function gatherCodes(codes: Int32Array | Uint8Array, rows: Int32Array, limit = Number.POSITIVE_INFINITY): Int32Array {
  const out = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const c = codes[rows[k]!]!;
    out[k] = c < limit ? c : 0;
  }
  return out;
}

function mapData(offsets: Int32Array, keys: Data, values: Data): Data<Map_> {
  const entries = new Struct([new Field('key', keys.type, false), new Field('value', values.type, false)]);
  const child = makeData({ type: entries, length: keys.length, nullCount: 0, children: [keys, values] });
  return makeData({
    type: new Map_(new Field('entries', entries, false)),
    length: offsets.length - 1,
    nullCount: 0,
    valueOffsets: offsets,
    child,
  });
}

function listData(offsets: Int32Array, child: Data): Data<List> {
  return makeData({
    type: new List(new Field('item', child.type, false)),
    length: offsets.length - 1,
    nullCount: 0,
    // A copy per column: apache-arrow's IPC writer miscounts the message body when columns share a buffer.
    valueOffsets: offsets.slice(),
    child,
  });
}

/** A `Map(String, String)` column built entry by entry (events' and links' attributes). */
class MapBuilder {
  offsets: number[] = [0];
  keys = new Utf8Builder(64, 1024);
  values = new Utf8Builder(64, 1024);

  push(triples: readonly AttributeTriple[] | undefined): void {
    // A Map keeps one value per key; the last one wins (as in a Go map filled in order).
    const seen = new Map<string, string>();
    for (const [k, , v] of triples ?? []) seen.set(k, v);
    for (const [k, v] of seen) {
      this.keys.pushString(k);
      this.values.pushString(v);
    }
    this.offsets.push(this.keys.length);
  }

  finish(): Data<Map_> {
    return mapData(Int32Array.from(this.offsets), this.keys.finish(), this.values.finish());
  }
}

interface EventJson {
  readonly timeUnixNano: string;
  readonly name: string;
  readonly attributes?: AttributeTriple[];
}
interface LinkJson {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceState?: string;
  readonly attributes?: AttributeTriple[];
}

function parseJsonList<T>(col: Utf8Column, row: number): T[] {
  if (col.offsets[row + 1] === col.offsets[row]) return [];
  return JSON.parse(utf8At(col, row)) as T[];
}

/** Names of the columns written, in order (for `INSERT INTO t (...)`). */
export function insertColumns(hasScope: boolean): string[] {
  return [
    'Timestamp',
    'TraceId',
    'SpanId',
    'ParentSpanId',
    'TraceState',
    'SpanName',
    'SpanKind',
    'ServiceName',
    'ResourceAttributes',
    ...(hasScope ? ['ScopeName', 'ScopeVersion'] : []),
    'SpanAttributes',
    'Duration',
    'StatusCode',
    'StatusMessage',
    'Events.Timestamp',
    'Events.Name',
    'Events.Attributes',
    'Links.TraceId',
    'Links.SpanId',
    'Links.TraceState',
    'Links.Attributes',
  ];
}

/**
 * Rows `rows` of a span table as an Arrow IPC stream of the exporter's columns (see {@link insertColumns}).
 *
 * **Details**
 * - Timestamps are Arrow `Timestamp(ns)` (exact `DateTime64(9)`), durations `UInt64` (negative ones become 0),
 *   ids lower-case hex, low-cardinality strings dictionary-encoded straight from the table's dictionary codes.
 * - Span attributes are a `Map` whose keys are the table's attribute-key codes and whose values are the table's
 *   attribute text; resources are expanded per distinct resource.
 * - A FOLLOWS_FROM parent is kept as the parent id plus a link to the parent carrying
 *   `opentracing.ref_type=follows_from` (the reader turns it back).
 *
 * **Complexity** O(rows + attribute entries + bytes); JSON is parsed only for spans with events or links.
 */
export function arrowStreamFromSpans(table: SpanTable, rows: Int32Array, hasScope: boolean): Uint8Array {
  return tableToIPC(new Table([arrowBatchFromSpans(table, rows, hasScope)]), 'stream');
}

/** The record batch that {@link arrowStreamFromSpans} serialises. */
export function arrowBatchFromSpans(table: SpanTable, rows: Int32Array, hasScope: boolean): RecordBatch {
  const c = table.columns;
  const n = rows.length;
  const ids = new Ids();
  const fields: [string, Data][] = [];
  const add = (name: string, data: Data): void => {
    fields.push([name, data]);
  };

  const start = new BigInt64Array(n);
  const duration = new BigUint64Array(n);
  for (let k = 0; k < n; k++) {
    const r = rows[k]!;
    start[k] = c.startUnixNano[r]!;
    const d = c.durationNano[r]!;
    duration[k] = d < 0n ? 0n : BigInt.asUintN(64, d);
  }
  add('Timestamp', makeData({ type: new TimestampNanosecond(), length: n, nullCount: 0, data: start }));

  const traceIds = new Utf8Builder(n, n * 32);
  const spanIds = new Utf8Builder(n, n * 16);
  const parentIds = new Utf8Builder(n, n * 16);
  for (let k = 0; k < n; k++) {
    const r = rows[k]!;
    traceIds.pushHex(c.traceId, r * 16, 16);
    spanIds.pushHex(c.spanId, r * 8, 8);
    if (c.parentRefType[r] === ParentRefType.None) parentIds.pushBytes(c.spanId, 0, 0);
    else parentIds.pushHex(c.parentSpanId, r * 8, 8);
  }
  add('TraceId', traceIds.finish());
  add('SpanId', spanIds.finish());
  add('ParentSpanId', parentIds.finish());
  const dict = (name: 'traceState' | 'operation' | 'service' | 'statusMessage'): Data => {
    const d = table.dict(name);
    return dictData(ids, gatherCodes(d.codes, rows), d.values);
  };
  add('TraceState', dict('traceState'));
  add('SpanName', dict('operation'));
  add('SpanKind', dictData(ids, gatherCodes(c.kind, rows, KIND_TEXT.length), KIND_TEXT));
  add('ServiceName', dict('service'));

  // Resources: each distinct resource's keys (as codes of one key dictionary) and values (as one byte block).
  const res = table.dict('resource');
  const resKeys: string[] = [];
  const resKeyCode = new Map<string, number>();
  const blocks = new Map<number, { keys: Int32Array; offsets: Int32Array; bytes: Uint8Array }>();
  let resEntries = 0;
  let resBytes = 0;
  for (let k = 0; k < n; k++) {
    const code = res.codes[rows[k]!]!;
    let b = blocks.get(code);
    if (!b) {
      const text = res.values[code] ?? '';
      const map = new Map<string, string>();
      for (const [key, , v] of text ? (JSON.parse(text) as AttributeTriple[]) : []) map.set(key, v);
      const keys = new Int32Array(map.size);
      const vals = new Utf8Builder(map.size, 64);
      let i = 0;
      for (const [key, v] of map) {
        let kc = resKeyCode.get(key);
        if (kc === undefined) {
          kc = resKeys.push(key) - 1;
          resKeyCode.set(key, kc);
        }
        keys[i++] = kc;
        vals.pushString(v);
      }
      b = { keys, offsets: vals.offsets.subarray(0, vals.length + 1), bytes: vals.bytes.subarray(0, vals.size) };
      blocks.set(code, b);
    }
    resEntries += b.keys.length;
    resBytes += b.bytes.length;
  }
  const resOffsets = new Int32Array(n + 1);
  const resKeyIdx = new Int32Array(resEntries);
  const resValOffsets = new Int32Array(resEntries + 1);
  const resValBytes = new Uint8Array(resBytes);
  let e = 0;
  let p = 0;
  for (let k = 0; k < n; k++) {
    const b = blocks.get(res.codes[rows[k]!]!)!;
    resKeyIdx.set(b.keys, e);
    for (let i = 0; i < b.keys.length; i++) resValOffsets[e + i + 1] = p + b.offsets[i + 1]!;
    resValBytes.set(b.bytes, p);
    e += b.keys.length;
    p += b.bytes.length;
    resOffsets[k + 1] = e;
  }
  add(
    'ResourceAttributes',
    mapData(
      resOffsets,
      dictData(ids, resKeyIdx, resKeys),
      makeData({ type: new Utf8(), length: resEntries, nullCount: 0, valueOffsets: resValOffsets, data: resValBytes }),
    ),
  );

  if (hasScope) {
    const sc = table.dict('scope');
    const names: string[] = [];
    const versions: string[] = [];
    for (const text of sc.values) {
      const o = text ? (JSON.parse(text) as { name?: string; version?: string }) : {};
      names.push(o.name ?? '');
      versions.push(o.version ?? '');
    }
    // Separate index arrays: apache-arrow's IPC writer miscounts the body when two columns share one buffer.
    add('ScopeName', dictData(ids, gatherCodes(sc.codes, rows), names));
    add('ScopeVersion', dictData(ids, gatherCodes(sc.codes, rows), versions));
  }

  // Span attributes: keys are the table's key codes, values its text; a key repeated within a span keeps the last.
  let attrEntries = 0;
  let attrBytes = 0;
  for (let k = 0; k < n; k++) {
    const r = rows[k]!;
    const a0 = c.attrOffsets[r]!;
    const a1 = c.attrOffsets[r + 1]!;
    attrEntries += a1 - a0;
    attrBytes += c.attrValues.offsets[a1]! - c.attrValues.offsets[a0]!;
  }
  const attrOffsets = new Int32Array(n + 1);
  const attrKeyIdx = new Int32Array(attrEntries);
  const attrValOffsets = new Int32Array(attrEntries + 1);
  const attrValBytes = new Uint8Array(attrBytes);
  const vo = c.attrValues.offsets;
  const vb = c.attrValues.bytes;
  e = 0;
  p = 0;
  for (let k = 0; k < n; k++) {
    const r = rows[k]!;
    const a0 = c.attrOffsets[r]!;
    const a1 = c.attrOffsets[r + 1]!;
    let dup = false;
    for (let a = a0; a < a1 && !dup; a++)
      for (let b = a + 1; b < a1; b++) if (c.attrKey[b] === c.attrKey[a]) dup = true;
    if (!dup) {
      // The common case: the span's values are one contiguous run of bytes.
      const base = p - vo[a0]!;
      for (let a = a0; a < a1; a++) {
        attrKeyIdx[e] = c.attrKey[a]!;
        attrValOffsets[++e] = vo[a + 1]! + base;
      }
      attrValBytes.set(vb.subarray(vo[a0]!, vo[a1]!), p);
      p += vo[a1]! - vo[a0]!;
    } else {
      for (let a = a0; a < a1; a++) {
        let later = false;
        for (let b = a + 1; b < a1; b++) if (c.attrKey[b] === c.attrKey[a]) later = true;
        if (later) continue;
        attrKeyIdx[e] = c.attrKey[a]!;
        attrValBytes.set(vb.subarray(vo[a]!, vo[a + 1]!), p);
        p += vo[a + 1]! - vo[a]!;
        attrValOffsets[++e] = p;
      }
    }
    attrOffsets[k + 1] = e;
  }
  const attrVals = makeData({
    type: new Utf8(),
    length: e,
    nullCount: 0,
    valueOffsets: attrValOffsets.subarray(0, e + 1),
    data: attrValBytes.subarray(0, p),
  });
  add('SpanAttributes', mapData(attrOffsets, dictData(ids, attrKeyIdx.subarray(0, e), c.attrKeys), attrVals));

  add('Duration', makeData({ type: new Uint64(), length: n, nullCount: 0, data: duration }));
  add('StatusCode', dictData(ids, gatherCodes(c.statusCode, rows, STATUS_TEXT.length), STATUS_TEXT));
  add('StatusMessage', dict('statusMessage'));

  // Events and links: JSON per span in the table, parsed only where present.
  const evOffsets = new Int32Array(n + 1);
  const evTimes: bigint[] = [];
  const evNames = new Utf8Builder(16, 256);
  const evAttrs = new MapBuilder();
  const lkOffsets = new Int32Array(n + 1);
  const lkTrace = new Utf8Builder(16, 512);
  const lkSpan = new Utf8Builder(16, 256);
  const lkState = new Utf8Builder(16, 64);
  const lkAttrs = new MapBuilder();
  const followsFrom: AttributeTriple[] = [[REF_TYPE_KEY, AttributeType.String, 'follows_from']];
  for (let k = 0; k < n; k++) {
    const r = rows[k]!;
    for (const ev of parseJsonList<EventJson>(c.events, r)) {
      evTimes.push(BigInt(ev.timeUnixNano));
      evNames.pushString(ev.name);
      evAttrs.push(ev.attributes);
    }
    evOffsets[k + 1] = evTimes.length;
    for (const lk of parseJsonList<LinkJson>(c.links, r)) {
      lkTrace.pushString(lk.traceId);
      lkSpan.pushString(lk.spanId);
      lkState.pushString(lk.traceState ?? '');
      lkAttrs.push(lk.attributes);
    }
    if (c.parentRefType[r] === ParentRefType.FollowsFrom) {
      lkTrace.pushHex(c.traceId, r * 16, 16);
      lkSpan.pushHex(c.parentSpanId, r * 8, 8);
      lkState.pushString('');
      lkAttrs.push(followsFrom);
    }
    lkOffsets[k + 1] = lkTrace.length;
  }
  const evTimeData = makeData({
    type: new TimestampNanosecond(),
    length: evTimes.length,
    nullCount: 0,
    data: BigInt64Array.from(evTimes),
  });
  add('Events.Timestamp', listData(evOffsets, evTimeData));
  add('Events.Name', listData(evOffsets, evNames.finish()));
  add('Events.Attributes', listData(evOffsets, evAttrs.finish()));
  add('Links.TraceId', listData(lkOffsets, lkTrace.finish()));
  add('Links.SpanId', listData(lkOffsets, lkSpan.finish()));
  add('Links.TraceState', listData(lkOffsets, lkState.finish()));
  add('Links.Attributes', listData(lkOffsets, lkAttrs.finish()));

  const schema = new Schema(fields.map(([name, d]) => new Field(name, d.type as DataType, false)));
  return new RecordBatch(
    schema,
    makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children: fields.map((f) => f[1]) }),
  );
}
