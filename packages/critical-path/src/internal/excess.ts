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
// of max(0, min(critical-path time, self time) − bound).
// Reference: modified z-score, Iglewicz and Hoaglin (1993); CRISP, Zhang et al., ATC'22 (critical-path components).
import type { CriticalPaths } from '../critical-paths.ts';
import type { Attribution } from './attribution.ts';
import { robustThreshold } from './stats.ts';

/** Per-trace critical-path time beyond the normal range of each component of its endpoint, ns (NaN: not judged). */
export function pathExcess(
  paths: CriticalPaths,
  attribution: Attribution,
  opCodes: Int32Array,
  opCount: number,
  endpointTraces: readonly (readonly number[])[],
  judged: (e: number) => boolean,
  z: number,
  minPresence: number,
): Float64Array {
  const excess = new Float64Array(paths.tree.traces.traceCount).fill(Number.NaN);
  const { traces, selfNano } = paths.tree;
  const { segmentOffsets, segmentRow, segmentStartNano, segmentEndNano } = paths;
  const { code } = attribution;
  const perTrace = new Map<number, number>();
  const selfOf = new Map<number, number>();
  const sumTrace = (t: number): Map<number, number> => {
    perTrace.clear();
    for (let s = segmentOffsets[t]!; s < segmentOffsets[t + 1]!; s++) {
      const r = segmentRow[s]!;
      const k = code[r]! * opCount + opCodes[r]!;
      perTrace.set(k, (perTrace.get(k) ?? 0) + (segmentEndNano[s]! - segmentStartNano[s]!));
    }
    return perTrace;
  };
  const selfTrace = (t: number, into: Map<number, number>): Map<number, number> => {
    into.clear();
    for (let i = traces.offsets[t]!; i < traces.offsets[t + 1]!; i++) {
      const r = traces.rows[i]!;
      const k = code[r]! * opCount + opCodes[r]!;
      into.set(k, (into.get(k) ?? 0) + selfNano[r]!);
    }
    return into;
  };
  endpointTraces.forEach((list, e) => {
    if (!judged(e)) return;
    const values = new Map<number, number[]>();
    for (const t of list) {
      for (const [k, v] of selfTrace(t, perTrace)) {
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
    for (const t of list) {
      let x = 0;
      selfTrace(t, selfOf);
      for (const [k, p] of sumTrace(t)) {
        // Only self time on the path counts: a parent also owns path time while non-blocking children run.
        const v = Math.min(p, selfOf.get(k) ?? 0);
        const b = bound.get(k) ?? 0;
        if (v > b) x += v - b;
      }
      excess[t] = x;
    }
  });
  return excess;
}
