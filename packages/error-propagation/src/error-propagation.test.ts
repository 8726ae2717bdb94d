import { type SpanInput, spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { errorPropagation } from './error-propagation.ts';

const BASE = 1_700_000_000_000_000_000n;
let traceSeq = 0;

/** A span of the current trace; times in ms. */
function span(
  trace: string,
  id: string,
  parent: string | undefined,
  service: string,
  operation: string,
  startMs: number,
  endMs: number,
  extra: Partial<SpanInput> = {},
): SpanInput {
  return {
    traceId: trace.padStart(32, '0'),
    spanId: id.padStart(16, '0'),
    ...(parent ? { parentSpanId: parent.padStart(16, '0') } : {}),
    service,
    operation,
    startUnixNano: BASE + BigInt(Math.round(startMs * 1e6)),
    endUnixNano: BASE + BigInt(Math.round(endMs * 1e6)),
    ...extra,
  };
}

const err = (http: number, message = ''): Partial<SpanInput> => ({
  statusCode: 'error',
  statusMessage: message,
  attributes: { 'http.response.status_code': http },
});
const ok = (http = 200): Partial<SpanInput> => ({ attributes: { 'http.response.status_code': http } });

function nextTrace(): string {
  traceSeq++;
  return traceSeq.toString(16);
}

describe('errorPropagation', () => {
  //   a frontend GET /checkout   |==============================|  0..100  500
  //   b frontend → checkout         |==========================|    5..95  500 (client)
  //   c checkout POST /order         |========================|     6..94  500
  //   d checkout → payment              |======|                    10..30  ECONNREFUSED, no server span
  //   chain d → c → b → a; origin: payment (the callee d names); type unavailable
  it('follows a propagated error from a refused connection up to the root', () => {
    const t = nextTrace();
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'frontend', 'GET /checkout', 0, 100, { kind: 'server', ...err(500) }),
      span(t, 'b', 'a', 'frontend', 'POST /order', 5, 95, { kind: 'client', ...err(500) }),
      span(t, 'c', 'b', 'checkout', 'POST /order', 6, 94, { kind: 'server', ...err(500, 'upstream failed') }),
      span(t, 'd', 'c', 'checkout', 'POST /charge', 10, 30, {
        kind: 'client',
        statusCode: 'error',
        statusMessage: 'connect ECONNREFUSED 10.0.0.7:8080',
        attributes: { 'peer.service': 'payment' },
      }),
    ]);
    const r = errorPropagation(table);
    expect(r.failedTraces).toBe(1);
    expect(r.errorRate).toBe(1);
    const [chain] = r.traceErrors[0]!.chains;
    expect(chain!.kind).toBe('propagated');
    expect(chain!.path).toEqual(['payment', 'checkout', 'frontend']);
    expect(chain!.spans.map((s) => s.spanId)).toEqual([
      '',
      '000000000000000d',
      '000000000000000c',
      '000000000000000b',
      '000000000000000a',
    ]);
    expect(chain!.spans[0]!.observed).toBe(false);
    expect(chain!.errorType).toBe('unavailable');
    expect(chain!.evidence).toContain('status message "connect ECONNREFUSED 10.0.0.7:8080"');
    expect(r.byType).toEqual({ timeout: 0, http5xx: 0, http4xx: 0, unavailable: 1, business: 0, other: 0 });
    expect(r.rootCauses[0]).toMatchObject({ service: 'payment', operation: 'POST /charge', traces: 1, share: 1 });
    expect(r.propagationPaths).toEqual([
      { path: ['payment', 'checkout', 'frontend'], traces: 1, errorType: 'unavailable' },
    ]);
    expect(r.hypotheses[0]!.text).toMatch(/^payment is the origin of 100% of failed traces; .*refusing connections/);
  });

  //   a frontend GET /          |==========================|  0..100  200
  //   b frontend → recommend       |=====|                    5..20   503 (client)    ← handled: a succeeded
  //   c recommend GET /recs         |===|                      6..19   503
  //   d frontend → catalog                  |=======|          30..60  200
  it('reports a failed child under a successful parent as handled, and the trace as not failed', () => {
    const t = nextTrace();
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'frontend', 'GET /', 0, 100, { kind: 'server', ...ok() }),
      span(t, 'b', 'a', 'frontend', 'GET /recs', 5, 20, { kind: 'client', ...err(503) }),
      span(t, 'c', 'b', 'recommend', 'GET /recs', 6, 19, { kind: 'server', ...err(503) }),
      span(t, 'd', 'a', 'frontend', 'GET /items', 30, 60, { kind: 'client', ...ok() }),
    ]);
    const r = errorPropagation(table);
    expect(r.failedTraces).toBe(0);
    expect(r.tracesWithHandledErrors).toBe(1);
    const trace = r.traceErrors[0]!;
    expect(trace.failed).toBe(false);
    expect(trace.chains).toHaveLength(1);
    expect(trace.chains[0]).toMatchObject({
      kind: 'handled',
      handling: 'fallback',
      path: ['recommend', 'frontend'],
      errorType: 'http5xx',
    });
    expect(trace.chains[0]!.handledBy!.spanId).toBe('000000000000000a');
    expect(r.rootCauses).toEqual([]);
  });

  //   a gateway GET /      |===================================|  0..100  500
  //   b gateway → cart        |========|                          5..30   500 (client)
  //   c cart GET /cart          |======|                          6..29   500  exception CartLockedException
  //   d gateway → user        |=================|                 5..50   500 (client)
  //   e user GET /user          |================|                6..49   500
  //   origins: c (ended first: the cause of a) and e (independent); 2 origins
  it('separates independent errors under one failed parent, blaming the one that failed first', () => {
    const t = nextTrace();
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'gateway', 'GET /', 0, 100, { kind: 'server', ...err(500) }),
      span(t, 'b', 'a', 'gateway', 'GET /cart', 5, 30, { kind: 'client', ...err(500) }),
      span(t, 'c', 'b', 'cart', 'GET /cart', 6, 29, {
        kind: 'server',
        ...err(500),
        events: [
          {
            timeUnixNano: BASE + 28_000_000n,
            name: 'exception',
            attributes: { 'exception.type': 'CartLockedException', 'exception.message': 'cart 42 is locked' },
          },
        ],
      }),
      span(t, 'd', 'a', 'gateway', 'GET /user', 5, 50, { kind: 'client', ...err(500) }),
      span(t, 'e', 'd', 'user', 'GET /user', 6, 49, { kind: 'server', ...err(500) }),
    ]);
    const r = errorPropagation(table);
    const trace = r.traceErrors[0]!;
    expect(trace.origins).toBe(2);
    expect(trace.chains.map((c) => [c.kind, c.path, c.errorType])).toEqual([
      ['propagated', ['cart', 'gateway'], 'business'],
      ['independent', ['user', 'gateway'], 'http5xx'],
    ]);
    expect(trace.chains[0]!.evidence).toEqual([
      'HTTP 500',
      'error.type "CartLockedException"',
      'exception "cart 42 is locked"',
    ]);
    expect(r.rootCauses.map((c) => [c.service, c.traces])).toEqual([
      ['cart', 1],
      ['user', 1],
    ]);
    expect(r.byType.business).toBe(1);
  });

  //   a web GET /pay        |==========|...........          0..1010  504
  //   b web → billing         |=========|                   5..1005 deadline exceeded (client, 1 s timeout)
  //   c billing POST /bill     |======================|      6..3000 still running, ok
  //   d billing SELECT          |====================|       8..2990 the slow query
  //   origin: d (the slow callee, not failed); type timeout
  it('blames a timeout on the slow downstream the caller gave up on', () => {
    const t = nextTrace();
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'web', 'GET /pay', 0, 1010, { kind: 'server', ...err(504) }),
      span(t, 'b', 'a', 'web', 'POST /bill', 5, 1005, {
        kind: 'client',
        statusCode: 'error',
        statusMessage: 'deadline exceeded',
      }),
      span(t, 'c', 'b', 'billing', 'POST /bill', 6, 3000, { kind: 'server', ...ok() }),
      span(t, 'd', 'c', 'billing', 'SELECT invoices', 8, 2990, {
        kind: 'client',
        attributes: { 'db.system': 'postgresql' },
      }),
    ]);
    const r = errorPropagation(table);
    const [chain] = r.traceErrors[0]!.chains;
    expect(chain!.slowCallee).toBe(true);
    expect(chain!.spans.map((s) => [s.spanId.slice(-1), s.failed])).toEqual([
      ['d', false],
      ['c', false],
      ['b', true],
      ['a', true],
    ]);
    expect(chain!.path).toEqual(['billing', 'web']);
    expect(chain!.errorType).toBe('timeout');
    expect(chain!.evidence).toEqual([
      'status message "deadline exceeded"',
      'duration at the 1 s limit (1.000 s)',
      'callee billing "POST /bill" still running after the caller gave up (+1.995 s)',
    ]);
    expect(r.rootCauses[0]).toMatchObject({ service: 'billing', operation: 'SELECT invoices', errorType: 'timeout' });
    expect(r.hypotheses[0]!.text).toMatch(/web time out waiting for it while it is still working/);
  });

  //   a shop GET /       |=============================|  0..100  200
  //   b shop → stock        |===|                        5..15   503  ← retried
  //   c shop → stock              |===|                  20..30  200
  it('recognises a failed call followed by a successful retry as handled', () => {
    const t = nextTrace();
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'shop', 'GET /', 0, 100, { kind: 'server', ...ok() }),
      span(t, 'b', 'a', 'shop', 'GET /stock', 5, 15, { kind: 'client', ...err(503) }),
      span(t, 'c', 'a', 'shop', 'GET /stock', 20, 30, { kind: 'client', ...ok() }),
    ]);
    const r = errorPropagation(table);
    expect(r.failedTraces).toBe(0);
    const chain = r.traceErrors[0]!.chains[0]!;
    expect(chain).toMatchObject({ kind: 'handled', handling: 'retry', errorType: 'http5xx' });
    expect(chain.handledBy!.spanId).toBe('000000000000000c');
  });

  //   a shop GET /       |=============================|  0..100  500
  //   b shop → stock        |===|                        5..15   503  ← retried, then
  //   c shop → stock              |===|                  20..30  500  the retry failed too: c is the cause
  it('blames the last attempt when a retry fails as well', () => {
    const t = nextTrace();
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'shop', 'GET /', 0, 100, { kind: 'server', ...err(500) }),
      span(t, 'b', 'a', 'shop', 'GET /stock', 5, 15, { kind: 'client', ...err(503) }),
      span(t, 'c', 'a', 'shop', 'GET /stock', 20, 30, { kind: 'client', ...err(500) }),
    ]);
    const trace = errorPropagation(table).traceErrors[0]!;
    expect(trace.chains.map((c) => [c.kind, c.spans[0]!.spanId.slice(-1)])).toEqual([
      ['propagated', 'c'],
      ['handled', 'b'],
    ]);
  });

  //   messy: no kind, no status, no codes; only `error=true` tags, pod names as services
  //   a frontend-7d9f8b5c4-x2k4p  GET /       |==========================|  0..100   error=true
  //   b frontend-7d9f8b5c4-x2k4p  → cart        |======================|    5..90    (no tag: unknown)
  //   c cart-5b8c9d7f6-p2q7r      GET /cart      |====================|     6..88    error=true
  it('follows tag-only errors through an untagged middle span and folds pod names into services', () => {
    const t = nextTrace();
    const tag = { attributes: { error: true } };
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'frontend-7d9f8b5c4-x2k4p', 'GET /', 0, 100, tag),
      span(t, 'b', 'a', 'frontend-7d9f8b5c4-x2k4p', 'GET /cart', 5, 90),
      span(t, 'c', 'b', 'cart-5b8c9d7f6-p2q7r', 'GET /cart', 6, 88, tag),
    ]);
    const r = errorPropagation(table);
    expect(r.failedTraces).toBe(1);
    const [chain] = r.traceErrors[0]!.chains;
    expect(chain!.path).toEqual(['cart', 'frontend']);
    expect(chain!.spans.map((s) => [s.spanId.slice(-1), s.failed])).toEqual([
      ['c', true],
      ['b', false],
      ['a', true],
    ]);
    expect(chain!.errorType).toBe('other');
    expect(r.rootCauses[0]!.service).toBe('cart');
  });

  //   a api GET /users/7   |========|  0..10  404 on the entry (server span, status unset)
  //   b api GET /health    |==|        0..3   200
  it('counts an entry that answered 4xx as a failed trace of type http4xx', () => {
    const table = spanTableFromRows([
      span(nextTrace(), 'a', undefined, 'api', 'GET /users/{id}', 0, 10, { kind: 'server', ...ok(404) }),
      span(nextTrace(), 'b', undefined, 'api', 'GET /health', 0, 3, { kind: 'server', ...ok(200) }),
    ]);
    const r = errorPropagation(table);
    expect(r.traces).toBe(2);
    expect(r.failedTraces).toBe(1);
    expect(r.errorRate).toBe(0.5);
    expect(r.byType.http4xx).toBe(1);
  });

  it('restricts the analysis to traces that touch options.service', () => {
    const t1 = nextTrace();
    const t2 = nextTrace();
    const table = spanTableFromRows([
      span(t1, 'a', undefined, 'web', 'GET /', 0, 10, { kind: 'server', ...err(500) }),
      span(t2, 'b', undefined, 'web', 'GET /', 0, 10, { kind: 'server', ...ok() }),
      span(t2, 'c', 'b', 'db-proxy', 'query', 1, 5, { kind: 'server', ...ok() }),
    ]);
    const r = errorPropagation(table, { service: 'db-proxy' });
    expect(r.traces).toBe(1);
    expect(r.failedTraces).toBe(0);
  });

  it('leaves its input table unchanged', () => {
    const t = nextTrace();
    const table = spanTableFromRows([span(t, 'a', undefined, 'web', 'GET /', 0, 10, { kind: 'server', ...err(500) })]);
    const before = Array.from(table.columns.statusCode);
    errorPropagation(table);
    expect(Array.from(table.columns.statusCode)).toEqual(before);
    expect(table.numSpans).toBe(1);
  });
});
