import { FailureSignal, type SpanInput, spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { classifyError } from './classify-error.ts';
import { failedSpans } from './failed-spans.ts';

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

describe('failedSpans on exports with other spellings (Jaeger/OpenTracing, OpenCensus, hand-rolled tags)', () => {
  //   row 0  http.status = "503 Service Unavailable" (text, a key the span model does not derive)   → Http
  //   row 1  status.code = 14 (OpenCensus canonical code UNAVAILABLE), no kind                          → Grpc
  //   row 2  a Jaeger log { event: "error", error.kind: "IOException" }                                  → Exception
  //   row 3  http.status = "200", status.code = 0                                                          → not failed
  it('reads HTTP codes and canonical codes from any key spelling, and OpenTracing error logs', () => {
    const table = spanTableFromRows([
      row(1, { attributes: { 'http.status': '503 Service Unavailable' } }),
      row(2, { attributes: { 'status.code': 14 } }),
      row(3, {
        events: [{ timeUnixNano: BASE, name: 'error', attributes: { 'error.kind': 'IOException' } }],
      }),
      row(4, { attributes: { 'http.status': '200', 'status.code': 0 } }),
    ]);
    expect([...failedSpans(table)]).toEqual([
      FailureSignal.Http5xx,
      FailureSignal.Grpc | FailureSignal.GrpcServer,
      FailureSignal.Exception,
      0,
    ]);
    expect(classifyError(table, 0)).toEqual({ type: 'http5xx', evidence: ['HTTP 503'] });
    expect(classifyError(table, 1)).toEqual({ type: 'unavailable', evidence: ['gRPC UNAVAILABLE (14)'] });
  });
});
