// OTLP/protobuf encoding of an ExportTraceServiceRequest straight from the SDK's ReadableSpans, in one pass: the same
// bytes as OpenTelemetry's `ProtobufTraceSerializer` (tested byte for byte), which first walks every span to size
// the buffer and then walks it again to write, decoding each id into a fresh Uint8Array both times.
// Here each length-delimited message gets a length slot of its likely size (1 byte for attributes, 2 for a span,
// 3 for the scope/resource groups); when the real length needs another size the message is moved (copyWithin),
// so varints stay minimal as the serializer writes them. Strings are written in one loop (ASCII) or by Buffer.write.
// Reference: opentelemetry-proto trace/v1/trace.proto, common/v1/common.proto; @opentelemetry/otlp-transformer.
import type { Attributes, HrTime, Link, SpanContext } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace';

type Scope = ReadableSpan['instrumentationScope'] & { attributes?: Attributes; droppedAttributesCount?: number };
type Resource = ReadableSpan['resource'] & { schemaUrl?: string };

const MIN_64_BIT_INT = -(2 ** 63);
const MAX_64_BIT_INT = 2 ** 63;
const SPAN_FLAGS_HAS_IS_REMOTE = 256;
const SPAN_FLAGS_IS_REMOTE = 512;

function varintSize(v: number): number {
  if (v < 128) return 1;
  if (v < 16384) return 2;
  if (v < 2097152) return 3;
  if (v < 268435456) return 4;
  return 5;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  return c - 55;
}

/** A growable byte buffer with protobuf primitives; reused between requests (the result is copied out). */
class Writer {
  buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Non-negative integer up to 2^53 as a varint. */
  varint(value: number): void {
    this.ensure(10);
    const buf = this.buf;
    if (value <= 0xffffffff && value >= 0) {
      let v = value >>> 0;
      while (v > 127) {
        buf[this.pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buf[this.pos++] = v;
      return;
    }
    // Two's complement over 64 bits, as protobuf writes int64 (negative numbers take 10 bytes).
    let low: number;
    let high: number;
    if (value >= 0) {
      low = value >>> 0;
      high = (value / 4294967296) >>> 0;
    } else {
      const abs = Math.abs(value);
      low = ~(abs >>> 0) >>> 0;
      high = ~((abs / 4294967296) >>> 0) >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 127) {
      buf[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    buf[this.pos++] = low & 127;
  }

  tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  fixed32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  double(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  /** HrTime [seconds, nanos] as fixed64 nanoseconds (exact: split into 32-bit halves as the SDK's serializer does). */
  hrTime(t: HrTime): void {
    const seconds = t[0];
    const nanos = t[1];
    const lo16 = (seconds & 65535) * 1e9;
    const hiPart = ((seconds / 65536) >>> 0) * 1e9;
    const low = (lo16 >>> 0) + ((((hiPart & 65535) * 65536) >>> 0) + nanos);
    const totalLow = low >>> 0;
    const carry = Math.floor(low / 4294967296);
    const totalHigh = (Math.floor(lo16 / 4294967296) + ((hiPart / 65536) >>> 0) + carry) >>> 0;
    this.ensure(8);
    this.buf.writeUInt32LE(totalLow, this.pos);
    this.buf.writeUInt32LE(totalHigh, this.pos + 4);
    this.pos += 8;
  }

  string(s: string): void {
    const len = s.length;
    if (len * 3 < 128) {
      // The UTF-8 length fits one varint byte whatever the characters.
      this.ensure(1 + len * 3);
      const buf = this.buf;
      const start = this.pos + 1;
      let p = start;
      for (let i = 0; i < len; i++) {
        const c = s.charCodeAt(i);
        if (c > 127) {
          p = start + buf.write(s, start, 'utf8');
          break;
        }
        buf[p++] = c;
      }
      buf[this.pos] = p - start;
      this.pos = p;
      return;
    }
    const n = Buffer.byteLength(s, 'utf8');
    this.varint(n);
    this.ensure(n);
    if (n === len) this.buf.write(s, this.pos, n, 'latin1');
    else this.buf.write(s, this.pos, n, 'utf8');
    this.pos += n;
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** A hex id as bytes (what `hexToBinary` + writeBytes give, without the intermediate array). */
  hexId(hex: string): void {
    const n = hex.length >>> 1;
    this.varint(n);
    this.ensure(n);
    const buf = this.buf;
    for (let i = 0, p = this.pos; i < n; i++, p++)
      buf[p] = (hexValue(hex.charCodeAt(2 * i)) << 4) | hexValue(hex.charCodeAt(2 * i + 1));
    this.pos += n;
  }

  /** Opens a length-delimited message with a `reserve`-byte length slot; returns where the slot starts. */
  open(reserve: number): number {
    this.ensure(reserve);
    const at = this.pos;
    this.pos += reserve;
    return at;
  }

  /** Writes the length of the message opened at `at` as a minimal varint, moving the body if the slot was off. */
  close(at: number, reserve: number): void {
    const len = this.pos - at - reserve;
    const size = varintSize(len);
    if (size !== reserve) {
      this.ensure(size - reserve);
      this.buf.copyWithin(at + size, at + reserve, this.pos);
      this.pos += size - reserve;
    }
    let v = len;
    let p = at;
    while (v > 127) {
      this.buf[p++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buf[p] = v;
  }
}

function anyValue(w: Writer, value: unknown): void {
  const t = typeof value;
  if (t === 'string') {
    w.tag(1, 2);
    w.string(value as string);
  } else if (t === 'boolean') {
    w.tag(2, 0);
    w.varint(value ? 1 : 0);
  } else if (t === 'number') {
    const n = value as number;
    if (Number.isInteger(n) && n >= MIN_64_BIT_INT && n < MAX_64_BIT_INT) {
      w.tag(3, 0);
      w.varint(n);
    } else {
      w.tag(4, 1);
      w.double(n);
    }
  } else if (value instanceof Uint8Array) {
    w.tag(7, 2);
    w.bytes(value);
  } else if (Array.isArray(value)) {
    w.tag(5, 2);
    const at = w.open(1);
    for (const item of value) {
      w.tag(1, 2);
      const it = w.open(1);
      anyValue(w, item);
      w.close(it, 1);
    }
    w.close(at, 1);
  } else if (t === 'object' && value != null) {
    w.tag(6, 2);
    const at = w.open(1);
    const obj = value as Record<string, unknown>;
    for (const k in obj) {
      if (!Object.hasOwn(obj, k)) continue;
      w.tag(1, 2);
      const kv = w.open(1);
      keyValue(w, k, obj[k]);
      w.close(kv, 1);
    }
    w.close(at, 1);
  }
}

function keyValue(w: Writer, key: string, value: unknown): void {
  w.tag(1, 2);
  w.string(key);
  w.tag(2, 2);
  const at = w.open(1);
  anyValue(w, value);
  w.close(at, 1);
}

function attributes(w: Writer, attrs: Attributes, field: number): void {
  for (const key in attrs) {
    if (!Object.hasOwn(attrs, key)) continue;
    w.tag(field, 2);
    const at = w.open(1);
    keyValue(w, key, attrs[key]);
    w.close(at, 1);
  }
}

function spanFlags(traceFlags: number, isRemote: boolean | undefined): number {
  return (traceFlags & 255) | SPAN_FLAGS_HAS_IS_REMOTE | (isRemote ? SPAN_FLAGS_IS_REMOTE : 0);
}

function event(w: Writer, e: TimedEvent): void {
  const at = w.open(1);
  w.tag(1, 1);
  w.hrTime(e.time);
  w.tag(2, 2);
  w.string(e.name);
  if (e.attributes) attributes(w, e.attributes, 3);
  w.tag(4, 0);
  w.varint(e.droppedAttributesCount || 0);
  w.close(at, 1);
}

function link(w: Writer, l: Link & { droppedAttributesCount?: number }): void {
  const at = w.open(1);
  const ctx: SpanContext = l.context;
  w.tag(1, 2);
  w.hexId(ctx.traceId);
  w.tag(2, 2);
  w.hexId(ctx.spanId);
  const state = ctx.traceState?.serialize();
  if (state) {
    w.tag(3, 2);
    w.string(state);
  }
  if (l.attributes) attributes(w, l.attributes, 4);
  w.tag(5, 0);
  w.varint(l.droppedAttributesCount || 0);
  w.tag(6, 5);
  w.fixed32(spanFlags(ctx.traceFlags, ctx.isRemote));
  w.close(at, 1);
}

function span(w: Writer, s: ReadableSpan): void {
  const at = w.open(2);
  const ctx = s.spanContext();
  w.tag(1, 2);
  w.hexId(ctx.traceId);
  w.tag(2, 2);
  w.hexId(ctx.spanId);
  const state = ctx.traceState?.serialize();
  if (state) {
    w.tag(3, 2);
    w.string(state);
  }
  const parent = s.parentSpanContext;
  if (parent?.spanId) {
    w.tag(4, 2);
    w.hexId(parent.spanId);
  }
  w.tag(5, 2);
  w.string(s.name);
  const kind = s.kind == null ? 0 : s.kind + 1;
  if (kind !== 0) {
    w.tag(6, 0);
    w.varint(kind);
  }
  w.tag(7, 1);
  w.hrTime(s.startTime);
  w.tag(8, 1);
  w.hrTime(s.endTime);
  if (s.attributes) attributes(w, s.attributes, 9);
  w.tag(10, 0);
  w.varint(s.droppedAttributesCount);
  for (const e of s.events) {
    w.tag(11, 2);
    event(w, e);
  }
  w.tag(12, 0);
  w.varint(s.droppedEventsCount);
  for (const l of s.links) {
    w.tag(13, 2);
    link(w, l);
  }
  w.tag(14, 0);
  w.varint(s.droppedLinksCount);
  w.tag(15, 2);
  const st = w.open(1);
  if (s.status.message) {
    w.tag(2, 2);
    w.string(s.status.message);
  }
  w.tag(3, 0);
  w.varint(s.status.code);
  w.close(st, 1);
  w.tag(16, 5);
  w.fixed32(spanFlags(ctx.traceFlags, parent?.isRemote));
  w.close(at, 2);
}

function scopeSpans(w: Writer, scope: Scope, spans: readonly ReadableSpan[]): void {
  const at = w.open(3);
  w.tag(1, 2);
  const sc = w.open(1);
  w.tag(1, 2);
  w.string(scope.name);
  if (scope.version) {
    w.tag(2, 2);
    w.string(scope.version);
  }
  if (scope.attributes) attributes(w, scope.attributes, 3);
  if (scope.droppedAttributesCount) {
    w.tag(4, 0);
    w.varint(scope.droppedAttributesCount);
  }
  w.close(sc, 1);
  for (const s of spans) {
    w.tag(2, 2);
    span(w, s);
  }
  if (scope.schemaUrl) {
    w.tag(3, 2);
    w.string(scope.schemaUrl);
  }
  w.close(at, 3);
}

function resourceSpans(w: Writer, resource: Resource, scopes: Map<Scope, ReadableSpan[]>): void {
  const at = w.open(3);
  w.tag(1, 2);
  const r = w.open(1);
  if (resource.attributes) attributes(w, resource.attributes, 1);
  w.tag(2, 0);
  w.varint(0);
  w.close(r, 1);
  for (const spans of scopes.values()) {
    w.tag(2, 2);
    scopeSpans(w, (spans[0] as ReadableSpan).instrumentationScope as Scope, spans);
  }
  if (resource.schemaUrl) {
    w.tag(3, 2);
    w.string(resource.schemaUrl);
  }
  w.close(at, 3);
}

let shared: Writer | undefined;

/**
 * The OTLP/protobuf `ExportTraceServiceRequest` for `spans`: spans grouped by resource, then instrumentation scope
 * (object identity, first-seen order), byte for byte what `ProtobufTraceSerializer.serializeRequest` returns.
 */
export function encodeTraceExportRequest(spans: readonly ReadableSpan[]): Uint8Array {
  const groups = new Map<Resource, Map<Scope, ReadableSpan[]>>();
  for (const s of spans) {
    let scopes = groups.get(s.resource);
    if (!scopes) {
      scopes = new Map();
      groups.set(s.resource, scopes);
    }
    const list = scopes.get(s.instrumentationScope);
    if (list) list.push(s);
    else scopes.set(s.instrumentationScope, [s]);
  }
  const w = (shared ??= new Writer());
  w.pos = 0;
  for (const [resource, scopes] of groups) {
    w.tag(1, 2);
    resourceSpans(w, resource, scopes);
  }
  // Copied out: the exporter may hold the request (retries) while the next batch reuses the buffer.
  const out = new Uint8Array(w.pos);
  out.set(w.buf.subarray(0, w.pos));
  // A one-off huge batch should not pin its buffer for the life of the process.
  if (w.buf.length > 4 * 1024 * 1024) shared = undefined;
  return out;
}
