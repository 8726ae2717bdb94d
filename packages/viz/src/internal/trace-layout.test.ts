import { spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { layoutTrace, SpanFlag } from './trace-layout.ts';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const BASE = 1_700_000_000_000_000_000n;
const span = (id: string, parent: string | undefined, start: number, end: number, extra: object = {}) => ({
  traceId: T,
  spanId: id.padStart(16, '0'),
  ...(parent ? { parentSpanId: parent.padStart(16, '0') } : {}),
  service: 'api',
  operation: `op-${id}`,
  startUnixNano: BASE + BigInt(start) * 1_000_000n,
  endUnixNano: BASE + BigInt(end) * 1_000_000n,
  ...extra,
});

describe('layoutTrace error flags', () => {
  //   a server 404              |==============================|  0..100   not an error (a server did its job)
  //   b client 404                 |=====|                          10..30   error
  //   c error=true (Jaeger tag)            |=====|                  40..60   error
  //   d http.status "502 Bad Gateway"              |=====|          70..90   error
  //   e gRPC NOT_FOUND on a server                        |==|      90..95   not an error
  it('flags failures from any signal, 4xx only on client spans', () => {
    const table = spanTableFromRows([
      span('a', undefined, 0, 100, { kind: 'server', attributes: { 'http.response.status_code': 404 } }),
      span('b', 'a', 10, 30, { kind: 'client', attributes: { 'http.response.status_code': 404 } }),
      span('c', 'a', 40, 60, { attributes: { error: true } }),
      span('d', 'a', 70, 90, { attributes: { 'http.status': '502 Bad Gateway' } }),
      span('e', 'a', 90, 95, { kind: 'server', attributes: { 'rpc.grpc.status_code': 5 } }),
    ]);
    const { flags } = layoutTrace(table, { slowThresholdMs: 1000 });
    expect([...flags].map((f) => f & SpanFlag.Error)).toEqual([0, 1, 1, 1, 0]);
  });
});
