// OTLP encoders for span tables: ExportTraceServiceRequest as OTLP/JSON text and as protobuf bytes.
//
// Field numbers follow opentelemetry-proto (collector/trace/v1/trace_service.proto, trace/v1/trace.proto,
// common/v1/common.proto, resource/v1/resource.proto):
//   ExportTraceServiceRequest  1 resource_spans
//   ResourceSpans              1 resource, 2 scope_spans, 3 schema_url
//   Resource                   1 attributes, 2 dropped_attributes_count
//   ScopeSpans                 1 scope, 2 spans, 3 schema_url
//   InstrumentationScope       1 name, 2 version, 3 attributes
//   Span  1 trace_id, 2 span_id, 3 trace_state, 4 parent_span_id, 5 name, 6 kind, 7 start_time_unix_nano (fixed64),
//         8 end_time_unix_nano (fixed64), 9 attributes, 11 events, 13 links, 15 status, 16 flags (fixed32)
//   Span.Event                 1 time_unix_nano (fixed64), 2 name, 3 attributes
//   Span.Link                  1 trace_id, 2 span_id, 3 trace_state, 4 attributes
//   Status                     2 message, 3 code
//   KeyValue                   1 key, 2 value
//   AnyValue  1 string, 2 bool, 3 int (int64), 4 double, 5 array, 6 kvlist, 7 bytes;  ArrayValue/KeyValueList 1 values
// Reference: https://github.com/open-telemetry/opentelemetry-proto (Apache-2.0); OTLP/JSON encoding rules from the
// OTLP specification (hex ids, int64 as decimal strings, enums as integers).
import { type AttributeTriple, AttributeType, ParentRefType, type SpanTable, utf8At } from '@aiops/span-model';

/** Options of the encoders: the row range to encode. */
export interface OtlpEncodeOptions {
  /** First row (default 0). */
  readonly start?: number;
  /** End row, exclusive (default all rows). */
  readonly end?: number;
}

interface Groups {
  readonly resources: { code: number; scopes: { code: number; rows: number[] }[] }[];
}

function groupRows(table: SpanTable, start: number, end: number): Groups {
  const res = table.dict('resource').codes;
  const scope = table.dict('scope').codes;
  const byRes = new Map<number, Map<number, number[]>>();
  for (let i = start; i < end; i++) {
    let scopes = byRes.get(res[i]!);
    if (!scopes) byRes.set(res[i]!, (scopes = new Map()));
    let rows = scopes.get(scope[i]!);
    if (!rows) scopes.set(scope[i]!, (rows = []));
    rows.push(i);
  }
  return {
    resources: [...byRes].map(([code, scopes]) => ({
      code,
      scopes: [...scopes].map(([c, rows]) => ({ code: c, rows })),
    })),
  };
}

function range(table: SpanTable, options: OtlpEncodeOptions): [number, number] {
  const start = options.start ?? 0;
  const end = options.end ?? table.numSpans;
  if (start < 0 || end > table.numSpans || start > end) {
    throw new RangeError(`scenarios: row range ${start}..${end} is outside 0..${table.numSpans}`);
  }
  return [start, end];
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hexOf(bytes: Uint8Array, o: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += HEX[bytes[o + i]!];
  return s;
}

function isZero(bytes: Uint8Array, o: number, n: number): boolean {
  for (let i = 0; i < n; i++) if (bytes[o + i] !== 0) return false;
  return true;
}

// ---- JSON -------------------------------------------------------------------------------------------------------

type JsonAny = Record<string, unknown>;

function plainToJson(v: unknown): JsonAny {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(plainToJson) } };
  if (v && typeof v === 'object') {
    return {
      kvlistValue: {
        values: Object.entries(v as Record<string, unknown>).map(([key, x]) => ({ key, value: plainToJson(x) })),
      },
    };
  }
  return {};
}

function tripleToJson(type: number, text: string): JsonAny {
  switch (type) {
    case AttributeType.Bool:
      return { boolValue: text === 'true' };
    case AttributeType.Int:
      return { intValue: text };
    case AttributeType.Double:
      return { doubleValue: Number(text) };
    case AttributeType.Bytes:
      return { bytesValue: text };
    case AttributeType.Array:
    case AttributeType.KvList:
      try {
        return plainToJson(JSON.parse(text));
      } catch {
        return { stringValue: text };
      }
    default:
      return { stringValue: text };
  }
}

function triplesToJson(triples: readonly AttributeTriple[]): { key: string; value: JsonAny }[] {
  return triples.map(([key, type, value]) => ({ key, value: tripleToJson(type, value) }));
}

const decoder = new TextDecoder();

/**
 * Encodes rows of a span table as one OTLP/JSON `ExportTraceServiceRequest` (one line of a Collector file export).
 *
 * **Details** Spans are grouped by resource and instrumentation scope; ids are lower-case hex, times decimal
 * strings, kinds and status codes integers (OTLP/JSON rules). A FOLLOWS_FROM parent also becomes a link with
 * `opentracing.ref_type=follows_from`, as the Collector's Jaeger translator writes it.
 *
 * **Complexity** O(rows + attributes).
 *
 * **Gotchas** Encode at most a few thousand spans per call: the result is one string.
 *
 * @example
 * ```ts
 * const line = spanTableToOtlpJson(table, { start: 0, end: 1000 });
 * ```
 */
export function spanTableToOtlpJson(table: SpanTable, options: OtlpEncodeOptions = {}): string {
  const [start, end] = range(table, options);
  const c = table.columns;
  const resourceValues = table.dict('resource').values;
  const scopeValues = table.dict('scope').values;
  const op = table.dict('operation');
  const sm = table.dict('statusMessage');
  const ts = table.dict('traceState');
  const { attrOffsets, attrKey, attrKeys, attrType, attrValues } = c;
  const resourceSpans = groupRows(table, start, end).resources.map(({ code, scopes }) => {
    const resText = resourceValues[code] ?? '';
    const resource = { attributes: resText ? triplesToJson(JSON.parse(resText) as AttributeTriple[]) : [] };
    return {
      resource,
      scopeSpans: scopes.map(({ code: sc, rows }) => {
        const scopeText = scopeValues[sc] ?? '';
        const parsed = scopeText
          ? (JSON.parse(scopeText) as { name: string; version: string; attributes?: AttributeTriple[] })
          : { name: '', version: '' };
        const scope: JsonAny = { name: parsed.name, version: parsed.version };
        if (parsed.attributes) scope.attributes = triplesToJson(parsed.attributes);
        return {
          scope,
          spans: rows.map((i) => {
            const attributes: { key: string; value: JsonAny }[] = [];
            for (let a = attrOffsets[i]!; a < attrOffsets[i + 1]!; a++) {
              const text = decoder.decode(
                attrValues.bytes.subarray(attrValues.offsets[a]!, attrValues.offsets[a + 1]!),
              );
              attributes.push({ key: attrKeys[attrKey[a]!]!, value: tripleToJson(attrType[a]!, text) });
            }
            const span: JsonAny = {
              traceId: hexOf(c.traceId, i * 16, 16),
              spanId: hexOf(c.spanId, i * 8, 8),
            };
            const state = ts.values[ts.codes[i]!] ?? '';
            if (state) span.traceState = state;
            const hasParent = !isZero(c.parentSpanId, i * 8, 8);
            if (hasParent) span.parentSpanId = hexOf(c.parentSpanId, i * 8, 8);
            span.name = op.values[op.codes[i]!] ?? '';
            span.kind = c.kind[i]!;
            span.startTimeUnixNano = c.startUnixNano[i]!.toString();
            span.endTimeUnixNano = (c.startUnixNano[i]! + c.durationNano[i]!).toString();
            span.attributes = attributes;
            const ev = utf8At(c.events, i);
            if (ev) {
              span.events = (
                JSON.parse(ev) as { timeUnixNano: string; name: string; attributes: AttributeTriple[] }[]
              ).map((e) => ({ timeUnixNano: e.timeUnixNano, name: e.name, attributes: triplesToJson(e.attributes) }));
            }
            const links = linksOf(table, i, hasParent);
            if (links.length > 0) {
              span.links = links.map((l) => ({
                traceId: l.traceId,
                spanId: l.spanId,
                ...(l.traceState ? { traceState: l.traceState } : {}),
                attributes: triplesToJson(l.attributes),
              }));
            }
            const status: JsonAny = {};
            const msg = sm.values[sm.codes[i]!] ?? '';
            if (msg) status.message = msg;
            if (c.statusCode[i]) status.code = c.statusCode[i];
            span.status = status;
            return span;
          }),
        };
      }),
    };
  });
  return JSON.stringify({ resourceSpans });
}

interface LinkJson {
  traceId: string;
  spanId: string;
  traceState: string;
  attributes: AttributeTriple[];
}

function linksOf(table: SpanTable, i: number, hasParent: boolean): LinkJson[] {
  const c = table.columns;
  const text = utf8At(c.links, i);
  const links: LinkJson[] = text ? (JSON.parse(text) as LinkJson[]) : [];
  if (hasParent && c.parentRefType[i] === ParentRefType.FollowsFrom) {
    links.push({
      traceId: hexOf(c.traceId, i * 16, 16),
      spanId: hexOf(c.parentSpanId, i * 8, 8),
      traceState: '',
      attributes: [['opentracing.ref_type', AttributeType.String, 'follows_from']],
    });
  }
  return links;
}

// ---- protobuf ---------------------------------------------------------------------------------------------------

const encoder = new TextEncoder();

/** A minimal protobuf writer: varints, fixed64/32, doubles and length-delimited fields written in place. */
class Writer {
  buf = new Uint8Array(1 << 16);
  pos = 0;
  private view = new DataView(this.buf.buffer);

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  varint(v: number): void {
    this.reserve(10);
    while (v > 127) {
      this.buf[this.pos++] = (v & 127) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[this.pos++] = v;
  }

  /** int64 as a varint (negative values in 10 bytes, two's complement). */
  varint64(v: bigint): void {
    this.reserve(10);
    let x = BigInt.asUintN(64, v);
    while (x > 127n) {
      this.buf[this.pos++] = Number(x & 127n) | 128;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  fixed64(field: number, v: bigint): void {
    this.tag(field, 1);
    this.reserve(8);
    this.view.setBigUint64(this.pos, BigInt.asUintN(64, v), true);
    this.pos += 8;
  }

  double(field: number, v: number): void {
    this.tag(field, 1);
    this.reserve(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
  }

  bytes(field: number, src: Uint8Array, start: number, end: number): void {
    this.tag(field, 2);
    this.varint(end - start);
    this.reserve(end - start);
    this.buf.set(src.subarray(start, end), this.pos);
    this.pos += end - start;
  }

  string(field: number, s: string): void {
    this.tag(field, 2);
    // Length first needs the UTF-8 size: encode into place after a 5-byte worst case, then move if shorter.
    this.reserve(s.length * 3 + 5);
    const at = this.pos;
    const { written } = encoder.encodeInto(s, this.buf.subarray(at + 5));
    this.varint(written);
    this.buf.copyWithin(this.pos, at + 5, at + 5 + written);
    this.pos += written;
  }

  /** Starts a length-delimited field; returns the body start for {@link end}. */
  begin(field: number): number {
    this.tag(field, 2);
    return this.pos;
  }

  /** Ends a length-delimited field begun at `start`: inserts the length varint before the body. */
  end(start: number): void {
    const len = this.pos - start;
    let n = 1;
    for (let v = len; v > 127; v = Math.floor(v / 128)) n++;
    this.reserve(n);
    this.buf.copyWithin(start + n, start, this.pos);
    let p = start;
    let v = len;
    while (v > 127) {
      this.buf[p++] = (v & 127) | 128;
      v = Math.floor(v / 128);
    }
    this.buf[p] = v;
    this.pos += n;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }
}

function writePlain(w: Writer, v: unknown): void {
  if (typeof v === 'string') w.string(1, v);
  else if (typeof v === 'boolean') {
    w.tag(2, 0);
    w.varint(v ? 1 : 0);
  } else if (typeof v === 'number') {
    if (Number.isInteger(v)) {
      w.tag(3, 0);
      w.varint64(BigInt(v));
    } else w.double(4, v);
  } else if (Array.isArray(v)) {
    const a = w.begin(5);
    for (const x of v) {
      const s = w.begin(1);
      writePlain(w, x);
      w.end(s);
    }
    w.end(a);
  } else if (v && typeof v === 'object') {
    const a = w.begin(6);
    for (const [key, x] of Object.entries(v as Record<string, unknown>)) {
      const s = w.begin(1);
      w.string(1, key);
      const val = w.begin(2);
      writePlain(w, x);
      w.end(val);
      w.end(s);
    }
    w.end(a);
  }
}

/** Writes an AnyValue body for a stored attribute value given as UTF-8 bytes. */
function writeValue(w: Writer, type: number, bytes: Uint8Array, a: number, b: number): void {
  switch (type) {
    case AttributeType.String:
      w.bytes(1, bytes, a, b);
      return;
    case AttributeType.Bool:
      w.tag(2, 0);
      w.varint(b - a === 4 ? 1 : 0);
      return;
    case AttributeType.Int: {
      w.tag(3, 0);
      w.varint64(BigInt(decoder.decode(bytes.subarray(a, b))));
      return;
    }
    case AttributeType.Double:
      w.double(4, Number(decoder.decode(bytes.subarray(a, b))));
      return;
    case AttributeType.Bytes: {
      const raw = Buffer.from(decoder.decode(bytes.subarray(a, b)), 'base64');
      w.bytes(7, raw, 0, raw.length);
      return;
    }
    default: {
      const text = decoder.decode(bytes.subarray(a, b));
      try {
        writePlain(w, JSON.parse(text));
      } catch {
        w.string(1, text);
      }
    }
  }
}

function writeTriples(w: Writer, field: number, triples: readonly AttributeTriple[]): void {
  for (const [key, type, value] of triples) {
    const kv = w.begin(field);
    w.string(1, key);
    const v = w.begin(2);
    const bytes = encoder.encode(value);
    writeValue(w, type, bytes, 0, bytes.length);
    w.end(v);
    w.end(kv);
  }
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Encodes rows of a span table as one protobuf `ExportTraceServiceRequest` (the OTLP/HTTP and gRPC payload).
 *
 * **Details** Same grouping and content as {@link spanTableToOtlpJson}. String attribute values are copied as
 * UTF-8 bytes straight from the table; ints are written as int64 varints, doubles as fixed64.
 *
 * **Complexity** O(rows + attributes); nested lengths are written by shifting each body once per nesting level.
 *
 * **Gotchas** The OpenTelemetry Collector's file exporter (`format: proto`) writes each message after a 4-byte
 * big-endian length; this function returns the bare message.
 *
 * @example
 * ```ts
 * await fetch('http://127.0.0.1:4318/v1/traces', {
 *   method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: spanTableToOtlpProtobuf(table),
 * });
 * ```
 */
export function spanTableToOtlpProtobuf(table: SpanTable, options: OtlpEncodeOptions = {}): Uint8Array {
  const [start, end] = range(table, options);
  const c = table.columns;
  const resourceValues = table.dict('resource').values;
  const scopeValues = table.dict('scope').values;
  const op = table.dict('operation');
  const sm = table.dict('statusMessage');
  const ts = table.dict('traceState');
  const { attrOffsets, attrKey, attrKeys, attrType, attrValues } = c;
  const keyBytes = attrKeys.map((k) => encoder.encode(k));
  const w = new Writer();
  for (const { code, scopes } of groupRows(table, start, end).resources) {
    const rs = w.begin(1);
    const resText = resourceValues[code] ?? '';
    const r = w.begin(1);
    if (resText) writeTriples(w, 1, JSON.parse(resText) as AttributeTriple[]);
    w.end(r);
    for (const { code: sc, rows } of scopes) {
      const ss = w.begin(2);
      const scopeText = scopeValues[sc] ?? '';
      const sp = w.begin(1);
      if (scopeText) {
        const parsed = JSON.parse(scopeText) as { name: string; version: string; attributes?: AttributeTriple[] };
        if (parsed.name) w.string(1, parsed.name);
        if (parsed.version) w.string(2, parsed.version);
        if (parsed.attributes) writeTriples(w, 3, parsed.attributes);
      }
      w.end(sp);
      for (const i of rows) {
        const s = w.begin(2);
        w.bytes(1, c.traceId, i * 16, i * 16 + 16);
        w.bytes(2, c.spanId, i * 8, i * 8 + 8);
        const state = ts.values[ts.codes[i]!] ?? '';
        if (state) w.string(3, state);
        const hasParent = !isZero(c.parentSpanId, i * 8, 8);
        if (hasParent) w.bytes(4, c.parentSpanId, i * 8, i * 8 + 8);
        w.string(5, op.values[op.codes[i]!] ?? '');
        if (c.kind[i]) {
          w.tag(6, 0);
          w.varint(c.kind[i]!);
        }
        w.fixed64(7, c.startUnixNano[i]!);
        w.fixed64(8, c.startUnixNano[i]! + c.durationNano[i]!);
        for (let a = attrOffsets[i]!; a < attrOffsets[i + 1]!; a++) {
          const kv = w.begin(9);
          const kb = keyBytes[attrKey[a]!]!;
          w.bytes(1, kb, 0, kb.length);
          const v = w.begin(2);
          writeValue(w, attrType[a]!, attrValues.bytes, attrValues.offsets[a]!, attrValues.offsets[a + 1]!);
          w.end(v);
          w.end(kv);
        }
        const ev = utf8At(c.events, i);
        if (ev) {
          for (const e of JSON.parse(ev) as { timeUnixNano: string; name: string; attributes: AttributeTriple[] }[]) {
            const eb = w.begin(11);
            w.fixed64(1, BigInt(e.timeUnixNano));
            w.string(2, e.name);
            writeTriples(w, 3, e.attributes);
            w.end(eb);
          }
        }
        for (const l of linksOf(table, i, hasParent)) {
          const lb = w.begin(13);
          const t = hexToBytes(l.traceId);
          const sid = hexToBytes(l.spanId);
          w.bytes(1, t, 0, t.length);
          w.bytes(2, sid, 0, sid.length);
          if (l.traceState) w.string(3, l.traceState);
          writeTriples(w, 4, l.attributes);
          w.end(lb);
        }
        const msg = sm.values[sm.codes[i]!] ?? '';
        const st = w.begin(15);
        if (msg) w.string(2, msg);
        if (c.statusCode[i]) {
          w.tag(3, 0);
          w.varint(c.statusCode[i]!);
        }
        w.end(st);
        w.end(s);
      }
      w.end(ss);
    }
    w.end(rs);
  }
  return w.finish();
}
