// Traces shaped like the public fault-injection datasets (TrainTicket-style): pod names as services, no span kinds,
// no status codes, a child that starts before its parent (clock skew), an async notification that outlives its
// parent as a plain child, a lost span whose children become orphans — in a window where most requests are slowed.
import { buildTraceTree, spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { analyzeSlowTraces, criticalPaths, topDownCriticalPath } from '../src/index.ts';
import { type Drawn, drawnSpan } from './draw.ts';

const tid = (w: number, i: number): string => ((w + 1) * 1000 + i).toString(16).padStart(32, '0');
const pod = (svc: string, i: number): string => `${svc}-5d8f7c9b6-${i % 2 ? 'x2k4p' : 'q7w9z'}`;

// One POST /preserve request, j = i % 5 (µs); slowed: the order's mongo insert takes 280 instead of 40 µs.
//
//   normal                                                      slowed
//   0 gw     ts-ui-dashboard   |====================|  0..200+j     |==========================================|  0..440+j
//   1 pres   ts-preserve     |=====================|  -3..195+j    (starts 3 µs before its parent: clock skew)
//   2 order  ts-order            |=====|             20..80+j        |=============order==============|          20..320+j
//   3 mongo  ts-order              |===|             30..70+j          |===========mongo.insert=====|            30..310+j
//   4 seat   ts-seat             |===|               20..60          |=====seat=====|    2× slower, hidden by order: 20..100
//   5 notify ts-notification             |====...|   150+j..260+j                                 |===...|  390+j..500+j
//                                                    (outlives pres and gw; clipped to pres)
//   slowed path: gw 5, notify 45, pres 70, order 10, mongo 280+j, order 10, pres 20  →  bottleneck ts-order-service
//   (300+j µs, its largest operation mongo.insert), never ts-seat-service.
//   Trace 7 of the fault window lost its `pres` span: order, seat and notify are orphans, grafted under gw.
function request(w: number, i: number, slowed: boolean, lost = false): Drawn[] {
  const j = i % 5;
  const trace = tid(w, i);
  const t = (x: Drawn): Drawn => [`${x[0]}${w}_${i}`, x[1] ? `${x[1]}${w}_${i}` : '', x[2], x[3], { trace, ...x[4] }];
  const e = slowed ? 240 : 0;
  const rows: Drawn[] = [
    t(['gw', '', 0, 200 + j + e, { service: pod('ts-ui-dashboard', i), operation: 'POST /api/v1/preserve' }]),
    t(['order', 'pres', 20, 80 + j + e, { service: pod('ts-order-service', i), operation: 'createOrder' }]),
    t(['mongo', 'order', 30, 70 + j + e, { service: pod('ts-order-service', i), operation: 'mongo.insert' }]),
    t(['seat', 'pres', 20, slowed ? 100 : 60, { service: pod('ts-seat-service', i), operation: 'distributeSeat' }]),
    t(['notify', 'pres', 150 + j + e, 260 + j + e, { service: pod('ts-notification-service', i), operation: 'send' }]),
  ];
  if (!lost)
    rows.push(t(['pres', 'gw', -3, 195 + j + e, { service: pod('ts-preserve-service', i), operation: 'preserve' }]));
  return rows;
}

// Baseline window: 30 normal requests. Fault window: 30 requests, those with i % 5 ≠ 0 slowed (24, 80%).
const baselineRows = [...Array(30).keys()].flatMap((i) => request(0, i, false));
const faultRows = [...Array(30).keys()].flatMap((i) => request(1, i, i % 5 !== 0, i === 7));
const slowedIds = [...Array(30).keys()].filter((i) => i % 5 !== 0).map((i) => tid(1, i));

describe('slow traces in a messy fault window', () => {
  const normal = spanTableFromRows(baselineRows.map(drawnSpan));
  const fault = spanTableFromRows(faultRows.map(drawnSpan));

  it('flags nothing when normal is learnt from the fault window itself', () => {
    expect(analyzeSlowTraces(fault).slowCount).toBe(0);
  });

  it('flags exactly the slowed requests against the baseline window and blames the mongo insert', () => {
    const r = analyzeSlowTraces(fault, { baseline: { table: normal } });
    expect(r.slowTraces.map((s) => s.traceId).sort()).toEqual([...slowedIds].sort());
    expect(r.endpoints).toEqual([
      expect.objectContaining({ service: 'ts-ui-dashboard', operation: 'POST /api/v1/preserve', baselineTraces: 30 }),
    ]);
    for (const s of r.slowTraces) {
      expect(s.bottleneck).toMatchObject({ service: 'ts-order-service', operation: 'mongo.insert' });
      expect(s.cause).toMatchObject({ service: 'ts-order-service', operation: 'mongo.insert' });
      // Its service's time on the path: createOrder 10 + 10 and mongo.insert 280 + j.
      expect(s.bottleneck.exclusiveMs).toBe((300 + ((Number.parseInt(s.traceId, 16) - 2000) % 5)) / 1000);
    }
    const lost = r.slowTraces.find((s) => s.traceId === tid(1, 7))!;
    expect(lost.durationMs).toBe(0.442);
    expect(r.bottlenecks.map((b) => b.service)).toEqual(['ts-order-service']);
    expect(r.suggestions.length).toBeGreaterThan(0);
    expect(r.suggestions.every((s) => s.evidence.length > 0)).toBe(true);
    expect(r.suggestions.map((s) => s.service)).not.toContain('ts-seat-service');
  });

  it('shows in the top-down tree that the slower seat call never reached the critical path', () => {
    const r = analyzeSlowTraces(fault, { baseline: { table: normal } });
    const at = (...path: string[]) => r.topDown.nodes.find((n) => n.path.join(' > ') === path.join(' > '))!;
    const root = 'ts-ui-dashboard:POST /api/v1/preserve';
    const pres = 'ts-preserve-service:preserve';
    const mongo = at(root, pres, 'ts-order-service:createOrder', 'ts-order-service:mongo.insert');
    // 23 slow traces keep pres (the lost one hangs under gw); fast: the 6 unslowed requests.
    expect(mongo.stats.traces).toBe(23);
    expect(mongo.stats.frequency).toBeCloseTo(23 / 24, 12);
    expect(mongo.baseline).toMatchObject({ traces: 6, meanExclusiveNano: 40_000 });
    const seat = at(root, pres, 'ts-seat-service:distributeSeat');
    expect(seat.stats).toMatchObject({ traces: 23, onPathTraces: 0, meanExclusiveNano: 0, meanSelfNano: 80_000 });
    expect(seat.baseline).toMatchObject({ meanSelfNano: 40_000, onPathTraces: 0 });
    // Ranked by subtree growth: pres (its own time unchanged) leads, because the mongo insert sits under it.
    const first = r.topDown.nodes[r.topDown.nodes[r.topDown.roots[0]!]!.children[0]!]!;
    expect(first.path.at(-1)).toBe(pres);
    expect(first.delta.meanExclusiveNano).toBeLessThan(0);
    expect(first.delta.meanSubtreeNano).toBeGreaterThan(200_000);
    expect(r.topDown.nodes[first.children[0]!]!.path.at(-1)).toBe('ts-order-service:createOrder');
    // The orphans of trace 7, grafted under gw.
    expect(at(root, 'ts-order-service:createOrder').stats.traces).toBe(1);
  });

  it('merges pods of one workload into one node and sums exclusive time to the path length', () => {
    const paths = criticalPaths(buildTraceTree(fault));
    const td = topDownCriticalPath(paths);
    expect(td.roots.length).toBe(1);
    expect(new Set(td.nodes.map((n) => n.service))).toEqual(
      new Set([
        'ts-ui-dashboard',
        'ts-preserve-service',
        'ts-order-service',
        'ts-seat-service',
        'ts-notification-service',
      ]),
    );
    const sum = td.nodes.reduce((s, n) => s + n.stats.meanExclusiveNano, 0);
    expect(sum).toBeCloseTo(td.meanTotalNano, 6);
  });
});
