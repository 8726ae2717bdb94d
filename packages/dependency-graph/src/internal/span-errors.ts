// Which calls failed: the dependency graph's policy over span-model's per-span failure signals.
import { FailureSignal, type SpanTable, spanFailureSignals } from '@aiops/span-model';

/**
 * A call failed on status ERROR, HTTP 5xx, an `error` / `otel.status_code=ERROR` tag (datasets without status), or
 * a gRPC server-error code. HTTP 4xx and client-side gRPC codes (NOT_FOUND, INVALID_ARGUMENT) are the caller's
 * mistake, not an error of the callee's edge; exception events may be handled, so they do not count either.
 */
const CALL_FAILED = FailureSignal.Status | FailureSignal.Http5xx | FailureSignal.ErrorTag | FailureSignal.GrpcServer;

/** 1 for each span whose call failed (see {@link CALL_FAILED}), else 0. */
export function spanErrorFlags(table: SpanTable): Uint8Array {
  const { signals } = spanFailureSignals(table);
  const err = new Uint8Array(signals.length);
  for (let i = 0; i < signals.length; i++) err[i] = signals[i]! & CALL_FAILED ? 1 : 0;
  return err;
}
