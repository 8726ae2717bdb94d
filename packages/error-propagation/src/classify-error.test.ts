import { buildTraceTree, FailureSignal, type SpanInput, spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { classifyError } from './classify-error.ts';
import { failedSpans } from './failed-spans.ts';

const BASE = 1_700_000_000_000_000_000n;

function one(extra: Partial<SpanInput>, durationMs = 10): SpanInput {
  return {
    traceId: '1'.padStart(32, '0'),
    spanId: '1'.padStart(16, '0'),
    service: 'svc',
    operation: 'op',
    startUnixNano: BASE,
    durationNano: BigInt(durationMs * 1e6),
    ...extra,
  };
}

const classify = (extra: Partial<SpanInput>, durationMs = 10) =>
  classifyError(spanTableFromRows([one(extra, durationMs)]), 0);

describe('classifyError', () => {
  it('reads gRPC DEADLINE_EXCEEDED as a timeout', () => {
    expect(classify({ kind: 'client', statusCode: 'error', attributes: { 'rpc.grpc.status_code': 4 } })).toEqual({
      type: 'timeout',
      evidence: ['gRPC DEADLINE_EXCEEDED (4)'],
    });
  });

  it('reads a TimeoutError exception as a timeout', () => {
    const c = classify({
      statusCode: 'error',
      events: [{ timeUnixNano: BASE, name: 'exception', attributes: { 'exception.type': 'TimeoutError' } }],
    });
    expect(c).toEqual({ type: 'timeout', evidence: ['error.type "TimeoutError"'] });
  });

  it('reads connection refused and gRPC UNAVAILABLE as unavailable', () => {
    expect(
      classify({ statusCode: 'error', statusMessage: 'dial tcp 10.1.2.3:5432: connect: connection refused' }).type,
    ).toBe('unavailable');
    expect(classify({ kind: 'client', statusCode: 'error', attributes: { 'rpc.grpc.status_code': 14 } }).type).toBe(
      'unavailable',
    );
  });

  it('tells a business error (5xx with a domain exception) from a plain 5xx', () => {
    expect(
      classify({
        statusCode: 'error',
        attributes: { 'http.response.status_code': 500 },
        events: [
          {
            timeUnixNano: BASE,
            name: 'exception',
            attributes: {
              'exception.type': 'java.lang.IllegalStateException',
              'exception.message': 'Internal Server Error',
            },
          },
        ],
      }).type,
    ).toBe('http5xx');
    expect(
      classify({
        statusCode: 'error',
        attributes: { 'http.response.status_code': 500 },
        events: [
          {
            timeUnixNano: BASE,
            name: 'exception',
            attributes: { 'exception.type': 'PaymentDeclinedException', 'exception.message': 'card declined' },
          },
        ],
      }),
    ).toEqual({
      type: 'business',
      evidence: ['HTTP 500', 'error.type "PaymentDeclinedException"', 'exception "card declined"'],
    });
  });

  it('reads a 4xx as http4xx and a 504 as a timeout', () => {
    expect(classify({ kind: 'client', attributes: { 'http.response.status_code': 404 } }).type).toBe('http4xx');
    expect(classify({ kind: 'server', attributes: { 'http.status_code': 504 } }).type).toBe('timeout');
  });

  it('takes a bare failure at a round duration for a timeout', () => {
    expect(classify({ attributes: { error: true } }, 5000)).toEqual({
      type: 'timeout',
      evidence: ['duration at the 5 s limit (5.000 s)'],
    });
    expect(classify({ attributes: { error: true } }, 4321).type).toBe('other');
  });

  //   a checkout → payment |====|   0..3 ms, failed, no response code, no server span under it
  it('reads an outgoing call that failed with no server span as unavailable', () => {
    const table = spanTableFromRows([
      one({ kind: 'client', statusCode: 'error', attributes: { 'peer.service': 'payment' } }, 3),
    ]);
    expect(classifyError(table, 0, { tree: buildTraceTree(table) })).toEqual({
      type: 'unavailable',
      evidence: ['client call to payment failed with no server span and no response code'],
    });
  });

  it('rejects a row outside the table', () => {
    expect(() => classifyError(spanTableFromRows([one({})]), 3)).toThrow(RangeError);
  });
});

describe('failedSpans', () => {
  const rows: SpanInput[] = [
    one({ spanId: 'a', statusCode: 'error' }),
    one({ spanId: 'b', kind: 'server', attributes: { 'http.response.status_code': 404 } }),
    one({ spanId: 'c', kind: 'client', attributes: { 'http.response.status_code': 404 } }),
    one({ spanId: 'd', attributes: { 'http.status_code': 503 } }),
    one({ spanId: 'e', attributes: { error: true } }),
    one({ spanId: 'f', attributes: { error: 'false' } }),
    one({ spanId: '10', statusCode: 'ok', attributes: { 'http.response.status_code': 500 } }),
    one({ spanId: '11', events: [{ timeUnixNano: BASE, name: 'exception' }] }),
    one({ spanId: '12', kind: 'server', attributes: { 'rpc.grpc.status_code': 5 } }),
    one({ spanId: '13', kind: 'client', attributes: { 'rpc.grpc.status_code': 5 } }),
    one({ spanId: '14', attributes: { 'otel.status_code': 'ERROR' } }),
  ];
  const f = failedSpans(spanTableFromRows(rows));

  it('applies OpenTelemetry semantics and the messy-data signals', () => {
    expect(Array.from(f)).toEqual([
      FailureSignal.Status,
      0, // a server that answered 404 did its job
      FailureSignal.Http4xx, // the client that got the 404 did not get what it asked for
      FailureSignal.Http5xx,
      FailureSignal.ErrorTag,
      0,
      0, // status OK wins
      FailureSignal.Exception,
      0, // NOT_FOUND is not a server error
      FailureSignal.Grpc,
      FailureSignal.ErrorTag,
    ]);
  });
});
