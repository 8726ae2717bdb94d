import { describe, expect, it } from 'vitest';
import { spanTableFromRows } from './records.ts';
import { buildTraceIndex, findTrace, traceRows } from './trace-index.ts';

const row = (traceId: string, spanId: number) => ({
  traceId,
  spanId: (spanId + 1).toString(16).padStart(16, '0'),
  service: 'api',
  operation: 'GET /',
  startUnixNano: 1_700_000_000_000_000_000n + BigInt(spanId),
  durationNano: 10n,
});

describe('buildTraceIndex', () => {
  //  row  0 1 2 3 4
  //  trace A B A C B      → A: rows 0 2, B: rows 1 4, C: row 3 (ordinals by first appearance)
  const A = 'aa'.repeat(16);
  const B = 'bb'.repeat(16);
  const C = '0000000000000000d269b633813fc60c';
  const table = spanTableFromRows([row(A, 0), row(B, 1), row(A, 2), row('d269b633813fc60c', 3), row(B, 4)]);
  const index = buildTraceIndex(table);

  it('numbers traces by first appearance and keeps table order within a trace', () => {
    expect(index.traceCount).toBe(3);
    expect(Array.from(index.traceOfRow)).toEqual([0, 1, 0, 2, 1]);
    expect(Array.from(index.offsets)).toEqual([0, 2, 4, 5]);
    expect(Array.from(index.rows)).toEqual([0, 2, 1, 4, 3]);
    expect(Array.from(traceRows(index, 1))).toEqual([1, 4]);
  });

  it('finds a trace by its 64-bit or 128-bit id', () => {
    expect(findTrace(table, index, C)).toBe(2);
    expect(findTrace(table, index, 'D269B633813FC60C')).toBe(2);
    expect(findTrace(table, index, 'cc'.repeat(16))).toBe(-1);
  });

  it('groups 5,000 round-robin traces (the id table grows while filling)', () => {
    // Trace t owns rows t and t + 5000; ids differ only in their last word, then only in their first.
    const ids = Array.from({ length: 5000 }, (_, t) =>
      t % 2 ? (t + 1).toString(16).padStart(32, '0') : `${(t + 1).toString(16).padStart(8, '0')}${'0'.repeat(23)}1`,
    );
    const big = spanTableFromRows([...ids.map((id, t) => row(id, t)), ...ids.map((id, t) => row(id, 5000 + t))]);
    const idx = buildTraceIndex(big);
    expect(idx.traceCount).toBe(5000);
    expect(Array.from(idx.offsets.subarray(0, 4))).toEqual([0, 2, 4, 6]);
    expect(Array.from(traceRows(idx, 4321))).toEqual([4321, 9321]);
    expect(idx.traceOfRow[9999]).toBe(4999);
  });

  it('indexes an empty table', () => {
    const idx = buildTraceIndex(spanTableFromRows([]));
    expect(idx.traceCount).toBe(0);
    expect(Array.from(idx.offsets)).toEqual([0]);
  });
});
