// Why a span may have failed: one bit per failure signal, read from every spelling exporters use, with no policy.
//
// Each analyzer decides what "failed" means for its question (a server that answers 404 did its job; a call that
// got a 404 may not have) by combining these bits with the span kind and status in a line or two. The bits and the
// parsed HTTP/gRPC codes are computed once per table and shared.
//
// Reference: OpenTelemetry semantic conventions, "Recording errors" and the HTTP/gRPC span status mapping;
// OpenTracing's `error` tag and `event: error` logs (Jaeger, Zipkin exports).
import { StatusCode } from './schema.ts';
import type { SpanTable } from './span-table.ts';

/**
 * Bits of {@link spanFailureSignals}' `signals`: each says one thing in the span that can mean "failed".
 *
 * **Details** The bits say what the data holds, not whether the span failed: `Http4xx` is set on a server span
 * that answered 404, `Grpc` on a server span that answered NOT_FOUND, `Exception` on a span that recorded an
 * exception it then handled. A span with status OK may carry bits too; OTel says OK is the final word.
 *
 * **Gotchas** `GrpcServer` implies `Grpc`; `Exception` usually comes with `ErrorType` (the span model fills
 * `errorType` from the first exception event's `exception.type`).
 *
 * @example
 * ```ts
 * const { signals } = spanFailureSignals(table);
 * const failedCall = (signals[row]! & (FailureSignal.Status | FailureSignal.Http5xx)) !== 0;
 * ```
 */
export const FailureSignal = {
  /** Status code ERROR. */
  Status: 1,
  /** HTTP status 500–599. */
  Http5xx: 2,
  /** HTTP status 400–499. */
  Http4xx: 4,
  /** gRPC / OpenCensus canonical code ≠ 0 (OK). */
  Grpc: 8,
  /** A gRPC code OTel counts as an error on server spans: UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS. */
  GrpcServer: 16,
  /** An `error` tag that is not `false` / `0` / empty, or `otel.status_code` = `ERROR` (Jaeger/Zipkin exports). */
  ErrorTag: 32,
  /** An `exception` span event, or an OpenTracing `error` log event. */
  Exception: 64,
  /** An `error.type` attribute (OTel instrumentations set it only when the operation failed). */
  ErrorType: 128,
} as const;
/** A value of {@link FailureSignal}. */
export type FailureSignal = (typeof FailureSignal)[keyof typeof FailureSignal];

/** Per-span failure evidence of a table: see {@link spanFailureSignals}. */
export interface SpanFailureSignals {
  /** {@link FailureSignal} bits per span; 0 when nothing in the span suggests a failure. */
  readonly signals: Uint8Array;
  /** HTTP status code per span (100–599), 0 when unknown. */
  readonly httpStatus: Int16Array;
  /** gRPC / OpenCensus canonical code per span (0–16), -1 when unknown. */
  readonly rpcStatus: Int16Array;
}

/**
 * Keys that carry an HTTP status in exports the span model does not derive (OpenTracing/Jaeger clients, Zipkin
 * instrumentations, hand-rolled tags); values may be numbers or text such as `"503 Service Unavailable"`.
 */
const HTTP_KEYS = new Set([
  'http.status',
  'http.response.status',
  'status_code',
  'http_status',
  'response.status_code',
  'response_code',
  'http.status_code',
]);
/** Keys that carry a gRPC / OpenCensus canonical code (0 = OK). */
const RPC_KEYS = new Set(['status.code', 'grpc.status_code', 'rpc.grpc.status_code', 'census.status_code']);

/**
 * Every attribute key {@link spanFailureSignals} reads from a span's attribute list: the HTTP and gRPC status
 * spellings, `error` and `otel.status_code`.
 *
 * **Details** A reader that trims the attribute list for analysis (`SpanQuery.detail = 'analysis'`) keeps these so
 * that the failure signals stay exact.
 *
 * @example
 * ```ts
 * FAILURE_SIGNAL_ATTRIBUTE_KEYS.includes('error'); // true
 * ```
 */
export const FAILURE_SIGNAL_ATTRIBUTE_KEYS: readonly string[] = [
  ...HTTP_KEYS,
  ...RPC_KEYS,
  'error',
  'otel.status_code',
];

/** UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS. */
const GRPC_SERVER_ERRORS = new Set([2, 4, 12, 13, 14, 15]);

const EXCEPTION_NEEDLE = new TextEncoder().encode('"name":"exception"');
/** OpenTracing error logs (`event: error`, with `error.kind` / `error.object`), as Jaeger exports them. */
const ERROR_LOG_NEEDLE = new TextEncoder().encode('"name":"error"');

const cache = new WeakMap<SpanTable, SpanFailureSignals>();

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

/** Whether the text of an `error` tag means "failed": anything but '', '0' and 'false' (any case). */
function errorTagIsTrue(bytes: Uint8Array, a: number, b: number): boolean {
  if (a === b) return false;
  if (b - a === 1) return bytes[a] !== 0x30;
  if (b - a === 5) return !textIs(bytes, a, b, 'FALSE');
  return true;
}

/** Case-insensitive comparison of ASCII text with an upper-case word. */
function textIs(bytes: Uint8Array, a: number, b: number, upper: string): boolean {
  if (b - a !== upper.length) return false;
  for (let k = 0; k < upper.length; k++) {
    const c = bytes[a + k]!;
    if ((c >= 0x61 && c <= 0x7a ? c - 32 : c) !== upper.charCodeAt(k)) return false;
  }
  return true;
}

/** The leading integer of a value text ("503", "503 Service Unavailable", "2"), or -1. */
function leadingInt(bytes: Uint8Array, a: number, b: number): number {
  let v = -1;
  for (let i = a; i < b && i < a + 6; i++) {
    const d = bytes[i]! - 0x30;
    if (d < 0 || d > 9) break;
    v = (v < 0 ? 0 : v * 10) + d;
  }
  return v;
}

const KEY_HTTP = 1;
const KEY_RPC = 2;
const KEY_ERROR = 3;
const KEY_OTEL_STATUS = 4;

/**
 * The failure evidence of every span of `table`: {@link FailureSignal} bits, and the HTTP and gRPC codes read
 * from any attribute spelling.
 *
 * **Details**
 * - Codes: the derived `httpStatusCode` / `rpcStatusCode` columns, filled in where they are empty from other
 *   spellings (`http.status`, `status_code`, `status.code`, `grpc.status_code`, a text `"503 Service
 *   Unavailable"`). When no such key exists the columns themselves are returned (no copy).
 * - Signals never look at the span kind or at status OK: that is each caller's policy. Typical policies:
 *   ```
 *   a call failed (dependency graph)   status ERROR · 5xx · error tag · gRPC server-error code
 *   OTel span status                   status OK wins; 5xx; 4xx unless server; gRPC ≠ 0 unless server
 *   ```
 *
 * **Complexity** O(spans + attributes) once per table; event text is scanned only for spans that have events.
 * Later calls with the same table return the same object.
 *
 * **Gotchas** The result is cached per table and shared by every caller: never write into its arrays.
 *
 * @example
 * ```ts
 * //   row 0  status ERROR                       → Status
 * //   row 1  http.status = "503 Unavailable"    → Http5xx, httpStatus 503
 * //   row 2  error = "true"                     → ErrorTag
 * const { signals, httpStatus } = spanFailureSignals(table);
 * signals[1] === FailureSignal.Http5xx; // true
 * httpStatus[1]; // 503
 * ```
 */
export function spanFailureSignals(table: SpanTable): SpanFailureSignals {
  const known = cache.get(table);
  if (known) return known;
  const c = table.columns;
  const n = c.length;
  const { statusCode, attrOffsets, attrKey, attrKeys, attrValues, events } = c;
  const keyRole = new Uint8Array(attrKeys.length);
  let httpOrRpcKeys = 0;
  let tagKeys = 0;
  for (let k = 0; k < attrKeys.length; k++) {
    const key = attrKeys[k]!;
    if (HTTP_KEYS.has(key)) keyRole[k] = KEY_HTTP;
    else if (RPC_KEYS.has(key)) keyRole[k] = KEY_RPC;
    else if (key === 'error') keyRole[k] = KEY_ERROR;
    else if (key === 'otel.status_code') keyRole[k] = KEY_OTEL_STATUS;
    if (keyRole[k] === KEY_HTTP || keyRole[k] === KEY_RPC) httpOrRpcKeys++;
    else if (keyRole[k]) tagKeys++;
  }
  const httpStatus = httpOrRpcKeys > 0 ? c.httpStatusCode.slice() : c.httpStatusCode;
  const rpcStatus = httpOrRpcKeys > 0 ? c.rpcStatusCode.slice() : c.rpcStatusCode;
  const signals = new Uint8Array(n);
  const errorTypeCodes = table.dict('errorType').codes;
  const vOff = attrValues.offsets;
  const vBytes = attrValues.bytes;
  const scanAttrs = httpOrRpcKeys + tagKeys > 0;
  for (let i = 0; i < n; i++) {
    let f = statusCode[i] === StatusCode.Error ? FailureSignal.Status : 0;
    if (scanAttrs) {
      for (let a = attrOffsets[i]!; a < attrOffsets[i + 1]!; a++) {
        const role = keyRole[attrKey[a]!];
        if (!role) continue;
        const va = vOff[a]!;
        const vb = vOff[a + 1]!;
        if (role === KEY_HTTP) {
          const v = leadingInt(vBytes, va, vb);
          if (httpStatus[i] === 0 && v >= 100 && v <= 599) httpStatus[i] = v;
        } else if (role === KEY_RPC) {
          const v = leadingInt(vBytes, va, vb);
          if (rpcStatus[i]! < 0 && v >= 0 && v <= 16) rpcStatus[i] = v;
        } else if (role === KEY_ERROR ? errorTagIsTrue(vBytes, va, vb) : textIs(vBytes, va, vb, 'ERROR')) {
          f |= FailureSignal.ErrorTag;
        }
      }
    }
    const http = httpStatus[i]!;
    if (http >= 500) f |= FailureSignal.Http5xx;
    else if (http >= 400) f |= FailureSignal.Http4xx;
    const rpc = rpcStatus[i]!;
    if (rpc > 0) f |= GRPC_SERVER_ERRORS.has(rpc) ? FailureSignal.Grpc | FailureSignal.GrpcServer : FailureSignal.Grpc;
    if (errorTypeCodes[i] !== 0) f |= FailureSignal.ErrorType;
    const ea = events.offsets[i]!;
    const eb = events.offsets[i + 1]!;
    if (
      eb > ea &&
      (containsBytes(events.bytes, ea, eb, EXCEPTION_NEEDLE) || containsBytes(events.bytes, ea, eb, ERROR_LOG_NEEDLE))
    ) {
      f |= FailureSignal.Exception;
    }
    signals[i] = f;
  }
  const out: SpanFailureSignals = { signals, httpStatus, rpcStatus };
  cache.set(table, out);
  return out;
}
