import { spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { traceSeries } from './trace-series.ts';

const T0 = 1_735_689_600n * 1_000_000_000n; // 2025-01-01T00:00:00Z, a bucket boundary
const ms = (x: number): bigint => BigInt(x) * 1_000_000n;

// Two traces, no span kinds, no status codes, pod names as services (messy data):
//
//   trace 1 (t = 0 s)
//   0 frontend-7d9f8b5c4-x2k4p GET /checkout  |========================================|   0..100
//   1 frontend-7d9f8b5c4-x2k4p POST /pay          |==============================|          10..90   client
//   2 api-5c6b7d8f9-q7w2z      POST /pay            |==========================|            15..85   error=true
//   3 api-5c6b7d8f9-q7w2z      SELECT                  |==========|                        20..50   peer.service=orders-db
//   trace 2 (t = 40 s, next 30 s bucket): same shape, api takes 20..30 for the query, no error
//
//   requests: frontend 1 per trace, api 1 per trace, orders-db 1 per trace (leaf with peer.service)
//   exclusive(api) in trace 1 = self(2) 70 - 30 + gap of span 1 (80 - 70 = 10) = 50 ms
//   exclusive(frontend) in trace 1 = self(0) = 100 - 80 = 20 ms; exclusive(orders-db) = 30 ms
function trace(n: number, startMs: number, dbMs: number, fails: boolean) {
  const t = `${n}`.padStart(32, '0');
  const s = (k: number): string => `${n}${k}`.padStart(16, '0');
  const fe = 'frontend-7d9f8b5c4-x2k4p';
  const api = 'api-5c6b7d8f9-q7w2z';
  return [
    {
      traceId: t,
      spanId: s(0),
      service: fe,
      operation: 'GET /checkout',
      startUnixNano: T0 + ms(startMs),
      durationNano: ms(100),
    },
    {
      traceId: t,
      spanId: s(1),
      parentSpanId: s(0),
      service: fe,
      operation: 'POST /pay',
      startUnixNano: T0 + ms(startMs + 10),
      durationNano: ms(80),
    },
    {
      traceId: t,
      spanId: s(2),
      parentSpanId: s(1),
      service: api,
      operation: 'POST /pay',
      startUnixNano: T0 + ms(startMs + 15),
      durationNano: ms(70),
      ...(fails ? { attributes: { error: true } } : {}),
    },
    {
      traceId: t,
      spanId: s(3),
      parentSpanId: s(2),
      service: api,
      operation: 'SELECT',
      startUnixNano: T0 + ms(startMs + 20),
      durationNano: ms(dbMs),
      attributes: { 'peer.service': 'orders-db', 'db.system': 'postgresql' },
    },
  ];
}

describe('traceSeries', () => {
  const table = spanTableFromRows([...trace(1, 0, 30, true), ...trace(2, 40_000, 10, false)]);
  const s = traceSeries(table, { bucketSeconds: 30 });
  const find = (level: string, service: string, operation = '') =>
    s.series.find((x) => x.level === level && x.service === service && x.operation === operation)!;

  it('buckets requests per logical service with pod names folded and stores split out', () => {
    expect(s.buckets).toBe(2);
    expect(s.firstBucket).toBe(1_735_689_600 / 30);
    expect(
      s.series
        .filter((x) => x.level === 'service')
        .map((x) => x.service)
        .sort(),
    ).toEqual(['api', 'frontend', 'orders-db']);
    expect(Array.from(find('service', 'api').count)).toEqual([1, 1]);
    expect(Array.from(find('service', 'orders-db').p50Ms)).toEqual([30, 10]);
  });

  it('reads errors from the error tag when there is no status code', () => {
    expect(Array.from(find('service', 'api').errors)).toEqual([1, 0]);
    expect(Array.from(find('service', 'api').ownErrors)).toEqual([1, 0]);
    // frontend's root has no outcome of its own, so a failed span inside its request counts: the client span did
    // not fail here, and the api failure is a downstream one.
    expect(Array.from(find('service', 'frontend').errors)).toEqual([0, 0]);
  });

  it('attributes self time and the incoming network gap to the service', () => {
    expect(Array.from(find('service', 'api').selfP50Ms)).toEqual([50, 70]);
    expect(Array.from(find('service', 'frontend').selfP50Ms)).toEqual([20, 20]);
    expect(Array.from(find('service', 'api').p50Ms)).toEqual([70, 70]);
  });

  it('labels trace-root operations as endpoints and records call paths per endpoint', () => {
    expect(find('endpoint', 'frontend', 'GET /checkout').count[0]).toBe(1);
    const paths = s.callPaths
      .map((p) => `${p.endpointOperation}: ${p.caller} → ${p.callee} ${Array.from(p.traces).join(',')}`)
      .sort();
    expect(paths).toEqual(['GET /checkout: api → orders-db 1,1', 'GET /checkout: frontend → api 1,1']);
    expect(s.warnings).toContain('8 spans named by pod; folded to workload names');
  });
});
