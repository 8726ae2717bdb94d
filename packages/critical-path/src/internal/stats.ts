// Small numeric helpers: quantiles, robust thresholds, rounding for JSON output.

/** The q-quantile (0..1) of sorted values, linear interpolation. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Duration distribution in milliseconds. */
export interface DurationStats {
  /** Number of traces. */
  readonly count: number;
  /** Mean, ms. */
  readonly meanMs: number;
  /** Median, ms. */
  readonly p50Ms: number;
  /** 90th percentile, ms. */
  readonly p90Ms: number;
  /** 95th percentile, ms. */
  readonly p95Ms: number;
  /** 99th percentile, ms. */
  readonly p99Ms: number;
  /** Longest, ms. */
  readonly maxMs: number;
}

/** Distribution of ns durations, reported in ms. */
export function durationStats(nanos: ArrayLike<number>): DurationStats {
  const s = Float64Array.from(nanos).sort();
  let sum = 0;
  for (const x of s) sum += x;
  const ms = (x: number): number => x / 1e6;
  return {
    count: s.length,
    meanMs: s.length ? ms(sum / s.length) : 0,
    p50Ms: ms(quantileSorted(s, 0.5)),
    p90Ms: ms(quantileSorted(s, 0.9)),
    p95Ms: ms(quantileSorted(s, 0.95)),
    p99Ms: ms(quantileSorted(s, 0.99)),
    maxMs: s.length ? ms(s[s.length - 1]!) : 0,
  };
}

/**
 * Robust outlier threshold of positive durations: exp(median(log d) + z · 1.4826 · MAD(log d)) (Iglewicz and
 * Hoaglin's modified z-score on log-durations, which are close to normal for latencies).
 */
export function robustThreshold(sorted: Float64Array, z: number): number {
  const logs = new Float64Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) logs[i] = Math.log(Math.max(1, sorted[i]!));
  const med = quantileSorted(logs, 0.5);
  const dev = logs.map((x) => Math.abs(x - med)).sort();
  // A floor on the spread keeps perfectly regular endpoints from flagging noise-level differences.
  const mad = Math.max(quantileSorted(dev, 0.5), 0.02);
  return Math.exp(med + z * 1.4826 * mad);
}

/**
 * {@link durationStats} of a weighted sample: each duration stands for `weights[i]` traces. Quantiles interpolate
 * as if each value were repeated its weight times, so integer weights give exactly the unweighted figures of the
 * expanded list; the count is the rounded sum of the weights.
 */
export function weightedDurationStats(nanos: ArrayLike<number>, weights: ArrayLike<number>): DurationStats {
  const idx = Array.from({ length: nanos.length }, (_, i) => i).sort((a, b) => nanos[a]! - nanos[b]!);
  const v = Float64Array.from(idx, (i) => nanos[i]!);
  const cum = new Float64Array(idx.length);
  let total = 0;
  let sum = 0;
  for (let k = 0; k < idx.length; k++) {
    const w = weights[idx[k]!]!;
    total += w;
    sum += w * v[k]!;
    cum[k] = total;
  }
  // The value at expanded position `x` (0-based): the first item whose cumulative weight exceeds x.
  const at = (x: number): number => {
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! > x + 1e-9) hi = mid;
      else lo = mid + 1;
    }
    return v[lo]!;
  };
  const q = (p: number): number => {
    if (v.length === 0) return 0;
    const pos = Math.max(0, total - 1) * p;
    const lo = Math.floor(pos);
    const hi = Math.ceil(pos);
    return at(lo) + (at(hi) - at(lo)) * (pos - lo);
  };
  const ms = (x: number): number => x / 1e6;
  return {
    count: Math.round(total),
    meanMs: total > 0 ? ms(sum / total) : 0,
    p50Ms: ms(q(0.5)),
    p90Ms: ms(q(0.9)),
    p95Ms: ms(q(0.95)),
    p99Ms: ms(q(0.99)),
    maxMs: v.length ? ms(v[v.length - 1]!) : 0,
  };
}
