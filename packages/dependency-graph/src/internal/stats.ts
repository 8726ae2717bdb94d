// Exact latency percentiles of grouped samples: counting sort by group, then a numeric sort of each group.

/** Latency summary of one group of samples, in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly errors: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
}

/**
 * Nearest-rank percentile of an ascending array: the smallest sample with at least `q` of the samples at or below
 * it (so it is always an observed value). NaN for an empty array.
 */
export function nearestRank(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const k = Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  return sorted[k]!;
}

/**
 * Summaries of `count` samples split into `groups` groups: `group[k]` is the group of sample k (−1 to skip),
 * `durNano[k]` its duration, `err[k]` 1 when it failed.
 */
export function summarizeGroups(
  groups: number,
  count: number,
  group: Int32Array,
  durNano: Float64Array,
  err: Uint8Array,
): LatencySummary[] {
  const offsets = new Int32Array(groups + 1);
  for (let k = 0; k < count; k++) {
    const g = group[k]!;
    if (g >= 0) offsets[g + 1]!++;
  }
  for (let g = 0; g < groups; g++) offsets[g + 1]! += offsets[g]!;
  const fill = offsets.slice(0, groups);
  const sorted = new Float64Array(offsets[groups]!);
  const errors = new Int32Array(groups);
  const sums = new Float64Array(groups);
  for (let k = 0; k < count; k++) {
    const g = group[k]!;
    if (g < 0) continue;
    const d = durNano[k]!;
    sorted[fill[g]!++] = d;
    sums[g]! += d;
    if (err[k]) errors[g]!++;
  }
  const out: LatencySummary[] = [];
  for (let g = 0; g < groups; g++) {
    const s = sorted.subarray(offsets[g]!, offsets[g + 1]!);
    s.sort();
    const n = s.length;
    out.push({
      count: n,
      errors: errors[g]!,
      meanMs: n ? sums[g]! / n / 1e6 : Number.NaN,
      p50Ms: nearestRank(s, 0.5) / 1e6,
      p95Ms: nearestRank(s, 0.95) / 1e6,
      p99Ms: nearestRank(s, 0.99) / 1e6,
    });
  }
  return out;
}

/** A growable set of (group, duration, error) samples in typed arrays. */
export class SampleBuffer {
  group: Int32Array;
  dur: Float64Array;
  err: Uint8Array;
  length = 0;
  constructor(capacity: number) {
    this.group = new Int32Array(Math.max(16, capacity));
    this.dur = new Float64Array(Math.max(16, capacity));
    this.err = new Uint8Array(Math.max(16, capacity));
  }
  push(group: number, durNano: number, err: number): void {
    if (this.length === this.group.length) {
      const cap = this.length * 2;
      const g = new Int32Array(cap);
      g.set(this.group);
      const d = new Float64Array(cap);
      d.set(this.dur);
      const e = new Uint8Array(cap);
      e.set(this.err);
      this.group = g;
      this.dur = d;
      this.err = e;
    }
    this.group[this.length] = group;
    this.dur[this.length] = durNano;
    this.err[this.length++] = err;
  }
}
