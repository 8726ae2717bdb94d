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
