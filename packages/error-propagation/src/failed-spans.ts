// Which spans failed, on clean OpenTelemetry data and on messy data (no span kind, no status, only tags or codes).
//
// Algorithm: OTel's span-status policy over span-model's per-span failure signals (`spanFailureSignals`). A span
//   failed when any signal holds, unless its status is OK: status ERROR · HTTP ≥ 500 · HTTP 4xx on a span that is
//   not a server (client or unknown kind) · gRPC code ≠ 0 (on a server span only the codes OTel counts as server
//   errors) · an `error` / `otel.status_code=ERROR` tag · an `exception` event · an `error.type` attribute.
// Reference: OpenTelemetry semantic conventions, "Recording errors" and HTTP/gRPC span status mapping.
import { FailureSignal, SpanKind, type SpanTable, StatusCode, spanFailureSignals } from '@aiops/span-model';

/** Signals that fail a span of any kind. */
const ANY_KIND =
  FailureSignal.Status |
  FailureSignal.Http5xx |
  FailureSignal.ErrorTag |
  FailureSignal.Exception |
  FailureSignal.ErrorType;
const GRPC = FailureSignal.Grpc | FailureSignal.GrpcServer;

/**
 * Marks every failed span of `table`: 0 for a span that did not fail, else the span-model `FailureSignal` bits
 * that say why.
 *
 * **Details**
 * - Status OK wins: a span whose status is OK is never failed (OTel: OK is an explicit final decision).
 * - HTTP follows OTel semantics: ≥ 500 fails any span; 400–499 fails client spans only, because a server that
 *   answers 404 did its job. A span with no kind (Jaeger/Zipkin exports, messy data) is treated like a client:
 *   it fails on ≥ 400, since nothing says it is a server.
 * - gRPC: any code ≠ 0 fails a client or unknown-kind span; a server span fails only on UNKNOWN,
 *   DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS (`FailureSignal.GrpcServer`).
 * - Tags: `error` (anything but `false`/`0`/empty) and `otel.status_code` = `ERROR`; events: any `exception`
 *   event, even a recorded-and-handled one (the chain analysis tells handled errors apart).
 * - Codes are read from every spelling span-model knows (`http.status`, `status.code`, text such as
 *   `"503 Service Unavailable"`).
 *
 * **Complexity** O(spans + attributes), shared with every other user of `spanFailureSignals` on the same table.
 *
 * **Gotchas** An `exception` event or an `error.type` attribute with status UNSET counts as a failure; on data
 * where applications record exceptions they handled, the error-chain analysis reports them as handled errors.
 * The bits are span-model's `FailureSignal` (`Http5xx` / `Http4xx`, `Grpc` with `GrpcServer` for server-error
 * codes), not a type of this package.
 *
 * @example
 * ```ts
 * const failed = failedSpans(table);
 * const n = failed.reduce((s, f) => s + (f ? 1 : 0), 0);
 * if (failed[row]! & FailureSignal.ErrorTag) { ... } // FailureSignal from @aiops/span-model
 * ```
 */
export function failedSpans(table: SpanTable): Uint8Array {
  const { signals } = spanFailureSignals(table);
  const { kind, statusCode } = table.columns;
  const out = new Uint8Array(signals.length);
  for (let i = 0; i < signals.length; i++) {
    const s = signals[i]!;
    if (s === 0 || statusCode[i] === StatusCode.Ok) continue;
    const server = kind[i] === SpanKind.Server;
    let f = s & ANY_KIND;
    if (s & FailureSignal.Http4xx && !server) f |= FailureSignal.Http4xx;
    if (s & FailureSignal.Grpc && (!server || s & FailureSignal.GrpcServer)) f |= s & GRPC;
    out[i] = f;
  }
  return out;
}
