// Exact latency percentiles of grouped samples: counting sort by group, then selection of the three nearest ranks in
// each group: O(m) per group instead of sorting it. Large groups are bracketed first: a sorted sample of 1,024
// values gives a narrow value range around each rank, one pass counts the values below it and keeps those inside,
// and the rank is selected among the few kept (one pass over the group instead of three quickselects).

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
 * Nearest-rank percentile (see {@link nearestRank}) of samples in any order, by selection: `samples` is reordered.
 */
export function nearestRankOf(samples: Float64Array, q: number): number {
  const n = samples.length;
  if (n === 0) return Number.NaN;
  const k = rank(n, q);
  select(samples, 0, n - 1, k);
  return samples[k]!;
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
  const picked = new Float64Array(3);
  for (let g = 0; g < groups; g++) {
    const a = offsets[g]!;
    const n = offsets[g + 1]! - a;
    // Nearest ranks, selected from the top down: each selection leaves the smaller samples left of its rank.
    const k99 = rank(n, 0.99);
    const k95 = rank(n, 0.95);
    const k50 = rank(n, 0.5);
    let p50 = Number.NaN;
    let p95 = Number.NaN;
    let p99 = Number.NaN;
    if (n >= BRACKET_MIN && bracketRanks(sorted, a, n, k50, k95, k99, picked)) {
      p50 = picked[0]!;
      p95 = picked[1]!;
      p99 = picked[2]!;
    } else if (n > 0) {
      select(sorted, a, a + n - 1, a + k99);
      if (k95 < k99) select(sorted, a, a + k99 - 1, a + k95);
      if (k50 < k95) select(sorted, a, a + k95 - 1, a + k50);
      p50 = sorted[a + k50]!;
      p95 = sorted[a + k95]!;
      p99 = sorted[a + k99]!;
    }
    out.push({
      count: n,
      errors: errors[g]!,
      meanMs: n ? sums[g]! / n / 1e6 : Number.NaN,
      p50Ms: p50 / 1e6,
      p95Ms: p95 / 1e6,
      p99Ms: p99 / 1e6,
    });
  }
  return out;
}

// Groups at least this large are bracketed before selection; sample size and half-width (in sample positions) of
// each bracket: ±24 of 1,024 keeps about 5% of the group per rank.
const BRACKET_MIN = 4096;
const BRACKET_SAMPLE = 1024;
const BRACKET_MARGIN = 24;

/**
 * Values of ranks k0 ≤ k1 ≤ k2 of `a[from .. from+n)` into `out`, by bracketing (see the header), without
 * reordering `a`. False when a bracket missed its rank or kept too much (the caller then selects as usual).
 */
function bracketRanks(
  a: Float64Array,
  from: number,
  n: number,
  k0: number,
  k1: number,
  k2: number,
  out: Float64Array,
): boolean {
  const sample = new Float64Array(BRACKET_SAMPLE);
  for (let j = 0; j < BRACKET_SAMPLE; j++) sample[j] = a[from + Math.floor(((j + 0.5) * n) / BRACKET_SAMPLE)]!;
  sample.sort();
  const bound = (k: number, side: number): number => {
    const pos = Math.floor((k / n) * BRACKET_SAMPLE) + side * BRACKET_MARGIN;
    if (pos < 0) return Number.NEGATIVE_INFINITY;
    if (pos >= BRACKET_SAMPLE) return Number.POSITIVE_INFINITY;
    return sample[pos]!;
  };
  const lo0 = bound(k0, -1);
  const hi0 = bound(k0, 1);
  const lo1 = bound(k1, -1);
  const hi1 = bound(k1, 1);
  const lo2 = bound(k2, -1);
  const hi2 = bound(k2, 1);
  const cap = (n >>> 3) + 1024;
  const b0 = new Float64Array(cap);
  const b1 = new Float64Array(cap);
  const b2 = new Float64Array(cap);
  let below0 = 0;
  let below1 = 0;
  let below2 = 0;
  let n0 = 0;
  let n1 = 0;
  let n2 = 0;
  let above = 0;
  for (let i = from, end = from + n; i < end; i++) {
    const v = a[i]!;
    if (v < lo0) below0++;
    else if (v <= hi0) {
      if (n0 === cap) return false;
      b0[n0++] = v;
    }
    if (v < lo1) below1++;
    else if (v <= hi1) {
      if (n1 === cap) return false;
      b1[n1++] = v;
    }
    if (v < lo2) below2++;
    else if (v <= hi2) {
      if (n2 === cap) return false;
      b2[n2++] = v;
    } else if (v > hi2) above++;
  }
  // NaN durations compare false everywhere: the counts then do not add up, and selection decides as before.
  if (below2 + n2 + above !== n) return false;
  if (!(below0 <= k0 && k0 < below0 + n0 && below1 <= k1 && k1 < below1 + n1 && below2 <= k2 && k2 < below2 + n2)) {
    return false;
  }
  select(b0, 0, n0 - 1, k0 - below0);
  select(b1, 0, n1 - 1, k1 - below1);
  select(b2, 0, n2 - 1, k2 - below2);
  out[0] = b0[k0 - below0]!;
  out[1] = b1[k1 - below1]!;
  out[2] = b2[k2 - below2]!;
  return true;
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
