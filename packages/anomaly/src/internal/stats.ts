// Small robust statistics used by the detectors: median, MAD, quantiles, Poisson tails and z from p-values.

/** Median of the finite values of `values` (NaN when there are none). Does not modify the input. */
export function median(values: ArrayLike<number>): number {
  const v = finiteSorted(values);
  return quantileSorted(v, 0.5);
}

/** The finite values, sorted ascending, as a new Float64Array. */
export function finiteSorted(values: ArrayLike<number>): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n++;
  const out = new Float64Array(n);
  let w = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (Number.isFinite(x)) out[w++] = x;
  }
  return out.sort();
}

/** Linear-interpolated quantile `q` (0..1) of an ascending array (NaN when empty). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (n === 1) return sorted[0]!;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median and median absolute deviation (unscaled) of the finite values. */
export function medianMad(values: ArrayLike<number>): { median: number; mad: number; n: number } {
  const v = finiteSorted(values);
  const m = quantileSorted(v, 0.5);
  const dev = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) dev[i] = Math.abs(v[i]! - m);
  dev.sort();
  return { median: m, mad: quantileSorted(dev, 0.5), n: v.length };
}

/** 1.4826 × MAD estimates the standard deviation of normal data. */
export const MAD_TO_SIGMA = 1.4826;

const LOG_FACT_CACHE: number[] = [0, 0];
function logFactorial(k: number): number {
  if (k < LOG_FACT_CACHE.length) return LOG_FACT_CACHE[k]!;
  if (k < 4096) {
    for (let i = LOG_FACT_CACHE.length; i <= k; i++) LOG_FACT_CACHE[i] = LOG_FACT_CACHE[i - 1]! + Math.log(i);
    return LOG_FACT_CACHE[k]!;
  }
  // Stirling series: exact to ~1e-10 for large k.
  return k * Math.log(k) - k + 0.5 * Math.log(2 * Math.PI * k) + 1 / (12 * k);
}

/** Natural log of P(X ≥ k) for X ~ Poisson(lambda). */
export function poissonLogUpperTail(k: number, lambda: number): number {
  if (k <= 0) return 0;
  if (lambda <= 0) return Number.NEGATIVE_INFINITY;
  // Sum terms from k upward in log space; terms shrink once j > lambda.
  let logTerm = -lambda + k * Math.log(lambda) - logFactorial(k);
  let logSum = logTerm;
  for (let j = k + 1; j < k + 10_000; j++) {
    logTerm += Math.log(lambda / j);
    if (logTerm < logSum - 40) break;
    logSum = logSum + Math.log1p(Math.exp(logTerm - logSum));
  }
  return Math.min(0, logSum);
}

/** Natural log of P(X ≤ k) for X ~ Poisson(lambda). */
export function poissonLogLowerTail(k: number, lambda: number): number {
  if (k < 0) return Number.NEGATIVE_INFINITY;
  if (lambda <= 0) return 0;
  let logTerm = -lambda + k * Math.log(lambda) - logFactorial(k);
  let logSum = logTerm;
  for (let j = k; j > 0; j--) {
    logTerm += Math.log(j / lambda);
    if (logTerm < logSum - 40) break;
    logSum = logSum + Math.log1p(Math.exp(logTerm - logSum));
  }
  return Math.min(0, logSum);
}

/** A z-like score for a one-sided tail probability given as a natural log (0 for p = 1, ~4.75 for p = 1e-6). */
export function zFromLogP(logP: number): number {
  if (!(logP < 0)) return 0;
  // Invert ln p ≈ -z²/2 - ln z - ln √(2π) by fixed-point iteration; good to ~0.01 above z = 1.
  const t = -2 * logP - Math.log(2 * Math.PI);
  if (t <= 1) return Math.sqrt(Math.max(0, -2 * logP * 0.5));
  let z2 = t;
  for (let i = 0; i < 4; i++) z2 = Math.max(1, t - Math.log(z2));
  return Math.sqrt(z2);
}

/** Clamp into [lo, hi]. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Moves the k-th smallest of a[lo..hi] (inclusive) to a[k], smaller ones before it, larger after (quickselect). */
export function selectInPlace(a: Float64Array, lo: number, hi: number, k: number): void {
  while (hi > lo) {
    if (hi - lo < 16) {
      for (let i = lo + 1; i <= hi; i++) {
        const x = a[i]!;
        let j = i - 1;
        while (j >= lo && a[j]! > x) {
          a[j + 1] = a[j]!;
          j--;
        }
        a[j + 1] = x;
      }
      return;
    }
    const mid = (lo + hi) >>> 1;
    // Median of three as pivot.
    let x = a[lo]!;
    let y = a[mid]!;
    let z = a[hi]!;
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/**
 * Linear-interpolated quantiles `qs` (ascending) of a[lo..hi) without sorting: quickselect per quantile, each on
 * the part above the previous one. Reorders the range. Writes NaN for an empty range.
 */
export function quantilesInPlace(
  a: Float64Array,
  lo: number,
  hi: number,
  qs: readonly number[],
  out: Float64Array,
): void {
  const n = hi - lo;
  if (n === 0) {
    out.fill(Number.NaN);
    return;
  }
  let from = lo;
  for (let q = 0; q < qs.length; q++) {
    const pos = qs[q]! * (n - 1);
    const k = lo + Math.floor(pos);
    selectInPlace(a, from, hi - 1, k);
    let v = a[k]!;
    const frac = pos - Math.floor(pos);
    if (frac > 0 && k + 1 < hi) {
      let next = Number.POSITIVE_INFINITY;
      for (let i = k + 1; i < hi; i++) if (a[i]! < next) next = a[i]!;
      v += (next - v) * frac;
    }
    out[q] = v;
    from = k;
  }
}

/**
 * Signed root of the quasi-Poisson deviance of a count `x` against its expectation `mu`, with variance `c` × mu
 * (c = 1 is Poisson; a negative binomial with variance M + φM² has c = 1 + φM): the likelihood-ratio statistic
 * sign(x − μ) · √(2 [x ln(x/μ) − (x − μ)] / c), close to a standard normal deviate even in the far tails of a
 * count (unlike (x − μ)/√μ, which overstates spikes and understates drops of small counts).
 */
export function countDevianceZ(x: number, mu: number, c = 1): number {
  if (!(mu > 0)) return x > 0 ? Number.POSITIVE_INFINITY : 0;
  const dev = 2 * ((x > 0 ? x * Math.log(x / mu) : 0) - (x - mu));
  const z = Math.sqrt(Math.max(0, dev) / Math.max(1, c));
  return x >= mu ? z : -z;
}
