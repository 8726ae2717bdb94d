// Encodes a SpanTable as an OTLP ExportTraceServiceRequest (protobuf wire format), to compare our bytes per span
// with what an OpenTelemetry exporter sends. Written here because benchmarks/scenarios/otlp-encode.ts was not
// available when this benchmark was written. Field numbers from opentelemetry-proto (trace/v1, common/v1).
import { type AttributeTriple, AttributeType, type SpanTable, utf8At } from '@aiops/span-model';
import protobuf from 'protobufjs';

const { Writer } = protobuf;

function anyValue(w: protobuf.Writer, type: number, text: string): void {
  switch (type) {
    case AttributeType.Bool:
      w.uint32(16).bool(text === 'true');
      break;
    case AttributeType.Int:
      w.uint32(24).int64(Number(text));
      break;
    case AttributeType.Double:
      w.uint32(33).double(Number(text));
      break;
    default:
      w.uint32(10).string(text); // arrays/kvlists kept as their JSON text: same order of size
  }
}

function keyValue(w: protobuf.Writer, field: number, key: string, type: number, text: string): void {
  w.uint32((field << 3) | 2).fork();
  w.uint32(10).string(key);
  w.uint32(18).fork();
  anyValue(w, type, text);
  w.ldelim();
  w.ldelim();
}

function fixed64(w: protobuf.Writer, field: number, v: bigint): void {
  w.uint32((field << 3) | 1);
  w.fixed32(Number(v & 0xffffffffn));
  w.fixed32(Number((v >> 32n) & 0xffffffffn));
}

/** OTLP protobuf of rows `from..to` of `table`, one ResourceSpans per (resource, scope) as exporters send it. */
export function spanTableToOtlpProtobuf(table: SpanTable, from = 0, to: number = table.numSpans): Uint8Array {
  const c = table.columns;
  const res = table.dict('resource');
  const scope = table.dict('scope');
  const groups = new Map<number, number[]>();
  for (let r = from; r < to; r++) {
    const key = res.codes[r]! * 65536 + scope.codes[r]!;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(r);
  }
  const w = Writer.create();
  for (const rows of groups.values()) {
    const r0 = rows[0]!;
    w.uint32(10).fork(); // resource_spans
    w.uint32(10).fork(); // resource
    const resJson = res.values[res.codes[r0]!]!;
    for (const [k, t, v] of resJson ? (JSON.parse(resJson) as AttributeTriple[]) : []) keyValue(w, 1, k, t, v);
    w.ldelim();
    w.uint32(18).fork(); // scope_spans
    const scopeJson = scope.values[scope.codes[r0]!]!;
    if (scopeJson) {
      const s = JSON.parse(scopeJson) as { name: string; version: string };
      w.uint32(10).fork().uint32(10).string(s.name).uint32(18).string(s.version).ldelim();
    }
    for (const r of rows) {
      w.uint32(18).fork();
      w.uint32(10).bytes(c.traceId.subarray(r * 16, r * 16 + 16));
      w.uint32(18).bytes(c.spanId.subarray(r * 8, r * 8 + 8));
      if (c.parentRefType[r]) w.uint32(34).bytes(c.parentSpanId.subarray(r * 8, r * 8 + 8));
      w.uint32(42).string(table.stringAt('operation', r));
      if (c.kind[r]) w.uint32(48).int32(c.kind[r]!);
      fixed64(w, 7, c.startUnixNano[r]!);
      fixed64(w, 8, c.startUnixNano[r]! + c.durationNano[r]!);
      for (let a = c.attrOffsets[r]!; a < c.attrOffsets[r + 1]!; a++) {
        keyValue(w, 9, c.attrKeys[c.attrKey[a]!]!, c.attrType[a]!, utf8At(c.attrValues, a));
      }
      const events = utf8At(c.events, r);
      if (events) {
        for (const e of JSON.parse(events) as { timeUnixNano: string; name: string; attributes: AttributeTriple[] }[]) {
          w.uint32(90).fork();
          fixed64(w, 1, BigInt(e.timeUnixNano));
          w.uint32(18).string(e.name);
          for (const [k, t, v] of e.attributes) keyValue(w, 3, k, t, v);
          w.ldelim();
        }
      }
      const msg = table.stringAt('statusMessage', r);
      if (c.statusCode[r] || msg) {
        w.uint32(122).fork();
        if (msg) w.uint32(18).string(msg);
        if (c.statusCode[r]) w.uint32(24).int32(c.statusCode[r]!);
        w.ldelim();
      }
      w.ldelim();
    }
    w.ldelim();
    w.ldelim();
  }
  return w.finish();
}
