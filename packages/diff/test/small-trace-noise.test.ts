import { spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { diffTraces } from '../src/index.ts';

// Four spans are too few to measure a trace's own noise: the changed span must not hide its own change.
//
//   normal                           abnormal
//   0 gateway GET /p |=====| 0..8    0 gateway GET /p |==============================| 0..404
//   1 inventory GET  | ===|  1..7    1 inventory GET  | =============================| 1..403
//   2 SELECT stock   |  ==|  2..6    2 SELECT stock   |  ==========================| 2..402
//   3 cache GET      | =|    1..2    3 cache GET      | =|                             1..2
const MS = 1_000_000n;
const trace = (id: string, selectEndMs: number) =>
  spanTableFromRows(
    [
      {
        traceId: id,
        spanId: '1',
        service: 'gateway',
        operation: 'GET /p',
        startUnixNano: 0n,
        endUnixNano: (selectEndMs + 2) * Number(MS),
      },
      {
        traceId: id,
        spanId: '2',
        parentSpanId: '1',
        service: 'inventory',
        operation: 'GET',
        startUnixNano: MS,
        endUnixNano: (selectEndMs + 1) * Number(MS),
      },
      {
        traceId: id,
        spanId: '3',
        parentSpanId: '2',
        service: 'inventory',
        operation: 'SELECT stock',
        startUnixNano: 2n * MS,
        endUnixNano: selectEndMs * Number(MS),
        attributes: { 'db.system': 'postgresql' },
      },
      {
        traceId: id,
        spanId: '4',
        parentSpanId: '1',
        service: 'gateway',
        operation: 'cache GET',
        startUnixNano: MS,
        endUnixNano: 2n * MS,
      },
    ].map((s) => ({
      ...s,
      startUnixNano: BigInt(s.startUnixNano) + 1_700_000_000_000_000_000n,
      endUnixNano: BigInt(s.endUnixNano) + 1_700_000_000_000_000_000n,
    })),
  );

describe('diffTraces on a small trace', () => {
  it('ranks a 100× slower query first as a real change, not noise', () => {
    const d = diffTraces(trace('a1', 6), trace('b2', 402));
    expect(d.findings[0]).toMatchObject({ kind: 'slower', service: 'inventory', operation: 'SELECT stock' });
    expect(d.findings[0]!.signal).not.toBe('noise');
    expect(d.durationDiffMs).toBe(396);
  });
});
