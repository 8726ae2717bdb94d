import { describe, expect, it } from 'vitest';
import {
  countDevianceZ,
  medianMad,
  poissonLogLowerTail,
  poissonLogUpperTail,
  quantileSorted,
  quantilesInPlace,
  zFromLogP,
} from './stats.ts';

describe('stats', () => {
  it('scores counts by the signed root of the quasi-Poisson deviance', () => {
    // 9 requests where 27 were expected: 2 (9 ln(9/27) + 18) = 16.22 → z = −4.03 (exact Poisson lower tail ≈ −3.9).
    expect(countDevianceZ(9, 27)).toBeCloseTo(-4.028, 3);
    // Twice the Poisson variance (negative binomial, φM = 1) shrinks z by √2.
    expect(countDevianceZ(9, 27, 2)).toBeCloseTo(-2.848, 3);
    expect(countDevianceZ(0, 10)).toBeCloseTo(-Math.sqrt(20), 6);
    expect(countDevianceZ(30, 10)).toBeCloseTo(5.091, 3);
    expect(countDevianceZ(10, 10)).toBe(0);
  });

  it('computes median and MAD', () => {
    expect(medianMad([1, 2, 3, 4, 100])).toEqual({ median: 3, mad: 1, n: 5 });
    expect(medianMad([Number.NaN, 5])).toEqual({ median: 5, mad: 0, n: 1 });
  });
  it('selects the same quantiles as sorting', () => {
    const values = Array.from({ length: 1001 }, (_, i) => (i * 7919) % 1001);
    const out = new Float64Array(3);
    quantilesInPlace(Float64Array.from(values), 0, values.length, [0.5, 0.95, 0.99], out);
    const sorted = Float64Array.from(values).sort();
    expect(Array.from(out)).toEqual([0.5, 0.95, 0.99].map((q) => quantileSorted(sorted, q)));
    const few = new Float64Array([30, 10, 20, 40]);
    quantilesInPlace(few, 0, 4, [0.5, 0.95, 0.99], out);
    expect(Array.from(out).map((x) => Math.round(x * 100) / 100)).toEqual([25, 38.5, 39.7]);
  });
  it('gives Poisson tails and z-scores', () => {
    // P(X ≥ 3 | λ = 0.5) = 1 - e^-0.5 (1 + 0.5 + 0.125) = 0.01439
    expect(Math.exp(poissonLogUpperTail(3, 0.5))).toBeCloseTo(0.014388, 5);
    // P(X ≤ 0 | λ = 10) = e^-10
    expect(poissonLogLowerTail(0, 10)).toBeCloseTo(-10, 6);
    expect(zFromLogP(Math.log(1e-6))).toBeCloseTo(4.75, 1);
    expect(zFromLogP(Math.log(0.0013499))).toBeCloseTo(3, 1);
  });
});
