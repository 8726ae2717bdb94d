import type { SpanTable } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { diffTraces, type TraceDiff } from '../src/index.ts';
import { pathFromPieces, traceFromRows } from './fixture.ts';

const N = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const A = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

/** Sum of every reported contribution, ms. */
function contributionSum(d: TraceDiff): number {
  let s = 0;
  for (const c of d.changed) s += c.contributionMs;
  for (const c of d.added) s += c.contributionMs;
  for (const c of d.removed) s += c.contributionMs;
  return s;
}

function expectSumsToTotal(d: TraceDiff): void {
  expect(Math.abs(contributionSum(d) - d.durationDiffMs)).toBeLessThanOrEqual(
    1e-9 * Math.max(1, Math.abs(d.durationDiffMs)),
  );
}

describe('diffTraces', () => {
  describe('slow span', () => {
    // normal                                           abnormal
    // 1 api GET /checkout |==================|  0..200    |==================...==========|  0..5000
    // 2 inventory SELECT     |=|               20..32       |========...======|             20..4832
    // 3 payment charge           |========|    40..140                          |=====|     4840..4940
    // critical paths: api, inventory, api, payment, api (on both sides)
    // inventory explains 4812 − 12 = 4800 ms = 100% of the difference; api and payment 0.
    const stmt = { attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT qty FROM stock WHERE sku = 7' } };
    const normal = traceFromRows(N, [
      ['1', '', 'api', 'GET /checkout', 0, 200],
      ['2', '1', 'inventory', 'SELECT stock', 20, 32, stmt],
      ['3', '1', 'payment', 'charge', 40, 140],
    ]);
    const abnormal = traceFromRows(A, [
      ['11', '', 'api', 'GET /checkout', 0, 5000],
      ['12', '11', 'inventory', 'SELECT stock', 20, 4832, stmt],
      ['13', '11', 'payment', 'charge', 4840, 4940],
    ]);
    const criticalPath = pathFromPieces(abnormal, [
      ['11', 4940, 5000],
      ['13', 4840, 4940],
      ['11', 4832, 4840],
      ['12', 20, 4832],
      ['11', 0, 20],
    ]);
    const normalCriticalPath = pathFromPieces(normal, [
      ['1', 140, 200],
      ['3', 40, 140],
      ['1', 32, 40],
      ['2', 20, 32],
      ['1', 0, 20],
    ]);
    const d = diffTraces(normal, abnormal, { criticalPath, normalCriticalPath });

    it('reports both durations and the exact difference', () => {
      expect(d.normal).toMatchObject({ traceId: N, durationMs: 200, spanCount: 3, serviceCount: 3 });
      expect(d.abnormal).toMatchObject({ traceId: A, durationMs: 5000, spanCount: 3 });
      expect(d.durationDiffMs).toBe(4800);
      expect(d.durationDiffNano).toBe(4_800_000_000);
      expect(d.attribution).toBe('critical-path');
    });

    it('pairs the spans by structure despite different span ids', () => {
      expect(d.added).toEqual([]);
      expect(d.removed).toEqual([]);
      expect(d.aligned.map((x) => [x.depth, x.service, x.mark])).toEqual([
        [0, 'api', 'changed'],
        [1, 'inventory', 'changed'],
        [1, 'payment', 'same'],
      ]);
    });

    it('attributes the whole difference to the slow span', () => {
      expect(d.changed[0]).toMatchObject({
        service: 'inventory',
        operation: 'SELECT stock',
        normalMs: 12,
        abnormalMs: 4812,
        diffMs: 4800,
        relativeChange: 400,
        contributionMs: 4800,
        share: 1,
        criticalPathMs: 4812,
      });
      expect(d.changed.find((c) => c.service === 'api')).toMatchObject({ diffMs: 4800, contributionMs: 0 });
      expectSumsToTotal(d);
    });

    it('words a hypothesis naming the span, the change and the share', () => {
      expect(d.hypotheses[0]).toMatchObject({ kind: 'slower', service: 'inventory', share: 1 });
      expect(d.hypotheses[0]!.text).toBe(
        'inventory SELECT stock took 4,812 ms instead of 12 ms (+40,000%) and explains 100% of the 4.8 s difference; ' +
          'the time is spent in the span itself, not in its child calls.',
      );
      expect(d.hypotheses[0]!.confidence).toBeGreaterThan(0.85);
      expect(d.hypotheses[0]!.evidence).toContain('4,812 ms on the abnormal critical path');
    });

    it('estimates the normal side when only the abnormal critical path is given, and says so', () => {
      const e = diffTraces(normal, abnormal, { criticalPath });
      expect(e.attribution).toBe('critical-path-estimated');
      expect(e.changed[0]).toMatchObject({ service: 'inventory', contributionMs: 4800 });
      expect(e.warnings.some((w) => w.includes('no normal critical path'))).toBe(true);
      expectSumsToTotal(e);
    });

    it('falls back to exclusive-time attribution without a critical path, and says so', () => {
      const e = diffTraces(normal, abnormal);
      expect(e.attribution).toBe('exclusive-time');
      expect(e.changed[0]).toMatchObject({ service: 'inventory', contributionMs: 4800 });
      expect(e.warnings.some((w) => w.includes('exclusive-time'))).toBe(true);
      expectSumsToTotal(e);
    });
  });

  describe('added retry', () => {
    // normal                                    abnormal
    // 1 api GET /cart   |==========|  0..100    |==============================|  0..300
    // 2 cart getCart       |====|     10..50       |===================|          10..210  error (timeout)
    // 3 cart getCart                                                    |====|    220..260 ok (the retry)
    // The first call pairs with the normal one (rank, start, status); the retry is new.
    // contributions: first call 200 − 40 = 160; retry 40 + the 10 ms back-off (api's path time 210..220 between the
    // failure and the retry) = 50; api (10+10+40) − (10+50) − 10 = −10.
    const normal = traceFromRows(N, [
      ['1', '', 'api', 'GET /cart', 0, 100],
      ['2', '1', 'cart', 'getCart', 10, 50, { statusCode: 'ok' }],
    ]);
    const abnormal = traceFromRows(A, [
      ['11', '', 'api', 'GET /cart', 0, 300],
      ['12', '11', 'cart', 'getCart', 10, 210, { statusCode: 'error', statusMessage: 'deadline exceeded' }],
      ['13', '11', 'cart', 'getCart', 220, 260, { statusCode: 'ok' }],
    ]);
    const d = diffTraces(normal, abnormal, {
      criticalPath: pathFromPieces(abnormal, [
        ['11', 260, 300],
        ['13', 220, 260],
        ['11', 210, 220],
        ['12', 10, 210],
        ['11', 0, 10],
      ]),
      normalCriticalPath: pathFromPieces(normal, [
        ['1', 50, 100],
        ['2', 10, 50],
        ['1', 0, 10],
      ]),
    });

    it('reports the retry as a new call with its contribution', () => {
      expect(d.added).toEqual([
        expect.objectContaining({
          service: 'cart',
          operation: 'getCart',
          spanId: '0000000000000013',
          parentService: 'api',
          durationMs: 40,
          status: 'ok',
          contributionMs: 50,
          share: 0.25,
        }),
      ]);
      expect(d.changed[0]).toMatchObject({ abnormalSpanId: '0000000000000012', contributionMs: 160, share: 0.8 });
      expectSumsToTotal(d);
    });

    it('reports the failed first attempt as a status change', () => {
      expect(d.statusChanges).toEqual([
        expect.objectContaining({
          service: 'cart',
          normalStatus: 'ok',
          abnormalStatus: 'error',
          message: 'deadline exceeded',
        }),
      ]);
    });

    it('explains the new call as a retry after the failure', () => {
      const retry = d.hypotheses.find((h) => h.kind === 'new-calls');
      expect(retry?.text).toBe(
        'A new call to cart getCart from api GET /cart (not in the normal trace) takes 40 ms and explains 25% of the ' +
          '200 ms difference; they look like retries: an earlier cart getCart call failed (status error, "deadline exceeded").',
      );
      expect(d.hypotheses[0]!.text).toContain('cart getCart took 200 ms instead of 40 ms (+400%)');
      expect(d.hypotheses[0]!.text).toContain('it failed (status error, "deadline exceeded")');
    });
  });

  describe('reordered concurrent siblings', () => {
    // normal                                         abnormal (same calls, other start order)
    // 1 web GET /home    |====================| 0..100   |==============================| 0..150
    // 2 db SELECT users     |====|              10..30       |====|                      12..30
    // 3 db SELECT prefs     |=====|             11..35    |=======================|      10..140
    // 4 recs list           |=======|           12..60      |=======|                    11..60
    // Two same-named db calls run concurrently; the prefs query (by its statement) is the slow one.
    const users = { attributes: { 'db.statement': 'SELECT * FROM users WHERE id = 1' } };
    const prefs = { attributes: { 'db.statement': 'SELECT * FROM prefs WHERE user_id = 1' } };
    const normal = traceFromRows(N, [
      ['1', '', 'web', 'GET /home', 0, 100],
      ['2', '1', 'db', 'SELECT', 10, 30, users],
      ['3', '1', 'db', 'SELECT', 11, 35, prefs],
      ['4', '1', 'recs', 'list', 12, 60],
    ]);
    const abnormal = traceFromRows(A, [
      ['11', '', 'web', 'GET /home', 0, 150],
      ['13', '11', 'db', 'SELECT', 10, 140, prefs],
      ['14', '11', 'recs', 'list', 11, 60],
      ['12', '11', 'db', 'SELECT', 12, 30, users],
    ]);
    const d = diffTraces(normal, abnormal, {
      criticalPath: pathFromPieces(abnormal, [
        ['11', 140, 150],
        ['13', 10, 140],
        ['11', 0, 10],
      ]),
      normalCriticalPath: pathFromPieces(normal, [
        ['1', 60, 100],
        ['4', 12, 60],
        ['1', 0, 12],
      ]),
    });

    it('pairs same-named concurrent calls by their statement, not their start order', () => {
      const pairs = d.changed.map((c) => [c.normalSpanId.slice(-2), c.abnormalSpanId.slice(-2)]).sort();
      expect(pairs).toEqual([
        ['01', '11'],
        ['02', '12'],
        ['03', '13'],
        ['04', '14'],
      ]);
      expect(d.attributeChanges).toEqual([]);
      expect(d.added).toEqual([]);
    });

    it('credits the slow query and debits the call that left the critical path', () => {
      // abnormal path: web 10 + 10, prefs 130. At normal speed those pieces took web 50 (its whole exclusive time),
      // prefs 24: 74 ms; the other 26 ms of the normal 100 ms ran on recs (normal path: web 12 + 40, recs 48).
      // prefs 130 − 24 = 106, web 20 − 50 = −30, recs 0 − 26 = −26, users 0: sum 50.
      const byId = new Map(d.changed.map((c) => [c.abnormalSpanId.slice(-2), c.contributionMs]));
      expect(byId.get('13')).toBe(106);
      expect(byId.get('14')).toBe(-26);
      expect(byId.get('11')).toBe(-30);
      expect(byId.get('12') ?? 0).toBe(0);
      expect(d.changed[0]!.abnormalSpanId.slice(-2)).toBe('13');
      expectSumsToTotal(d);
    });
  });

  describe('changed query', () => {
    // normal                                          abnormal
    // 1 api GET /orders   |==========|     0..100     |==========================|  0..900
    // 2 orders-db SELECT     |==|          10..30        |==================|       10..830  statement lost its LIMIT
    // 3 orders-db SELECT          |=|      40..50                            |=|    840..850 only a literal changed
    const normal = traceFromRows(N, [
      ['1', '', 'api', 'GET /orders', 0, 100, { resource: { 'service.version': '1.4.0' } }],
      [
        '2',
        '1',
        'orders-db',
        'SELECT',
        10,
        30,
        { attributes: { 'db.statement': 'SELECT * FROM orders WHERE user_id = 42 LIMIT 10', 'net.peer.port': 5432 } },
      ],
      [
        '3',
        '1',
        'orders-db',
        'SELECT',
        40,
        50,
        { attributes: { 'db.statement': "SELECT name FROM users WHERE id = 'u1'" } },
      ],
    ]);
    const abnormal = traceFromRows(A, [
      ['11', '', 'api', 'GET /orders', 0, 900, { resource: { 'service.version': '1.5.0' } }],
      [
        '12',
        '11',
        'orders-db',
        'SELECT',
        10,
        830,
        { attributes: { 'db.statement': 'SELECT * FROM orders WHERE user_id = 42', 'net.peer.port': 40112 } },
      ],
      [
        '13',
        '11',
        'orders-db',
        'SELECT',
        840,
        850,
        { attributes: { 'db.statement': "SELECT name FROM users WHERE id = 'u7'" } },
      ],
    ]);
    const d = diffTraces(normal, abnormal);

    it('reports a changed statement and a changed version, ignoring ports and literals', () => {
      expect(d.attributeChanges.map((c) => [c.service, c.key, c.normalValue, c.abnormalValue])).toEqual([
        ['api', 'service.version', '1.4.0', '1.5.0'],
        [
          'orders-db',
          'db.statement',
          'SELECT * FROM orders WHERE user_id = 42 LIMIT 10',
          'SELECT * FROM orders WHERE user_id = 42',
        ],
      ]);
    });

    it('names the statement change in the top hypothesis', () => {
      expect(d.hypotheses[0]!.text).toBe(
        'orders-db SELECT took 820 ms instead of 20 ms (+4,000%) and explains 100% of the 800 ms difference; ' +
          'db.statement changed from "SELECT * FROM orders WHERE user_id = 42 LIMIT 10" to ' +
          '"SELECT * FROM orders WHERE user_id = 42"; the time is spent in the span itself, not in its child calls.',
      );
      expect(d.hypotheses[0]!.evidence).toContain(
        'db.statement: "SELECT * FROM orders WHERE user_id = 42 LIMIT 10" → "SELECT * FROM orders WHERE user_id = 42"',
      );
      expectSumsToTotal(d);
    });
  });

  describe('failed call', () => {
    // normal                                  abnormal
    // 1 api POST /pay   |==========|  0..100  |===============|  0..150
    // 2 payment charge     |=====|    10..60     |=========|     10..110  error, HTTP 503
    const normal = traceFromRows(N, [
      ['1', '', 'api', 'POST /pay', 0, 100],
      ['2', '1', 'payment', 'charge', 10, 60, { attributes: { 'http.response.status_code': 200 } }],
    ]);
    const abnormal = traceFromRows(A, [
      ['11', '', 'api', 'POST /pay', 0, 150],
      [
        '12',
        '11',
        'payment',
        'charge',
        10,
        110,
        {
          statusCode: 'error',
          statusMessage: 'upstream connect error',
          attributes: { 'http.response.status_code': 503 },
        },
      ],
    ]);
    const d = diffTraces(normal, abnormal);

    it('reports the status change with the HTTP codes and message', () => {
      expect(d.statusChanges).toEqual([
        {
          service: 'payment',
          operation: 'charge',
          normalSpanId: '0000000000000002',
          abnormalSpanId: '0000000000000012',
          normalRow: 1,
          abnormalRow: 1,
          normalStatus: 'unset',
          abnormalStatus: 'error',
          normalHttpStatus: 200,
          abnormalHttpStatus: 503,
          normalRpcStatus: -1,
          abnormalRpcStatus: -1,
          message: 'upstream connect error',
        },
      ]);
    });

    it('says the call failed in the top hypothesis', () => {
      expect(d.hypotheses[0]!.text).toBe(
        'payment charge took 100 ms instead of 50 ms (+100%) and explains 100% of the 50 ms difference; ' +
          'http.response.status_code changed from "200" to "503"; it failed (status error, HTTP 503, ' +
          '"upstream connect error"); the time is spent in the span itself, not in its child calls.',
      );
    });

    it('states a fast failure on its own even when it explains little time', () => {
      const fast = traceFromRows(A, [
        ['11', '', 'api', 'POST /pay', 0, 100],
        ['12', '11', 'payment', 'charge', 10, 15, { statusCode: 'error', statusMessage: 'card declined' }],
      ]);
      const e = diffTraces(normal, fast);
      expect(e.hypotheses.find((h) => h.kind === 'failed')?.text).toBe(
        'payment charge failed in the abnormal trace (status error, "card declined") after 5 ms (50 ms in the normal ' +
          'trace) where it succeeded in the normal one.',
      );
    });
  });

  describe('missing cache hit', () => {
    // normal                                          abnormal
    // 1 api GET /product   |==========|     0..100    |=========================|  0..400
    // 2 redis GET             |=|           10..15       |=|                      10..15   cache.hit true → false
    // 3 catalog-db SELECT                                    |==============|     20..320  new: the fallback query
    const normal = traceFromRows(N, [
      ['1', '', 'api', 'GET /product', 0, 100],
      ['2', '1', 'redis', 'GET', 10, 15, { attributes: { 'db.system': 'redis', 'cache.hit': true } }],
    ]);
    const abnormal = traceFromRows(A, [
      ['11', '', 'api', 'GET /product', 0, 400],
      ['12', '11', 'redis', 'GET', 10, 15, { attributes: { 'db.system': 'redis', 'cache.hit': false } }],
      ['13', '11', 'catalog-db', 'SELECT product', 20, 320],
    ]);
    const d = diffTraces(normal, abnormal, {
      criticalPath: pathFromPieces(abnormal, [
        ['11', 320, 400],
        ['13', 20, 320],
        ['11', 15, 20],
        ['12', 10, 15],
        ['11', 0, 10],
      ]),
    });

    it('reports the fallback query as new and attributes the difference to it', () => {
      expect(d.added).toEqual([
        expect.objectContaining({ service: 'catalog-db', operation: 'SELECT product', contributionMs: 300, share: 1 }),
      ]);
      expect(d.attributeChanges).toEqual([
        expect.objectContaining({ service: 'redis', key: 'cache.hit', normalValue: 'true', abnormalValue: 'false' }),
      ]);
      expectSumsToTotal(d);
    });

    it('words the new query as a cache miss', () => {
      expect(d.hypotheses[0]!.text).toBe(
        'A new call to catalog-db SELECT product from api GET /product (not in the normal trace) takes 300 ms and ' +
          'explains 100% of the 300 ms difference; this looks like a cache miss: redis GET ran first and cache.hit ' +
          'changed from "true" to "false".',
      );
    });
  });

  describe('missing calls and messy data', () => {
    // normal                                 abnormal (no root span: its parent was not collected)
    // 1 api GET /x   |==========|  0..100     1 api GET /x   |====|  0..50  (orphan of 99)
    // 2 auth check      |==|       10..30
    // 3 auth check          |==|   40..60
    const normal = traceFromRows(N, [
      ['1', '', 'api', 'GET /x', 0, 100],
      ['2', '1', 'auth', 'check', 10, 30],
      ['3', '1', 'auth', 'check', 40, 60],
    ]);
    const abnormal = traceFromRows(A, [['11', '99', 'api', 'GET /x', 0, 50]]);
    const d = diffTraces(normal, abnormal);

    it('reports missing calls and the data problems as warnings', () => {
      expect(d.durationDiffMs).toBe(-50);
      expect(d.removed.map((r) => [r.spanId.slice(-1), r.durationMs])).toEqual([
        ['2', 20],
        ['3', 20],
      ]);
      expect(d.warnings).toContain('the abnormal trace has no root span; used its longest subtree head as the root');
      expectSumsToTotal(d);
    });
  });

  describe('invariant: contributions sum to the end-to-end difference', () => {
    // Random trees, random perturbations (slower, faster, new and missing children, overlaps, clock skew):
    // with exclusive-time attribution the parts always add up to the root's duration change.
    function randomTrace(seed: number, id: string, perturb: boolean): SpanTable {
      let s = seed;
      const rand = (): number => {
        s = (Math.imul(s, 1103515245) + 12345) >>> 0;
        return s / 2 ** 32;
      };
      const rows: [string, string, string, string, number, number][] = [['1', '', 'root', 'op', 0, 1000]];
      let next = 2;
      const grow = (parent: string, start: number, end: number, depth: number): void => {
        const kids = Math.floor(rand() * 4);
        for (let k = 0; k < kids && depth < 4; k++) {
          const a = start + rand() * (end - start);
          const b = a + rand() * (end - a) * (perturb && rand() < 0.3 ? 1.6 : 1);
          const svc = `s${Math.floor(rand() * 3)}`;
          const spanId = String(next++);
          if (perturb && rand() < 0.15) continue;
          rows.push([spanId, parent, svc, `op${Math.floor(rand() * 2)}`, a, b]);
          grow(spanId, a, b, depth + 1);
        }
      };
      grow('1', 0, 1000, 0);
      if (perturb) rows[0] = ['1', '', 'root', 'op', 0, 1000 + rand() * 900];
      return traceFromRows(id, rows);
    }

    it.each(Array.from({ length: 40 }, (_, i) => i + 1))('holds for random pair %i', (seed) => {
      const d = diffTraces(randomTrace(seed, N, false), randomTrace(seed, A, true));
      expect(d.attribution).toBe('exclusive-time');
      expectSumsToTotal(d);
    });
  });

  it('leaves its inputs unchanged', () => {
    const normal = traceFromRows(N, [
      ['1', '', 'api', 'GET /', 0, 100],
      ['2', '1', 'db', 'q', 10, 20],
    ]);
    const abnormal = traceFromRows(A, [['11', '', 'api', 'GET /', 0, 120]]);
    const before = [Array.from(normal.columns.durationNano), Array.from(abnormal.columns.durationNano)];
    diffTraces(normal, abnormal);
    expect([Array.from(normal.columns.durationNano), Array.from(abnormal.columns.durationNano)]).toEqual(before);
  });

  it('throws a RangeError for an unknown trace id', () => {
    const t = traceFromRows(N, [['1', '', 'api', 'GET /', 0, 100]]);
    expect(() => diffTraces(t, t, { normalTraceId: 'cccccccccccccccccccccccccccccccc' })).toThrow(
      'diff: trace cccccccccccccccccccccccccccccccc is not in the normal span table',
    );
  });
});
