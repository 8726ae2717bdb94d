import { describe, expect, it } from 'vitest';
import { bar, chain, fitSeries, sparkline } from '../src/internal/analysis/common.ts';
import { drawBoxes, drawTree, layersOf } from '../src/internal/analysis/graph-text.ts';
import { autocorrelationAt, groupSorted, nearestRank, trendOf } from '../src/internal/analysis/series.ts';
import { colors } from '../src/internal/format.ts';

describe('nearestRank', () => {
  it('returns an observed value', () => {
    const s = Float64Array.from([10, 20, 30, 40]);
    expect(nearestRank(s, 0.5)).toBe(20);
    expect(nearestRank(s, 0.95)).toBe(40);
    expect(nearestRank(s, 0.25, 1, 3)).toBe(20);
    expect(nearestRank(s, 0.5, 2, 2)).toBeNaN();
  });
});

describe('groupSorted', () => {
  it('groups values by key, sorted, leaving out negative keys', () => {
    const g = groupSorted(Int32Array.from([1, 0, 1, -1, 0]), Float64Array.from([5, 3, 1, 9, 2]), 2);
    expect(Array.from(g.offsets)).toEqual([0, 2, 4]);
    expect(Array.from(g.values)).toEqual([2, 3, 1, 5]);
  });
});

describe('trendOf', () => {
  const x = Float64Array.from({ length: 48 }, (_, i) => i);
  it('finds a rising series with the Theil–Sen slope', () => {
    // 100 ms + 2 ms per hour, with one outlier that least squares would follow.
    const y = Float64Array.from(x, (h) => 100 + 2 * h + (h === 40 ? 500 : 0));
    const tr = trendOf(x, y);
    expect(tr.direction).toBe('rising');
    expect(tr.slope).toBe(2);
    expect(tr.z).toBeGreaterThan(1.96);
  });
  it('calls a noisy level series flat', () => {
    const y = Float64Array.from(x, (h) => 100 + ((h * 7919) % 13) - 6);
    expect(trendOf(x, y).direction).toBe('flat');
  });
  it('calls a significant but tiny change flat', () => {
    const y = Float64Array.from(x, (h) => 1000 + h * 0.01);
    const tr = trendOf(x, y);
    expect(tr.z).toBeGreaterThan(1.96);
    expect(tr.direction).toBe('flat');
  });
});

describe('autocorrelationAt', () => {
  it('is close to 1 at the period of a periodic series on a trend, and low elsewhere', () => {
    // 5-minute buckets over 3 hours: an hourly cycle (12 buckets) on a rising line.
    const y = Float64Array.from({ length: 36 }, (_, i) => 100 + i + 30 * Math.sin((2 * Math.PI * i) / 12));
    expect(autocorrelationAt(y, 12)).toBeGreaterThan(0.99);
    expect(autocorrelationAt(y, 6)).toBeLessThan(-0.9);
  });
  it('is NaN for a constant series', () => {
    expect(autocorrelationAt(new Float64Array(30).fill(4), 12)).toBeNaN();
  });
});

describe('terminal drawing', () => {
  const c = colors(false);
  it('draws bars, sparklines and chains', () => {
    expect(bar(0.5, 4)).toBe('██');
    expect(bar(0.5, 1)).toBe('▌');
    expect(bar(1 / 8, 1)).toBe('▏');
    expect(sparkline([0, 1, 2, Number.NaN, 8])).toBe('▁▂▃ █');
    expect(chain(['payment', 'checkout', 'frontend'])).toBe('payment ──▶ checkout ──▶ frontend');
    expect(Array.from(fitSeries(Float64Array.from([1, 3, 5, 7]), 2))).toEqual([2, 6]);
  });

  //   frontend ──▶ checkout ──▶ orders-db
  //                   └──────▶ payment ──▶ checkout (a cycle back)
  const nodes = [
    { name: 'frontend', kind: 'service', calls: 10 },
    { name: 'checkout', kind: 'service', calls: 10 },
    { name: 'orders-db', kind: 'database', calls: 8 },
    { name: 'payment', kind: 'external', calls: 5 },
  ];
  const e = (from: string, to: string, calls: number) => ({ from, to, calls, p99Ms: 12, errorRate: 0 });
  const edges = [
    e('frontend', 'checkout', 10),
    e('checkout', 'orders-db', 8),
    e('checkout', 'payment', 5),
    e('payment', 'checkout', 1),
  ];

  it('layers nodes by the longest path from the entries, cutting cycles', () => {
    expect(Object.fromEntries(layersOf(nodes, edges))).toEqual({
      frontend: 0,
      checkout: 1,
      'orders-db': 2,
      payment: 2,
    });
  });

  it('draws layers of boxes with their outgoing arrows', () => {
    const lines = drawBoxes(nodes, edges, 100, c)!;
    expect(lines.slice(0, 3)).toEqual(['  ┌──────────┐', '  │ frontend │', '  └──────────┘']);
    expect(lines).toContain('    frontend ──▶ checkout  10 calls · p99 12.0ms');
    expect(lines.at(-1)).toBe('    payment ──▶ checkout ↑ 1 calls · p99 12.0ms');
    expect(drawBoxes(nodes, edges, 20, c)).toBeUndefined();
  });

  it('draws an indented tree, showing a node seen before only once', () => {
    expect(drawTree(nodes, edges, c)).toEqual([
      '  frontend  10 requests',
      '  └─▶ checkout  10 calls · p99 12.0ms',
      '      ├─▶ orders-db [db]  8 calls · p99 12.0ms',
      '      └─▶ payment [ext]  5 calls · p99 12.0ms',
      '          └─▶ checkout ↺ (above)  1 calls · p99 12.0ms',
    ]);
  });
});
