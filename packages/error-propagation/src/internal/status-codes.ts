// HTTP and gRPC codes per span, from the derived columns and from the attribute spellings they do not cover.
import type { SpanTable } from '@aiops/span-model';

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

/** Response codes per span: `http` 0 when unknown, `rpc` -1 when unknown. */
export interface StatusCodes {
  readonly http: Int16Array;
  readonly rpc: Int16Array;
}

const cache = new WeakMap<SpanTable, StatusCodes>();

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

/**
 * The HTTP and gRPC codes of every span: the derived `httpStatusCode` / `rpcStatusCode` columns, filled in where
 * they are empty from other spellings (`http.status`, `status.code`, a string `http.status_code = "503 ..."`).
 * Shares the columns when no such key exists.
 */
export function statusCodes(table: SpanTable): StatusCodes {
  const known = cache.get(table);
  if (known) return known;
  const c = table.columns;
  const httpKeys: number[] = [];
  const rpcKeys: number[] = [];
  for (let k = 0; k < c.attrKeys.length; k++) {
    if (HTTP_KEYS.has(c.attrKeys[k]!)) httpKeys.push(k);
    else if (RPC_KEYS.has(c.attrKeys[k]!)) rpcKeys.push(k);
  }
  let http = c.httpStatusCode;
  let rpc = c.rpcStatusCode;
  if (httpKeys.length + rpcKeys.length > 0) {
    http = http.slice();
    rpc = rpc.slice();
    const isHttp = new Uint8Array(c.attrKeys.length);
    for (const k of httpKeys) isHttp[k] = 1;
    for (const k of rpcKeys) isHttp[k] = 2;
    const { attrOffsets, attrKey, attrValues } = c;
    const off = attrValues.offsets;
    for (let r = 0; r < table.numSpans; r++) {
      for (let a = attrOffsets[r]!; a < attrOffsets[r + 1]!; a++) {
        const which = isHttp[attrKey[a]!];
        if (!which) continue;
        const v = leadingInt(attrValues.bytes, off[a]!, off[a + 1]!);
        if (which === 1 && http[r] === 0 && v >= 100 && v <= 599) http[r] = v;
        else if (which === 2 && rpc[r]! < 0 && v >= 0 && v <= 16) rpc[r] = v;
      }
    }
  }
  const out = { http, rpc };
  cache.set(table, out);
  return out;
}
