import { concatSpanTables, type SpanInput, type SpanTable } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { compareTraceGroups } from '../src/index.ts';
import { traceFromRows } from './fixture.ts';

const v = (version: string): Partial<SpanInput> => ({ resource: { 'service.version': version } });
const tier = (t: string, req: string): Partial<SpanInput> => ({
  attributes: { 'customer.tier': t, 'request.id': req },
});

// baseline (3 traces, 1.4.0)                      target (2 traces, 1.5.0)
// api GET /checkout   |==========|      0..100    |==================================|  0..1000
// inventory SELECT      |=|             10..20      |==============================|    10..910
// payment charge           |=====|      30..80                                    |=|   920..970
// fraud check         (only in the 2nd target trace)                                |   975..990
function baselineTrace(i: number): SpanTable {
  return traceFromRows(`a${i}`.padStart(32, '0'), [
    ['1', '', 'api', 'GET /checkout', 0, 100, tier('gold', `r${i}`)],
    ['2', '1', 'inventory', 'SELECT stock', 10, 20, v('1.4.0')],
    ['3', '1', 'payment', 'charge', 30, 80],
  ]);
}
function targetTrace(i: number): SpanTable {
  return traceFromRows(`b${i}`.padStart(32, '0'), [
    ['1', '', 'api', 'GET /checkout', 0, 1000, tier(i === 1 ? 'free' : 'gold', `s${i}`)],
    ['2', '1', 'inventory', 'SELECT stock', 10, 910, v('1.5.0')],
    ['3', '1', 'payment', 'charge', 920, 970],
    ...(i === 2 ? ([['4', '1', 'fraud', 'check', 975, 990]] as const) : []),
  ]);
}
const baseline = concatSpanTables([baselineTrace(1), baselineTrace(2), baselineTrace(3)]);
const target = concatSpanTables([targetTrace(1), targetTrace(2)]);

describe('compareTraceGroups', () => {
  const c = compareTraceGroups(baseline, target);

  it('summarises both groups', () => {
    expect(c.baseline).toEqual({ traceCount: 3, spanCount: 9, meanMs: 100, p50Ms: 100, p95Ms: 100 });
    expect(c.target).toEqual({ traceCount: 2, spanCount: 7, meanMs: 1000, p50Ms: 1000, p95Ms: 1000 });
    expect(c.meanDiffMs).toBe(900);
  });

  it('ranks operations by the exclusive time they add per trace', () => {
    expect(c.operations.map((o) => [o.service, o.deltaSelfMsPerTrace])).toEqual([
      ['inventory', 890],
      ['fraud', 7.5],
      ['api', 2.5],
      ['payment', 0],
    ]);
    expect(c.operations[0]).toMatchObject({
      operation: 'SELECT stock',
      baselineTraces: 3,
      targetTraces: 2,
      baselineFrequency: 1,
      targetFrequency: 1,
      baselineCallsPerTrace: 1,
      baselineSelfMsPerTrace: 10,
      targetSelfMsPerTrace: 900,
      baselineP50Ms: 10,
      targetP50Ms: 900,
      effectSize: 1,
    });
    expect(c.operations[0]!.shareOfDelta).toBeCloseTo(890 / 900, 12);
    expect(c.operations[1]).toMatchObject({ baselineFrequency: 0, targetFrequency: 0.5, baselineTraces: 0 });
    expect(c.operations[1]!.baselineP50Ms).toBeNaN();
  });

  it('ranks services the same way', () => {
    expect(c.services.map((s) => [s.service, s.operation, s.deltaSelfMsPerTrace])).toEqual([
      ['inventory', '', 890],
      ['fraud', '', 7.5],
      ['api', '', 2.5],
      ['payment', '', 0],
    ]);
  });

  it('ranks attribute values by the change of the share of traces carrying them, skipping ids', () => {
    expect(c.attributes.map((a) => [a.key, a.value, a.baselineTraces, a.targetTraces, a.delta])).toEqual([
      ['service.version', '1.4.0', 3, 0, -1],
      ['service.version', '1.5.0', 0, 2, 1],
      ['customer.tier', 'free', 0, 1, 0.5],
      ['customer.tier', 'gold', 3, 1, -0.5],
    ]);
    expect(c.attributes[1]!.effectSize).toBeCloseTo(Math.PI, 12);
  });

  it('words the strongest shifts', () => {
    expect(c.hypotheses.map((h) => h.text)).toEqual([
      'inventory SELECT stock adds 890 ms of exclusive time per trace in the target group (10 ms → 900 ms), 99% of the 900 ms change of the mean trace duration.',
      'service.version=1.4.0 is on 0% of the target traces and 100% of the baseline traces.',
      'service.version=1.5.0 is on 100% of the target traces and 0% of the baseline traces.',
      'customer.tier=free is on 50% of the target traces and 0% of the baseline traces.',
    ]);
  });

  it('leaves out high-cardinality keys and says so', () => {
    const d = compareTraceGroups(baseline, target, { maxValuesPerKey: 1 });
    expect(d.attributes).toEqual([]);
    expect(d.warnings).toEqual([
      'left out attribute key(s) with more than 1 distinct values: customer.tier, service.version',
    ]);
  });

  it('compares statements by shape', () => {
    const q = (id: string, stmt: string): SpanTable =>
      traceFromRows(id.padStart(32, '0'), [['1', '', 'db', 'q', 0, 10, { attributes: { 'db.statement': stmt } }]]);
    const d = compareTraceGroups(
      concatSpanTables([q('c1', 'SELECT * FROM t WHERE id = 1'), q('c2', 'SELECT * FROM t WHERE id = 2')]),
      concatSpanTables([q('d1', 'SELECT * FROM t WHERE id IN (1, 2, 3)')]),
      { attributeKeys: ['db.statement'] },
    );
    expect(d.attributes.map((a) => [a.value, a.baselineTraces, a.targetTraces])).toEqual([
      ['SELECT * FROM t WHERE id = ?', 2, 0],
      ['SELECT * FROM t WHERE id IN (?)', 0, 1],
    ]);
  });
});
