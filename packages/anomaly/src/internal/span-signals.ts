// Per-span signals read from messy data: logical service (pod names folded, leaf store calls moved to the store),
// whether a span failed, timed out or was rate limited. Typed arrays only.
import {
  FailureSignal,
  SpanKind,
  type SpanTable,
  StatusCode,
  spanFailureSignals,
  workloadName,
} from '@aiops/span-model';

/** Per-span signals of one table. */
export interface SpanSignals {
  /** Logical service code of each span, indexing `services`. */
  readonly service: Int32Array;
  /** Logical service names. */
  readonly services: string[];
  /** 1 when the span failed (status, HTTP ≥ 500 or 429, gRPC server error, `error` tag, error type, exception). */
  readonly error: Uint8Array;
  /** 1 when the span carries any explicit outcome (status code, HTTP or gRPC status). */
  readonly hasOutcome: Uint8Array;
  /** 1 when the span timed out (deadline exceeded, timeout error type or message, gRPC 4). */
  readonly timeout: Uint8Array;
  /** 1 when the span got or returned HTTP 429 / gRPC RESOURCE_EXHAUSTED. */
  readonly rateLimited: Uint8Array;
  /** Number of spans whose service name was folded from a pod name. */
  readonly foldedPods: number;
}

const TIMEOUT_TEXT = /timeout|timed out|deadline|ETIMEDOUT/i;
const FOLD = { statefulSetOrdinals: true } as const;
/** gRPC RESOURCE_EXHAUSTED: rate limited, counted as a server error here (span-model's GrpcServer leaves it out). */
const GRPC_RESOURCE_EXHAUSTED = 8;
const GRPC_DEADLINE_EXCEEDED = 4;

function flagValues(values: readonly string[], re: RegExp): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) if (values[i] && re.test(values[i]!)) out[i] = 1;
  return out;
}

/**
 * Reads the signals of every span. `childCount` (from the trace tree) moves leaf store/external client spans to a
 * service named after their `peer.service`, so a slow database is a service of its own.
 */
export function spanSignals(table: SpanTable, childCount: (row: number) => number, foldPods: boolean): SpanSignals {
  const n = table.numSpans;
  const cols = table.columns;
  const svcDict = table.dict('service');
  const peerDict = table.dict('peerService');
  const names = new Map<string, number>();
  const services: string[] = [];
  const intern = (s: string): number => {
    let c = names.get(s);
    if (c === undefined) {
      c = services.length;
      services.push(s);
      names.set(s, c);
    }
    return c;
  };
  let foldedPods = 0;
  const svcMap = new Int32Array(svcDict.values.length);
  const svcFolded = new Uint8Array(svcDict.values.length);
  for (let v = 0; v < svcDict.values.length; v++) {
    const raw = svcDict.values[v] || 'unknown';
    const name = foldPods ? workloadName(raw, FOLD) : raw;
    if (name !== raw) svcFolded[v] = 1;
    svcMap[v] = intern(name);
  }
  const peerMap = new Int32Array(peerDict.values.length).fill(-1);
  for (let v = 1; v < peerDict.values.length; v++) {
    const raw = peerDict.values[v]!;
    if (raw) peerMap[v] = intern(foldPods ? workloadName(raw, FOLD) : raw);
  }
  const service = new Int32Array(n);
  const svcCodes = svcDict.codes;
  const peerCodes = peerDict.codes;
  const kind = cols.kind;
  for (let i = 0; i < n; i++) {
    const c = svcCodes[i]!;
    service[i] = svcMap[c]!;
    foldedPods += svcFolded[c]!;
    const p = peerMap[peerCodes[i]!]!;
    if (p >= 0 && p !== service[i] && (kind[i] === SpanKind.Client || kind[i] === SpanKind.Unspecified)) {
      if (childCount(i) === 0) service[i] = p;
    }
  }

  const error = new Uint8Array(n);
  const hasOutcome = new Uint8Array(n);
  const timeout = new Uint8Array(n);
  const rateLimited = new Uint8Array(n);
  const { statusCode } = cols;
  // Bits and HTTP/gRPC codes (from every attribute spelling) come from the span model; the rule is ours: status
  // ERROR; or status unset with HTTP 5xx, 429 or a gRPC server error (RESOURCE_EXHAUSTED included); error type or
  // exception unless status OK; `error` / `otel.status_code` tags only when status is unset.
  const { signals, httpStatus, rpcStatus } = spanFailureSignals(table);
  const errType = table.dict('errorType');
  const errTypeTimeout = flagValues(errType.values, TIMEOUT_TEXT);
  const statusMsg = table.dict('statusMessage');
  const msgTimeout = flagValues(statusMsg.values, TIMEOUT_TEXT);
  for (let i = 0; i < n; i++) {
    const st = statusCode[i]!;
    const bits = signals[i]!;
    const http = httpStatus[i]!;
    const rpc = rpcStatus[i]!;
    let err = 0;
    if (st !== StatusCode.Unset || http > 0 || rpc >= 0) hasOutcome[i] = 1;
    if (st === StatusCode.Error) err = 1;
    else if (st === StatusCode.Unset) {
      if (bits & (FailureSignal.Http5xx | FailureSignal.GrpcServer) || http === 429 || rpc === GRPC_RESOURCE_EXHAUSTED)
        err = 1;
      if (bits & FailureSignal.ErrorTag) {
        err = 1;
        hasOutcome[i] = 1;
      }
    }
    if (st !== StatusCode.Ok && bits & (FailureSignal.ErrorType | FailureSignal.Exception)) err = 1;
    if (http === 429 || rpc === GRPC_RESOURCE_EXHAUSTED) rateLimited[i] = 1;
    if (
      rpc === GRPC_DEADLINE_EXCEEDED ||
      errTypeTimeout[errType.codes[i]!] ||
      (err && msgTimeout[statusMsg.codes[i]!])
    ) {
      timeout[i] = 1;
      err = 1;
    }
    error[i] = err;
  }
  return { service, services, error, hasOutcome, timeout, rateLimited, foldedPods };
}
