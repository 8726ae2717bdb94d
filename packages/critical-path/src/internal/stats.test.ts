import { describe, expect, it } from 'vitest';
import { durationStats, weightedDurationStats } from './stats.ts';

describe('weightedDurationStats', () => {
  it('equals durationStats of the list with each value repeated its (whole) weight times', () => {
    const values = [30, 10, 50, 20, 40];
    const weights = [2, 1, 3, 1, 4];
    const expanded = values.flatMap((v, i) => Array<number>(weights[i]!).fill(v));
    expect(weightedDurationStats(values, weights)).toEqual(durationStats(expanded));
    expect(weightedDurationStats(values, [1, 1, 1, 1, 1])).toEqual(durationStats(values));
  });

  it('rounds the count of fractional weights and is empty-safe', () => {
    expect(weightedDurationStats([1e6, 3e6], [1.5, 1.5])).toMatchObject({ count: 3, meanMs: 2, maxMs: 3 });
    expect(weightedDurationStats([], [])).toEqual(durationStats([]));
  });
});
