// Numeric helpers of `aiops stats traces`: nearest-rank percentiles, durations grouped by key, trend and periodicity
// tests on a bucketed time series.
//
// Algorithm: trend = Theil–Sen slope with the Mann–Kendall test; periodicity = Pearson autocorrelation of the
// detrended series at the period's lag.
// Reference: Sen (1968), Mann (1945) / Kendall (1975); Box & Jenkins, autocorrelation function.

/** Nearest-rank percentile (an observed value) of an ascending array segment `[a, b)`; NaN when empty. */
export function nearestRank(sorted: Float64Array, q: number, a = 0, b: number = sorted.length): number {
  const n = b - a;
  if (n <= 0) return Number.NaN;
  return sorted[a + Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
}

/** Values grouped by key (0..keys-1) into one array with offsets, each group sorted ascending. */
export interface Grouped {
  readonly offsets: Int32Array;
  readonly values: Float64Array;
}

/** Counting sort of `values[i]` by `keyOf[i]` (keys < 0 are left out), then a numeric sort inside each group. */
export function groupSorted(keyOf: Int32Array, values: Float64Array, keys: number): Grouped {
  const offsets = new Int32Array(keys + 1);
  for (let i = 0; i < keyOf.length; i++) if (keyOf[i]! >= 0) offsets[keyOf[i]! + 1]!++;
  for (let k = 0; k < keys; k++) offsets[k + 1]! += offsets[k]!;
  const fill = offsets.slice(0, keys);
  const out = new Float64Array(offsets[keys]!);
  for (let i = 0; i < keyOf.length; i++) {
    const k = keyOf[i]!;
    if (k >= 0) out[fill[k]!++] = values[i]!;
  }
  for (let k = 0; k < keys; k++) out.subarray(offsets[k]!, offsets[k + 1]!).sort();
  return { offsets, values: out };
}

/** A monotonic trend of a series. */
export interface Trend {
  /** 'rising' / 'falling' when Mann–Kendall |z| ≥ 1.96 and the fitted change over the series is ≥ minChange. */
  readonly direction: 'rising' | 'falling' | 'flat';
  /** Theil–Sen slope, units of y per unit of x. */
  readonly slope: number;
  /** slope × (x range) / median(y): the fitted change over the series relative to its median. */
  readonly relativeChange: number;
  /** Mann–Kendall z statistic (no tie correction). */
  readonly z: number;
  /** Points used. */
  readonly points: number;
}

/** Theil–Sen slope and Mann–Kendall test of (x, y), NaN y skipped. O(n²) pairs: pass at most a few thousand points. */
export function trendOf(x: ArrayLike<number>, y: ArrayLike<number>, minChange = 0.1): Trend {
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < y.length; i++) {
    if (!Number.isNaN(y[i]!)) {
      xs.push(x[i]!);
      ys.push(y[i]!);
    }
  }
  const n = xs.length;
  if (n < 3) return { direction: 'flat', slope: 0, relativeChange: 0, z: 0, points: n };
  const slopes = new Float64Array((n * (n - 1)) / 2);
  let m = 0;
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dy = ys[j]! - ys[i]!;
      s += Math.sign(dy);
      const dx = xs[j]! - xs[i]!;
      if (dx !== 0) slopes[m++] = dy / dx;
    }
  }
  const sorted = slopes.subarray(0, m).sort();
  const slope = m === 0 ? 0 : m % 2 ? sorted[(m - 1) / 2]! : (sorted[m / 2 - 1]! + sorted[m / 2]!) / 2;
  const variance = (n * (n - 1) * (2 * n + 5)) / 18;
  const z = s === 0 ? 0 : (s - Math.sign(s)) / Math.sqrt(variance);
  const med = Float64Array.from(ys).sort()[Math.floor((n - 1) / 2)]!;
  const range = xs[n - 1]! - xs[0]!;
  const relativeChange = med > 0 ? (slope * range) / med : 0;
  const direction =
    Math.abs(z) >= 1.96 && Math.abs(relativeChange) >= minChange ? (slope > 0 ? 'rising' : 'falling') : 'flat';
  return { direction, slope, relativeChange, z, points: n };
}

/** Pearson correlation of y[t] and y[t + lag] after removing the least-squares line; NaN when too short. */
export function autocorrelationAt(y: Float64Array, lag: number): number {
  const n = y.length;
  if (lag < 1 || n - lag < 3) return Number.NaN;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += i;
    sy += y[i]!;
    sxx += i * i;
    sxy += i * y[i]!;
  }
  const denom = n * sxx - sx * sx;
  const b = denom === 0 ? 0 : (n * sxy - sx * sy) / denom;
  const a = (sy - b * sx) / n;
  const r = new Float64Array(n);
  for (let i = 0; i < n; i++) r[i] = y[i]! - (a + b * i);
  let ma = 0;
  let mb = 0;
  const k = n - lag;
  for (let i = 0; i < k; i++) {
    ma += r[i]!;
    mb += r[i + lag]!;
  }
  ma /= k;
  mb /= k;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < k; i++) {
    const da = r[i]! - ma;
    const db = r[i + lag]! - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  return va === 0 || vb === 0 ? Number.NaN : cov / Math.sqrt(va * vb);
}
