import { buildTraceTree, type SpanInput, spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { type Drawn, draw, drawnSpan, nameAt, pathText } from '../test/draw.ts';
import { criticalPath } from './critical-path.ts';
import { criticalPaths, HeadKind } from './critical-paths.ts';

describe('criticalPath', () => {
  //   0 root   |==================================|   0..100
  //   1 db        |=======|                           10..40
  //   2 cache                 |==========|            50..80
  //   critical path, latest first: root 80..100, cache 50..80, root 40..50, db 10..40, root 0..10
  it('follows sequential children and gives the gaps to the parent', () => {
    const table = draw([
      ['root', '', 0, 100, { service: 'api' }],
      ['db', 'root', 10, 40, { service: 'mysql' }],
      ['cache', 'root', 50, 80, { service: 'redis' }],
    ]);
    const path = criticalPath(table);
    expect(pathText(table, path)).toEqual(['root 80..100', 'cache 50..80', 'root 40..50', 'db 10..40', 'root 0..10']);
    expect(path.totalNano).toBe(100_000);
    expect(path.services.map((s) => [s.service, s.exclusiveNano, s.share])).toEqual([
      ['api', 40_000, 0.4],
      ['mysql', 30_000, 0.3],
      ['redis', 30_000, 0.3],
    ]);
    expect(path.head?.kind).toBe('root');
    expect(path.warnings).toEqual([]);
  });

  //   0 root   |==================================|   0..100
  //   1 fast      |=====|                             10..30
  //   2 slow      |========================|          10..80   concurrent with fast, finishes last
  //   3 deep         |==============|                 20..60   inside slow
  //   critical path: root 80..100, slow 60..80, deep 20..60, slow 10..20, root 0..10
  it('takes the last-finishing of concurrent children and descends into it', () => {
    const table = draw([
      ['root', '', 0, 100],
      ['fast', 'root', 10, 30],
      ['slow', 'root', 10, 80],
      ['deep', 'slow', 20, 60],
    ]);
    const path = criticalPath(table);
    expect(pathText(table, path)).toEqual(['root 80..100', 'slow 60..80', 'deep 20..60', 'slow 10..20', 'root 0..10']);
    expect(path.spans.map((s) => [nameAt(table, s.row), s.exclusiveNano])).toEqual([
      ['deep', 40_000],
      ['root', 30_000],
      ['slow', 30_000],
    ]);
  });

  //   0 root   |==============|                        0..50
  //   1 a         |=====|                              10..30
  //   2 b                |=====|                       30..45  starts exactly when a ends: both on the path
  it('keeps back-to-back children that touch', () => {
    const table = draw([
      ['root', '', 0, 50],
      ['a', 'root', 10, 30],
      ['b', 'root', 30, 45],
    ]);
    expect(pathText(criticalPath(table))).toEqual(['root 45..50', 'b 30..45', 'a 10..30', 'root 0..10']);
    function pathText(path: ReturnType<typeof criticalPath>): string[] {
      return path.segments.map((s) => `${nameAt(table, s.row)} ${s.startNano / 1000}..${s.endNano / 1000}`);
    }
  });

  //   0 producer |==========|                          0..40
  //   1 consumer       |====================|          20..90  CHILD_OF, outlives the producer: clipped to 20..40
  //   2 audit       |===========================|      10..100 FOLLOWS_FROM: never blocks, never extends
  //   critical path: consumer 20..40, producer 0..20
  it('clips a child that outlives its parent and ignores FOLLOWS_FROM children', () => {
    const table = draw([
      ['producer', '', 0, 40],
      ['consumer', 'producer', 20, 90],
      ['audit', 'producer', 10, 100, { followsFrom: true }],
    ]);
    const path = criticalPath(table);
    expect(pathText(table, path)).toEqual(['consumer 20..40', 'producer 0..20']);
    expect(path.totalNano).toBe(40_000);
    expect(path.warnings.map((w) => [w.kind, nameAt(table, w.row)])).toEqual([['child-clipped', 'consumer']]);
  });

  //   0 root  |==============================|   0..100
  //   1 a        |=====|                         10..30
  //   2 lost           |==============|          30..70  parent 'gone' is not in the trace: orphan
  //   3 under            |======|                35..55
  //   critical path: root 30..100, a 10..30, root 0..10; the orphan is reported and has its own path
  it('leaves orphan subtrees off the root path when grafting is off, reports them and walks them on request', () => {
    const table = draw([
      ['root', '', 0, 100],
      ['a', 'root', 10, 30],
      ['lost', 'gone', 30, 70],
      ['under', 'lost', 35, 55],
    ]);
    const path = criticalPath(table, { graftOrphans: false });
    expect(pathText(table, path)).toEqual(['root 30..100', 'a 10..30', 'root 0..10']);
    expect(path.otherHeads.map((h) => [nameAt(table, h.row), h.kind])).toEqual([['lost', 'orphan']]);
    expect(path.warnings.map((w) => w.kind)).toEqual(['orphan-subtree']);
    const orphan = criticalPath(table, { head: path.otherHeads[0]!.row });
    expect(pathText(table, orphan)).toEqual(['lost 55..70', 'under 35..55', 'lost 30..35']);
    expect(orphan.head?.kind).toBe('given');
  });

  //   0 root  |==============================|   0..100
  //   1 a        |=====|                         10..30
  //   2 lost           |==============|          30..70  parent 'gone' is not in the trace: orphan
  //   3 under            |======|                35..55
  //   grafted under root (the only span enclosing it): root 70..100, lost 55..70, under 35..55, lost 30..35,
  //   a 10..30, root 0..10
  it('grafts an orphan subtree under the span enclosing it in time', () => {
    const table = draw([
      ['root', '', 0, 100],
      ['a', 'root', 10, 30],
      ['lost', 'gone', 30, 70],
      ['under', 'lost', 35, 55],
    ]);
    const path = criticalPath(table);
    expect(pathText(table, path)).toEqual([
      'root 70..100',
      'lost 55..70',
      'under 35..55',
      'lost 30..35',
      'a 10..30',
      'root 0..10',
    ]);
    expect(path.otherHeads).toEqual([]);
    expect(path.warnings.map((w) => [w.kind, nameAt(table, w.row)])).toEqual([['orphan-grafted', 'lost']]);
  });

  // Messy data: the inventory server span (child of `put`) was dropped; its two children are orphans sharing the
  // missing parent id. The DB leaf call `sel` encloses them more tightly but never receives orphans; the childless client `put`
  // is the tightest enclosing span of the group (within 5 ms of skew: q1 starts 2 ms before `put`).
  //   0 root  |====================================|   0..1000
  //   1 put      |===========================|         100..900  frontend client, server child lost
  //   2 sel         |==========================|       150..890  frontend DB call (db.system=postgresql), tighter
  //   3 q1     |========================|              98..700   orphan (parent 'inv'), inventory
  //   4 q2               |=============|               160..880  orphan (parent 'inv'), inventory
  //   path: root 900..1000, put 880..900, q2 160..880, put 100..160 (q1 ends after 160: not blocking), root 0..100
  it('grafts sibling orphans together under the childless call that waited on their lost parent', () => {
    const table = draw([
      ['root', '', 0, 1000, { service: 'frontend' }],
      ['put', 'root', 100, 900, { service: 'frontend' }],
      ['sel', 'root', 150, 890, { service: 'frontend', attributes: { 'db.system': 'postgresql' } }],
      ['q1', 'inv', 98, 700, { service: 'inventory' }],
      ['q2', 'inv', 160, 880, { service: 'inventory' }],
    ]);
    const path = criticalPath(table);
    expect(pathText(table, path)).toEqual([
      'root 900..1000',
      'put 880..900',
      'q2 160..880',
      'put 100..160',
      'root 0..100',
    ]);
    expect(path.services.map((x) => [x.service, x.exclusiveNano])).toEqual([
      ['inventory', 720_000],
      ['frontend', 280_000],
    ]);
    const off = criticalPath(table, { graftOrphans: false });
    expect(off.services[0]).toMatchObject({ service: 'frontend', exclusiveNano: 1_000_000 });
  });

  //   the root span was lost: two orphans; the longer one heads the path
  //   0 x  |=======|          0..30   parent missing
  //   1 y        |=========|  20..60  parent missing
  it('walks the longest orphan when the trace has no root', () => {
    const table = draw([
      ['x', 'missing', 0, 30],
      ['y', 'missing', 20, 60],
    ]);
    const path = criticalPath(table);
    expect(pathText(table, path)).toEqual(['y 20..60']);
    expect(path.head?.kind).toBe('orphan');
    expect(path.warnings.map((w) => [w.kind, nameAt(table, w.row)])).toEqual([
      ['orphan-subtree', 'x'],
      ['no-root', 'y'],
    ]);
  });

  //   0 root |====================|   0..50
  //   1 tick           |              25..25  zero duration: owns no time
  //   2 work    |====|                 5..15
  it('gives zero-duration spans no segment', () => {
    const table = draw([
      ['root', '', 0, 50],
      ['tick', 'root', 25, 25],
      ['work', 'root', 5, 15],
    ]);
    expect(pathText(table, criticalPath(table))).toEqual(['root 15..50', 'work 5..15', 'root 0..5']);
  });

  it('handles a zero-duration root', () => {
    const table = draw([['root', '', 10, 10]]);
    const path = criticalPath(table);
    expect(path.segments).toEqual([]);
    expect(path.totalNano).toBe(0);
    expect(path.spans.map((s) => [nameAt(table, s.row), s.exclusiveNano, s.share])).toEqual([['root', 0, 0]]);
  });

  it('computes the path of the requested trace of a multi-trace table', () => {
    const other = 'aa'.repeat(16);
    const table = draw([
      ['r1', '', 0, 10],
      ['r2', '', 100, 200, { trace: other }],
      ['c2', 'r2', 120, 150, { trace: other }],
    ]);
    const tree = buildTraceTree(table);
    const path = criticalPath(table, { tree, trace: 1 });
    expect(path.traceId).toBe(other);
    expect(pathText(table, path)).toEqual(['r2 150..200', 'c2 120..150', 'r2 100..120']);
    expect(() => criticalPath(table, { tree, trace: 2 })).toThrow(RangeError);
    expect(() => criticalPath(draw([['z', '', 0, 1]]), { tree })).toThrow(TypeError);
  });

  it('returns an empty result for an empty table', () => {
    const path = criticalPath(spanTableFromRows([]));
    expect(path).toMatchObject({ traceId: '', head: undefined, segments: [], totalNano: 0 });
  });

  //   one parent with 40 children finishing in reverse order of their start (sorted by the large-run path)
  it('finds the last-finishing child among many unsorted children', () => {
    const rows: Drawn[] = [['root', '', 0, 1000]];
    for (let i = 0; i < 40; i++) rows.push([`k${i}`, 'root', 10 + i, 900 - i * 20]);
    const table = draw(rows);
    // k0 10..900 finishes last; every other child overlaps it
    expect(pathText(table, criticalPath(table))).toEqual(['root 900..1000', 'k0 10..900', 'root 0..10']);
  });
});

// A random trace: each span nests loosely in a random earlier span (children may stick out: clock skew), some
// FOLLOWS_FROM, some orphans, some zero-length.
function randomTrace(seed: number, size: number, traceId: string): SpanInput[] {
  let x = seed;
  const rnd = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) | 0;
    return ((x >>> 8) & 0xffffff) / 0x1000000;
  };
  const rows: Drawn[] = [['n0', '', 0, 1000, { trace: traceId }]];
  const iv: [number, number][] = [[0, 1000]];
  for (let i = 1; i < size; i++) {
    const p = Math.floor(rnd() * i);
    const [ps, pe] = iv[p]!;
    const s = Math.round(ps - 20 + rnd() * (pe - ps + 20));
    const e = rnd() < 0.05 ? s : Math.round(s + rnd() * (pe - s + 30));
    const orphan = rnd() < 0.05;
    rows.push([`n${i}`, orphan ? 'nowhere' : `n${p}`, s, e, { trace: traceId, followsFrom: rnd() < 0.1 }]);
    iv.push([s, e]);
  }
  return rows.map(drawnSpan);
}

describe('criticalPath invariants', () => {
  const ids = ['01', '02', '03', '04', '05', '06', '07', '08'].map((b) => b.repeat(16));
  const table = spanTableFromRows(ids.flatMap((id, k) => randomTrace(k + 1, 60, id)));
  const tree = buildTraceTree(table);

  it.each(ids.map((_, t) => t))(
    'tiles the head exactly once and sums exclusive times to its duration (trace %i)',
    (t) => {
      const path = criticalPath(table, { tree, trace: t });
      const head = path.head!;
      const { startNano, endNano } = table.times;
      let at = endNano[head.row]!;
      for (const s of path.segments) {
        expect(s.endNano).toBe(at);
        expect(s.startNano).toBeLessThan(s.endNano);
        expect(s.startNano).toBeGreaterThanOrEqual(startNano[s.row]!);
        expect(s.endNano).toBeLessThanOrEqual(endNano[s.row]!);
        at = s.startNano;
      }
      expect(at).toBe(startNano[head.row]!);
      const sum = path.spans.reduce((a, s) => a + s.exclusiveNano, 0);
      expect(sum).toBe(path.totalNano);
      expect(path.services.reduce((a, s) => a + s.exclusiveNano, 0)).toBe(path.totalNano);
    },
  );

  it('agrees with criticalPaths on every trace', () => {
    const all = criticalPaths(tree);
    for (let t = 0; t < tree.traces.traceCount; t++) {
      const one = criticalPath(table, { tree, trace: t });
      const a = all.segmentOffsets[t]!;
      const b = all.segmentOffsets[t + 1]!;
      expect(Array.from(all.segmentRow.subarray(a, b))).toEqual(one.segments.map((s) => s.row));
      expect(Array.from(all.segmentStartNano.subarray(a, b))).toEqual(one.segments.map((s) => s.startNano));
      expect(all.totalNano[t]).toBe(one.totalNano);
      for (const s of one.spans) expect(all.exclusiveNano[s.row]).toBe(s.exclusiveNano);
      expect(all.headKind[t]).toBe(HeadKind.Root);
    }
  });

  it('leaves its inputs unchanged', () => {
    const before = {
      start: Array.from(table.columns.startUnixNano),
      duration: Array.from(table.columns.durationNano),
      parent: Array.from(tree.links.parent),
      children: Array.from(tree.links.children),
      self: Array.from(tree.selfNano),
      times: Array.from(table.times.startNano),
    };
    criticalPaths(tree);
    criticalPath(table, { tree, trace: 3 });
    expect(Array.from(table.columns.startUnixNano)).toEqual(before.start);
    expect(Array.from(table.columns.durationNano)).toEqual(before.duration);
    expect(Array.from(tree.links.parent)).toEqual(before.parent);
    expect(Array.from(tree.links.children)).toEqual(before.children);
    expect(Array.from(tree.selfNano)).toEqual(before.self);
    expect(Array.from(table.times.startNano)).toEqual(before.times);
  });
});

describe('criticalPaths', () => {
  it('follows caller-given heads and rejects heads from another trace', () => {
    const table = draw([
      ['root', '', 0, 100],
      ['svc', 'root', 10, 90],
      ['db', 'svc', 20, 50],
    ]);
    const tree = buildTraceTree(table);
    const paths = criticalPaths(tree, { heads: Int32Array.of(1) });
    expect(paths.headKind[0]).toBe(HeadKind.Given);
    expect(Array.from(paths.segmentRow).map((r) => nameAt(table, r))).toEqual(['svc', 'db', 'svc']);
    expect(paths.totalNano[0]).toBe(80_000);
    expect(() => criticalPaths(tree, { heads: Int32Array.of(0, 1) })).toThrow(RangeError);
  });
});
