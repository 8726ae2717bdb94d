import { describe, expect, it } from 'vitest';
import { select, summarizeGroups } from './stats.ts';

// A deterministic LCG, so that a failure reproduces.
function samples(n: number, distinct: number, seed: number): Float64Array {
  const out = new Float64Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = (x % distinct) * 1000;
  }
  return out;
}

describe('select', () => {
  it.each([
    [1, 1],
    [17, 5],
    [1000, 3],
    [1000, 1_000_000],
    [50_000, 2],
    [50_000, 40_000],
  ])('puts the k-th smallest of %i samples (%i distinct values) at k', (n, distinct) => {
    const data = samples(n, distinct, n + distinct);
    const sorted = Float64Array.from(data).sort();
    for (const k of [0, n >> 1, Math.floor(n * 0.95), n - 1]) {
      const a = Float64Array.from(data);
      select(a, 0, n - 1, k);
      expect(a[k]).toBe(sorted[k]);
      for (let i = 0; i < k; i++) if (a[i]! > a[k]!) expect.fail(`a[${i}] = ${a[i]} > a[${k}]`);
      for (let i = k + 1; i < n; i++) if (a[i]! < a[k]!) expect.fail(`a[${i}] = ${a[i]} < a[${k}]`);
    }
  });

  it('handles sorted and reverse-sorted input', () => {
    const up = Float64Array.from({ length: 10_000 }, (_, i) => i);
    const down = Float64Array.from({ length: 10_000 }, (_, i) => 10_000 - i);
    select(up, 0, 9999, 9899);
    select(down, 0, 9999, 9899);
    expect(up[9899]).toBe(9899);
    expect(down[9899]).toBe(9900);
  });
});

describe('summarizeGroups', () => {
  it('gives nearest-rank percentiles per group, equal to sorting', () => {
    // Group 0: durations 1..200 ms in scrambled order; group 1: one sample; group 2: none; -1 is skipped.
    const group = new Int32Array(203);
    const dur = new Float64Array(203);
    const err = new Uint8Array(203);
    for (let k = 0; k < 200; k++) dur[k] = (((k * 37) % 200) + 1) * 1e6;
    group[200] = 1;
    dur[200] = 7e6;
    err[200] = 1;
    group[201] = -1;
    dur[201] = 1e12;
    group[202] = 0;
    dur[202] = 0;
    const [a, b, c] = summarizeGroups(3, 203, group, dur, err);
    expect(a).toEqual({ count: 201, errors: 0, meanMs: 20100 / 201, p50Ms: 100, p95Ms: 190, p99Ms: 198 });
    expect(b).toEqual({ count: 1, errors: 1, meanMs: 7, p50Ms: 7, p95Ms: 7, p99Ms: 7 });
    expect(c!.count).toBe(0);
    expect(c!.p99Ms).toBeNaN();
  });

  it.each([
    ['many distinct values', 60_000, 1_000_000],
    ['heavy ties (3 values)', 60_000, 3],
    ['a few hundred values', 9_000, 300],
    ['just above the bracketing size', 4_096, 4_096],
  ])('gives the ranks of a sort on large groups: %s', (_name, n, distinct) => {
    const data = samples(n, distinct, n * 7 + distinct);
    const sorted = Float64Array.from(data).sort();
    const at = (q: number): number => sorted[Math.min(n - 1, Math.ceil(q * n) - 1)]! / 1e6;
    const [s] = summarizeGroups(1, n, new Int32Array(n), data, new Uint8Array(n));
    expect([s!.p50Ms, s!.p95Ms, s!.p99Ms]).toEqual([at(0.5), at(0.95), at(0.99)]);
  });

  it('gives the ranks of a sort on a large group in ascending and descending order', () => {
    const n = 20_000;
    const up = Float64Array.from({ length: n }, (_, i) => i * 1e6);
    const down = Float64Array.from({ length: n }, (_, i) => (n - 1 - i) * 1e6);
    for (const d of [up, down]) {
      const [s] = summarizeGroups(1, n, new Int32Array(n), d, new Uint8Array(n));
      expect([s!.p50Ms, s!.p95Ms, s!.p99Ms]).toEqual([9999, 18999, 19799]);
    }
  });
});
