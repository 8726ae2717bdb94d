import { describe, expect, it } from 'vitest';
import { spanRecord, spanTableFromRows } from './records.ts';
import { buildChildrenIndex, buildTraceTree } from './trace-tree.ts';

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

describe('buildTraceTree on messy, interleaved traces', () => {
  const T1 = '11'.repeat(16);
  const T2 = '22'.repeat(16);
  const at = (trace: string, id: string, parent: string | undefined, start: number, end: number) => ({
    ...span(id, parent, 'svc', start, end),
    traceId: trace,
  });
  //  row trace span parent   0    20   40   60   80   100        200
  //   0  T1    a    -        |==========================|            0..100
  //   1  T2    f1   -        |=============|                         0..50
  //   2  T1    c    a              |==|                              20..30  (same start as b, earlier row)
  //   3  T1    b    a              |=====|                           20..40
  //   4  T2    f2   f1          |==|                                 10..20
  //   5  T1    b    a                       |==|                     50..60  (repeats span id b: duplicate)
  //   6  T1    71   72         |                                     5..6    (71 and 72 are each other's parent:
  //   7  T1    72   71         |                                     5..6     a cycle, broken at 71)
  //   8  T1    d    -                                 |============| 70..200 (a second root)
  //   9  T1    e    b                |=|                             25..30  (child of the first b)
  //  pre-order T1: a c b e b' d | 71 72    T2: f1 f2
  //  self(a) = 100 - (20..40 ∪ 50..60) = 70 µs
  const table = spanTableFromRows([
    at(T1, 'a', undefined, 0, 100),
    at(T2, 'f1', undefined, 0, 50),
    at(T1, 'c', 'a', 20, 30),
    at(T1, 'b', 'a', 20, 40),
    at(T2, 'f2', 'f1', 10, 20),
    at(T1, 'b', 'a', 50, 60),
    at(T1, '71', '72', 5, 6),
    at(T1, '72', '71', 5, 6),
    at(T1, 'd', undefined, 70, 200),
    at(T1, 'e', 'b', 25, 30),
  ]);
  const tree = buildTraceTree(table);

  it('groups interleaved rows by trace in table order', () => {
    expect(tree.traces.traceCount).toBe(2);
    expect(Array.from(tree.traces.traceOfRow)).toEqual([0, 1, 0, 0, 1, 0, 0, 0, 0, 0]);
    expect(Array.from(tree.traces.offsets)).toEqual([0, 8, 10]);
    expect(Array.from(tree.traces.rows)).toEqual([0, 2, 3, 5, 6, 7, 8, 9, 1, 4]);
  });

  it('links to the first span of a repeated id and reports the repeat', () => {
    expect(Array.from(tree.links.parent)).toEqual([-1, -1, 0, 0, 1, 0, 7, 6, -1, 3]);
    expect(Array.from(tree.links.duplicates)).toEqual([5]);
    expect(Array.from(tree.links.roots)).toEqual([0, 1, 8]);
    expect(Array.from(tree.links.orphans)).toEqual([]);
  });

  it('orders children by start, then by row', () => {
    const { childOffsets, children } = tree.links;
    expect(Array.from(children.subarray(childOffsets[0], childOffsets[1]))).toEqual([2, 3, 5]);
  });

  it('walks roots by start, then breaks each cycle at its first row', () => {
    expect(Array.from(tree.order)).toEqual([0, 2, 3, 9, 5, 8, 6, 7, 1, 4]);
    expect(Array.from(tree.orderOffsets)).toEqual([0, 8, 10]);
    expect(Array.from(tree.depth)).toEqual([0, 0, 1, 1, 1, 1, 0, 1, 0, 2]);
    expect(Array.from(tree.issues.cycles)).toEqual([6]);
  });

  it('merges overlapping children in self time', () => {
    expect(tree.selfNano[0]).toBe(70_000);
    expect(tree.selfNano[3]).toBe(15_000);
  });

  it('gives the same links with a prebuilt trace index', () => {
    const again = buildChildrenIndex(table, { traceIndex: tree.traces });
    expect(Array.from(again.parent)).toEqual(Array.from(tree.links.parent));
    expect(Array.from(again.children)).toEqual(Array.from(tree.links.children));
  });
});

describe('buildChildrenIndex on many children', () => {
  // One root with 200 children whose start times run backwards (row k+1 starts at 200-k µs): the long list is
  // sorted by start, and every ten rows two children start together (ties by row).
  const T = '33'.repeat(16);
  const rows = [{ ...span('1', undefined, 'api', 0, 1000), traceId: T }];
  for (let k = 0; k < 200; k++) {
    const s = 200 - k + (k % 10 === 1 ? 1 : 0);
    rows.push({ ...span((k + 2).toString(16), '1', 'api', s, s + 1), traceId: T });
  }
  const idx = buildChildrenIndex(spanTableFromRows(rows));

  it('sorts a long unsorted child list by (start, row)', () => {
    const kids = Array.from(idx.children.subarray(idx.childOffsets[0], idx.childOffsets[1]));
    const expected = Array.from({ length: 200 }, (_, k) => k + 1).sort((a, b) => {
      const sa = 200 - (a - 1) + ((a - 1) % 10 === 1 ? 1 : 0);
      const sb = 200 - (b - 1) + ((b - 1) % 10 === 1 ? 1 : 0);
      return sa - sb || a - b;
    });
    expect(kids).toEqual(expected);
    expect(kids.slice(0, 4)).toEqual([200, 199, 198, 197]);
  });
});
