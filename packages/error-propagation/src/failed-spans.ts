// Which spans failed, on clean OpenTelemetry data and on messy data (no span kind, no status, only tags or codes).
//
// Algorithm: one pass over the typed-array columns. A span failed when any signal holds, unless its status is OK:
//   status ERROR · HTTP ≥ 500 · HTTP ≥ 400 on a client span (or a span of unknown kind) · gRPC status ≠ 0 (on a
//   server span only the codes OTel counts as server errors) · an `error` / `otel.status_code=ERROR` tag ·
//   an `exception` event · an `error.type` attribute.
// Reference: OpenTelemetry semantic conventions, "Recording errors" and HTTP/gRPC span status mapping.
import { SpanKind, type SpanTable, StatusCode } from '@aiops/span-model';
import { statusCodes } from './internal/status-codes.ts';

/**
 * Bits of the value {@link failedSpans} returns per span: which signals marked the span as failed.
 *
 * @example
 * ```ts
 * if (failedSpans(table)[row]! & FailureSignal.ErrorTag) { ... }
 * ```
 */
export const FailureSignal = {
  /** Status code ERROR. */
  Status: 1,
  /** HTTP status ≥ 500, or ≥ 400 on a client span or a span of unknown kind. */
  Http: 2,
  /** gRPC status ≠ 0 (OTel's server-error codes only on server spans). */
  Grpc: 4,
  /** An `error` tag that is not false, or `otel.status_code` = ERROR (Jaeger/Zipkin exports). */
  ErrorTag: 8,
  /** An `exception` span event. */
  Exception: 16,
  /** An `error.type` attribute (set by OTel instrumentations only when the operation failed). */
  ErrorType: 32,
} as const;
/** A value of {@link FailureSignal}. */
export type FailureSignal = (typeof FailureSignal)[keyof typeof FailureSignal];

/** gRPC codes OTel counts as errors on server spans: UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS. */
const GRPC_SERVER_ERRORS = new Set([2, 4, 12, 13, 14, 15]);

const EXCEPTION_NEEDLE = new TextEncoder().encode('"name":"exception"');
/** OpenTracing error logs (`event: error`, with `error.kind` / `error.object`), as Jaeger exports them. */
const ERROR_LOG_NEEDLE = new TextEncoder().encode('"name":"error"');

function containsBytes(hay: Uint8Array, from: number, to: number, needle: Uint8Array): boolean {
  const first = needle[0]!;
  const last = to - needle.length;
  outer: for (let i = from; i <= last; i++) {
    if (hay[i] !== first) continue;
    for (let k = 1; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return true;
  }
  return false;
}

/** Whether an attribute value text of an `error` tag means "failed". */
function errorTagIsTrue(bytes: Uint8Array, a: number, b: number): boolean {
  if (a === b) return false;
  // 'false' / '0': explicitly not an error; any other value (true, 1, a message) is one.
  if (b - a === 1) return bytes[a] !== 0x30;
  if (b - a === 5) {
    const f = String.fromCharCode(bytes[a]!, bytes[a + 1]!, bytes[a + 2]!, bytes[a + 3]!, bytes[a + 4]!);
    return f.toLowerCase() !== 'false';
  }
  return true;
}

function textIs(bytes: Uint8Array, a: number, b: number, upper: string): boolean {
  if (b - a !== upper.length) return false;
  for (let k = 0; k < upper.length; k++) {
    const c = bytes[a + k]!;
    if ((c >= 0x61 && c <= 0x7a ? c - 32 : c) !== upper.charCodeAt(k)) return false;
  }
  return true;
}

/**
 * Marks every failed span of `table`: 0 for a span that did not fail, else the {@link FailureSignal} bits that
 * say why.
 *
 * **Details**
 * - Status OK wins: a span whose status is OK is never failed (OTel: OK is an explicit final decision).
 * - HTTP follows OTel semantics: ≥ 500 fails any span; 400–499 fails client spans only, because a server that
 *   answers 404 did its job. A span with no kind (Jaeger/Zipkin exports, messy data) is treated like a client:
 *   it fails on ≥ 400, since nothing says it is a server.
 * - gRPC: any code ≠ 0 fails a client or unknown-kind span; a server span fails only on UNKNOWN,
 *   DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS.
 * - Tags: `error` (anything but `false`/`0`/empty) and `otel.status_code` = `ERROR`; events: any `exception`
 *   event, even a recorded-and-handled one (the chain analysis tells handled errors apart).
 *
 * **Complexity** O(spans + attributes); event text is scanned only for spans that have events.
 *
 * **Gotchas** An `exception` event or an `error.type` attribute with status UNSET counts as a failure; on data
 * where applications record exceptions they handled, the error-chain analysis reports them as handled errors.
 *
 * @example
 * ```ts
 * const failed = failedSpans(table);
 * const n = failed.reduce((s, f) => s + (f ? 1 : 0), 0);
 * ```
 */
export function failedSpans(table: SpanTable): Uint8Array {
  const c = table.columns;
  const n = c.length;
  const out = new Uint8Array(n);
  if (n === 0) return out;
  const errorTypeCodes = table.dict('errorType').codes;
  let errorKey = -1;
  let otelStatusKey = -1;
  for (let k = 0; k < c.attrKeys.length; k++) {
    if (c.attrKeys[k] === 'error') errorKey = k;
    else if (c.attrKeys[k] === 'otel.status_code') otelStatusKey = k;
  }
  const { kind, statusCode, attrOffsets, attrKey, attrValues, events } = c;
  const { http: httpStatusCode, rpc: rpcStatusCode } = statusCodes(table);
  const vOff = attrValues.offsets;
  const vBytes = attrValues.bytes;
  for (let i = 0; i < n; i++) {
    const status = statusCode[i]!;
    if (status === StatusCode.Ok) continue;
    let f = status === StatusCode.Error ? FailureSignal.Status : 0;
    const k = kind[i]!;
    const http = httpStatusCode[i]!;
    if (http >= 500 || (http >= 400 && k !== SpanKind.Server)) f |= FailureSignal.Http;
    const rpc = rpcStatusCode[i]!;
    if (rpc > 0 && (k !== SpanKind.Server || GRPC_SERVER_ERRORS.has(rpc))) f |= FailureSignal.Grpc;
    if (errorTypeCodes[i] !== 0) f |= FailureSignal.ErrorType;
    if (errorKey >= 0 || otelStatusKey >= 0) {
      for (let a = attrOffsets[i]!; a < attrOffsets[i + 1]!; a++) {
        const key = attrKey[a]!;
        if (key === errorKey) {
          if (errorTagIsTrue(vBytes, vOff[a]!, vOff[a + 1]!)) f |= FailureSignal.ErrorTag;
        } else if (key === otelStatusKey && textIs(vBytes, vOff[a]!, vOff[a + 1]!, 'ERROR')) {
          f |= FailureSignal.ErrorTag;
        }
      }
    }
    const ea = events.offsets[i]!;
    const eb = events.offsets[i + 1]!;
    if (
      eb > ea &&
      (containsBytes(events.bytes, ea, eb, EXCEPTION_NEEDLE) || containsBytes(events.bytes, ea, eb, ERROR_LOG_NEEDLE))
    ) {
      f |= FailureSignal.Exception;
    }
    out[i] = f;
  }
  return out;
}
