import { spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { renderWaterfallText } from './render-waterfall-text.ts';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const BASE = 1_700_000_000_000_000_000n;
const span = (
  id: string,
  parent: string | undefined,
  service: string,
  operation: string,
  startMs: number,
  endMs: number,
  extra: object = {},
) => ({
  traceId: T,
  spanId: id.padStart(16, '0'),
  ...(parent ? { parentSpanId: parent.padStart(16, '0') } : {}),
  service,
  operation,
  startUnixNano: BASE + BigInt(startMs) * 1_000_000n,
  endUnixNano: BASE + BigInt(endMs) * 1_000_000n,
  ...extra,
});

describe('renderWaterfallText', () => {
  //   a api GET /checkout   |==================================|  0..100 ms
  //   b cart GetCart            |==========|                      10..40
  //   c redis GET                |=|                              12..15
  //   d payment Charge                        |=================|  45..95  (error)
  //   e lost orphan (parent ff missing)  |===|                    20..30
  //   critical path: a 0..10, d 45..95
  const table = spanTableFromRows([
    span('a', undefined, 'api', 'GET /checkout', 0, 100),
    span('b', 'a', 'cart', 'GetCart', 10, 40),
    span('c', 'b', 'redis', 'GET', 12, 15),
    span('d', 'a', 'payment', 'Charge', 45, 95, { statusCode: 'error' }),
    span('e', 'ff', 'lost', 'orphan', 20, 30),
  ]);
  const criticalPath = [
    { row: 0, startNano: 0, endNano: 10e6 },
    { row: 3, startNano: 45e6, endNano: 95e6 },
  ];

  it('draws the tree with bars in eighths of a cell on one axis, flags and warnings', () => {
    expect(renderWaterfallText(table, { width: 80, criticalPath })).toBe(
      [
        'trace 4bf92f3577b34da6a3ce929d0e0e4736 · 5 spans · 5 services · 100.00 ms',
        '                               0                            100.00 ms',
        '* ~ api GET /checkout         │██████████████████████████████████████│ 100.00 ms',
        '  ~ ├─ cart GetCart           │   ▕███████████▎                      │  30.00 ms',
        '    │  └─ redis GET           │    ▐▊                                │   3.00 ms',
        '*!~ └─ payment Charge         │                 ███████████████████▏ │  50.00 ms',
        '    ? lost orphan             │       ▐███▌                          │  10.00 ms',
        '* critical path  ! error  ~ slow (exclusive time ≥ 20% of the trace)',
        'warning: 1 span whose parent is missing (shown as extra roots)',
        '',
      ].join('\n'),
    );
  });

  it('keeps every line exactly `width` characters wide', () => {
    for (const width of [40, 80, 123]) {
      const lines = renderWaterfallText(table, { width }).split('\n');
      for (const line of lines.slice(2, 7)) expect(Array.from(line).length).toBe(width);
    }
  });

  it('uses an explicit slow threshold on duration and truncates long labels', () => {
    // 11 cells of 8 eighths: cart 10..40 ms covers eighths 8..36, so three full cells and a half cell.
    const out = renderWaterfallText(table, { width: 40, slowThresholdMs: 50 });
    expect(out.split('\n')[1]).toBe(`${' '.repeat(18)}0 100.00 ms`);
    expect(out.split('\n').slice(2, 8)).toEqual([
      '  ~ api GET /ch… │███████████│ 100.00 ms',
      '    ├─ cart Get… │ ███▌      │  30.00 ms',
      '    │  └─ redis… │ ▌         │   3.00 ms',
      ' !~ └─ payment … │    ▕█████▌│  50.00 ms',
      '    ? lost orph… │  █▍       │  10.00 ms',
      '! error  ~ slow (≥ 50.00 ms)',
    ]);
  });

  it('writes ANSI colours only when asked', () => {
    expect(renderWaterfallText(table)).not.toContain('\x1b[');
    const coloured = renderWaterfallText(table, { color: true, criticalPath });
    expect(coloured).toContain('\x1b[31m*!~\x1b[0m');
    expect(coloured).toContain('\x1b[1;36m████');
  });

  it('stops after maxSpans lines and says how many were left out', () => {
    const out = renderWaterfallText(table, { width: 60, maxSpans: 2 }).split('\n');
    expect(out.filter((l) => l.includes('│')).length).toBe(2);
    expect(out).toContain('… 3 more spans not shown (maxSpans 2)');
  });

  it('draws a zero-length trace and an empty table without dividing by zero', () => {
    const single = spanTableFromRows([span('a', undefined, 'api', 'ping', 5, 5)]);
    expect(renderWaterfallText(single, { width: 40 }).split('\n')[2]).toBe('    api ping     │███████████│      0 µs');
    expect(renderWaterfallText(spanTableFromRows([]))).toBe('no spans\n');
  });
});
