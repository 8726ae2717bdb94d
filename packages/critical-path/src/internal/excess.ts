// Critical-path excess: how much longer a trace's critical path stays in its components (service × operation)
// than those components normally take in the same endpoint. The evidence behind the default slow rule: a trace is
// slow when it is longer than usual *and* the extra time sits in components that ran beyond their own normal range.
//
//   endpoint GET /       normal: api self 20 ms, catalog 30 ms (range up to 40 ms), db 10 ms
//   trace 1   api |==|=========catalog 240 ms=========|==|   excess 200 ms (catalog beyond 40 ms) → slow
//   trace 2   api |===|====catalog 38 ms===|=db 12=|===|      excess 0: every part within its range → not slow
//
// Algorithm: per endpoint, per component, the robust upper bound exp(median + z·1.4826·MAD) of the component's
// log self time per trace, over the traces where it appears at all (on the path or not: a call that is usually
// hidden behind a concurrent sibling still has a normal duration; components seen in fewer than `minPresence`
// traces have a bound of 0: all their time is extra); a trace's excess is Σ over components on its critical path
// of max(0, min(critical-path time, self time) − bound). The bounds come from the analysed traces themselves or
// from baseline traces (another time window), whose components are matched by name.
// Reference: modified z-score, Iglewicz and Hoaglin (1993); CRISP, Zhang et al., ATC'22 (critical-path components).
import type { CriticalPaths } from '../critical-paths.ts';
import type { Attribution } from './attribution.ts';
import { robustThreshold } from './stats.ts';

/** Component keys (attributed name × operation code) of one table. */
export interface ComponentSpace {
  readonly paths: CriticalPaths;
  readonly attribution: Attribution;
  readonly opCodes: Int32Array;
  readonly opValues: readonly string[];
}

// Self time per component of trace t, into `into`.
function selfTrace(space: ComponentSpace, t: number, into: Map<number, number>): Map<number, number> {
  const { traces, selfNano } = space.paths.tree;
  const { code } = space.attribution;
  const opCount = space.opValues.length;
  into.clear();
  for (let i = traces.offsets[t]!; i < traces.offsets[t + 1]!; i++) {
    const r = traces.rows[i]!;
    const k = code[r]! * opCount + space.opCodes[r]!;
    into.set(k, (into.get(k) ?? 0) + selfNano[r]!);
  }
  return into;
}

/** The normal upper bound of each component's self time per trace over `list` (keys of `space`). */
export function componentBounds(
  space: ComponentSpace,
  list: readonly number[],
  z: number,
  minPresence: number,
): Map<number, number> {
  const values = new Map<number, number[]>();
  const scratch = new Map<number, number>();
  for (const t of list) {
    for (const [k, v] of selfTrace(space, t, scratch)) {
      if (v <= 0) continue;
      let a = values.get(k);
      if (!a) values.set(k, (a = []));
      a.push(v);
    }
  }
  const bound = new Map<number, number>();
  for (const [k, a] of values) {
    bound.set(k, a.length < minPresence ? 0 : robustThreshold(Float64Array.from(a).sort(), z));
  }
  return bound;
}

/** Bounds keyed in `from`'s component space, re-keyed by name into `to`'s (components absent from `to` dropped). */
export function translateBounds(
  bounds: Map<number, number>,
  from: ComponentSpace,
  to: ComponentSpace,
): Map<number, number> {
  const nameCode = new Map(to.attribution.names.map((n, i) => [n, i]));
  const opCode = new Map(to.opValues.map((n, i) => [n, i]));
  const fromOps = from.opValues.length;
  const out = new Map<number, number>();
  for (const [k, b] of bounds) {
    const c = nameCode.get(from.attribution.names[Math.floor(k / fromOps)]!);
    const o = opCode.get(from.opValues[k % fromOps]!);
    if (c !== undefined && o !== undefined) out.set(c * to.opValues.length + o, b);
  }
  return out;
}

/**
 * Writes into `excess` each trace's critical-path time beyond `bounds`, ns, into `culprit` the component key with
 * the most of it (-1 when none) and into `culpritNano` that component's part.
 */
export function traceExcess(
  space: ComponentSpace,
  list: readonly number[],
  bounds: Map<number, number>,
  excess: Float64Array,
  culprit: Int32Array,
  culpritNano: Float64Array,
): void {
  const { segmentOffsets, segmentRow, segmentStartNano, segmentEndNano } = space.paths;
  const { code } = space.attribution;
  const opCount = space.opValues.length;
  const perTrace = new Map<number, number>();
  const selfOf = new Map<number, number>();
  for (const t of list) {
    perTrace.clear();
    for (let s = segmentOffsets[t]!; s < segmentOffsets[t + 1]!; s++) {
      const r = segmentRow[s]!;
      const k = code[r]! * opCount + space.opCodes[r]!;
      perTrace.set(k, (perTrace.get(k) ?? 0) + (segmentEndNano[s]! - segmentStartNano[s]!));
    }
    selfTrace(space, t, selfOf);
    let x = 0;
    let top = -1;
    let topX = 0;
    for (const [k, p] of perTrace) {
      // Only self time on the path counts: a parent also owns path time while non-blocking children run.
      const v = Math.min(p, selfOf.get(k) ?? 0);
      const b = bounds.get(k) ?? 0;
      if (v > b) {
        x += v - b;
        if (v - b > topX) {
          topX = v - b;
          top = k;
        }
      }
    }
    excess[t] = x;
    culprit[t] = top;
    culpritNano[t] = topX;
  }
}
