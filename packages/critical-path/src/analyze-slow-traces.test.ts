import { buildTraceTree, spanTableFromRows, traceIdAt } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { type Drawn, drawnSpan } from '../test/draw.ts';
import { analyzeSlowTraces } from './analyze-slow-traces.ts';

const tid = (i: number): string => (i + 1).toString(16).padStart(32, '0');
const db = (stmt: string, host: string) => ({
  service: 'api',
  operation: 'SELECT',
  kind: 'client' as const,
  attributes: { 'db.system': 'mysql', 'peer.service': 'orders-db', 'db.statement': stmt, 'host.name': host },
});

// 40 requests of GET /checkout (µs):
//   fast (i % 8 != 0)  api |==|====|=====|==|     0..(100+i)   SELECT 10..30, cart 40..70
//   slow (i % 8 == 0)  api |==|===============================|=====|==|   SELECT 10..800 on host db-2
//   every slow one also makes 6 sequential `GET /price` calls (N+1) and one failed then retried `pay` call
function checkoutTraces(): Drawn[] {
  const rows: Drawn[] = [];
  for (let i = 0; i < 40; i++) {
    const trace = tid(i);
    const slow = i % 8 === 0;
    const end = slow ? 1000 + i : 100 + i;
    const t = (x: Drawn): Drawn => [`${x[0]}${i}`, x[1] ? `${x[1]}${i}` : '', x[2], x[3], { trace, ...x[4] }];
    rows.push(t(['root', '', 0, end, { service: 'api', operation: 'GET /checkout', kind: 'server' }]));
    rows.push(t(['q', 'root', 10, slow ? 800 : 30, db('SELECT * FROM orders WHERE user = ?', slow ? 'db-2' : 'db-1')]));
    rows.push(t(['cart', 'root', slow ? 810 : 40, slow ? 840 : 70, { service: 'cart', operation: 'GET /cart' }]));
    if (slow) {
      for (let k = 0; k < 6; k++) {
        rows.push(t([`p${k}`, 'root', 850 + k * 20, 868 + k * 20, { service: 'pricing', operation: 'GET /price' }]));
      }
      rows.push(
        t(['pay1', 'root', 970 + (i % 3), 980, { service: 'payment', operation: 'POST /pay', status: 'error' }]),
      );
      rows.push(t(['pay2', 'root', 981, 995, { service: 'payment', operation: 'POST /pay', status: 'ok' }]));
    }
  }
  return rows;
}

describe('analyzeSlowTraces', () => {
  const table = spanTableFromRows(checkoutTraces().map(drawnSpan));

  it('finds the traces over the threshold with their exact durations', () => {
    const r = analyzeSlowTraces(table, { thresholdNano: 500_000 });
    expect(r.traces).toBe(40);
    expect(r.slowCount).toBe(5);
    expect(r.slowTraces.map((s) => s.traceId)).toEqual([32, 24, 16, 8, 0].map(tid));
    expect(r.slowTraces[0]!.durationMs).toBe(1.032);
    expect(r.slowTraces[0]!.bottleneck).toMatchObject({ service: 'orders-db', operation: 'SELECT', share: 790 / 1032 });
    expect(r.bottlenecks).toEqual([
      expect.objectContaining({ service: 'orders-db', operation: 'SELECT', traces: 5, isDependency: true }),
    ]);
  });

  it('flags slow traces per endpoint without a threshold (robust rule) and none when all are alike', () => {
    const r = analyzeSlowTraces(table);
    expect(r.slowTraces.map((s) => s.traceId).sort()).toEqual([0, 8, 16, 24, 32].map(tid).sort());
    expect(r.rule).toContain('MAD');
    const calm = spanTableFromRows(
      checkoutTraces()
        .filter((row) => !/^(root|q|cart)(0|8|16|24|32)$/.test(row[0]) && !/^(p\d|pay)/.test(row[0]))
        .map(drawnSpan),
    );
    expect(analyzeSlowTraces(calm).slowCount).toBe(0);
  });

  // 30 requests of GET /list (µs): api calls a, then b; each call normally takes 45..55.
  //   usual  api |=|==a 50==|=|==b 50==|=|                 ~130
  //   #28    api |=|==a 62===|=|==b 62===|=|               154: every part a bit long, each within its range
  //   #29    api |=|==a 50==|=|==================b 400===================|=|   470: b far beyond its range
  // robust rule (duration only): both are slow; explained rule: only #29 (its extra time sits in b).
  it('flags only traces whose extra time sits in a component beyond its normal range (explained rule)', () => {
    const rows: Drawn[] = [];
    for (let i = 0; i < 30; i++) {
      const a = i === 28 ? 62 : 45 + ((i * 7) % 11);
      const b = i === 28 ? 62 : i === 29 ? 400 : 45 + ((i * 5) % 11);
      const trace = tid(i);
      rows.push([`r${i}`, '', 0, 30 + a + b, { trace, service: 'api', operation: 'GET /list' }]);
      rows.push([`a${i}`, `r${i}`, 10, 10 + a, { trace, service: 'svc-a', operation: 'GET /a' }]);
      rows.push([`b${i}`, `r${i}`, 20 + a, 20 + a + b, { trace, service: 'svc-b', operation: 'GET /b' }]);
    }
    const t = spanTableFromRows(rows.map(drawnSpan));
    const robust = analyzeSlowTraces(t, { rule: 'robust' });
    expect(robust.slowTraces.map((x) => x.traceId)).toEqual([tid(29), tid(28)]);
    expect(Number.isNaN(robust.slowTraces[0]!.excessMs)).toBe(true);
    const explained = analyzeSlowTraces(t);
    expect(explained.rule).toContain('beyond its components');
    expect(explained.slowTraces.map((x) => x.traceId)).toEqual([tid(29)]);
    // b's normal range tops out near 69 µs: about 331 µs of b's 400 are extra.
    expect(explained.slowTraces[0]!.excessMs).toBeGreaterThan(0.32);
    expect(explained.slowTraces[0]!.excessMs).toBeLessThan(0.36);
    expect(explained.slowTraces[0]!.bottleneck.service).toBe('svc-b');
  });

  it('ranks the traits slow traces share against fast ones', () => {
    const r = analyzeSlowTraces(table, { thresholdNano: 500_000 });
    const host = r.traits.find((t) => t.key === 'host.name' && t.value === 'db-2');
    expect(host).toMatchObject({ slowTraces: 5, fastTraces: 0, slowSupport: 1, fastSupport: 0 });
    expect(r.traits.find((t) => t.key === 'host.name' && t.value === 'db-1')).toBeUndefined();
    expect(r.traits.some((t) => t.kind === 'service' && t.service === 'pricing')).toBe(true);
  });

  // 30 requests of `cart` (µs), 6 slow (i % 5 == 0) served by pod x2k4p, 24 fast by pod b7n2q:
  //   slow  cart-7d9f8b5c4-x2k4p |==================================|  0..1000  app.tier=free
  //   fast  cart-7d9f8b5c4-b7n2q |===|                                0..100   app.tier=gold (odd i) / free (even i)
  it('counts generic attribute values and pods, and samples the fast baseline with a stated error', () => {
    const rows: Drawn[] = [];
    for (let i = 0; i < 30; i++) {
      const slow = i % 5 === 0;
      rows.push([
        `r${i}`,
        '',
        0,
        slow ? 1000 : 100,
        {
          trace: tid(i),
          service: slow ? 'cart-7d9f8b5c4-x2k4p' : 'cart-7d9f8b5c4-b7n2q',
          operation: 'GET /cart',
          attributes: { 'app.tier': slow || i % 2 === 0 ? 'free' : 'gold' },
        },
      ]);
    }
    const t = spanTableFromRows(rows.map(drawnSpan));
    const full = analyzeSlowTraces(t, { thresholdNano: 500_000 });
    expect(full.slowCount).toBe(6);
    expect(full.traitBaseline).toEqual({ fastTraces: 24, sampledTraces: 24, maxSupportError: 0 });
    expect(full.traits.find((x) => x.key === 'app.tier' && x.value === 'free')).toMatchObject({
      kind: 'attribute',
      slowTraces: 6,
      fastTraces: 12,
      slowSupport: 1,
      fastSupport: 0.5,
    });
    expect(full.traits.find((x) => x.value === 'gold')).toBeUndefined();
    expect(full.traits.find((x) => x.kind === 'instance')).toMatchObject({
      service: 'cart',
      value: 'cart-7d9f8b5c4-x2k4p',
      slowTraces: 6,
      fastTraces: 0,
    });
    // Every 3rd fast trace (i = 1, 4, 8, 12, 16, 19, 23, 27): tier free in 4 of 8.
    const sampled = analyzeSlowTraces(t, { thresholdNano: 500_000, maxTraitBaselineTraces: 8 });
    expect(sampled.traitBaseline).toEqual({
      fastTraces: 24,
      sampledTraces: 8,
      maxSupportError: 1.96 * Math.sqrt(0.25 / 8) * Math.sqrt(1 - 8 / 24),
    });
    expect(sampled.traits.find((x) => x.key === 'app.tier' && x.value === 'free')).toMatchObject({
      fastTraces: 12,
      fastSupport: 0.5,
    });
  });

  it('contrasts the aggregated critical path of slow and fast traces', () => {
    const r = analyzeSlowTraces(table, { thresholdNano: 500_000 });
    const q = r.aggregate.operations.find((x) => x.service === 'orders-db')!;
    expect(q.frequency).toBe(1);
    expect(q.meanExclusiveNano).toBe(790_000);
    expect(q.baseline?.meanExclusiveNano).toBe(20_000);
    expect(q.deltaMeanExclusiveNano).toBe(770_000);
    expect(r.aggregate).toMatchObject({ traces: 5, baselineTraces: 35 });
  });

  it('derives suggestions from the evidence on the critical path', () => {
    const r = analyzeSlowTraces(table, { thresholdNano: 500_000 });
    const kinds = r.suggestions.map((s) => s.kind);
    expect(kinds[0]).toBe('slow-db-statement');
    const dbs = r.suggestions[0]!;
    expect(dbs).toMatchObject({
      service: 'orders-db',
      statement: 'SELECT * FROM orders WHERE user = ?',
      slowTraces: 5,
    });
    expect(dbs.meanMs).toBeCloseTo(0.79, 6);
    expect(dbs.fastMeanMs).toBe(0);
    expect(dbs.text).toContain('EXPLAIN');
    expect(r.suggestions.find((s) => s.kind === 'n-plus-one')).toMatchObject({ service: 'pricing', slowTraces: 5 });
    expect(r.suggestions.find((s) => s.kind === 'retry-storm')).toMatchObject({ service: 'payment', slowTraces: 5 });
    // cart, pricing and payment run one after another, but in parallel they would save 58 µs of 1 ms (< 20%)
    expect(kinds).not.toContain('sequential-calls');
  });

  it('analyses the requests of one service through its entry spans', () => {
    const r = analyzeSlowTraces(table, { service: 'cart', thresholdNano: 20_000 });
    expect(r.traces).toBe(40);
    expect(r.slowCount).toBe(40);
    expect(r.endpoints).toEqual([expect.objectContaining({ service: 'cart', operation: 'GET /cart', traces: 40 })]);
  });

  it('rejects a negative threshold', () => {
    expect(() => analyzeSlowTraces(table, { thresholdNano: -1 })).toThrow(RangeError);
  });

  it('puts the top-down call tree of slow against fast traces in the report', () => {
    const r = analyzeSlowTraces(table, { thresholdNano: 500_000 });
    const root = r.topDown.nodes[r.topDown.roots[0]!]!;
    expect(root.path).toEqual(['api:GET /checkout']);
    const first = r.topDown.nodes[root.children[0]!]!;
    expect(first).toMatchObject({ service: 'orders-db', operation: 'SELECT' });
    expect(first.delta.meanExclusiveNano).toBe(770_000);
    const price = r.topDown.nodes.find((n) => n.service === 'pricing')!;
    expect(price.stats.meanCalls).toBe(6);
    expect(price.baseline).toMatchObject({ traces: 0, meanCalls: 0 });
  });
});

// A fault window: 30 of the 40 requests of GET /checkout wait ~400 µs more on orders-db (µs).
//   baseline window (40)   api |==|=SELECT 20..30=|==cart 30=|==|                       ~100
//   fault window, i%4 ≠ 0  api |==|============SELECT ~400============|==cart 30=|==|   ~480   (30 of 40, 75%)
//   fault window, i%4 = 0  like the baseline                                            (10 of 40)
// Learnt from the fault window itself, the slowed requests are the normal: none is flagged. Learnt from the
// baseline window, exactly the 30 are.
function window(slowed: (i: number) => boolean): Drawn[] {
  const rows: Drawn[] = [];
  for (let i = 0; i < 40; i++) {
    const trace = tid(i);
    const t = (x: Drawn): Drawn => [`${x[0]}${i}`, x[1] ? `${x[1]}${i}` : '', x[2], x[3], { trace, ...x[4] }];
    const q = slowed(i) ? 390 + ((i * 7) % 13) : 20 + ((i * 7) % 11);
    const c = 25 + ((i * 5) % 9);
    const end = 10 + q + c + 15 + (i % 5);
    rows.push(t(['root', '', 0, end, { service: 'api', operation: 'GET /checkout', kind: 'server' }]));
    rows.push(t(['q', 'root', 10, 10 + q, db('SELECT * FROM orders WHERE id = ?', 'db-1')]));
    rows.push(t(['cart', 'root', 10 + q, 10 + q + c, { service: 'cart', operation: 'GET /cart' }]));
  }
  return rows;
}

describe('analyzeSlowTraces with a baseline window', () => {
  const fault = spanTableFromRows(window((i) => i % 4 !== 0).map(drawnSpan));
  const normal = spanTableFromRows(window(() => false).map(drawnSpan));
  const slowedIds = [...Array(40).keys()].filter((i) => i % 4 !== 0).map(tid);

  it('misses a fault that slows most requests when normal is learnt from the window itself', () => {
    expect(analyzeSlowTraces(fault).slowCount).toBe(0);
    expect(analyzeSlowTraces(fault, { rule: 'robust' }).slowCount).toBe(0);
  });

  it('finds every slowed request against the spans of a baseline window', () => {
    const r = analyzeSlowTraces(fault, { baseline: { table: normal } });
    expect(r.slowTraces.map((s) => s.traceId).sort()).toEqual(slowedIds.sort());
    expect(r.rule).toContain('baseline window (40 traces)');
    expect(r.endpoints[0]).toMatchObject({
      service: 'api',
      operation: 'GET /checkout',
      slowTraces: 30,
      baselineTraces: 40,
    });
    expect(r.bottlenecks).toEqual([expect.objectContaining({ service: 'orders-db', traces: 30 })]);
    expect(r.slowTraces.every((s) => s.excessMs > 0.3)).toBe(true);
    // What made them slow: the statement's time beyond its baseline range (20–30 µs, bound ≈ 41 µs).
    for (const s of r.slowTraces) {
      expect(s.cause).toMatchObject({ service: 'orders-db', operation: 'SELECT' });
      expect(s.cause!.excessMs).toBeGreaterThan(0.34);
    }
    expect(r.suggestions[0]).toMatchObject({ kind: 'slow-db-statement', service: 'orders-db' });
    expect(r.suggestions[0]!.evidence.length).toBeGreaterThan(0);
  });

  it('finds them from baseline durations alone (duration rule), and adds both kinds of baseline', () => {
    const durationsNano = analyzeSlowTraces(normal, { thresholdNano: 0 }).slowTraces.map((s) => s.durationNano);
    const endpoints = [{ service: 'api', operation: 'GET /checkout', durationsNano }];
    const r = analyzeSlowTraces(fault, { baseline: { endpoints } });
    expect(r.slowCount).toBe(30);
    expect(r.slowTraces.every((s) => Number.isNaN(s.excessMs))).toBe(true);
    expect(r.slowTraces.every((s) => s.cause === undefined)).toBe(true);
    const both = analyzeSlowTraces(fault, { baseline: { table: normal, endpoints } });
    expect(both.endpoints[0]!.baselineTraces).toBe(80);
    expect(both.slowCount).toBe(30);
  });

  it('judges an endpoint missing from the baseline on its own traces, and rejects a baseline without data', () => {
    const other = spanTableFromRows(
      window(() => false)
        .map((x) => [x[0], x[1], x[2], x[3], { ...x[4], operation: x[1] ? x[4]!.operation : 'GET /other' }] as Drawn)
        .map(drawnSpan),
    );
    const r = analyzeSlowTraces(fault, { baseline: { table: other } });
    expect(r.endpoints[0]!.baselineTraces).toBe(0);
    expect(r.slowCount).toBe(0);
    expect(() => analyzeSlowTraces(fault, { baseline: {} })).toThrow(/options.baseline needs/);
    const bad = [{ service: 'api', operation: 'GET /checkout', durationsNano: [1, -5] }];
    expect(() => analyzeSlowTraces(fault, { baseline: { endpoints: bad } })).toThrow(/durationsNano\[1\] must be/);
  });
});

// 30 requests of GET /quote (µs); slow ones (i % 6 = 0) wait on the FX API and then call tax and ship in sequence.
//   fast  api |=|fx 20|=|tax 20|ship 20|==|                                       0..90+i%4
//         recs  |=10=|                                                            10..20
//   slow  api |=|==========fx 390 (external)==========|===tax 150===|===ship 150===|=|   0..720
//         recs  |=======recs 290=======|     slower too, but hidden behind fx: never suggested
// → slow-external fx-api (timeout, circuit breaker); sequential-calls in api (tax and ship could run in parallel).
describe('analyzeSlowTraces suggestions', () => {
  const rows: Drawn[] = [];
  for (let i = 0; i < 30; i++) {
    const trace = tid(100 + i);
    const slow = i % 6 === 0;
    const t = (x: Drawn): Drawn => [`${x[0]}${i}`, x[1] ? `${x[1]}${i}` : '', x[2], x[3], { trace, ...x[4] }];
    const fx = {
      service: 'api',
      operation: 'GET /rates',
      kind: 'client' as const,
      attributes: { 'peer.service': 'fx-api', 'server.address': 'api.fx.example' },
    };
    const [e, tax, ship, recs] = slow ? [400, 550, 700, 300] : [30, 55, 75, 20];
    rows.push(
      t(['root', '', 0, slow ? 720 : 90 + (i % 4), { service: 'api', operation: 'GET /quote', kind: 'server' }]),
    );
    rows.push(t(['fx', 'root', 10, e, fx]));
    rows.push(t(['recs', 'root', 10, recs, { service: 'recs', operation: 'GET /recs' }]));
    rows.push(t(['tax', 'root', e + 5, tax, { service: 'tax', operation: 'GET /tax' }]));
    rows.push(t(['ship', 'root', tax, ship, { service: 'ship', operation: 'GET /ship' }]));
  }
  const r = analyzeSlowTraces(spanTableFromRows(rows.map(drawnSpan)), { thresholdNano: 500_000 });

  it('advises a timeout and a circuit breaker for a slow external dependency', () => {
    expect(r.slowCount).toBe(5);
    const ext = r.suggestions.find((s) => s.kind === 'slow-external')!;
    expect(ext).toMatchObject({
      service: 'fx-api',
      operation: 'GET /rates',
      slowTraces: 5,
      meanMs: 0.39,
      fastMeanMs: 0.02,
    });
    expect(ext.text).toContain('timeout and a circuit breaker');
  });

  it('advises running independent sequential calls in parallel, with the time it would save', () => {
    const seq = r.suggestions.find((s) => s.kind === 'sequential-calls')!;
    expect(seq).toMatchObject({ service: 'api', operation: 'GET /quote', slowTraces: 5 });
    // fx 390 + tax 145 + ship 150 one after another; in parallel only the longest (390) remains.
    expect(seq.meanMs).toBeCloseTo(0.295, 9);
    expect(seq.text).toContain('parallel');
  });

  it('never blames the slower call hidden off the critical path, and ties every suggestion to evidence', () => {
    expect(r.suggestions.map((s) => s.service)).not.toContain('recs');
    expect(r.bottlenecks.map((b) => b.service)).toEqual(['fx-api']);
    expect(r.topDown.nodes.find((n) => n.service === 'recs')!.stats.onPathTraces).toBe(0);
    expect(r.suggestions.every((s) => s.evidence.length >= 2)).toBe(true);
  });
});

describe('analyzeSlowTraces on every possibly slow trace plus a sample of the others (traceWeights)', () => {
  //   the 40 GET /checkout requests above: the 5 slow ones (i % 8 = 0, ≥ 1000 µs) and 7 of the 35 fast ones
  //   (i = 1, 6, 11, ...), each fast one standing for 5: the slow list is the full table's, the counts are the window's
  const all = checkoutTraces();
  const keep = new Set([0, 8, 16, 24, 32, 1, 6, 11, 17, 21, 26, 31].map(tid));
  const table = spanTableFromRows(all.filter((d) => keep.has(String(d[4]?.trace))).map(drawnSpan));
  const { traces } = buildTraceTree(table);
  const weights = new Float64Array(traces.traceCount);
  for (let t = 0; t < traces.traceCount; t++) {
    const id = traceIdAt(table, traces.rows[traces.offsets[t]!]!);
    weights[t] = [0, 8, 16, 24, 32].map(tid).includes(id) ? 1 : 5;
  }

  it('gives the exact slow traces and window counts, with the fast side from the sample', () => {
    const full = analyzeSlowTraces(spanTableFromRows(all.map(drawnSpan)), { thresholdNano: 500_000 });
    const r = analyzeSlowTraces(table, { thresholdNano: 500_000, traceWeights: weights });
    expect(r.traces).toBe(40);
    expect(r.slowCount).toBe(5);
    expect(r.slowShare).toBe(5 / 40);
    expect(r.slowTraces.map((s) => [s.traceId, s.durationMs, s.bottleneck.service, s.bottleneck.share])).toEqual(
      full.slowTraces.map((s) => [s.traceId, s.durationMs, s.bottleneck.service, s.bottleneck.share]),
    );
    expect(r.bottlenecks).toEqual(full.bottlenecks);
    expect(r.durations.slow).toEqual(full.durations.slow);
    expect(r.endpoints.map((e) => [e.service, e.operation, e.traces, e.slowTraces])).toEqual([
      ['api', 'GET /checkout', 40, 5],
    ]);
    // 35 fast traces estimated from 7 (101, 106, 111, 117, 121, 126, 131 µs, 5 each) and the 5 slow ones.
    expect(r.durations.all).toMatchObject({ count: 40, p50Ms: 0.119, maxMs: 1.032 }); // between 117 and 121 (positions 19, 20)
    expect(r.durations.all.meanMs).toBeCloseTo((5 * (101 + 106 + 111 + 117 + 121 + 126 + 131) + 5080) / 40 / 1000, 9);
    expect(r.traitBaseline.fastTraces).toBe(7);
    expect(r.traits[0]).toMatchObject({
      kind: 'attribute',
      key: 'host.name',
      value: 'db-2',
      slowSupport: 1,
      fastSupport: 0,
    });
  });

  it('thins fast traces that stand for fewer traces than the others before comparing', () => {
    // One fast trace weighing 5, six weighing 1 (say, loaded because their extent reached the threshold): each of
    // the six is kept with probability 1/5 by a fixed hash, so the comparison sees them in their proportion.
    let first = true;
    const w = weights.map((x) => {
      if (x === 1) return 1;
      if (first) {
        first = false;
        return 5;
      }
      return 1;
    });
    const r = analyzeSlowTraces(table, { thresholdNano: 500_000, traceWeights: w });
    expect(r.traces).toBe(5 + 5 + 6);
    expect(r.slowCount).toBe(5);
    expect(r.traitBaseline.fastTraces).toBe(3); // the one weighing 5, and 2 of the 6
  });

  it('needs a fixed threshold and one weight per trace', () => {
    expect(() => analyzeSlowTraces(table, { traceWeights: weights })).toThrow(
      'critical-path: options.traceWeights needs thresholdNano',
    );
    expect(() => analyzeSlowTraces(table, { thresholdNano: 1, traceWeights: new Float64Array(3) })).toThrow(
      'critical-path: options.traceWeights has 3 entries, expected 12 (one per trace)',
    );
  });
});
