import { buildTraceTree, spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { type Drawn, drawnSpan } from '../test/draw.ts';
import { criticalPaths } from './critical-paths.ts';
import { topDownCriticalPath } from './top-down-critical-path.ts';

const tid = (i: number): string => (i + 1).toString(16).padStart(32, '0');
const db = {
  service: 'api',
  operation: 'SELECT',
  kind: 'client' as const,
  attributes: { 'peer.service': 'orders-db' },
};
const price = { service: 'pricing', operation: 'GET /price' };

// Two slow and two fast requests of GET /checkout (µs, s = 0 or 1 shifts the slow ones by 20 s):
//
//   slow   0 root api   |=========================================================|  0..500+20s
//          1 q  db        |==========SELECT==========|                                 10..330+20s  on the path
//          2 recs         |=========GET /recs=====|                                     10..300      hidden by q
//          3 p0 pricing                               |=p0=|                            340..380 (+20s)
//          4 pr pricing                                 |pr|                            350..370 recursion → p0's node
//          5 p1, 6 p2 pricing                              |=p1=|=p2=|                  380..420, 420..460
//          7 audit (FOLLOWS_FROM)                                    |===============|  450..600+20s, outlives root
//   path, latest first: root 460..500, p2, p1, p0 370..380, pr, p0 340..350, root 330..340, q, root 0..10
//
//   fast   root 0..100, q 10..30, recs 10..25, p0 40..60  →  root 60, q 20, pricing 20 on the path
//
//   merged call tree                 slow: mean excl. / calls per trace   fast              Δ
//   api:GET /checkout                60 µs / 1                            60 µs / 1         0
//   ├─ orders-db:SELECT              330 µs (p50 330, p99 339.8)          20 µs             +310 µs
//   ├─ pricing:GET /price            120 µs / 4 calls (1 recursive)       20 µs / 1 call    +100 µs
//   ├─ recs:GET /recs                0 (never on the path; self 290 µs)   0 (self 15 µs)    0
//   └─ audit:process                 0 (async)                            —                 0
function checkout(): Drawn[] {
  const rows: Drawn[] = [];
  for (let i = 0; i < 4; i++) {
    const trace = tid(i);
    const t = (x: Drawn): Drawn => [`${x[0]}${i}`, x[1] ? `${x[1]}${i}` : '', x[2], x[3], { trace, ...x[4] }];
    const slow = i < 2;
    const s = 20 * i;
    const root = { service: 'api', operation: 'GET /checkout', kind: 'server' as const };
    if (slow) {
      rows.push(t(['root', '', 0, 500 + s, root]));
      rows.push(t(['q', 'root', 10, 330 + s, db]));
      rows.push(t(['recs', 'root', 10, 300, { service: 'recs', operation: 'GET /recs' }]));
      rows.push(t(['p0', 'root', 340 + s, 380 + s, price]));
      rows.push(t(['pr', 'p0', 350 + s, 370 + s, price]));
      rows.push(t(['p1', 'root', 380 + s, 420 + s, price]));
      rows.push(t(['p2', 'root', 420 + s, 460 + s, price]));
      rows.push(t(['audit', 'root', 450 + s, 600 + s, { service: 'audit', operation: 'process', followsFrom: true }]));
    } else {
      rows.push(t(['root', '', 0, 100, root]));
      rows.push(t(['q', 'root', 10, 30, db]));
      rows.push(t(['recs', 'root', 10, 25, { service: 'recs', operation: 'GET /recs' }]));
      rows.push(t(['p0', 'root', 40, 60, price]));
    }
  }
  return rows;
}

describe('topDownCriticalPath', () => {
  const table = spanTableFromRows(checkout().map(drawnSpan));
  const paths = criticalPaths(buildTraceTree(table));
  const td = topDownCriticalPath(paths, { traces: [0, 1], baseline: [2, 3] });
  const byPath = new Map(td.nodes.map((n) => [n.path.join(' > '), n]));

  it('merges the calls of the traces into one tree keyed by the path from the root', () => {
    expect(td.roots).toEqual([0]);
    expect(td.nodes.map((n) => [n.depth, n.path.at(-1)])).toEqual([
      [0, 'api:GET /checkout'],
      [1, 'orders-db:SELECT'],
      [1, 'pricing:GET /price'],
      [1, 'recs:GET /recs'],
      [1, 'audit:process'],
    ]);
    expect(td.nodes[0]!.children).toEqual([1, 2, 3, 4]);
    expect(td.nodes[1]).toMatchObject({
      parent: 0,
      isDependency: true,
      path: ['api:GET /checkout', 'orders-db:SELECT'],
    });
  });

  it('gives each call its critical-path time in slow traces against fast ones', () => {
    const q = byPath.get('api:GET /checkout > orders-db:SELECT')!;
    expect(q.stats).toMatchObject({
      traces: 2,
      onPathTraces: 2,
      frequency: 1,
      calls: 2,
      totalExclusiveNano: 660_000,
      meanExclusiveNano: 330_000,
      p50ExclusiveNano: 330_000,
      maxExclusiveNano: 340_000,
    });
    expect(q.stats.p99ExclusiveNano).toBeCloseTo(339_800, 6);
    expect(q.baseline).toMatchObject({ traces: 2, frequency: 1, meanExclusiveNano: 20_000 });
    expect(q.delta).toEqual({
      meanExclusiveNano: 310_000,
      meanSubtreeNano: 310_000,
      frequency: 0,
      meanCalls: 0,
      p50ExclusiveNano: 310_000,
    });
    expect(td.nodes[0]!.stats.meanExclusiveNano).toBe(60_000);
    expect(td.nodes[0]!.delta.meanExclusiveNano).toBe(0);
    expect(td.nodes[0]!.stats.meanSubtreeNano).toBe(510_000);
    expect(td.nodes[0]!.delta.meanSubtreeNano).toBe(410_000);
  });

  it('merges repeated calls under one parent and folds recursion into the outer call', () => {
    const p = byPath.get('api:GET /checkout > pricing:GET /price')!;
    expect(p.stats).toMatchObject({ calls: 8, meanCalls: 4, meanExclusiveNano: 120_000 });
    expect(p.baseline).toMatchObject({ calls: 2, meanCalls: 1, meanExclusiveNano: 20_000 });
    expect(p.delta.meanCalls).toBe(3);
    expect(p.recursiveCalls).toBe(2);
    expect(p.children).toEqual([]);
  });

  it('never puts a slow call hidden behind a longer sibling, or an async one, on the path', () => {
    const recs = byPath.get('api:GET /checkout > recs:GET /recs')!;
    expect(recs.stats).toMatchObject({ traces: 2, onPathTraces: 0, frequency: 0, meanExclusiveNano: 0 });
    expect(recs.stats.meanSelfNano).toBe(290_000);
    expect(recs.delta.meanExclusiveNano).toBe(0);
    const audit = byPath.get('api:GET /checkout > audit:process')!;
    expect(audit.stats).toMatchObject({ traces: 2, onPathTraces: 0, meanExclusiveNano: 0 });
    expect(audit.baseline).toMatchObject({ traces: 0 });
  });

  it('sums the mean exclusive times of the tree to the mean path length', () => {
    const sum = td.nodes.reduce((s, n) => s + n.stats.meanExclusiveNano, 0);
    expect(sum).toBe(td.meanTotalNano);
    expect(td.meanTotalNano).toBe(510_000);
    expect(td.baselineMeanTotalNano).toBe(100_000);
    const all = topDownCriticalPath(paths);
    expect(all.traces).toBe(4);
    expect(all.baselineTraces).toBe(0);
    expect(all.nodes.reduce((s, n) => s + n.stats.meanExclusiveNano, 0)).toBe(all.meanTotalNano);
    expect(all.nodes.every((n) => n.baseline === undefined)).toBe(true);
  });
});
