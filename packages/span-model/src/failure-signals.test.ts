import { describe, expect, it } from 'vitest';
import { FailureSignal as F, spanFailureSignals } from './failure-signals.ts';
import { type SpanInput, spanTableFromRows } from './records.ts';
import { SpanKind, StatusCode } from './schema.ts';

const BASE = 1_700_000_000_000_000_000n;

function row(id: number, extra: Partial<SpanInput>): SpanInput {
  return {
    traceId: '1'.padStart(32, '0'),
    spanId: id.toString(16).padStart(16, '0'),
    service: 'svc',
    operation: 'op',
    startUnixNano: BASE,
    durationNano: 10_000_000n,
    ...extra,
  };
}

describe('spanFailureSignals', () => {
  //   row  what the span carries                                        signals              http  rpc
  //   0    status ERROR                                                 Status               0     -1
  //   1    http.response.status_code 503, server                        Http5xx              503   -1
  //   2    http.status_code 404, server (bits ignore the kind)          Http4xx              404   -1
  //   3    rpc.grpc.status_code 5 (NOT_FOUND)                           Grpc                 0     5
  //   4    rpc.grpc.status_code 14 (UNAVAILABLE)                        Grpc | GrpcServer    0     14
  //   5    error = true                                                 ErrorTag             0     -1
  //   6    error = "false"                                              0                    0     -1
  //   7    otel.status_code = "error"                                   ErrorTag             0     -1
  //   8    exception event (fills errorType too)                        Exception|ErrorType  0     -1
  //   9    error.type = "timeout", status OK (bits keep it)             ErrorType            0     -1
  //   10   http 200, nothing else                                       0                    200   -1
  const table = spanTableFromRows([
    row(1, { statusCode: StatusCode.Error }),
    row(2, { kind: SpanKind.Server, attributes: { 'http.response.status_code': 503 } }),
    row(3, { kind: SpanKind.Server, attributes: { 'http.status_code': 404 } }),
    row(4, { attributes: { 'rpc.grpc.status_code': 5 } }),
    row(5, { attributes: { 'rpc.grpc.status_code': 14 } }),
    row(6, { attributes: { error: true } }),
    row(7, { attributes: { error: 'false' } }),
    row(8, { attributes: { 'otel.status_code': 'error' } }),
    row(9, {
      events: [{ timeUnixNano: BASE, name: 'exception', attributes: { 'exception.type': 'IOException' } }],
    }),
    row(10, { statusCode: StatusCode.Ok, attributes: { 'error.type': 'timeout' } }),
    row(11, { attributes: { 'http.response.status_code': 200 } }),
  ]);
  const s = spanFailureSignals(table);

  it('sets one bit per signal, whatever the kind or status OK says', () => {
    expect([...s.signals]).toEqual([
      F.Status,
      F.Http5xx,
      F.Http4xx,
      F.Grpc,
      F.Grpc | F.GrpcServer,
      F.ErrorTag,
      0,
      F.ErrorTag,
      F.Exception | F.ErrorType,
      F.ErrorType,
      0,
    ]);
  });

  it('returns the HTTP and gRPC codes, 0 and -1 when unknown', () => {
    expect([...s.httpStatus]).toEqual([0, 503, 404, 0, 0, 0, 0, 0, 0, 0, 200]);
    expect([...s.rpcStatus]).toEqual([-1, -1, -1, 5, 14, -1, -1, -1, -1, -1, -1]);
  });

  it('computes once per table', () => {
    expect(spanFailureSignals(table)).toBe(s);
  });

  //   row 0  http.status = "503 Service Unavailable" (text, a key the span model does not derive)  → Http5xx 503
  //   row 1  status.code = 14 (OpenCensus canonical code UNAVAILABLE)                                → Grpc 14
  //   row 2  a Jaeger log { event: "error", error.kind: "IOException" }                                → Exception
  //   row 3  http.status = "200", status.code = 0, error = "0"                                          → 0
  //   row 4  status_code = "599", grpc.status_code = "99" (not a canonical code)                       → Http5xx 599
  it('reads codes from other spellings and OpenTracing error logs, and copies the code columns', () => {
    const t = spanTableFromRows([
      row(1, { attributes: { 'http.status': '503 Service Unavailable' } }),
      row(2, { attributes: { 'status.code': 14 } }),
      row(3, { events: [{ timeUnixNano: BASE, name: 'error', attributes: { 'error.kind': 'IOException' } }] }),
      row(4, { attributes: { 'http.status': '200', 'status.code': 0, error: '0' } }),
      row(5, { attributes: { status_code: '599', 'grpc.status_code': '99' } }),
    ]);
    const r = spanFailureSignals(t);
    expect([...r.signals]).toEqual([F.Http5xx, F.Grpc | F.GrpcServer, F.Exception, 0, F.Http5xx]);
    expect([...r.httpStatus]).toEqual([503, 0, 0, 200, 599]);
    expect([...r.rpcStatus]).toEqual([-1, 14, -1, 0, -1]);
    expect(r.httpStatus).not.toBe(t.columns.httpStatusCode);
    expect([...t.columns.httpStatusCode]).toEqual([0, 0, 0, 0, 0]);
  });

  it('shares the derived code columns when no other spelling occurs, and handles an empty table', () => {
    const t = spanTableFromRows([row(1, { attributes: { 'http.response.status_code': 502 } })]);
    expect(spanFailureSignals(t).httpStatus).toBe(t.columns.httpStatusCode);
    const empty = spanFailureSignals(spanTableFromRows([]));
    expect(empty.signals.length).toBe(0);
  });
});
