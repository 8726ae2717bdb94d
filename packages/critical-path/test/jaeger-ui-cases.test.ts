// The critical-path cases of jaeger-ui (CriticalPath/testCases/test1..test9, Apache-2.0), redrawn as timelines,
// and the jaeger-ui TraceStatistics trace files (test/fixtures/jaeger-ui, copied with attribution).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { criticalPath } from '../src/index.ts';
import { type Drawn, draw, pathText, tableFromJaegerFile, usAt } from './draw.ts';

interface Case {
  readonly name: string;
  readonly spans: readonly Drawn[];
  readonly path: readonly string[];
}

const cases: readonly Case[] = [
  {
    //   C |=================================================|   1..101
    //   D         |=========|                                   20..40
    //   E                        |====|                         50..60
    //   path: C 60..101, E 50..60, C 40..50, D 20..40, C 1..20
    name: 'test1: two sequential children',
    spans: [
      ['E', 'C', 50, 60],
      ['C', '', 1, 101],
      ['D', 'C', 20, 40],
    ],
    path: ['C 60..101', 'E 50..60', 'C 40..50', 'D 20..40', 'C 1..20'],
  },
  {
    //   X |=================================================|   1..101
    //   A      |===================|                           10..50
    //   C          |====================|                      20..60   (finishes last: A overlaps it)
    //   path: X 60..101, C 20..60, X 1..20
    name: 'test2: overlapping children',
    spans: [
      ['X', '', 1, 101],
      ['A', 'X', 10, 50],
      ['C', 'X', 20, 60],
    ],
    path: ['X 60..101', 'C 20..60', 'X 1..20'],
  },
  {
    //   A |=============|                  1..31
    //   B                  |==========|    40..80   wholly after its parent: dropped with its child
    //   C                     |===|        50..60
    //   path: A 1..31
    name: 'test4: a child after its parent is dropped with its subtree',
    spans: [
      ['A', '', 1, 31],
      ['B', 'A', 40, 80],
      ['C', 'B', 50, 60],
    ],
    path: ['A 1..31'],
  },
  {
    //   A |=============|            1..31
    //   B      |====|                10..20   FOLLOWS_FROM A: never blocks it
    //   C       |=|                  12..14
    //   path: A 1..31
    name: 'test5: a FOLLOWS_FROM child does not block its parent',
    spans: [
      ['A', '', 1, 31],
      ['B', 'A', 10, 20, { followsFrom: true }],
      ['C', 'B', 12, 14],
    ],
    path: ['A 1..31'],
  },
  {
    //   A |==============|                 1..30
    //   B           |==========|          15..35   clipped to 15..30
    //   C       |=======|                 10..25   starts before its parent B: clipped to 15..25
    //   path: B 25..30, C 15..25, A 1..15
    name: 'test6: a grandchild that starts before its parent is clipped',
    spans: [
      ['A', '', 1, 30],
      ['B', 'A', 15, 35],
      ['C', 'B', 10, 25],
    ],
    path: ['B 25..30', 'C 15..25', 'A 1..15'],
  },
  {
    //   A |==============|                 1..30
    //   B           |==========|          15..35   clipped to 15..30
    //   C              |==========|       20..40   clipped to B's clipped interval: 20..30
    //   path: C 20..30, B 15..20, A 1..15
    name: 'test7: children that outlive their parents are clipped recursively',
    spans: [
      ['A', '', 1, 30],
      ['B', 'A', 15, 35],
      ['C', 'B', 20, 40],
    ],
    path: ['C 20..30', 'B 15..20', 'A 1..15'],
  },
  {
    //   A      |==========|               10..30
    //   B   |================|             5..35   sticks out on both sides: clipped to 10..30
    //   path: B 10..30
    name: 'test8: a child longer than its parent on both sides covers it',
    spans: [
      ['A', '', 10, 30],
      ['B', 'A', 5, 35],
    ],
    path: ['B 10..30'],
  },
  {
    //   A          |==========|           10..30
    //   B  |===|                           1..5    wholly before its parent: dropped
    //   path: A 10..30
    name: 'test9: a child before its parent is dropped',
    spans: [
      ['A', '', 10, 30],
      ['B', 'A', 1, 5],
    ],
    path: ['A 10..30'],
  },
];

describe('criticalPath on the jaeger-ui cases', () => {
  it.each(cases)('$name', ({ spans, path }) => {
    const table = draw(spans);
    expect(pathText(table, criticalPath(table))).toEqual(path);
  });
});

const dir = join(import.meta.dirname, 'fixtures', 'jaeger-ui');

// Times in the files are µs; the paths below are in µs relative to the root's start.
const files: readonly { file: string; path: readonly string[]; warnings: readonly string[] }[] = [
  {
    //   send   |==================|           100..140
    //   async1                         |====  200..500  outside: off the path
    //   test3 of jaeger-ui: the root alone
    file: 'traceWithSingleChildLongerThanParentAndStartsAfterParent.json',
    path: ['send 0..40'],
    warnings: ['child-outside-parent'],
  },
  {
    //   send   |==================|          100..140
    //   short        |====|                  115..125
    //   async1,2                      |====  200..500, 300..400  outside
    file: 'traceWithOverlappingChildrenLongerThanParent.json',
    path: ['send 25..40', 'short child span 15..25', 'send 0..15'],
    warnings: ['child-outside-parent', 'child-outside-parent'],
  },
  {
    //   send      |====================|      0..36
    //   async 1      |=====================   3..43  clipped to 3..36
    //   shorter        |====|                 5..13  overlaps async 1
    file: 'traceWithOverlappingChildren.json',
    path: ['async task 1 3..36', 'send 0..3'],
    warnings: ['child-clipped'],
  },
  {
    //   send   |==================================|   0..36
    //   c1        |=========|                         3..13
    //   c2              |=======|                     9..17
    //   longer                  |=================|  16..34
    file: 'traceWithThreeShortChildren.json',
    path: ['send 34..36', 'longer child 16..34', 'send 13..16', 'overlapping child 1 3..13', 'send 0..3'],
    warnings: [],
  },
  {
    //   send   |==================================|   0..36
    //   c1        |===========|                       3..15
    //   c2              |=======|                     9..17
    //   c3                  |=====|                  13..19
    file: 'traceWithThreeShortOverlappingChildren.json',
    path: ['send 19..36', 'overlapping child 3 13..19', 'send 0..13'],
    warnings: [],
  },
  {
    //   send   |=====|         0..36
    //   async1 |=========...   0..79182 clipped to 0..36
    //   async2 |==|            0..12
    file: 'traceWithTwoChildrenStartedAtTraceStart.json',
    path: ['async task 1 0..36'],
    warnings: ['child-clipped'],
  },
  {
    //   send   |==================|        100..140
    //   child       |====|                 110..120
    //   async2                      |===   500..600  outside
    file: 'traceWithTwoNonOverlappingChildren.json',
    path: ['send 20..40', 'non-overlapping child 10..20', 'send 0..10'],
    warnings: ['child-outside-parent'],
  },
  {
    //   four spans with no parent reference (two share an id): the longest root is the head
    //   send   |====|       100..140
    //   test x2  |=|        110..120
    //   test1          |==| 500..600
    file: 'traceWithMultipleSpansWithTheSameValueInDifferentTags.json',
    path: ['span with test1 400..500'],
    warnings: ['several-roots'],
  },
];

describe('criticalPath on the jaeger-ui trace files', () => {
  it.each(files)('$file', ({ file, path, warnings }) => {
    const table = tableFromJaegerFile(join(dir, file));
    const result = criticalPath(table);
    const op = (row: number): string => table.stringAt('operation', row);
    expect(
      result.segments.map(
        (s) => `${op(s.row)} ${usAt(table, s.startNano) - usAt(table, 0)}..${usAt(table, s.endNano) - usAt(table, 0)}`,
      ),
    ).toEqual(path);
    expect(result.warnings.map((w) => w.kind)).toEqual(warnings);
  });
});
