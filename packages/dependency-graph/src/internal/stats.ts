// Exact latency percentiles of grouped samples: counting sort by group, then selection (quickselect) of the three
// nearest ranks in each group: O(m) per group instead of sorting it.

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
    const a = offsets[g]!;
    const n = offsets[g + 1]! - a;
    // Nearest ranks, selected from the top down: each selection leaves the smaller samples left of its rank.
    const k99 = rank(n, 0.99);
    const k95 = rank(n, 0.95);
    const k50 = rank(n, 0.5);
    if (n > 0) {
      select(sorted, a, a + n - 1, a + k99);
      if (k95 < k99) select(sorted, a, a + k99 - 1, a + k95);
      if (k50 < k95) select(sorted, a, a + k95 - 1, a + k50);
    }
    out.push({
      count: n,
      errors: errors[g]!,
      meanMs: n ? sums[g]! / n / 1e6 : Number.NaN,
      p50Ms: n ? sorted[a + k50]! / 1e6 : Number.NaN,
      p95Ms: n ? sorted[a + k95]! / 1e6 : Number.NaN,
      p99Ms: n ? sorted[a + k99]! / 1e6 : Number.NaN,
    });
  }
  return out;
}

// The nearest-rank index of quantile q among n samples (see nearestRank).
function rank(n: number, q: number): number {
  return Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
}

/**
 * Rearranges `a[lo..hi]` (inclusive) so that `a[k]` holds the value it would hold if the range were sorted, with no
 * larger value left of it and no smaller value right of it. Quickselect with a median-of-three pivot; a range that
 * refuses to shrink is sorted instead, so the worst case stays O(m log m).
 */
export function select(a: Float64Array, lo: number, hi: number, k: number): void {
  let budget = 2 * (32 - Math.clz32(hi - lo + 1)) + 8;
  while (hi > lo) {
    if (hi - lo < 16 || budget-- === 0) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    const mid = (lo + hi) >>> 1;
    // Median of three into a[mid], with a[lo] ≤ a[mid] ≤ a[hi] as sentinels.
    if (a[mid]! < a[lo]!) swap(a, mid, lo);
    if (a[hi]! < a[lo]!) swap(a, hi, lo);
    if (a[hi]! < a[mid]!) swap(a, hi, mid);
    const pivot = a[mid]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    // Now a[lo..j] ≤ pivot ≤ a[i..hi], and j < i; anything between equals the pivot.
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
