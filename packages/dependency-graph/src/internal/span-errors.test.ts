import { type SpanInput, spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { spanErrorFlags } from './span-errors.ts';

const BASE = 1_700_000_000_000_000_000n;
const call = (id: number, extra: Partial<SpanInput>): SpanInput => ({
  traceId: '1'.padStart(32, '0'),
  spanId: id.toString(16).padStart(16, '0'),
  service: 'api',
  operation: 'call',
  kind: 'client',
  startUnixNano: BASE,
  durationNano: 1_000_000n,
  ...extra,
});

describe('spanErrorFlags', () => {
  //   row  call carries                          failed call?
  //   0    status ERROR                           1
  //   1    HTTP 503                               1
  //   2    HTTP 404 (the caller's mistake)        0
  //   3    error = "1" (OpenTracing tag)          1
  //   4    gRPC UNAVAILABLE (14)                  1
  //   5    gRPC NOT_FOUND (5)                     0
  //   6    handled exception event only           0
  it('counts server-side failures of a call, not 4xx answers or handled exceptions', () => {
    const table = spanTableFromRows([
      call(1, { statusCode: 'error' }),
      call(2, { attributes: { 'http.response.status_code': 503 } }),
      call(3, { attributes: { 'http.response.status_code': 404 } }),
      call(4, { attributes: { error: '1' } }),
      call(5, { attributes: { 'rpc.grpc.status_code': 14 } }),
      call(6, { attributes: { 'rpc.grpc.status_code': 5 } }),
      call(7, { events: [{ timeUnixNano: BASE, name: 'exception' }] }),
    ]);
    expect([...spanErrorFlags(table)]).toEqual([1, 1, 0, 1, 1, 0, 0]);
  });
});
