// A tiny hand-written encoder of OTLP ExportTraceServiceRequest protobuf for the bad-input tests: it can write what
// an SDK never would (ids of the wrong length, invalid UTF-8, 10,000 attributes).
//   ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
//   ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; }
//   Resource { repeated KeyValue attributes = 1; }   ScopeSpans { repeated Span spans = 2; }
//   Span { bytes trace_id = 1; bytes span_id = 2; bytes parent_span_id = 4; string name = 5; SpanKind kind = 6;
//          fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8; repeated KeyValue attributes = 9; }
//   KeyValue { string key = 1; AnyValue value = 2; }   AnyValue { string string_value = 1; }

/** One span to encode; byte fields are written as given. */
export interface ProtoSpan {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly parentSpanId?: Uint8Array;
  readonly name: string | Uint8Array;
  readonly kind?: number;
  readonly startUnixNano: bigint;
  readonly endUnixNano: bigint;
  readonly attributes?: readonly (readonly [string, string])[];
}

class Writer {
  parts: number[] = [];
  varint(v: number): void {
    let x = v;
    while (x >= 0x80) {
      this.parts.push((x % 0x80) | 0x80);
      x = Math.floor(x / 0x80);
    }
    this.parts.push(x);
  }
  bytes(field: number, b: Uint8Array): void {
    this.varint((field << 3) | 2);
    this.varint(b.length);
    for (const x of b) this.parts.push(x);
  }
  str(field: number, s: string | Uint8Array): void {
    this.bytes(field, typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
  }
  msg(field: number, w: Writer): void {
    this.bytes(field, Uint8Array.from(w.parts));
  }
  fixed64(field: number, v: bigint): void {
    this.varint((field << 3) | 1);
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(v);
    for (const x of b) this.parts.push(x);
  }
}

function keyValue(k: string, v: string): Writer {
  const any = new Writer();
  any.str(1, v);
  const kv = new Writer();
  kv.str(1, k);
  kv.msg(2, any);
  return kv;
}

/** Encodes spans of one service as an ExportTraceServiceRequest. */
export function otlpRequest(service: string, spans: readonly ProtoSpan[]): Uint8Array {
  const resource = new Writer();
  resource.msg(1, keyValue('service.name', service));
  const scope = new Writer();
  for (const s of spans) {
    const w = new Writer();
    w.bytes(1, s.traceId);
    w.bytes(2, s.spanId);
    if (s.parentSpanId) w.bytes(4, s.parentSpanId);
    w.str(5, s.name);
    w.varint((6 << 3) | 0);
    w.varint(s.kind ?? 2);
    w.fixed64(7, s.startUnixNano);
    w.fixed64(8, s.endUnixNano);
    for (const [k, v] of s.attributes ?? []) w.msg(9, keyValue(k, v));
    scope.msg(2, w);
  }
  const rs = new Writer();
  rs.msg(1, resource);
  rs.msg(2, scope);
  const req = new Writer();
  req.msg(1, rs);
  return Uint8Array.from(req.parts);
}

/** Bytes of an id: `n` bytes, distinct for distinct seeds below 2^32 when n ≥ 4 (never all zero). */
export function idBytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = 0xa0 + i;
  for (let i = 0; i < Math.min(4, n); i++) b[n - 1 - i] = Math.floor(seed / 256 ** i) & 0xff;
  return b;
}

/** Lower-case hex of bytes. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}
