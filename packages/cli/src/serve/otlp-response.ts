// OTLP export responses: ExportTraceServiceResponse (with partial_success) and google.rpc.Status error bodies,
// encoded by hand in protobuf or in the protobuf JSON mapping, to match the request's content type.
//
// Messages (opentelemetry-proto collector/trace/v1/trace_service.proto, google/rpc/status.proto):
//   ExportTraceServiceResponse { ExportTracePartialSuccess partial_success = 1; }
//   ExportTracePartialSuccess  { int64 rejected_spans = 1; string error_message = 2; }
//   google.rpc.Status          { int32 code = 1; string message = 2; repeated google.protobuf.Any details = 3; }

/** What was not accepted of an otherwise successful export. */
export interface PartialSuccess {
  /** Spans rejected (bad ids, missing times, wrong types...). */
  readonly rejectedSpans: number;
  /** Why, in a sentence ('' when nothing was rejected). */
  readonly errorMessage: string;
}

function varint(out: number[], v: number): void {
  let x = v;
  while (x >= 0x80) {
    out.push((x % 0x80) | 0x80);
    x = Math.floor(x / 0x80);
  }
  out.push(x);
}

function lenField(out: number[], field: number, bytes: Uint8Array): void {
  varint(out, (field << 3) | 2);
  varint(out, bytes.length);
  for (const b of bytes) out.push(b);
}

/** ExportTraceServiceResponse in protobuf: empty when nothing was rejected. */
export function exportResponseProtobuf(partial?: PartialSuccess): Uint8Array {
  if (!partial || (partial.rejectedSpans === 0 && partial.errorMessage === '')) return new Uint8Array(0);
  const inner: number[] = [];
  if (partial.rejectedSpans > 0) {
    varint(inner, (1 << 3) | 0);
    varint(inner, partial.rejectedSpans);
  }
  if (partial.errorMessage !== '') lenField(inner, 2, Buffer.from(partial.errorMessage, 'utf8'));
  const out: number[] = [];
  lenField(out, 1, Uint8Array.from(inner));
  return Uint8Array.from(out);
}

/** ExportTraceServiceResponse in the protobuf JSON mapping (int64 as a decimal string). */
export function exportResponseJson(partial?: PartialSuccess): string {
  if (!partial || (partial.rejectedSpans === 0 && partial.errorMessage === '')) return '{}';
  return JSON.stringify({
    partialSuccess: { rejectedSpans: String(partial.rejectedSpans), errorMessage: partial.errorMessage },
  });
}

/** google.rpc.Status codes used in error bodies (the gRPC code numbers). */
export const RpcCode = {
  InvalidArgument: 3,
  ResourceExhausted: 8,
  Internal: 13,
  Unavailable: 14,
} as const;

/** google.rpc.Status in protobuf. */
export function statusProtobuf(code: number, message: string): Uint8Array {
  const out: number[] = [];
  varint(out, (1 << 3) | 0);
  varint(out, code);
  lenField(out, 2, Buffer.from(message, 'utf8'));
  return Uint8Array.from(out);
}

/** google.rpc.Status in JSON. */
export function statusJson(code: number, message: string): string {
  return JSON.stringify({ code, message });
}
