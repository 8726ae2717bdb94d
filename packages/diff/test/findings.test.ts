import { describe, expect, it } from 'vitest';
import { diffTraces, type TraceDiff } from '../src/index.ts';
import { type FixtureRow, pathFromPieces, traceFromRows } from './fixture.ts';

const N = 'cccccccccccccccccccccccccccccccc';
const A = 'dddddddddddddddddddddddddddddddd';

function findingSum(d: TraceDiff): number {
  return d.findings.reduce((s, f) => s + f.contributionMs, 0);
}

const http = (code: number) => ({
  statusCode: code >= 500 ? ('error' as const) : ('unset' as const),
  attributes: { 'http.response.status_code': code },
});

describe('diffTraces findings', () => {
  describe('a failure that reached the root ranks first, with the calls it skipped', () => {
    // normal                                         abnormal
    // 1 api GET /order  |====================| 0..100    |=========|        0..45  HTTP 500
    // 2 stock reserve      |======|            10..40       |======|        10..40 HTTP 500 (origin)
    // 3 payment charge             |=======|   50..90    (not called: the failure stopped api)
    // One finding: origin stock reserve, propagated to api, payment skipped; all three spans explain −55 ms.
    const normal = traceFromRows(N, [
      ['1', '', 'api', 'GET /order', 0, 100, http(200)],
      ['2', '1', 'stock', 'reserve', 10, 40, http(200)],
      ['3', '1', 'payment', 'charge', 50, 90, http(200)],
    ]);
    const abnormal = traceFromRows(A, [
      ['11', '', 'api', 'GET /order', 0, 45, http(500)],
      ['12', '11', 'stock', 'reserve', 10, 40, http(500)],
    ]);
    const d = diffTraces(normal, abnormal);

    it('names the origin, the propagation and the skipped call in one finding', () => {
      expect(d.findings[0]).toMatchObject({
        rank: 1,
        kind: 'failure',
        signal: 'failure-at-root',
        service: 'stock',
        operation: 'reserve',
        abnormalSpanId: '0000000000000012',
        contributionMs: -55,
        share: 1,
      });
      expect(d.findings[0]!.evidence).toEqual([
        'status: status error, HTTP 500 (succeeded in the normal trace)',
        'propagated to api GET /order',
        '1 call(s) of the normal trace were not made after the failure',
      ]);
      expect(d.findings).toHaveLength(1);
      expect(d.hypotheses[0]!.kind).toBe('failed');
      expect(d.hypotheses[0]!.text).toContain('stock reserve failed in the abnormal trace');
    });

    it('works without status codes, from the HTTP status tag alone', () => {
      const strip = (rows: FixtureRow[]): FixtureRow[] =>
        rows.map(([a, b, c, e, f, g, x]) => [a, b, c, e, f, g, { attributes: x?.attributes ?? {} }]);
      const m = diffTraces(
        traceFromRows(
          N,
          strip([
            ['1', '', 'api', 'GET /order', 0, 100, http(200)],
            ['2', '1', 'stock', 'reserve', 10, 40, http(200)],
            ['3', '1', 'payment', 'charge', 50, 90, http(200)],
          ]),
        ),
        traceFromRows(
          A,
          strip([
            ['11', '', 'api', 'GET /order', 0, 45, http(500)],
            ['12', '11', 'stock', 'reserve', 10, 40, http(500)],
          ]),
        ),
      );
      expect(m.findings[0]).toMatchObject({ kind: 'failure', signal: 'failure-at-root', service: 'stock' });
    });
  });

  describe('a retry with its back-off is one structural finding', () => {
    // normal                                   abnormal
    // 1 api GET /cart |==========| 0..100      |============|  0..125
    // 2 cart getCart     |====|    10..50         |            10..11  HTTP 503 (fast failure)
    // 3 cart getCart                                  |====|   31..71  the retry, after a 20 ms back-off
    // The normal call pairs with the retry (same status, same duration); the failed attempt is new. The finding
    // groups both attempts, and api's 20 ms of waiting is the back-off, not a latency change of its own.
    const normal = traceFromRows(N, [
      ['1', '', 'api', 'GET /cart', 0, 100],
      ['2', '1', 'cart', 'getCart', 10, 50, http(200)],
    ]);
    const abnormal = traceFromRows(A, [
      ['11', '', 'api', 'GET /cart', 0, 125],
      ['12', '11', 'cart', 'getCart', 10, 11, http(503)],
      ['13', '11', 'cart', 'getCart', 31, 71, http(200)],
    ]);
    const d = diffTraces(normal, abnormal, {
      criticalPath: pathFromPieces(abnormal, [
        ['11', 71, 125],
        ['13', 31, 71],
        ['11', 11, 31],
        ['12', 10, 11],
        ['11', 0, 10],
      ]),
      normalCriticalPath: pathFromPieces(normal, [
        ['1', 50, 100],
        ['2', 10, 50],
        ['1', 0, 10],
      ]),
    });

    it('ranks the retry first and credits it with the failed attempt and the back-off', () => {
      expect(d.findings[0]).toMatchObject({
        kind: 'retry',
        signal: 'structure',
        service: 'cart',
        abnormalSpanId: '0000000000000012',
        contributionMs: 21, // failed attempt 1 ms + back-off 20 ms; the retry itself took the normal 40 ms
      });
      expect(d.findings[0]!.evidence).toContain('the caller waited 20.000 ms between the attempts (back-off)');
      expect(d.findings.some((f) => f.service === 'api' && f.signal === 'latency')).toBe(false);
      expect(findingSum(d)).toBeCloseTo(25, 9);
    });
  });

  describe('a changed statement on a slower span is one finding', () => {
    // normal                                      abnormal
    // 1 api GET /search |=========| 0..100         |=================| 0..180
    // 2 db SELECT items    |===|    10..40            |===========|     10..120  lower(name) = lower(?)
    const q = (statement: string) => ({ attributes: { 'db.system': 'postgresql', 'db.statement': statement } });
    const normal = traceFromRows(N, [
      ['1', '', 'api', 'GET /search', 0, 100],
      ['2', '1', 'db', 'SELECT items', 10, 40, q("SELECT * FROM items WHERE name = 'a'")],
    ]);
    const abnormal = traceFromRows(A, [
      ['11', '', 'api', 'GET /search', 0, 180],
      ['12', '11', 'db', 'SELECT items', 10, 120, q("SELECT * FROM items WHERE lower(name) = lower('a')")],
    ]);
    const d = diffTraces(normal, abnormal, {
      criticalPath: pathFromPieces(abnormal, [
        ['11', 120, 180],
        ['12', 10, 120],
        ['11', 0, 10],
      ]),
      normalCriticalPath: pathFromPieces(normal, [
        ['1', 40, 100],
        ['2', 10, 40],
        ['1', 0, 10],
      ]),
    });

    it('reports the statement and the duration together, not twice', () => {
      expect(d.findings[0]).toMatchObject({
        kind: 'changed-query',
        service: 'db',
        operation: 'SELECT items',
        normalMs: 30,
        abnormalMs: 110,
        contributionMs: 80,
        share: 1,
      });
      expect(d.findings.filter((f) => f.service === 'db')).toHaveLength(1);
      expect(d.hypotheses[0]!.text).toContain('db.statement changed from');
    });
  });

  describe('a cache miss is recognised by its structure and explains the fallback query', () => {
    // normal                                        abnormal
    // 1 api GET /item   |========|     0..50          |================|  0..80
    // 2 api GET (redis)   |=|          5..7             |=|                5..7    paired, same
    // 3 api SELECT items (db)                              |=======|       8..36   new: the fallback query
    // 4 api SET (redis)                                             |=|    37..39  new: the write after the miss
    const redis = { attributes: { 'db.system': 'redis', 'peer.service': 'item-redis' } };
    const sql = { attributes: { 'db.system': 'postgresql', 'peer.service': 'item-db', 'db.statement': 'SELECT 1' } };
    const normal = traceFromRows(N, [
      ['1', '', 'api', 'GET /item', 0, 50],
      ['2', '1', 'api', 'GET', 5, 7, redis],
    ]);
    const abnormal = traceFromRows(A, [
      ['11', '', 'api', 'GET /item', 0, 80],
      ['12', '11', 'api', 'GET', 5, 7, redis],
      ['13', '11', 'api', 'SELECT items', 8, 36, sql],
      ['14', '11', 'api', 'SET', 37, 39, redis],
    ]);
    const d = diffTraces(normal, abnormal, {
      criticalPath: pathFromPieces(abnormal, [
        ['11', 39, 80],
        ['14', 37, 39],
        ['11', 36, 37],
        ['13', 8, 36],
        ['11', 7, 8],
        ['12', 5, 7],
        ['11', 0, 5],
      ]),
      normalCriticalPath: pathFromPieces(normal, [
        ['1', 7, 50],
        ['2', 5, 7],
        ['1', 0, 5],
      ]),
    });

    it('names the cache read and groups the query and the write under it', () => {
      expect(d.findings[0]).toMatchObject({
        kind: 'cache-miss',
        signal: 'structure',
        operation: 'GET',
        peer: 'item-redis',
        abnormalSpanId: '0000000000000012',
        contributionMs: 30, // query 28 + write 2, the read unchanged
      });
      expect(d.findings[0]!.evidence).toEqual([
        'api GET on item-redis ran first',
        'new call in between (the fallback): api SELECT items on item-db',
        'new write to the same cache: api SET on item-redis',
      ]);
      expect(d.hypotheses[0]!.text).toMatch(/cache/);
    });
  });

  describe('noise never outranks signal', () => {
    // normal: api with 10 sequential calls of 10 ms (s0..s9) and one report call of 100 ms
    // abnormal: the calls jitter by ±20%, report by +15% (+15 ms), s3 is 3× slower (+20 ms), and a new 5 ms audit
    // call appears. Peer noise (1.4826 × MAD of the log ratios of the leaves) is about 0.2: s3 (log 3 = 1.1) is
    // signal, report (+15 ms, log 1.15 = 0.14) is noise although it moves the total by almost as much.
    const jitter = [1.1, 0.9, 1.2, 3, 0.8, 1.05, 0.95, 1.15, 0.85, 1.0];
    const rowsOf = (scale: (i: number) => number, report: number, audit: boolean, p: string): FixtureRow[] => {
      const rows: FixtureRow[] = [];
      let t = 1;
      for (let i = 0; i < 10; i++) {
        const d = 10 * scale(i);
        rows.push([`${p}${i + 1}`, `${p}0`, `svc${i}`, `call ${i}`, t, t + d]);
        t += d + 1;
      }
      rows.push([`${p}a`, `${p}0`, 'report', 'build', t, t + report]);
      t += report + 1;
      if (audit) {
        rows.push([`${p}b`, `${p}0`, 'audit', 'write', t, t + 5]);
        t += 6;
      }
      return [[`${p}0`, '', 'api', 'GET /', 0, t], ...rows];
    };
    const normal = traceFromRows(
      N,
      rowsOf(() => 1, 100, false, '1'),
    );
    const abnormal = traceFromRows(
      A,
      rowsOf((i) => jitter[i]!, 115, true, '2'),
    );
    const d = diffTraces(normal, abnormal);

    it('states its noise model', () => {
      expect(d.noise.k).toBe(4);
      expect(d.noise.floorMs).toBeCloseTo(1.06, 9); // 0.5% of the 212 ms normal duration, above 0.5 ms
      expect(d.noise.leaf).toBeGreaterThan(0.1);
      expect(d.noise.leaf).toBeLessThan(0.3);
    });

    it('ranks the span beyond the noise and the new call above the noise-level report change', () => {
      expect(d.findings.map((f) => [f.service, f.kind, f.signal])).toEqual(
        expect.arrayContaining([
          ['svc3', 'slower', 'latency'],
          ['audit', 'new-calls', 'structure'],
          ['report', 'slower', 'noise'],
        ]),
      );
      const at = (svc: string): number => d.findings.findIndex((f) => f.service === svc);
      expect(at('svc3')).toBe(0); // 20 ms beyond noise
      expect(at('audit')).toBe(1); // 2 × 5 ms of new work
      expect(at('report')).toBeGreaterThan(at('audit'));
      expect(d.findings.filter((f) => f.signal !== 'noise').map((f) => f.service)).toEqual(['svc3', 'audit']);
    });

    it('keeps the findings inside the exact total', () => {
      expect(Math.abs(findingSum(d))).toBeLessThanOrEqual(Math.abs(d.durationDiffMs) + 1e-9);
    });
  });
});
