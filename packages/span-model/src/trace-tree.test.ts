import { describe, expect, it } from 'vitest';
import { spanRecord, spanTableFromRows } from './records.ts';
import { buildTraceTree } from './trace-tree.ts';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const BASE = 1_700_000_000_000_000_000n;
const span = (id: string, parent: string | undefined, service: string, start: number, end: number) => ({
  traceId: T,
  spanId: id.padStart(16, '0'),
  ...(parent ? { parentSpanId: parent.padStart(16, '0') } : {}),
  service,
  operation: `op-${id}`,
  startUnixNano: BASE + BigInt(start) * 1000n,
  endUnixNano: BASE + BigInt(end) * 1000n,
});

describe('buildTraceTree', () => {
  //   a root   |==============================|   0..100
  //   b           |=========|                      10..40
  //   c                 |=========|                30..60   (overlaps b)
  //   d                                 |======== 90..120  (outlives the root)
  //   e  orphan (parent ff not in trace)            20..30
  //   self(a) = 100 - 50 - 10 = 40 µs
  const table = spanTableFromRows([
    span('a', undefined, 'api', 0, 100),
    span('c', 'a', 'db', 30, 60),
    span('b', 'a', 'cache', 10, 40),
    span('d', 'a', 'queue', 90, 120),
    span('e', 'ff', 'lost', 20, 30),
  ]);
  const tree = buildTraceTree(table);

  it('links each span to its parent and orders children by start', () => {
    expect(Array.from(tree.links.parent)).toEqual([-1, 0, 0, 0, -1]);
    expect(Array.from(tree.order).map((r) => table.stringAt('service', r))).toEqual([
      'api',
      'cache',
      'db',
      'queue',
      'lost',
    ]);
    expect(Array.from(tree.depth)).toEqual([0, 1, 1, 1, 0]);
  });

  it('merges overlapping children and clips children to the parent for self time', () => {
    expect(tree.selfNano[0]).toBe(40_000);
    expect(tree.selfNano[1]).toBe(30_000);
  });

  it('reports orphans and clock skew without dropping spans', () => {
    expect(Array.from(tree.issues.orphans)).toEqual([4]);
    expect(tree.issues.clockSkew).toEqual([
      { row: 3, parentRow: 0, startsBeforeParentNano: 0, endsAfterParentNano: 20_000, followsFrom: false },
    ]);
    expect(table.numSpans).toBe(5);
  });

  it('keeps timestamps exact to the nanosecond', () => {
    expect(spanRecord(table, 3).startTimeUnixNano).toBe('1700000000000090000');
    expect(spanRecord(table, 3).durationNano).toBe('30000');
  });
});
