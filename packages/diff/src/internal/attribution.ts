// Splits the end-to-end latency difference of two aligned traces into per-span contributions that sum to it.
//
// Three modes, best first:
//   critical-path            both critical paths given. Each piece of the abnormal path is compared with what the
//                            same piece took in the normal trace: a paired span on the abnormal path contributes its
//                            time on the path minus its normal exclusive time × the fraction of its abnormal
//                            exclusive time that is on the path; a new span its time on the path. What the normal
//                            trace spent beyond that (its critical path ran elsewhere) is debited to the spans of the
//                            normal critical path that are off the abnormal path, by their time on it. A span whose
//                            branch merely became critical, unchanged, thus contributes ~0.
//   critical-path-estimated  only the abnormal path given: the same, the debit spread over the normal spans off the
//                            abnormal path by exclusive time.
//   exclusive-time           no path: top-down over the aligned tree, a pair's duration change is split into its
//                            exclusive-time change and its children's duration changes, the latter scaled down when
//                            concurrent children overlap (any remainder stays with the parent).
// Retries: with a path, the parent's path time between a failed call and its new same-named retry (the back-off)
// is credited to the retry.
import type { CriticalPathSegment } from '@aiops/span-model';
import type { Alignment } from './align.ts';
import { childrenOf, spanFailed, type TraceView } from './trace-view.ts';

/** How the contributions were computed. */
export type AttributionMode = 'critical-path' | 'critical-path-estimated' | 'exclusive-time';

/** Contribution of every span, ns: paired and new spans on the abnormal rows, missing spans on the normal rows. */
export interface Attribution {
  readonly mode: AttributionMode;
  readonly abnormalNano: Float64Array;
  readonly normalNano: Float64Array;
  /** Time of each abnormal row on the abnormal critical path (zeros in exclusive-time mode). */
  readonly abnormalPathNano: Float64Array;
}

/** Rows of the subtree of the primary root (what the end-to-end latency is made of). */
export function rootSubtreeMask(view: TraceView): Uint8Array {
  const mask = new Uint8Array(view.table.numSpans);
  const stack = [view.root];
  while (stack.length > 0) {
    const r = stack.pop()!;
    if (mask[r]) continue;
    mask[r] = 1;
    for (const c of childrenOf(view, r)) stack.push(c);
  }
  return mask;
}

function pathTime(
  view: TraceView,
  segments: readonly CriticalPathSegment[],
  label: string,
  warnings: string[],
): Float64Array {
  const { startNano, endNano } = view.table.times;
  const rs = startNano[view.root];
  const re = endNano[view.root];
  const out = new Float64Array(view.table.numSpans);
  let sum = 0;
  let foreign = 0;
  for (const seg of segments) {
    if (seg.row < 0 || seg.row >= out.length || !view.inTrace[seg.row]) {
      foreign++;
      continue;
    }
    const s = seg.startNano < rs ? rs : seg.startNano;
    const e = seg.endNano > re ? re : seg.endNano;
    if (e <= s) continue;
    out[seg.row] += e - s;
    sum += e - s;
  }
  if (foreign > 0) warnings.push(`${foreign} ${label} critical-path segment(s) name spans outside the compared trace`);
  const residual = view.durationNano - sum;
  if (Math.abs(residual) > 1000) {
    warnings.push(
      `the ${label} critical path covers ${(sum / 1e6).toFixed(3)} ms of the ${(view.durationNano / 1e6).toFixed(3)} ms ` +
        `root span; the remaining ${(residual / 1e6).toFixed(3)} ms is attributed to the root span`,
    );
  }
  out[view.root] += residual;
  return out;
}

/** Computes the contributions in the best mode the inputs allow. */
export function attribute(
  normal: TraceView,
  abnormal: TraceView,
  alignment: Alignment,
  abnormalPath: readonly CriticalPathSegment[] | undefined,
  normalPath: readonly CriticalPathSegment[] | undefined,
  warnings: string[],
): Attribution {
  const { normalToAbnormal, abnormalToNormal } = alignment;
  const contribA = new Float64Array(abnormal.table.numSpans);
  const contribN = new Float64Array(normal.table.numSpans);
  if (abnormalPath) {
    const cpA = pathTime(abnormal, abnormalPath, 'abnormal', warnings);
    const cpN = normalPath ? pathTime(normal, normalPath, 'normal', warnings) : undefined;
    if (!cpN) {
      warnings.push(
        'no normal critical path given: the time the normal trace spent off the abnormal path is spread over its ' +
          'spans by exclusive time',
      );
    }
    const baseline = normalBaseline(normal, abnormal, alignment, cpA, cpN);
    for (const r of abnormal.rows) {
      const m = abnormalToNormal[r];
      contribA[r] = m >= 0 ? cpA[r] - baseline[m] : cpA[r];
    }
    for (const r of normal.rows) if (normalToAbnormal[r] < 0) contribN[r] = -baseline[r];
    creditRetryBackoff(abnormal, alignment, abnormalPath, contribA);
    return {
      mode: cpN ? 'critical-path' : 'critical-path-estimated',
      abnormalNano: contribA,
      normalNano: contribN,
      abnormalPathNano: cpA,
    };
  }
  warnings.push(
    'no critical path given: the difference is attributed by exclusive-time change along the tree, which ' +
      'over-credits work that ran concurrently with the slow part; pass options.criticalPath for exact attribution',
  );
  allocateByExclusiveTime(normal, abnormal, alignment, contribA, contribN);
  return {
    mode: 'exclusive-time',
    abnormalNano: contribA,
    normalNano: contribN,
    abnormalPathNano: new Float64Array(abnormal.table.numSpans),
  };
}

/**
 * What each normal span contributes to the normal duration, seen from the abnormal path: the normal time of the
 * abnormal path's pieces, plus the rest of the normal duration on the normal spans off the abnormal path. Sums to
 * the normal duration.
 */
function normalBaseline(
  normal: TraceView,
  abnormal: TraceView,
  alignment: Alignment,
  cpA: Float64Array,
  cpN: Float64Array | undefined,
): Float64Array {
  const selfN = normal.tree.selfNano;
  const selfA = abnormal.tree.selfNano;
  const base = new Float64Array(normal.table.numSpans);
  const inRoot = rootSubtreeMask(normal);
  let sum = 0;
  for (const n of normal.rows) {
    if (!inRoot[n]) continue;
    const a = alignment.normalToAbnormal[n];
    if (a < 0 || cpA[a] <= 0) continue;
    const share = selfA[a] > 0 ? Math.min(1, cpA[a] / selfA[a]) : 1;
    base[n] = selfN[n] * share;
    sum += base[n];
  }
  const residual = normal.durationNano - sum;
  let weight = 0;
  const offPath = (n: number): boolean => {
    const a = alignment.normalToAbnormal[n];
    return inRoot[n] === 1 && (a < 0 || cpA[a] <= 0);
  };
  const weightOf = (n: number): number => (cpN ? cpN[n] : selfN[n]);
  for (const n of normal.rows) if (offPath(n)) weight += weightOf(n);
  if (weight > 0) {
    for (const n of normal.rows) if (offPath(n)) base[n] += (residual * weightOf(n)) / weight;
  } else {
    base[normal.root] += residual;
  }
  return base;
}

/**
 * Moves the parent's path time between a failed call and its retry (the back-off) to the retry: a new span whose
 * latest earlier same-named sibling failed.
 */
function creditRetryBackoff(
  abnormal: TraceView,
  alignment: Alignment,
  segments: readonly CriticalPathSegment[],
  contribA: Float64Array,
): void {
  const { startNano, endNano } = abnormal.table.times;
  const parent = abnormal.tree.links.parent;
  for (const r of abnormal.rows) {
    const p = parent[r];
    if (alignment.abnormalToNormal[r] >= 0 || p < 0 || alignment.abnormalToNormal[p] < 0) continue;
    let failedBefore = -1;
    for (const s of childrenOf(abnormal, p)) {
      if (s === r || abnormal.key[s] !== abnormal.key[r] || endNano[s] > startNano[r]) continue;
      if (failedBefore < 0 || endNano[s] > endNano[failedBefore]) failedBefore = s;
    }
    if (failedBefore < 0 || !spanFailed(abnormal.table, failedBefore)) continue;
    const g0 = endNano[failedBefore];
    const g1 = startNano[r];
    let gap = 0;
    for (const seg of segments) {
      if (seg.row !== p) continue;
      const s = Math.max(seg.startNano, g0);
      const e = Math.min(seg.endNano, g1);
      if (e > s) gap += e - s;
    }
    contribA[p] -= gap;
    contribA[r] += gap;
  }
}

/** Duration of `row` clipped to `parent`'s interval, ns. */
function clippedNano(view: TraceView, row: number, parent: number): number {
  const { startNano, endNano } = view.table.times;
  const s = Math.max(startNano[row], startNano[parent]);
  const e = Math.min(endNano[row], endNano[parent]);
  return e > s ? e - s : 0;
}

function allocateByExclusiveTime(
  normal: TraceView,
  abnormal: TraceView,
  alignment: Alignment,
  contribA: Float64Array,
  contribN: Float64Array,
): void {
  const { normalToAbnormal, abnormalToNormal } = alignment;
  const durN = normal.table.times.durationNano;
  const durA = abnormal.table.times.durationNano;
  const selfN = normal.tree.selfNano;
  const selfA = abnormal.tree.selfNano;
  const visit = (rn: number, ra: number, x: number, dNode: number): void => {
    const dSelf = selfA[ra] - selfN[rn];
    const dCovered = dNode - dSelf;
    const kidsA = childrenOf(abnormal, ra);
    const kidsN = childrenOf(normal, rn);
    let sumW = 0;
    for (const c of kidsA) {
      const m = abnormalToNormal[c];
      sumW += clippedNano(abnormal, c, ra) - (m >= 0 ? clippedNano(normal, m, rn) : 0);
    }
    for (const c of kidsN) if (normalToAbnormal[c] < 0) sumW -= clippedNano(normal, c, rn);
    const ratio = sumW !== 0 ? dCovered / sumW : Number.NaN;
    const scale = ratio >= 0 && ratio <= 1 ? ratio : 1;
    const f = dNode !== 0 ? x / dNode : 1;
    let given = 0;
    for (const c of kidsA) {
      const m = abnormalToNormal[c];
      const w = clippedNano(abnormal, c, ra) - (m >= 0 ? clippedNano(normal, m, rn) : 0);
      const share = f * scale * w;
      given += share;
      if (m >= 0) visit(m, c, share, w);
      else contribA[c] += share;
    }
    for (const c of kidsN) {
      if (normalToAbnormal[c] >= 0) continue;
      const share = -f * scale * clippedNano(normal, c, rn);
      given += share;
      contribN[c] += share;
    }
    contribA[ra] += x - given;
  };
  const d = durA[abnormal.root] - durN[normal.root];
  visit(normal.root, abnormal.root, d, d);
}
