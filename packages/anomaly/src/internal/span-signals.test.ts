import { type SpanInput, SpanKind, StatusCode, spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { spanSignals } from './span-signals.ts';

const BASE = 1_700_000_000_000_000_000n;

function row(id: number, extra: Partial<SpanInput>): SpanInput {
  return {
    traceId: '1'.padStart(32, '0'),
    spanId: id.toString(16).padStart(16, '0'),
    service: 'svc',
    operation: 'op',
    startUnixNano: BASE + BigInt(id) * 1_000_000n,
    durationNano: 1_000_000n,
    ...extra,
  };
}

const leaf = (): number => 0;

describe('spanSignals services', () => {
  // One span per service name; leaves, so no store call is moved (no peer.service).
  //   row 0  checkout-7d9f8b5c4-x2k4p   Deployment pod     → checkout
  //   row 1  node-exporter-7x2k9        DaemonSet pod      → node-exporter
  //   row 2  redis-0                    StatefulSet pod    → redis   (anomaly folds ordinals)
  //   row 3  kafka-12                   StatefulSet pod    → kafka
  //   row 4  frontend-proxy             not a pod          → frontend-proxy
  //   row 5  service-frontend-proxy     not a pod          → service-frontend-proxy
  //   row 6  api-v2                     not an ordinal     → api-v2
  //   row 7  checkout-5f6c7d8e9-q8w2z   another checkout pod → checkout (same code as row 0)
  const names = [
    'checkout-7d9f8b5c4-x2k4p',
    'node-exporter-7x2k9',
    'redis-0',
    'kafka-12',
    'frontend-proxy',
    'service-frontend-proxy',
    'api-v2',
    'checkout-5f6c7d8e9-q8w2z',
  ];
  const table = spanTableFromRows(names.map((service, i) => row(i + 1, { service })));

  it('folds Deployment, DaemonSet and StatefulSet pod names when asked', () => {
    const s = spanSignals(table, leaf, true);
    expect([...s.service].map((c) => s.services[c])).toEqual([
      'checkout',
      'node-exporter',
      'redis',
      'kafka',
      'frontend-proxy',
      'service-frontend-proxy',
      'api-v2',
      'checkout',
    ]);
    expect(s.service[0]).toBe(s.service[7]);
    expect(s.foldedPods).toBe(5);
  });

  it('keeps the raw names when not folding', () => {
    const s = spanSignals(table, leaf, false);
    expect([...s.service].map((c) => s.services[c])).toEqual(names);
    expect(s.foldedPods).toBe(0);
  });
});

describe('spanSignals errors', () => {
  //   row  what the span carries                              error  outcome  timeout  rateLimited
  //   0    status ERROR                                       1      1        0        0
  //   1    http 503, status unset                             1      1        0        0
  //   2    http 503, status OK (OK is the final word)         0      1        0        0
  //   3    http 429, status unset                             1      1        0        1
  //   4    http 404, client, status unset                     0      1        0        0
  //   5    gRPC 14 UNAVAILABLE                                1      1        0        0
  //   6    gRPC 5 NOT_FOUND (not a server error)              0      1        0        0
  //   7    gRPC 8 RESOURCE_EXHAUSTED                          1      1        0        1
  //   8    gRPC 4 DEADLINE_EXCEEDED                           1      1        1        0
  //   9    error = true, status unset                         1      1        0        0
  //   10   error = true, status OK (tag ignored)              0      1        0        0
  //   11   otel.status_code = ERROR                           1      1        0        0
  //   12   exception event, status unset                      1      0        0        0
  //   13   exception event, status OK                         0      1        0        0
  //   14   error.type = "TimeoutError"                        1      0        1        0
  //   15   http.status = "503 Service Unavailable" (text)     1      1        0        0
  //   16   nothing                                            0      0        0        0
  const table = spanTableFromRows([
    row(1, { statusCode: StatusCode.Error }),
    row(2, { attributes: { 'http.response.status_code': 503 } }),
    row(3, { statusCode: StatusCode.Ok, attributes: { 'http.response.status_code': 503 } }),
    row(4, { attributes: { 'http.response.status_code': 429 } }),
    row(5, { kind: SpanKind.Client, attributes: { 'http.response.status_code': 404 } }),
    row(6, { attributes: { 'rpc.grpc.status_code': 14 } }),
    row(7, { attributes: { 'rpc.grpc.status_code': 5 } }),
    row(8, { attributes: { 'rpc.grpc.status_code': 8 } }),
    row(9, { attributes: { 'rpc.grpc.status_code': 4 } }),
    row(10, { attributes: { error: true } }),
    row(11, { statusCode: StatusCode.Ok, attributes: { error: true } }),
    row(12, { attributes: { 'otel.status_code': 'ERROR' } }),
    row(13, { events: [{ timeUnixNano: BASE, name: 'exception', attributes: { 'exception.message': 'boom' } }] }),
    row(14, {
      statusCode: StatusCode.Ok,
      events: [{ timeUnixNano: BASE, name: 'exception', attributes: { 'exception.message': 'boom' } }],
    }),
    row(15, { attributes: { 'error.type': 'TimeoutError' } }),
    row(16, { attributes: { 'http.status': '503 Service Unavailable' } }),
    row(17, {}),
  ]);
  const s = spanSignals(table, leaf, false);

  it('applies the anomaly rule to the span-model failure signals', () => {
    expect([...s.error]).toEqual([1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0]);
    expect([...s.hasOutcome]).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0, 1, 0]);
    expect([...s.timeout]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0]);
    expect([...s.rateLimited]).toEqual([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
