import { buildTraceTree, type SpanInput, spanTableFromRows, traceIdAt } from '@aiops/span-model';
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
  //   a web GET /         |==================================|  0..1100    504
  //   b web → inv            |================================|    5..1005   deadline exceeded, no response code:
  //                                                                          gave up at 1.000 s by its own clock
  //   c inv GET /inv          |================================|    6..1005.5 504, answered 0.5 ms after b gave up
  //   e inv → pricing          |===============================|    6.2..1005.2 deadline exceeded
  //   c ended only as b gave up: it did not fail b, it was the slow callee b gave up on (slowCallee, 2 spans below b)
  it('does not take a callee that answered only as its caller gave up for the cause of the timeout', () => {
    const t = nextTrace();
    const timedOut = { statusCode: 'error' as const, statusMessage: 'deadline exceeded' };
    const r = errorPropagation(
      spanTableFromRows([
        span(t, 'a', undefined, 'web', 'GET /', 0, 1100, { kind: 'server', ...err(504) }),
        span(t, 'b', 'a', 'web', 'GET /inv', 5, 1005, { kind: 'client', ...timedOut }),
        span(t, 'c', 'b', 'inv', 'GET /inv', 6, 1005.5, { kind: 'server', ...err(504, 'upstream failed') }),
        span(t, 'e', 'c', 'inv', 'GET /price', 6.2, 1005.2, { kind: 'client', ...timedOut }),
      ]),
    );
    const chain = r.traceErrors[0]!.chains[0]!;
    expect(chain.errorType).toBe('timeout');
    expect(chain.slowCallee).toBe(true);
    expect(chain.calleeSpans).toBe(2);
    expect(chain.spans.map((x) => x.spanId.slice(-1))).toEqual(['e', 'c', 'b', 'a']);
    expect(chain.path).toEqual(['inv', 'web']);
  });

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
  //   c serves b (another service) and failed with no failed callee: it raised the error, type http5xx
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
    expect(chain!.errorType).toBe('http5xx');
    expect(chain!.evidence).toEqual([
      'error mark on a server span with no failed callee and no status code recorded: a server error',
    ]);
    expect(r.rootCauses[0]!.service).toBe('cart');
    // One trace, one type: 1 × 1 × sqrt(1/20) = 0.22, × 0.7 for tag-only data.
    expect(r.hypotheses[0]!.confidence).toBe(0.16);
    expect(r.hypotheses[0]!.evidence).toContain(
      'no status codes in the data: failures of unmarked callers and error types inferred from timing',
    );
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

describe('errorPropagation: which of several failed children caused the parent to fail', () => {
  //   a gateway GET /cart        |=================================|  0..100  503
  //   b gateway → session           |====|                             5..15   ECONNREFUSED (no server span)   issued first
  //   c gateway → fraud              |===================|             6..60   503 (client)
  //   d fraud   GET /check             |=================|             7..59   503 (its own call to session refused)
  //   e fraud   → session                  |==|                        20..25  ECONNREFUSED
  //   cause of a: b — both agree with a 503 (refused, or a 503), and b was issued first; c's chain is independent
  it('prefers the first call made among children whose error agrees, not the one with the same HTTP code', () => {
    const t = nextTrace();
    const refused = {
      kind: 'client',
      statusCode: 'error',
      statusMessage: 'connect ECONNREFUSED 10.0.0.9:8080',
      attributes: { 'peer.service': 'session' },
    } as const;
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'gateway', 'GET /cart', 0, 100, { kind: 'server', ...err(503) }),
      span(t, 'b', 'a', 'gateway', 'PUT /session', 5, 15, refused),
      span(t, 'c', 'a', 'gateway', 'GET /check', 6, 60, { kind: 'client', ...err(503) }),
      span(t, 'd', 'c', 'fraud', 'GET /check', 7, 59, { kind: 'server', ...err(503) }),
      span(t, 'e', 'd', 'fraud', 'PUT /session', 20, 25, refused),
    ]);
    const trace = errorPropagation(table).traceErrors[0]!;
    expect(trace.chains[0]!.path).toEqual(['session', 'gateway']);
    expect(trace.chains[0]!.spans.map((s) => s.spanId.slice(-1))).toEqual(['', 'b', 'a']);
    expect(trace.chains[1]).toMatchObject({ kind: 'independent', path: ['session', 'fraud', 'gateway'] });
  });

  //   a shop  POST /order        |=================================|  0..100  500 "call to inventory failed: HTTP 500"
  //   b shop  → pricing             |======|                           5..30   500 (client), issued first
  //   c shop  → inventory            |==========|                      6..40   500 (client, url http://inventory:8080/stock)
  //   cause of a: c — the parent's message names inventory
  it('takes the child the parent message names (callee host) over the first call made', () => {
    const t = nextTrace();
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'shop', 'POST /order', 0, 100, {
        kind: 'server',
        ...err(500, 'call to inventory failed: HTTP 500'),
      }),
      span(t, 'b', 'a', 'shop', 'GET /price', 5, 30, {
        kind: 'client',
        statusCode: 'error',
        attributes: { 'http.response.status_code': 500, 'url.full': 'http://pricing:8080/price' },
      }),
      span(t, 'c', 'a', 'shop', 'GET /stock', 6, 40, {
        kind: 'client',
        statusCode: 'error',
        attributes: { 'http.response.status_code': 500, 'url.full': 'http://inventory:8080/stock' },
      }),
    ]);
    const trace = errorPropagation(table).traceErrors[0]!;
    expect(trace.chains[0]!.path).toEqual(['inventory', 'shop']);
    expect(trace.chains[1]).toMatchObject({ kind: 'independent', path: ['pricing', 'shop'] });
  });

  //   a api   GET /orders        |=================================|  0..100  503
  //   b api   → users               |=====|                            5..20   503 (client)  the caller carried on:
  //   c api   → reviews                       |=========|              30..60  503 (client)  a later call failed
  //   cause of a: c; b is a handled error (fallback: api moved on after it)
  it('blames the later failure when the caller carried on after an earlier failed call', () => {
    const t = nextTrace();
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'api', 'GET /orders', 0, 100, { kind: 'server', ...err(503) }),
      span(t, 'b', 'a', 'api', 'POST /users', 5, 20, {
        kind: 'client',
        ...err(503),
        attributes: { 'http.response.status_code': 503, 'peer.service': 'users' },
      }),
      span(t, 'c', 'a', 'api', 'GET /reviews', 30, 60, {
        kind: 'client',
        ...err(503),
        attributes: { 'http.response.status_code': 503, 'peer.service': 'reviews' },
      }),
    ]);
    const r = errorPropagation(table);
    const trace = r.traceErrors[0]!;
    expect(trace.chains.map((x) => [x.kind, x.handling, x.path.join('>')])).toEqual([
      ['propagated', null, 'reviews>api'],
      ['handled', 'fallback', 'users>api'],
    ]);
    expect(trace.origins).toBe(1);
    expect(r.rootCauses.map((x) => x.service)).toEqual(['reviews']);
  });

  //   a api   GET /orders        |=================================|  0..100  503
  //   b api   → users               |=====|                            5..20   503 (client, first attempt)
  //   c api   → reviews                |================|              8..60   503 (client)  beside b
  //   d api   → users                          |====|                  25..33  503 (client, retry of b)
  //   cause of a: c (issued before d's retry loop ended, but b's loop began beside it: no "moving on")
  it('treats a retry loop as one call when deciding whether the caller carried on', () => {
    const t = nextTrace();
    const users = { kind: 'client', ...err(503), attributes: { 'http.response.status_code': 503 } } as const;
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'api', 'GET /orders', 0, 100, { kind: 'server', ...err(503) }),
      span(t, 'b', 'a', 'api', 'POST /users', 5, 20, users),
      span(t, 'c', 'a', 'api', 'GET /reviews', 8, 60, { kind: 'client', ...err(503) }),
      span(t, 'd', 'a', 'api', 'POST /users', 25, 33, users),
    ]);
    const trace = errorPropagation(table).traceErrors[0]!;
    expect(trace.chains[0]!.spans.map((s) => s.spanId.slice(-1))).toEqual(['d', 'a']);
    expect(trace.chains.find((x) => x.spans[0]!.spanId.endsWith('c'))!.kind).toBe('independent');
    expect(trace.chains.find((x) => x.spans[0]!.spanId.endsWith('b'))!.handling).toBe('retry');
  });

  //   a web   GET /              |=================================|  0..100  200
  //   b web   → catalog             |===================|              5..60   503 (client)   ← absorbed by a
  //   c catalog GET /items            |=================|              6..59   503
  //   d catalog → session                |==|                          10..14  ECONNREFUSED  cause of c
  //   e catalog → fraud                  |========|                     11..40  503 (client)  independent of c's cause
  //   the whole error tree under b was absorbed: the trace did not fail, e's chain is handled too
  it('counts a second origin as handled when the chain it sits beside was handled further up', () => {
    const t = nextTrace();
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'web', 'GET /', 0, 100, { kind: 'server', ...ok() }),
      span(t, 'b', 'a', 'web', 'GET /items', 5, 60, { kind: 'client', ...err(503) }),
      span(t, 'c', 'b', 'catalog', 'GET /items', 6, 59, { kind: 'server', ...err(503) }),
      span(t, 'd', 'c', 'catalog', 'PUT /session', 10, 14, {
        kind: 'client',
        statusCode: 'error',
        statusMessage: 'connect ECONNREFUSED 10.0.0.9:8080',
        attributes: { 'peer.service': 'session' },
      }),
      span(t, 'e', 'c', 'catalog', 'GET /fraud', 11, 40, { kind: 'client', ...err(503) }),
    ]);
    const r = errorPropagation(table);
    expect(r.failedTraces).toBe(0);
    expect(r.tracesWithHandledErrors).toBe(1);
    expect(r.traceErrors[0]!.chains.map((x) => [x.kind, x.handling, x.handledBy?.spanId.slice(-1)])).toEqual([
      ['handled', 'fallback', 'a'],
      ['handled', 'fallback', 'a'],
    ]);
  });
});

describe('errorPropagation: call sites learnt over the traces (data with status)', () => {
  //   × 6 traces   a web GET /      |==========================|  0..100  200
  //                b web → recs        |=====|                     5..20   503   (recs fails alone: web answers 200)
  //                d web → cart        |==========|                6..30   200
  //   then         a web GET /      |==========================|  0..100  503
  //                b web → recs        |=====|                     5..20   503   started first, same code
  //                d web → cart         |==========|               6..30   503
  //   web survives every failure of recs alone: beside cart, recs is not what failed web (fallback, handled)
  it('does not blame a call its callers survive when it fails alone, beside another failed call', () => {
    const rows: SpanInput[] = [];
    const client = (http: number) => ({ kind: 'client' as const, ...(http >= 500 ? err(http) : ok(http)) });
    for (let i = 0; i < 6; i++) {
      const t = nextTrace();
      rows.push(span(t, 'a', undefined, 'web', 'GET /', 0, 100, { kind: 'server', ...ok() }));
      rows.push(span(t, 'b', 'a', 'web', 'GET /recs', 5, 20, client(503)));
      rows.push(span(t, 'd', 'a', 'web', 'GET /cart', 6, 30, client(200)));
    }
    const t = nextTrace();
    rows.push(span(t, 'a', undefined, 'web', 'GET /', 0, 100, { kind: 'server', ...err(503) }));
    rows.push(span(t, 'b', 'a', 'web', 'GET /recs', 5, 20, client(503)));
    rows.push(span(t, 'd', 'a', 'web', 'GET /cart', 6, 30, client(503)));
    const r = errorPropagation(spanTableFromRows(rows));
    expect(r.failedTraces).toBe(1);
    const last = r.traceErrors.find((x) => x.failed)!;
    expect(last.chains.map((x) => [x.kind, x.handling, x.spans[0]!.spanId.slice(-1)])).toEqual([
      ['propagated', null, 'd'],
      ['handled', 'fallback', 'b'],
    ]);
    expect(last.origins).toBe(1);
  });
});

describe('errorPropagation on tag-only data (no kind, no status, no codes): timing and call-site rules', () => {
  const tag = { attributes: { error: true } };
  const url = (host: string) => ({ attributes: { 'http.url': `http://${host}:8080/x` } });
  const urlTagged = (host: string) => ({ attributes: { 'http.url': `http://${host}:8080/x`, error: true } });
  /** Five traces in which cart's call to users reached a users server span. */
  const usualCartCalls = (): SpanInput[] => {
    const rows: SpanInput[] = [];
    for (let i = 0; i < 5; i++) {
      const t = nextTrace();
      rows.push(span(t, 'a', undefined, 'cart', 'GET /cart', 0, 50));
      rows.push(span(t, 'b', 'a', 'cart', 'GET /u', 5, 20, url('users')));
      rows.push(span(t, 'c', 'b', 'users', 'GET /u', 6, 19));
    }
    return rows;
  };

  //   × 10 traces   a web GET /     |=========================|  0..100   (no tag)
  //                 b web → recs       |=====|                      5..20   error=true
  //   × 10 traces   a web GET /     |=========================|  0..100   error=true
  //                 b web → cart       |=====|                      5..20   error=true
  //   web's call to recs failed 10 times and web never carried the mark: that call site absorbs failures, so a
  //   trace with a failed recs call and an unmarked root is not failed; the same shape through cart is.
  it('learns over the traces which call sites absorb failures', () => {
    const rows: SpanInput[] = [];
    for (let i = 0; i < 21; i++) {
      const t = nextTrace();
      const recs = i < 10 || i === 20;
      rows.push(span(t, 'a', undefined, 'web', 'GET /', 0, 100, recs ? {} : i < 20 ? tag : {}));
      rows.push(span(t, 'b', 'a', 'web', recs ? 'GET /recs' : 'GET /cart', 5, 20, tag));
    }
    // One more cart failure with an unmarked root: implied to have failed with it.
    const last = nextTrace();
    rows.push(span(last, 'a', undefined, 'web', 'GET /', 0, 100));
    rows.push(span(last, 'b', 'a', 'web', 'GET /cart', 5, 20, tag));
    const r = errorPropagation(spanTableFromRows(rows));
    const byTrace = r.traceErrors.map((x) => x.failed);
    expect(byTrace.slice(0, 10)).toEqual(Array(10).fill(false));
    expect(byTrace.slice(10, 20)).toEqual(Array(10).fill(true));
    expect(byTrace[20]).toBe(false);
    expect(byTrace[21]).toBe(true);
    expect(r.traceErrors[0]!.chains[0]).toMatchObject({ kind: 'handled', handling: 'fallback' });
  });

  //   × 10 traces   a web GET /     |=========================|  0..100   (no tag)
  //                 b web → recs       |=====|                      5..20   (no tag)
  //                 c recs GET /recs    |===|                       6..19   error=true
  //   then the same with b tagged, 10 times: web never carries the mark when its call to recs fails, so that call
  //   site absorbs failures — also in the first 10 traces, where the call's own mark is missing too
  it('applies an absorbing call site when the failed call in between lost its mark as well', () => {
    const rows: SpanInput[] = [];
    for (let i = 0; i < 20; i++) {
      const t = nextTrace();
      rows.push(span(t, 'a', undefined, 'web', 'GET /', 0, 100));
      rows.push(span(t, 'b', 'a', 'web', 'GET /recs', 5, 20, i < 10 ? url('recs') : urlTagged('recs')));
      rows.push(span(t, 'c', 'b', 'recs', 'GET /recs', 6, 19, tag));
    }
    const r = errorPropagation(spanTableFromRows(rows));
    expect(r.failedTraces).toBe(0);
    expect(r.tracesWithHandledErrors).toBe(20);
    expect(r.traceErrors[0]!.chains[0]).toMatchObject({ kind: 'handled', handling: 'fallback', path: ['recs', 'web'] });
  });

  //   a shop GET /order  |=================================|  0..100   (no tag)
  //   b shop → pricing      |=====|                            5..20   error=true
  //   c shop → stock                 |=======|                 30..50  (no tag): shop went on after b failed
  //   the caller carried on: b is handled (fallback) and the trace is not failed
  it('reads a call made after a failed call as the caller carrying on (a fallback)', () => {
    const t = nextTrace();
    const r = errorPropagation(
      spanTableFromRows([
        span(t, 'a', undefined, 'shop', 'GET /order', 0, 100),
        span(t, 'b', 'a', 'shop', 'GET /price', 5, 20, urlTagged('pricing')),
        span(t, 'c', 'a', 'shop', 'GET /stock', 30, 50, url('stock')),
      ]),
    );
    expect(r.failedTraces).toBe(0);
    expect(r.traceErrors[0]!.chains[0]).toMatchObject({ kind: 'handled', handling: 'fallback' });
  });

  //   a web  GET /            |==========================|            0..1200   error=true
  //   b web  → orders           |=======================|             5..1005   (no tag), 1.000 s: a round limit
  //   c orders GET /orders       |==================================| 6..3000  (no tag), still running after b
  //   b gave up on c: an inferred timeout, blamed on the slow callee c
  it('infers a timeout from a call that ended at a round limit while its callee kept running', () => {
    const t = nextTrace();
    const r = errorPropagation(
      spanTableFromRows([
        span(t, 'a', undefined, 'web', 'GET /', 0, 1200, tag),
        span(t, 'b', 'a', 'web', 'GET /orders', 5, 1005, url('orders')),
        span(t, 'c', 'b', 'orders', 'GET /orders', 6, 3000),
      ]),
    );
    const chain = r.traceErrors[0]!.chains[0]!;
    expect(chain.path).toEqual(['orders', 'web']);
    expect(chain.errorType).toBe('timeout');
    expect(chain.slowCallee).toBe(true);
    expect(chain.evidence[0]).toBe('no error mark: failure inferred from timing');
    expect(chain.spans.map((s) => [s.spanId.slice(-1), s.errorType])).toEqual([
      ['c', null],
      ['b', 'timeout'],
      ['a', 'other'],
    ]);
  });

  //   × 5 traces  a cart GET /cart |====================|  0..50   b cart → users |====| 5..20   c users GET /u 6..19
  //   then        a cart GET /cart |====================|  0..60   error=true
  //               b cart → users      |=|                   5..6    error=true, no server span
  //               d cart → users               |=|          20..21  no tag, no server span: a repeat that reached
  //                                                                 nothing either
  //   d is the inferred origin (no server span where that call has one): users unavailable; b is a handled retry
  it('blames the callee when an unmarked repeat of a failed call reached nothing either', () => {
    const rows = usualCartCalls();
    const t = nextTrace();
    rows.push(span(t, 'a', undefined, 'cart', 'GET /cart', 0, 60, tag));
    rows.push(span(t, 'b', 'a', 'cart', 'GET /u', 5, 6, urlTagged('users')));
    rows.push(span(t, 'd', 'a', 'cart', 'GET /u', 20, 21, url('users')));
    const r = errorPropagation(spanTableFromRows(rows));
    expect(r.failedTraces).toBe(1);
    const chains = r.traceErrors[0]!.chains;
    expect(chains[0]).toMatchObject({ kind: 'propagated', path: ['users', 'cart'], errorType: 'unavailable' });
    expect(chains[0]!.spans.map((x) => x.spanId.slice(-1))).toEqual(['', 'd', 'a']);
    expect(chains[1]).toMatchObject({ kind: 'handled', handling: 'retry' });
  });

  //   × 5 traces  a cart GET /cart  |====================|  0..50        b cart → users |====| 5..20 (no tag)
  //                                                                     c users GET /u   |==| 6..19
  //   then        a cart GET /cart  |====================|  0..50   error=true
  //               b cart → users       |=|                   5..6    (no tag) and no server span under it,
  //   where this call always had one: it never reached users (unavailable), the origin of a's failure
  it('infers an unreachable callee from a call that left no server span where it usually has one', () => {
    const rows = usualCartCalls();
    const t = nextTrace();
    rows.push(span(t, 'a', undefined, 'cart', 'GET /cart', 0, 50, tag));
    rows.push(span(t, 'b', 'a', 'cart', 'GET /u', 5, 6, url('users')));
    const r = errorPropagation(spanTableFromRows(rows));
    expect(r.failedTraces).toBe(1);
    const chain = r.traceErrors[0]!.chains[0]!;
    expect(chain.path).toEqual(['users', 'cart']);
    expect(chain.errorType).toBe('unavailable');
    expect(chain.spans[0]).toMatchObject({ service: 'users', observed: false });
  });
});

describe('errorPropagation on exports of real fault-injection experiments (Jaeger, Zipkin, OTel gRPC)', () => {
  const tag = { attributes: { error: true } };
  // What ingest's Jaeger and Zipkin decoders make of `error=true`: the tag, and status ERROR.
  const jaegerError = (extra: Record<string, string | number | boolean> = {}): Partial<SpanInput> => ({
    statusCode: 'error',
    attributes: { error: true, ...extra },
  });

  //   a web  GET /checkout  |============================|  0..100   error=true
  //   b web  → pay             |==========|                 5..40    error=true   (the one call a made)
  //   c pay  POST /charge        |========|                  6..39    no tag: the mark is missing
  //   the failed call b reached c, and nothing failed below c: c raised the error (5xx), its tag was dropped
  it('blames the server span under a failed call when its own error tag is missing (tag-only data)', () => {
    const t = nextTrace();
    const r = errorPropagation(
      spanTableFromRows([
        span(t, 'a', undefined, 'web', 'GET /checkout', 0, 100, tag),
        span(t, 'b', 'a', 'web', 'POST /charge', 5, 40, { attributes: { error: true, 'http.url': 'http://pay/x' } }),
        span(t, 'c', 'b', 'pay', 'POST /charge', 6, 39),
      ]),
    );
    const chain = r.traceErrors[0]!.chains[0]!;
    expect(chain.path).toEqual(['pay', 'web']);
    expect(chain.errorType).toBe('http5xx');
    expect(chain.spans.map((s) => [s.spanId.slice(-1), s.failed])).toEqual([
      ['c', false],
      ['b', true],
      ['a', true],
    ]);
    expect(chain.evidence[0]).toBe('no error mark: the only call of a failed caller, with nothing failed below it');
    expect(r.rootCauses[0]!.service).toBe('pay');
  });

  //   a web   GET /        |==========================|  0..100   (no tag, status UNSET)
  //   b web   → cart          |=========|                  5..40   error=true → status ERROR (Jaeger decoder)
  //   c cart  GET /cart         |======|                   6..39   error=true → status ERROR
  //   no kinds, no codes, no status OK anywhere: status ERROR is only the tag, so the unmarked root is unknown,
  //   not a success — it failed with its call (with status read as known, the trace would count as handled)
  it('reads status ERROR on kind-less spans with no codes as error tags, not as known status', () => {
    const t = nextTrace();
    const table = spanTableFromRows([
      span(t, 'a', undefined, 'web', 'GET /', 0, 100),
      span(t, 'b', 'a', 'web', 'GET /cart', 5, 40, jaegerError()),
      span(t, 'c', 'b', 'cart', 'GET /cart', 6, 39, jaegerError()),
    ]);
    const r = errorPropagation(table);
    expect(r.failedTraces).toBe(1);
    expect(r.traceErrors[0]!.chains[0]).toMatchObject({ kind: 'propagated', path: ['cart', 'web'] });
    expect(errorPropagation(table, { statusKnown: true }).failedTraces).toBe(0);
  });

  //   a front  GET /home   |=================================|  0..2800  http.status_code "504" (text), error=true
  //   b front  → recs         |============================|     5..2705  error=true, log {error.kind TimeoutError,
  //                                                                          message "deadline exceeded"}
  //   c recs   GET /recs       |===============|                  6..1500  http.status_code "200"
  //   the OpenTracing error log names the timeout; HTTP codes arrive as strings
  it('types a failure by its OpenTracing error log and reads HTTP codes written as text', () => {
    const t = nextTrace();
    const r = errorPropagation(
      spanTableFromRows([
        span(t, 'a', undefined, 'front', 'GET /home', 0, 2800, jaegerError({ 'http.status_code': '504' })),
        span(t, 'b', 'a', 'front', 'GET /recs', 5, 2705, {
          ...jaegerError({ 'http.url': 'http://recs:8080/recs' }),
          events: [
            {
              timeUnixNano: (BASE + 2_705_000_000n).toString(),
              name: 'error',
              attributes: { 'error.kind': 'TimeoutError', message: 'deadline exceeded' },
            },
          ],
        }),
        span(t, 'c', 'b', 'recs', 'GET /recs', 6, 1500, { attributes: { 'http.status_code': '200' } }),
      ]),
    );
    const chain = r.traceErrors[0]!.chains[0]!;
    expect(chain.path).toEqual(['front']);
    expect(chain.errorType).toBe('timeout');
    expect(chain.evidence).toContain('error log "TimeoutError: deadline exceeded"');
    expect(r.byType.timeout).toBe(1);
  });

  //   a frontend  /hipstershop.CheckoutService/PlaceOrder |======================|  0..80  grpc 14, status ERROR
  //   b frontend  → checkout                                 |==================|   2..78  grpc 14
  //   c checkout  /hipstershop.CheckoutService/PlaceOrder      |================|    3..77  grpc 14
  //   d checkout  → payment                                      |=|                 10..11 grpc 14, no server span
  //   e checkout  → cart                                    |====|                   4..9   grpc 0
  //   Online Boutique through OTel and Jaeger: no kinds, only gRPC codes; payment refused the connection
  it('follows gRPC status codes (UNAVAILABLE) down to the callee that left no span', () => {
    const t = nextTrace();
    const grpc = (code: number, extra: Record<string, string> = {}): Partial<SpanInput> => ({
      ...(code === 0 ? {} : { statusCode: 'error' as const }),
      attributes: { 'rpc.system': 'grpc', 'rpc.grpc.status_code': code, ...extra },
    });
    const r = errorPropagation(
      spanTableFromRows([
        span(t, 'a', undefined, 'frontend', '/hipstershop.CheckoutService/PlaceOrder', 0, 80, grpc(14)),
        span(t, 'b', 'a', 'frontend', '/hipstershop.CheckoutService/PlaceOrder', 2, 78, grpc(14)),
        span(t, 'c', 'b', 'checkout', '/hipstershop.CheckoutService/PlaceOrder', 3, 77, grpc(14)),
        span(t, 'e', 'c', 'checkout', '/hipstershop.CartService/GetCart', 4, 9, grpc(0)),
        span(
          t,
          'd',
          'c',
          'checkout',
          '/hipstershop.PaymentService/Charge',
          10,
          11,
          grpc(14, { 'peer.service': 'payment' }),
        ),
      ]),
    );
    const chain = r.traceErrors[0]!.chains[0]!;
    expect(chain.path).toEqual(['payment', 'checkout', 'frontend']);
    expect(chain.errorType).toBe('unavailable');
    expect(chain.evidence).toContain('gRPC UNAVAILABLE (14)');
    expect(r.rootCauses.map((x) => x.service)).toEqual(['payment']);
  });
});

describe('errorPropagation on a selection of the traces (baselineTraces, traceWeights, traces)', () => {
  const tag = { attributes: { error: true } };
  const url = (host: string) => ({ attributes: { 'http.url': `http://${host}:8080/x` } });
  /** Flags per trace of the table's tree, 1 for the traces whose id is in `ids`. */
  const flags = (table: ReturnType<typeof spanTableFromRows>, ids: Set<string>): Uint8Array => {
    const { traces } = buildTraceTree(table);
    const out = new Uint8Array(traces.traceCount);
    for (let t = 0; t < traces.traceCount; t++) {
      if (ids.has(traceIdAt(table, traces.rows[traces.offsets[t]!]!))) out[t] = 1;
    }
    return out;
  };

  //   × 5 baseline  a cart GET /cart  |====================|  0..50        b cart → users |====| 5..20 (no tag)
  //                                                                        c users GET /u   |==| 6..19
  //   then          a cart GET /cart  |====================|  0..50   error=true
  //                 b cart → users       |=|                   5..6    (no tag), no server span under it
  //   of a window of 40 traces: the 5 successful ones are a sample, loaded only to learn that cart's call to
  //   users usually reaches a users server span; the answer is the one over the whole table
  it('learns from baseline traces without counting them, and takes the window size from options.traces', () => {
    const rows: SpanInput[] = [];
    const baselineIds = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const t = nextTrace();
      baselineIds.add(t.padStart(32, '0'));
      rows.push(span(t, 'a', undefined, 'cart', 'GET /cart', 0, 50));
      rows.push(span(t, 'b', 'a', 'cart', 'GET /u', 5, 20, url('users')));
      rows.push(span(t, 'c', 'b', 'users', 'GET /u', 6, 19));
    }
    const t = nextTrace();
    rows.push(span(t, 'a', undefined, 'cart', 'GET /cart', 0, 50, tag));
    rows.push(span(t, 'b', 'a', 'cart', 'GET /u', 5, 6, url('users')));
    const table = spanTableFromRows(rows);
    const full = errorPropagation(table);
    const selected = errorPropagation(table, { baselineTraces: flags(table, baselineIds), traces: 40 });
    expect(full.traces).toBe(6);
    expect(selected.traces).toBe(40);
    expect(selected.failedTraces).toBe(1);
    expect(selected.errorRate).toBe(1 / 40);
    expect(selected.baselineTracesWithErrors).toBe(0);
    expect(selected.rootCauses).toEqual(full.rootCauses);
    expect(selected.propagationPaths).toEqual([{ path: ['users', 'cart'], traces: 1, errorType: 'unavailable' }]);
    expect(selected.traceErrors).toEqual(full.traceErrors);
    // Without the baseline the failed trace alone cannot tell that the call usually reaches a server.
    const alone = errorPropagation(spanTableFromRows(rows.slice(15)));
    expect(alone.propagationPaths[0]!.path).toEqual(['cart']);
  });

  //   the call-site case above ('does not blame a call its callers survive ...'), with 2 of the 6 traces where
  //   recs failed alone loaded, each weighing 3: the call site still has 6 sole failures (≥ 5), so recs is still a
  //   fallback beside cart; unweighted, 2 cases are too few to learn from and recs, the first call, is blamed
  it('learns call-site statistics from weighted traces as from the traces they stand for', () => {
    const rows: SpanInput[] = [];
    const client = (http: number) => ({ kind: 'client' as const, ...(http >= 500 ? err(http) : ok(http)) });
    for (let i = 0; i < 2; i++) {
      const t = nextTrace();
      rows.push(span(t, 'a', undefined, 'web', 'GET /', 0, 100, { kind: 'server', ...ok() }));
      rows.push(span(t, 'b', 'a', 'web', 'GET /recs', 5, 20, client(503)));
      rows.push(span(t, 'd', 'a', 'web', 'GET /cart', 6, 30, client(200)));
    }
    const t = nextTrace();
    rows.push(span(t, 'a', undefined, 'web', 'GET /', 0, 100, { kind: 'server', ...err(503) }));
    rows.push(span(t, 'b', 'a', 'web', 'GET /recs', 5, 20, client(503)));
    rows.push(span(t, 'd', 'a', 'web', 'GET /cart', 6, 30, client(503)));
    const table = spanTableFromRows(rows);
    const origin = (r: ReturnType<typeof errorPropagation>) =>
      r.traceErrors.find((x) => x.failed)!.chains[0]!.spans[0]!.spanId.slice(-1);
    expect(origin(errorPropagation(table, { traceWeights: new Float64Array([3, 3, 1]) }))).toBe('d');
    expect(origin(errorPropagation(table))).toBe('b');
  });

  it('counts a baseline trace that holds a failed span only in baselineTracesWithErrors', () => {
    const rows: SpanInput[] = [];
    const a = nextTrace();
    rows.push(span(a, 'a', undefined, 'web', 'GET /', 0, 100, { kind: 'server', ...err(500) }));
    const b = nextTrace();
    rows.push(span(b, 'a', undefined, 'web', 'GET /', 0, 100, { kind: 'server', ...err(503) }));
    const table = spanTableFromRows(rows);
    const r = errorPropagation(table, { baselineTraces: flags(table, new Set([b.padStart(32, '0')])), traces: 10 });
    expect(r.failedTraces).toBe(1);
    expect(r.baselineTracesWithErrors).toBe(1);
    expect(r.byType.http5xx).toBe(1);
  });

  //   × 3 (weight 2)  a web GET /  |==========|  500      b web → pay   |===|  503, peer.service pay
  //   × 1 (weight 1)  a web GET /  |==========|  500      b web → stock |===|  504 (timeout)
  //   a stratified sample: 3 of 6 traces of the first kind and 1 of 1 of the second were loaded
  it('weighs each trace by the traces it stands for and rounds the counts', () => {
    const rows: SpanInput[] = [];
    for (let i = 0; i < 4; i++) {
      const t = nextTrace();
      const pay = i < 3;
      rows.push(span(t, 'a', undefined, 'web', 'GET /', 0, 100, { kind: 'server', ...err(500) }));
      rows.push(
        span(t, 'b', 'a', 'web', pay ? 'POST /pay' : 'GET /stock', 5, 40, {
          kind: 'client',
          statusCode: 'error',
          attributes: { 'http.response.status_code': pay ? 503 : 504, 'peer.service': pay ? 'pay' : 'stock' },
        }),
      );
    }
    const table = spanTableFromRows(rows);
    const r = errorPropagation(table, { traceWeights: new Float64Array([2, 2, 2, 1]), traces: 50 });
    expect(r.failedTraces).toBe(7);
    expect(r.errorRate).toBe(7 / 50);
    expect(r.failedSpans).toBe(14);
    expect(r.byType).toEqual({ timeout: 1, http5xx: 6, http4xx: 0, unavailable: 0, business: 0, other: 0 });
    expect(r.rootCauses.map((x) => [x.service, x.traces, x.share])).toEqual([
      ['pay', 6, 6 / 7],
      ['stock', 1, 1 / 7],
    ]);
    expect(r.rootCauses[0]!.evidence[0]).toBe('6 of 7 failed traces (86%) originate in pay');
    expect(r.propagationPaths).toEqual([
      { path: ['pay', 'web'], traces: 6, errorType: 'http5xx' },
      { path: ['stock', 'web'], traces: 1, errorType: 'timeout' },
    ]);
    expect(() => errorPropagation(table, { traceWeights: new Float64Array(2) })).toThrow(
      'error-propagation: options.traceWeights has 2 entries, expected 4 (one per trace)',
    );
  });
});
