// Small statistics over sorted typed arrays: quantiles and Cliff's delta.

/** The q-quantile (0..1) of ascending `sorted`, linear interpolation; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const x = (n - 1) * q;
  const lo = Math.floor(x);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (x - lo);
}

/**
 * Cliff's delta of `y` against `x` (both ascending): P(y > x) − P(y < x), in −1..1; 0 when either is empty.
 * O(n + m) by merging.
 */
export function cliffsDelta(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) return 0;
  let greater = 0;
  let less = 0;
  let lo = 0; // x[0..lo) < y[j]
  let le = 0; // x[0..le) <= y[j]
  for (let j = 0; j < m; j++) {
    const v = y[j];
    while (lo < n && x[lo] < v) lo++;
    while (le < n && x[le] <= v) le++;
    greater += lo;
    less += n - le;
  }
  return (greater - less) / (n * m);
}

/** Cohen's h between two proportions (target − baseline). */
export function cohensH(baseline: number, target: number): number {
  return 2 * Math.asin(Math.sqrt(target)) - 2 * Math.asin(Math.sqrt(baseline));
}
