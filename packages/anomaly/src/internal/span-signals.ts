// Per-span signals read from messy data: logical service (pod names folded, leaf store calls moved to the store),
// whether a span failed, timed out or was rate limited. Typed arrays only.
import { SpanKind, type SpanTable, StatusCode } from '@aiops/span-model';
import { workloadName } from './pod-name.ts';

/** Per-span signals of one table. */
export interface SpanSignals {
  /** Logical service code of each span, indexing `services`. */
  readonly service: Int32Array;
  /** Logical service names. */
  readonly services: string[];
  /** 1 when the span failed (status, HTTP ≥ 500 or 429, gRPC error, `error` tag, exception). */
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
// gRPC codes that mean the server failed (UNKNOWN, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNIMPLEMENTED, INTERNAL,
// UNAVAILABLE, DATA_LOSS); client-side codes such as NOT_FOUND are not server errors.
const GRPC_ERROR = new Set([2, 4, 8, 12, 13, 14, 15]);

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
    const name = foldPods ? workloadName(raw) : raw;
    if (name !== raw) svcFolded[v] = 1;
    svcMap[v] = intern(name);
  }
  const peerMap = new Int32Array(peerDict.values.length).fill(-1);
  for (let v = 1; v < peerDict.values.length; v++) {
    const raw = peerDict.values[v]!;
    if (raw) peerMap[v] = intern(foldPods ? workloadName(raw) : raw);
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
  const { statusCode, httpStatusCode, rpcStatusCode } = cols;
  const errType = table.dict('errorType');
  const errTypeTimeout = flagValues(errType.values, TIMEOUT_TEXT);
  const statusMsg = table.dict('statusMessage');
  const msgTimeout = flagValues(statusMsg.values, TIMEOUT_TEXT);
  const exc = table.dict('exceptionMessage');
  for (let i = 0; i < n; i++) {
    const st = statusCode[i]!;
    const http = httpStatusCode[i]!;
    const rpc = rpcStatusCode[i]!;
    let err = 0;
    if (st !== StatusCode.Unset || http > 0 || rpc >= 0) hasOutcome[i] = 1;
    if (st === StatusCode.Error) err = 1;
    else if (st === StatusCode.Unset && (http >= 500 || http === 429 || GRPC_ERROR.has(rpc))) err = 1;
    if (st !== StatusCode.Ok && (errType.codes[i]! !== 0 || exc.codes[i]! !== 0)) err = 1;
    if (http === 429 || rpc === 8) rateLimited[i] = 1;
    if (rpc === 4 || errTypeTimeout[errType.codes[i]!] || (err && msgTimeout[statusMsg.codes[i]!])) {
      timeout[i] = 1;
      err = 1;
    }
    error[i] = err;
  }
  // Tag-only errors (Jaeger/OpenTracing `error=true`, `otel.status_code=ERROR`): scan attribute keys only when the
  // table has such keys at all.
  const keys = cols.attrKeys;
  const errorKey = keys.indexOf('error');
  const otelKey = keys.indexOf('otel.status_code');
  if (errorKey >= 0 || otelKey >= 0) {
    const { attrOffsets, attrKey, attrValues } = cols;
    const { offsets, bytes } = attrValues;
    for (let i = 0; i < n; i++) {
      // A span with an explicit status already has its outcome; tags only matter where there is none.
      if (statusCode[i] !== StatusCode.Unset) continue;
      for (let k = attrOffsets[i]!; k < attrOffsets[i + 1]!; k++) {
        const key = attrKey[k]!;
        if (key !== errorKey && key !== otelKey) continue;
        const a = offsets[k]!;
        const len = offsets[k + 1]! - a;
        // 'true' (error tag) or 'ERROR' (otel.status_code): first byte t/T/E/e and length 4/5.
        const b0 = bytes[a]!;
        if ((len === 4 && (b0 === 116 || b0 === 84)) || (len === 5 && (b0 === 69 || b0 === 101))) {
          error[i] = 1;
          hasOutcome[i] = 1;
        }
      }
    }
  }
  return { service, services, error, hasOutcome, timeout, rateLimited, foldedPods };
}
