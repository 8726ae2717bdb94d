// Slow-trace analysis: which traces are slow, what they share against the fast traces of the same endpoint, where
// their critical paths spend the time, and what to do about it.
//
//   endpoint GET /checkout, threshold 300 ms
//   fast  api |==|====|==|                  120 ms    db SELECT 20 ms on the path
//   slow  api |==|==================|==|    900 ms    db SELECT 780 ms on the path, host=db-2
//   → bottleneck orders-db SELECT (87%), trait host=db-2 (100% of slow, 3% of fast), EXPLAIN the statement
//
// Algorithm: duration of each trace's analysed span (root, or the entry span of `service`); slow by threshold, or
// per endpoint by a robust outlier rule; critical paths (CRISP) for bottlenecks, the aggregated path and the
// patterns behind suggestions; traits counted once per trace and ranked by support difference and path time.
// Reference: CRISP, Zhang et al., ATC'22; modified z-score, Iglewicz and Hoaglin (1993).
import { buildTraceTree, type SpanTable, spanIdAt, type TraceTree, traceIdAt, workloadName } from '@aiops/span-model';
import { type AggregatedCriticalPath, aggregateCriticalPath } from './aggregate-critical-path.ts';
import { type CriticalPaths, criticalPaths } from './critical-paths.ts';
import { attributeSpans } from './internal/attribution.ts';
import { bottleneckOf, bottleneckScratch, type RawBottleneck } from './internal/bottleneck.ts';
import { type ComponentSpace, componentBounds, traceExcess, translateBounds } from './internal/excess.ts';
import {
  type DurationStats,
  durationStats,
  quantileSorted,
  robustThreshold,
  weightedDurationStats,
} from './internal/stats.ts';
import { type SlowTraceSuggestion, suggest } from './internal/suggestions.ts';
import { type SlowTrait, slowTraits, type TraitBaseline } from './internal/traits.ts';
import { type TopDownCriticalPath, topDownCriticalPath } from './top-down-critical-path.ts';

export type { DurationStats, SlowTraceSuggestion, SlowTrait, TraitBaseline };

/** Options of {@link analyzeSlowTraces}. */
export interface SlowTraceOptions {
  /** Traces at least this long are slow (ns). When absent, slowness is judged per endpoint (see `rule`). */
  readonly thresholdNano?: number;
  /** Without a threshold: slow = above this percentile (0..100) of the endpoint. Default: the `rule`. */
  readonly percentile?: number;
  /**
   * Without a threshold or percentile: `'explained'` (default) = longer than usual for its endpoint (log-duration
   * modified z-score ≥ `minDurationZ`) and at least `minExcessShare` × the endpoint median of critical-path time
   * spent in components beyond their own normal range; `'robust'` = log-duration modified z-score ≥ `zScore`.
   */
  readonly rule?: 'explained' | 'robust';
  /** Robust rule: modified z-score of log-duration above which a trace is slow; explained rule: of a component's
   * log critical-path time above which its time counts as extra. Default 3.5. */
  readonly zScore?: number;
  /** Explained rule: modified z-score of log-duration a slow trace reaches at least. Default 2. */
  readonly minDurationZ?: number;
  /** Explained rule: extra critical-path time a slow trace has at least, as a share of its endpoint's median. Default 0.25. */
  readonly minExcessShare?: number;
  /** Without a threshold, endpoints with fewer traces are not judged. Default 20. */
  readonly minTracesPerEndpoint?: number;
  /** Analyse the requests of this service: its topmost span in each trace (pods folded). Default: the root. */
  readonly service?: string;
  /** With or without `service`: only spans of this operation. */
  readonly operation?: string;
  /** A prebuilt tree of the table. */
  readonly tree?: TraceTree;
  /** Precomputed critical paths of the tree (used when they follow the same heads). */
  readonly criticalPaths?: CriticalPaths;
  /** Fold Kubernetes pod names into their workload. Default true. */
  readonly groupPods?: boolean;
  /** Repeated calls under one parent from which N+1 is reported. Default 5. */
  readonly nPlusOneMin?: number;
  /** Share of a trace's critical path from which a span counts as a slow call. Default 0.2. */
  readonly minShare?: number;
  /** Traits returned. Default 20. */
  readonly maxTraits?: number;
  /**
   * Fast traces counted for the trait baseline; above it every k-th fast trace is counted and fast supports are
   * estimated (error in `traitBaseline`); suggestions and the top-down call tree use the same sample. Default 5,000 (95% error ≤ 1.4
   * percentage points).
   */
  readonly maxTraitBaselineTraces?: number;
  /**
   * What normal is, from another time window: without it, each endpoint's normal durations (and, under the
   * explained rule, its components' normal ranges) are learned from the analysed traces themselves, so a window
   * where most requests are slowed flags few of them. Ignored with `thresholdNano`.
   */
  readonly baseline?: SlowTraceBaseline;
  /**
   * For a table that holds every trace that may be slow but only a sample of the others (what `aiops
   * analyze-slow-traces --threshold` loads from a store): per trace of the tree, how many traces of the window it
   * stands for (1 for every possibly slow trace; N / n for a sampled trace of a stratum of N with n loaded).
   * `traces`, `slowShare`, the endpoints' trace counts and every duration distribution are then weighted (counts
   * rounded); the slow traces, their count and bottlenecks are exact; traits, the aggregate, the top-down view and
   * suggestions compare against the fast traces thinned to their weights (each kept with probability weight /
   * largest weight, so that every stratum appears in its proportion; `traitBaseline.fastTraces` of them). Needs `thresholdNano`:
   * the per-endpoint rules learn what normal is from every trace.
   */
  readonly traceWeights?: Float64Array;
}

/** Durations of one endpoint in a baseline window. */
export interface BaselineEndpoint {
  /** Service of the analysed span (pods folded when `groupPods`). */
  readonly service: string;
  /** Operation of the analysed span. */
  readonly operation: string;
  /** Durations of its requests, ns. */
  readonly durationsNano: ArrayLike<number>;
}

/**
 * Normal behaviour from another time window: its spans (durations per endpoint and, for the explained rule, the
 * normal range of each component's critical-path time), or only its durations per endpoint (then those endpoints
 * are judged by duration alone: the robust rule). Both may be given; their durations add up.
 */
export interface SlowTraceBaseline {
  /** Spans of the baseline window, analysed the same way (same `service`/`operation`). */
  readonly table?: SpanTable;
  /** A prebuilt tree of `table`. */
  readonly tree?: TraceTree;
  /** Precomputed critical paths of `tree` (root heads; ignored with `service`/`operation`). */
  readonly criticalPaths?: CriticalPaths;
  /** Durations per endpoint, for example from a store's summary of the window before. */
  readonly endpoints?: readonly BaselineEndpoint[];
}

const DEFAULTS = {
  rule: 'explained',
  zScore: 3.5,
  minDurationZ: 2,
  minExcessShare: 0.25,
  minTracesPerEndpoint: 20,
  groupPods: true,
  nPlusOneMin: 5,
  minShare: 0.2,
  maxTraits: 20,
  maxTraitBaselineTraces: 5_000,
} as const;

/** One slow trace and its bottleneck. */
export interface SlowTrace {
  /** Trace id, 32 hex digits. */
  readonly traceId: string;
  /** Trace ordinal in the tree. */
  readonly trace: number;
  /** Endpoint service (of the analysed span). */
  readonly service: string;
  /** Endpoint operation. */
  readonly operation: string;
  /** Duration of the analysed span, ms. */
  readonly durationMs: number;
  /** Duration of the analysed span, ns (exact integer). */
  readonly durationNano: number;
  /** The threshold it exceeded, ms (explained rule: the duration floor). */
  readonly thresholdMs: number;
  /** Explained rule: critical-path time beyond the normal range of its components, ms (NaN under other rules). */
  readonly excessMs: number;
  /**
   * Explained rule: the component (service or dependency × operation) whose critical-path time went furthest beyond
   * its normal range — what made this trace slow, which need not be its largest part (`bottleneck`). Undefined
   * under other rules or when no component exceeded its range.
   */
  readonly cause:
    | {
        readonly service: string;
        readonly operation: string;
        /** Its critical-path time beyond its normal range, ms. */
        readonly excessMs: number;
      }
    | undefined;
  /** Where its critical path spends the most time. */
  readonly bottleneck: {
    readonly service: string;
    readonly operation: string;
    readonly isDependency: boolean;
    /** Service that emitted the bottleneck span (the caller, when `service` is a dependency). */
    readonly spanService: string;
    readonly spanId: string;
    readonly exclusiveNano: number;
    readonly exclusiveMs: number;
    readonly share: number;
  };
}

/** A bottleneck shared by slow traces. */
export interface SlowBottleneck {
  /** Service or dependency. */
  readonly service: string;
  /** Operation. */
  readonly operation: string;
  /** Whether it is a dependency reached by a client call. */
  readonly isDependency: boolean;
  /** Slow traces whose bottleneck it is. */
  readonly traces: number;
  /** traces / slow traces. */
  readonly traceShare: number;
  /** Mean share of the critical path it holds in those traces. */
  readonly meanShare: number;
  /** Mean exclusive time on the path in those traces, ms. */
  readonly meanExclusiveMs: number;
}

/** Per-endpoint figures. */
export interface SlowEndpoint {
  /** Service. */
  readonly service: string;
  /** Operation. */
  readonly operation: string;
  /** Traces analysed. */
  readonly traces: number;
  /** Slow traces. */
  readonly slowTraces: number;
  /** The threshold applied, ms (undefined when the endpoint was not judged: too few traces). */
  readonly thresholdMs: number | undefined;
  /** Baseline traces its threshold was learned from (0: learned from the analysed traces, or not judged). */
  readonly baselineTraces: number;
  /** Duration distribution. */
  readonly durations: DurationStats;
}

/** Result of {@link analyzeSlowTraces}. */
export interface SlowTraceAnalysis {
  /** How slowness was decided, in words. */
  readonly rule: string;
  /** Traces analysed (with an analysed span). */
  readonly traces: number;
  /** Slow traces. */
  readonly slowCount: number;
  /** slowCount / traces. */
  readonly slowShare: number;
  /** Duration distribution of all analysed traces and of the slow ones. */
  readonly durations: { readonly all: DurationStats; readonly slow: DurationStats };
  /** Endpoints, most traces first. */
  readonly endpoints: readonly SlowEndpoint[];
  /** Every slow trace, slowest first. */
  readonly slowTraces: readonly SlowTrace[];
  /** Bottlenecks of slow traces, most frequent first. */
  readonly bottlenecks: readonly SlowBottleneck[];
  /** The aggregated critical path of slow traces against the fast traces of the same endpoints. */
  readonly aggregate: AggregatedCriticalPath;
  /**
   * The same as a merged call tree per endpoint (CRISP's top-down view), slow traces against the fast ones that the
   * trait baseline counts (every k-th above `maxTraitBaselineTraces`).
   */
  readonly topDown: TopDownCriticalPath;
  /** What slow traces share, most distinctive first. */
  readonly traits: readonly SlowTrait[];
  /** How many fast traces the trait baseline counted, and the error of its supports when sampled. */
  readonly traitBaseline: TraitBaseline;
  /** Suggestions with their evidence, most costly first. */
  readonly suggestions: readonly SlowTraceSuggestion[];
}

/**
 * Keeps each trace of `list` with probability weight / (largest weight), by a fixed hash of its ordinal: fast traces
 * that stand for many (a thin stratum of the sample) and those that stand for themselves (loaded because they might
 * have been slow) then appear in the comparisons in their proportions in the window.
 */
function thinToWeights(list: number[], weights: Float64Array): void {
  let max = 0;
  for (const t of list) if (weights[t]! > max) max = weights[t]!;
  let k = 0;
  for (const t of list) {
    const w = weights[t]!;
    let h = Math.imul(t ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    const u = ((h ^ (h >>> 16)) >>> 0) / 4294967296;
    if (w >= max || u < w / max) list[k++] = t;
  }
  list.length = k;
}

// Every k-th element, so that at most `max` remain (the fast-trace baseline of traits and suggestions).
function sampleEvery(list: readonly number[], max: number): readonly number[] {
  if (list.length <= max) return list;
  const stride = Math.ceil(list.length / max);
  return list.filter((_, i) => i % stride === 0);
}

// The analysed span of each trace: its head, or the topmost span of the requested service/operation.
function analysedHeads(
  table: SpanTable,
  tree: TraceTree,
  service: string | undefined,
  operation: string | undefined,
  groupPods: boolean,
): Int32Array | undefined {
  if (service === undefined && operation === undefined) return undefined;
  const svc = table.dict('service');
  const op = table.dict('operation');
  const svcOk = svc.values.map(
    (v) => service === undefined || v === service || (groupPods && workloadName(v) === service),
  );
  const opOk = op.values.map((v) => operation === undefined || v === operation);
  const heads = new Int32Array(tree.traces.traceCount).fill(-2);
  const { order, orderOffsets, depth } = tree;
  for (let t = 0; t < tree.traces.traceCount; t++) {
    let best = -1;
    for (let k = orderOffsets[t]!; k < orderOffsets[t + 1]!; k++) {
      const r = order[k]!;
      if (!svcOk[svc.codes[r]!] || !opOk[op.codes[r]!]) continue;
      if (best < 0 || depth[r]! < depth[best]!) best = r;
    }
    heads[t] = best < 0 ? -2 : best;
  }
  return heads;
}

interface Endpoints {
  readonly endpointOf: Int32Array;
  readonly keys: Map<string, number>;
  readonly names: [string, string][];
  readonly traces: number[][];
}

// Groups the traces by endpoint: service (pods folded) and operation of their analysed span.
function groupEndpoints(
  table: SpanTable,
  paths: CriticalPaths,
  heads: Int32Array | undefined,
  groupPods: boolean,
): Endpoints {
  const traceCount = paths.tree.traces.traceCount;
  const svcDict = table.dict('service');
  const opDict = table.dict('operation');
  const endpointOf = new Int32Array(traceCount).fill(-1);
  const keys = new Map<string, number>();
  const names: [string, string][] = [];
  const traces: number[][] = [];
  for (let t = 0; t < traceCount; t++) {
    if (heads && heads[t]! < 0) continue;
    const h = paths.head[t]!;
    if (h < 0) continue;
    const raw = svcDict.values[svcDict.codes[h]!]!;
    const s = groupPods ? workloadName(raw) : raw;
    const opName = opDict.values[opDict.codes[h]!]!;
    const key = `${s}\u0000${opName}`;
    let e = keys.get(key);
    if (e === undefined) {
      e = names.length;
      keys.set(key, e);
      names.push([s, opName]);
      traces.push([]);
    }
    endpointOf[t] = e;
    traces[e]!.push(t);
  }
  return { endpointOf, keys, names, traces };
}

// The analysed traces of a table: tree, heads, paths and endpoints.
function analysedTraces(
  table: SpanTable,
  tree: TraceTree,
  given: CriticalPaths | undefined,
  service: string | undefined,
  operation: string | undefined,
  groupPods: boolean,
): { heads: Int32Array | undefined; paths: CriticalPaths; endpoints: Endpoints } {
  const heads = analysedHeads(table, tree, service, operation, groupPods);
  const paths =
    heads === undefined
      ? (given ?? criticalPaths(tree))
      : criticalPaths(tree, { heads: heads.map((h) => (h < 0 ? -1 : h)) });
  return { heads, paths, endpoints: groupEndpoints(table, paths, heads, groupPods) };
}

interface Baseline {
  /** Traces of the baseline table analysed. */
  readonly traces: number;
  /** Per endpoint key: sorted durations (table and given endpoints) and the baseline table's trace ordinals. */
  readonly endpoints: Map<string, { durations: Float64Array; traces: number[] }>;
  readonly space: ComponentSpace | undefined;
}

// What normal is from the baseline option: durations per endpoint and, from spans, the component space.
function baselineOf(b: SlowTraceBaseline, o: { service?: string; operation?: string; groupPods: boolean }): Baseline {
  if (!b.table && !b.endpoints) {
    throw new TypeError('critical-path: options.baseline needs `table` (spans of the baseline window) or `endpoints`');
  }
  const lists = new Map<string, { durations: number[]; traces: number[] }>();
  const entry = (key: string) => {
    let l = lists.get(key);
    if (!l) lists.set(key, (l = { durations: [], traces: [] }));
    return l;
  };
  let space: ComponentSpace | undefined;
  let count = 0;
  if (b.table) {
    const table = b.table;
    const tree = b.criticalPaths?.tree ?? b.tree ?? buildTraceTree(table);
    if (tree.table !== table) {
      throw new TypeError('critical-path: options.baseline.tree/criticalPaths were built on another table');
    }
    const { paths, endpoints } = analysedTraces(table, tree, b.criticalPaths, o.service, o.operation, o.groupPods);
    const { durationNano } = table.times;
    endpoints.names.forEach(([s, op], e) => {
      const l = entry(`${s}\u0000${op}`);
      for (const t of endpoints.traces[e]!) {
        l.durations.push(durationNano[paths.head[t]!]!);
        l.traces.push(t);
        count++;
      }
    });
    const opDict = table.dict('operation');
    space = {
      paths,
      attribution: attributeSpans(table, tree, o.groupPods),
      opCodes: opDict.codes,
      opValues: opDict.values,
    };
  }
  for (const [i, ep] of (b.endpoints ?? []).entries()) {
    if (typeof ep.service !== 'string' || typeof ep.operation !== 'string' || !ep.durationsNano) {
      throw new TypeError(`critical-path: options.baseline.endpoints[${i}] needs service, operation and durationsNano`);
    }
    const l = entry(`${ep.service}\u0000${ep.operation}`);
    for (let k = 0; k < ep.durationsNano.length; k++) {
      const d = ep.durationsNano[k]!;
      if (!(d >= 0)) {
        throw new RangeError(
          `critical-path: options.baseline.endpoints[${i}].durationsNano[${k}] must be a duration ≥ 0, got ${d}`,
        );
      }
      l.durations.push(d);
    }
    count += ep.durationsNano.length;
  }
  const endpoints = new Map<string, { durations: Float64Array; traces: number[] }>();
  for (const [k, l] of lists) endpoints.set(k, { durations: Float64Array.from(l.durations).sort(), traces: l.traces });
  return { traces: count, endpoints, space };
}

/**
 * Finds the slow traces of a table and explains them: bottlenecks, the aggregated critical path (flat and top-down)
 * against fast traces, shared traits and evidence-based suggestions.
 *
 * **Details**
 * - Duration of a trace = duration of its analysed span: the root (the longest root; without a root, the longest
 *   orphan), or with `service`/`operation` the topmost span of that service/operation. Traces without one are
 *   left out.
 * - Slow: duration ≥ `thresholdNano` when given. Otherwise per endpoint (service + operation of the analysed span,
 *   pods folded) with at least `minTracesPerEndpoint` traces: above the endpoint's `percentile` when given, else
 *   above exp(median + zScore · 1.4826 · MAD) of its log-durations (modified z-score 3.5: a trace about 2.5× the
 *   median at typical spread), so that an endpoint with no slow requests reports none.
 * - With `baseline`, an endpoint's normal (its duration distribution and, under the explained rule, the normal
 *   range of each component's critical-path time) comes from the baseline window instead of the analysed traces:
 *   the way to judge a fault window where most requests are slowed. Endpoints the baseline lacks are judged on
 *   their own traces.
 * - Fast traces = the other traces of the endpoints that have slow ones; traits, the aggregate, the top-down call
 *   tree and suggestions compare slow against them.
 * - Suggestions come only from patterns on the critical paths of slow traces that are more frequent or costlier
 *   than in fast traces: slow DB statement, slow external dependency, slow own code, N+1, retries, sequential calls
 *   to different services, cache miss then database.
 *
 * **Complexity** O(n) for the tree and paths, plus O(spans of slow and fast traces) for traits and suggestions.
 *
 * **Gotchas** Works without span kinds and status codes (patterns then rely on names, timing and `error` tags);
 * retries are only told apart from N+1 when some attempts are marked failed.
 *
 * @example
 * ```ts
 * const report = analyzeSlowTraces(table, { thresholdNano: 3e9 });
 * const inFault = analyzeSlowTraces(window, { baseline: { table: hourBefore } });
 * report.bottlenecks[0];   // { service: 'orders-db', operation: 'SELECT', traces: 41, meanShare: 0.82, ... }
 * report.suggestions[0].text;
 * ```
 */
export function analyzeSlowTraces(table: SpanTable, options: SlowTraceOptions = {}): SlowTraceAnalysis {
  const o = { ...DEFAULTS, ...options };
  if (o.thresholdNano !== undefined && !(o.thresholdNano >= 0)) {
    throw new RangeError(`critical-path: thresholdNano must be ≥ 0, got ${o.thresholdNano}`);
  }
  if (o.percentile !== undefined && !(o.percentile > 0 && o.percentile < 100)) {
    throw new RangeError(`critical-path: percentile must be in (0, 100), got ${o.percentile}`);
  }
  const tree = o.criticalPaths?.tree ?? o.tree ?? buildTraceTree(table);
  if (tree.table !== table)
    throw new TypeError('critical-path: options.tree/criticalPaths were built on another table');
  const weights = o.traceWeights;
  if (weights) {
    if (o.thresholdNano === undefined) {
      throw new TypeError(
        'critical-path: options.traceWeights needs thresholdNano (the per-endpoint rules learn what normal is from every trace)',
      );
    }
    if (weights.length !== tree.traces.traceCount) {
      throw new RangeError(
        `critical-path: options.traceWeights has ${weights.length} entries, expected ${tree.traces.traceCount} (one per trace)`,
      );
    }
  }
  const weightOf = (t: number): number => (weights ? weights[t]! : 1);
  const a = analysedTraces(table, tree, o.criticalPaths, o.service, o.operation, o.groupPods);
  const paths = a.paths;
  const { endpointOf, names: endpointNames, traces: endpointTraces } = a.endpoints;
  const traceCount = tree.traces.traceCount;
  const attribution = attributeSpans(table, tree, o.groupPods);
  const svcDict = table.dict('service');
  const opDict = table.dict('operation');
  const { durationNano } = table.times;
  const durationOf = (t: number): number => durationNano[paths.head[t]!]!;
  const space: ComponentSpace = { paths, attribution, opCodes: opDict.codes, opValues: opDict.values };
  const base = o.thresholdNano === undefined && o.baseline ? baselineOf(o.baseline, o) : undefined;

  // Thresholds per endpoint.
  const thresholds = new Float64Array(endpointNames.length).fill(Number.NaN);
  const minExcess = new Float64Array(endpointNames.length);
  let excess: Float64Array | undefined;
  let culprit: Int32Array | undefined;
  let culpritExcess: Float64Array = new Float64Array(0);
  const baselineTraces = new Int32Array(endpointNames.length);
  let rule: string;
  if (o.thresholdNano !== undefined) {
    thresholds.fill(o.thresholdNano);
    rule = `duration ≥ ${(o.thresholdNano / 1e6).toFixed(3)} ms`;
  } else {
    const explained = o.percentile === undefined && o.rule === 'explained';
    rule =
      o.percentile !== undefined
        ? `duration above the P${o.percentile} of its endpoint (endpoints with ≥ ${o.minTracesPerEndpoint} traces)`
        : explained
          ? `duration above exp(median + ${o.minDurationZ} × 1.4826 × MAD) of its endpoint's log-durations, with critical-path time beyond its components' normal range (modified z-score ${o.zScore}) of at least ${o.minExcessShare} × the endpoint median (endpoints with ≥ ${o.minTracesPerEndpoint} traces)`
          : `duration above exp(median + ${o.zScore} × 1.4826 × MAD) of its endpoint's log-durations (endpoints with ≥ ${o.minTracesPerEndpoint} traces)`;
    if (base) rule += `; normal learned from a baseline window (${base.traces} traces)`;
    if (explained) excess = new Float64Array(traceCount).fill(Number.NaN);
    if (explained) culprit = new Int32Array(traceCount).fill(-1);
    const culpritNano = new Float64Array(explained ? traceCount : 0);
    culpritExcess = culpritNano;
    endpointTraces.forEach((list, e) => {
      const [es, eo] = endpointNames[e]!;
      const b = base?.endpoints.get(`${es}\u0000${eo}`);
      const fromBaseline = b !== undefined && b.durations.length >= o.minTracesPerEndpoint;
      if (!fromBaseline && list.length < o.minTracesPerEndpoint) return;
      const sorted = fromBaseline ? b.durations : Float64Array.from(list, durationOf).sort();
      if (fromBaseline) baselineTraces[e] = sorted.length;
      // Durations alone (no baseline spans for this endpoint): the explained rule falls back to the robust one.
      const byComponents = explained && (!fromBaseline || b.traces.length > 0);
      thresholds[e] =
        o.percentile !== undefined
          ? quantileSorted(sorted, o.percentile / 100)
          : robustThreshold(sorted, byComponents ? o.minDurationZ : o.zScore);
      minExcess[e] = o.minExcessShare * quantileSorted(sorted, 0.5);
      if (!byComponents || !excess) return;
      const bounds =
        fromBaseline && base?.space
          ? translateBounds(componentBounds(base.space, b.traces, o.zScore, 5), base.space, space)
          : componentBounds(space, list, o.zScore, 5);
      traceExcess(space, list, bounds, excess, culprit!, culpritNano);
    });
  }
  const isSlow = (t: number): boolean => {
    const e = endpointOf[t]!;
    if (e < 0 || Number.isNaN(thresholds[e]!)) return false;
    const d = durationOf(t);
    if (excess && !Number.isNaN(excess[t]!) && !(excess[t]! >= minExcess[e]!)) return false;
    return o.thresholdNano !== undefined || o.percentile === undefined ? d >= thresholds[e]! : d > thresholds[e]!;
  };
  const slow: number[] = [];
  const fast: number[] = [];
  const endpointSlow = new Int32Array(endpointNames.length);
  for (let t = 0; t < traceCount; t++) if (endpointOf[t]! >= 0 && isSlow(t)) endpointSlow[endpointOf[t]!]!++;
  let analysed = 0;
  for (let t = 0; t < traceCount; t++) {
    const e = endpointOf[t]!;
    if (e < 0) continue;
    analysed += weightOf(t);
    if (isSlow(t)) slow.push(t);
    else if (endpointSlow[e]! > 0) fast.push(t);
  }
  slow.sort((a, b) => durationOf(b) - durationOf(a) || a - b);
  analysed = Math.round(analysed);
  if (weights) thinToWeights(fast, weights);
  const stats = (list: readonly number[]): DurationStats =>
    weights ? weightedDurationStats(list.map(durationOf), list.map(weightOf)) : durationStats(list.map(durationOf));

  const opCount = opDict.values.length;
  const causeOf = (t: number): SlowTrace['cause'] => {
    const k = culprit ? culprit[t]! : -1;
    if (k < 0) return undefined;
    return {
      service: attribution.names[Math.floor(k / opCount)]!,
      operation: opDict.values[k % opCount]!,
      excessMs: culpritExcess[t]! / 1e6,
    };
  };
  // Bottleneck of each slow trace.
  const scratch = bottleneckScratch(attribution, opDict.values.length);
  const raw: RawBottleneck = { code: -1, op: -1, row: -1, exclusiveNano: 0, operationExclusiveNano: 0 };
  const slowTraces: SlowTrace[] = [];
  const groups = new Map<
    string,
    { service: string; operation: string; dep: boolean; n: number; share: number; excl: number }
  >();
  for (const t of slow) {
    bottleneckOf(paths, attribution, opDict.codes, t, scratch, raw);
    const total = paths.totalNano[t]!;
    const service = attribution.names[raw.code]!;
    const operation = opDict.values[raw.op]!;
    const share = total > 0 ? raw.exclusiveNano / total : 0;
    const dep = attribution.isDependency[raw.row] === 1;
    const [es, eo] = endpointNames[endpointOf[t]!]!;
    slowTraces.push({
      traceId: traceIdAt(table, paths.head[t]!),
      trace: t,
      service: es,
      operation: eo,
      durationMs: durationOf(t) / 1e6,
      durationNano: durationOf(t),
      thresholdMs: thresholds[endpointOf[t]!]! / 1e6,
      excessMs: excess ? excess[t]! / 1e6 : Number.NaN,
      cause: causeOf(t),
      bottleneck: {
        service,
        operation,
        isDependency: dep,
        spanService: o.groupPods
          ? workloadName(svcDict.values[svcDict.codes[raw.row]!]!)
          : svcDict.values[svcDict.codes[raw.row]!]!,
        spanId: spanIdAt(table, raw.row),
        exclusiveNano: raw.exclusiveNano,
        exclusiveMs: raw.exclusiveNano / 1e6,
        share,
      },
    });
    const key = `${service}\u0000${operation}`;
    const g = groups.get(key) ?? { service, operation, dep, n: 0, share: 0, excl: 0 };
    g.n++;
    g.share += share;
    g.excl += raw.exclusiveNano;
    groups.set(key, g);
  }
  const bottlenecks: SlowBottleneck[] = [...groups.values()]
    .map((g) => ({
      service: g.service,
      operation: g.operation,
      isDependency: g.dep,
      traces: g.n,
      traceShare: g.n / slow.length,
      meanShare: g.share / g.n,
      meanExclusiveMs: g.excl / g.n / 1e6,
    }))
    .sort((a, b) => b.traces - a.traces || b.meanShare - a.meanShare);

  const meanSlowNano = slow.length ? slow.reduce((s, t) => s + paths.totalNano[t]!, 0) / slow.length : 0;
  const endpoints: SlowEndpoint[] = endpointNames
    .map(([service, operation], e) => ({
      service,
      operation,
      traces: weights ? Math.round(endpointTraces[e]!.reduce((s, t) => s + weightOf(t), 0)) : endpointTraces[e]!.length,
      slowTraces: endpointSlow[e]!,
      thresholdMs: Number.isNaN(thresholds[e]!) ? undefined : thresholds[e]! / 1e6,
      baselineTraces: baselineTraces[e]!,
      durations: stats(endpointTraces[e]!),
    }))
    .sort((a, b) => b.traces - a.traces);
  const traitResult = slow.length
    ? slowTraits(table, paths, attribution, slow, fast, meanSlowNano, o.maxTraits, o.maxTraitBaselineTraces)
    : { traits: [], baseline: { fastTraces: fast.length, sampledTraces: 0, maxSupportError: 0 } };
  const fastSample = sampleEvery(fast, o.maxTraitBaselineTraces);
  const allTraces: number[] = [];
  for (let t = 0; t < traceCount; t++) if (endpointOf[t]! >= 0) allTraces.push(t);
  return {
    rule,
    traces: analysed,
    slowCount: slow.length,
    slowShare: analysed ? slow.length / analysed : 0,
    durations: { all: stats(allTraces), slow: durationStats(slow.map(durationOf)) },
    endpoints,
    slowTraces,
    bottlenecks,
    aggregate: aggregateCriticalPath(paths, { traces: slow, baseline: fast, groupPods: o.groupPods }),
    topDown: topDownCriticalPath(paths, { traces: slow, baseline: fastSample, groupPods: o.groupPods }),
    traits: traitResult.traits,
    traitBaseline: traitResult.baseline,
    suggestions: slow.length
      ? suggest(table, paths, attribution, slow, fastSample, {
          nPlusOneMin: o.nPlusOneMin,
          minShare: o.minShare,
        })
      : [],
  };
}
