// The aggregated critical path of many traces (CRISP's top-down view): which services and operations the latency
// of an endpoint waits on, how often and for how long — and how that differs between slow and fast traces.
//
//   slow traces (2)                          fast traces (2)
//   api  |==|=================|==|            api |==|====|==|
//   db       |=================|              db      |====|
//   db: on the path in 2/2 slow traces for 80 ms on average, against 20 ms in the fast ones → Δ 60 ms
//
// Algorithm: per trace, critical-path exclusive time summed per (service, operation); then frequency (share of the
// traces where it is on the path), mean exclusive time per trace and mean share, per group of traces.
// Reference: CRISP, Zhang et al., ATC'22 (aggregating critical paths of many traces).
import type { CriticalPaths } from './critical-paths.ts';
import { type Attribution, attributeSpans } from './internal/attribution.ts';

/** Options of {@link aggregateCriticalPath}. */
export interface AggregateOptions {
  /** Trace ordinals to aggregate. Default: every trace with a path. */
  readonly traces?: ArrayLike<number>;
  /** Trace ordinals to compare against (for example the fast traces of the same endpoint). */
  readonly baseline?: ArrayLike<number>;
  /** Fold Kubernetes pod names into their workload. Default true. */
  readonly groupPods?: boolean;
}

/** How a service or operation sits on the critical paths of one group of traces. */
export interface PathPresence {
  /** Traces whose critical path passes through it with some exclusive time. */
  readonly traces: number;
  /** `traces` / traces in the group (0..1). */
  readonly frequency: number;
  /** Exclusive time on the path per trace of the group (0 where absent), ns. */
  readonly meanExclusiveNano: number;
  /** Mean over the group of exclusive time / path length (0..1). */
  readonly meanShare: number;
}

/** One service (operation '') or service/operation of the aggregated path. */
export interface AggregatedPathRow extends PathPresence {
  /** Service, or the dependency a leaf client call waited on. */
  readonly service: string;
  /** Operation ('' on service rows). */
  readonly operation: string;
  /** The same figures over the baseline traces, when a baseline was given. */
  readonly baseline: PathPresence | undefined;
  /** meanExclusiveNano − baseline.meanExclusiveNano (the extra wait per trace), or meanExclusiveNano. */
  readonly deltaMeanExclusiveNano: number;
}

/** The aggregated critical path of a set of traces. */
export interface AggregatedCriticalPath {
  /** Traces aggregated. */
  readonly traces: number;
  /** Baseline traces (0 when none). */
  readonly baselineTraces: number;
  /** Mean path length of the traces, ns. */
  readonly meanTotalNano: number;
  /** Mean path length of the baseline, ns. */
  readonly baselineMeanTotalNano: number;
  /** Services by mean exclusive time, largest first. */
  readonly services: readonly AggregatedPathRow[];
  /** Service/operations by mean exclusive time, largest first. */
  readonly operations: readonly AggregatedPathRow[];
}

interface Acc {
  traces: number;
  exclusive: number;
  share: number;
  last: number;
}

function accumulate(
  paths: CriticalPaths,
  attribution: Attribution,
  ops: Int32Array,
  opCount: number,
  traces: ArrayLike<number>,
  byService: boolean,
): { rows: Map<number, Acc>; total: number } {
  const rows = new Map<number, Acc>();
  let total = 0;
  for (let i = 0; i < traces.length; i++) {
    const t = traces[i]!;
    const len = paths.totalNano[t]!;
    total += len;
    for (let s = paths.segmentOffsets[t]!; s < paths.segmentOffsets[t + 1]!; s++) {
      const r = paths.segmentRow[s]!;
      const key = byService ? attribution.code[r]! : attribution.code[r]! * opCount + ops[r]!;
      let a = rows.get(key);
      if (!a) {
        a = { traces: 0, exclusive: 0, share: 0, last: -1 };
        rows.set(key, a);
      }
      const x = paths.segmentEndNano[s]! - paths.segmentStartNano[s]!;
      if (a.last !== t) {
        a.last = t;
        a.traces++;
      }
      a.exclusive += x;
      if (len > 0) a.share += x / len;
    }
  }
  return { rows, total };
}

/**
 * Aggregates the critical paths of many traces per service and per service/operation, optionally against a
 * baseline group: the view no single trace shows (which call the slow requests of an endpoint wait on).
 *
 * **Details** Leaf client calls to databases, caches and external APIs count for the dependency (as in
 * {@link traceBottleneck}). `meanExclusiveNano` averages over all traces of the group, zeros included, so it is the
 * expected wait per request; `deltaMeanExclusiveNano` is the extra wait against the baseline.
 *
 * **Complexity** O(segments of the traces aggregated).
 *
 * **Gotchas** Pass traces of one endpoint: mixing endpoints averages unrelated paths.
 *
 * @example
 * ```ts
 * const agg = aggregateCriticalPath(paths, { traces: slow, baseline: fast });
 * agg.operations[0]; // { service: 'orders-db', operation: 'SELECT', frequency: 1, deltaMeanExclusiveNano: 6e7, ... }
 * ```
 */
export function aggregateCriticalPath(paths: CriticalPaths, options: AggregateOptions = {}): AggregatedCriticalPath {
  const tree = paths.tree;
  const table = tree.table;
  const traces =
    options.traces ??
    Int32Array.from({ length: tree.traces.traceCount }, (_, t) => t).filter((t) => paths.head[t]! >= 0);
  const baseline = options.baseline;
  const attribution = attributeSpans(table, tree, options.groupPods ?? true);
  const opDict = table.dict('operation');
  const opCount = opDict.values.length;
  const presence = (a: Acc | undefined, n: number): PathPresence => ({
    traces: a?.traces ?? 0,
    frequency: n > 0 ? (a?.traces ?? 0) / n : 0,
    meanExclusiveNano: n > 0 ? (a?.exclusive ?? 0) / n : 0,
    meanShare: n > 0 ? (a?.share ?? 0) / n : 0,
  });
  const build = (byService: boolean): AggregatedPathRow[] => {
    const main = accumulate(paths, attribution, opDict.codes, opCount, traces, byService);
    const base = baseline ? accumulate(paths, attribution, opDict.codes, opCount, baseline, byService) : undefined;
    const out: AggregatedPathRow[] = [];
    for (const [key, a] of main.rows) {
      const p = presence(a, traces.length);
      const b = base ? presence(base.rows.get(key), baseline!.length) : undefined;
      out.push({
        service: attribution.names[byService ? key : Math.floor(key / opCount)]!,
        operation: byService ? '' : opDict.values[key % opCount]!,
        ...p,
        baseline: b,
        deltaMeanExclusiveNano: p.meanExclusiveNano - (b?.meanExclusiveNano ?? 0),
      });
    }
    return out.sort(
      (x, y) =>
        y.meanExclusiveNano - x.meanExclusiveNano || (x.service + x.operation < y.service + y.operation ? -1 : 1),
    );
  };
  let total = 0;
  for (let i = 0; i < traces.length; i++) total += paths.totalNano[traces[i]!]!;
  let baseTotal = 0;
  if (baseline) for (let i = 0; i < baseline.length; i++) baseTotal += paths.totalNano[baseline[i]!]!;
  return {
    traces: traces.length,
    baselineTraces: baseline?.length ?? 0,
    meanTotalNano: traces.length ? total / traces.length : 0,
    baselineMeanTotalNano: baseline?.length ? baseTotal / baseline.length : 0,
    services: build(true),
    operations: build(false),
  };
}
