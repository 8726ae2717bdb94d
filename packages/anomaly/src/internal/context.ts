// What the explanation steps share: the target series, the baseline model, runs, the service call graph and
// helpers to read a series over a window against its baseline.
import type { TraceSeries } from '../trace-series.ts';
import type { Run } from './detect-core.ts';
import { type BaselineModel, bucketCentre, type DetectSettings, seriesKey } from './model.ts';
import { expectedAt } from './seasonal.ts';
import { median } from './stats.ts';

/** Shared inputs of the explanation steps. */
export interface ExplainContext {
  readonly target: TraceSeries;
  readonly model: BaselineModel;
  readonly settings: DetectSettings;
  readonly runs: readonly Run[];
  /** Callees and callers of each service, from the target's call paths. */
  readonly callees: Map<string, Set<string>>;
  readonly callers: Map<string, Set<string>>;
  /** Index of the service-level series per service. */
  readonly serviceSeries: Map<string, number>;
  /** Operation-level series indices per service. */
  readonly operationSeries: Map<string, number[]>;
}

/** Builds the context. */
export function explainContext(
  target: TraceSeries,
  model: BaselineModel,
  settings: DetectSettings,
  runs: readonly Run[],
): ExplainContext {
  const callees = new Map<string, Set<string>>();
  const callers = new Map<string, Set<string>>();
  for (const e of target.callPaths) {
    if (e.caller === e.callee) continue;
    let s = callees.get(e.caller);
    if (!s) callees.set(e.caller, (s = new Set()));
    s.add(e.callee);
    let c = callers.get(e.callee);
    if (!c) callers.set(e.callee, (c = new Set()));
    c.add(e.caller);
  }
  const serviceSeries = new Map<string, number>();
  const operationSeries = new Map<string, number[]>();
  target.series.forEach((s, i) => {
    if (s.level === 'service') serviceSeries.set(s.service, i);
    else {
      let l = operationSeries.get(s.service);
      if (!l) operationSeries.set(s.service, (l = []));
      l.push(i);
    }
  });
  return { target, model, settings, runs, callees, callers, serviceSeries, operationSeries };
}

/** Observed vs baseline of a series over buckets [a, b]: latency P50, exclusive P50 (ms), requests, errors. */
export interface WindowStats {
  readonly requests: number;
  readonly p50Ms: number;
  readonly baseP50Ms: number;
  readonly selfP50Ms: number;
  readonly baseSelfP50Ms: number;
  /** Σ requests × (exclusive now − exclusive baseline), ms (≥ 0 only when exclusive time rose). */
  readonly addedSelfMs: number;
  /** Mean exclusive time per request over the window, and its baseline (median of the buckets' expectations). */
  readonly selfMeanMs: number;
  readonly baseSelfMeanMs: number;
  /** Σ requests × (mean exclusive now − baseline mean), ms. */
  readonly addedSelfMeanMs: number;
  /** Σ requests × (latency now − baseline), ms. */
  readonly addedLatencyMs: number;
  readonly errors: number;
  readonly ownErrors: number;
  readonly rateLimited: number;
  readonly expectedErrors: number;
  readonly timeouts: number;
  readonly volumeRatio: number;
}

/** Window statistics of series `idx` over buckets [a, b]; undefined without a baseline. */
export function windowStats(ctx: ExplainContext, idx: number, a: number, b: number): WindowStats | undefined {
  const s = ctx.target.series[idx];
  if (!s) return undefined;
  const m = ctx.model.series.get(seriesKey(s));
  if (!m) return undefined;
  const p50: number[] = [];
  const base50: number[] = [];
  const self: number[] = [];
  const baseSelf: number[] = [];
  let requests = 0;
  let errors = 0;
  let ownErrors = 0;
  let rateLimited = 0;
  let timeouts = 0;
  let addedSelf = 0;
  let addedSelfMean = 0;
  let selfTotal = 0;
  const baseSelfMean: number[] = [];
  let addedLat = 0;
  let expectedCount = 0;
  for (let k = Math.max(0, a); k <= Math.min(b, ctx.target.buckets - 1); k++) {
    const n = s.count[k]!;
    const t = bucketCentre(ctx.target, k);
    requests += n;
    errors += s.errors[k]!;
    ownErrors += s.ownErrors[k]!;
    rateLimited += s.rateLimited[k]!;
    timeouts += s.timeouts[k]!;
    expectedCount += Math.max(0, expectedAt(m.count, t).median);
    if (n === 0) continue;
    const e50 = Math.exp(expectedAt(m.logP50, t).median);
    const eSelf = Math.exp(expectedAt(m.logSelfP50, t).median);
    const eSelfMean = Math.exp(expectedAt(m.logSelfMean, t).median);
    selfTotal += n * s.selfMeanMs[k]!;
    baseSelfMean.push(eSelfMean);
    if (Number.isFinite(eSelfMean)) addedSelfMean += n * (s.selfMeanMs[k]! - eSelfMean);
    p50.push(s.p50Ms[k]!);
    base50.push(e50);
    self.push(s.selfP50Ms[k]!);
    baseSelf.push(eSelf);
    if (Number.isFinite(eSelf)) addedSelf += n * (s.selfP50Ms[k]! - eSelf);
    if (Number.isFinite(e50)) addedLat += n * (s.p50Ms[k]! - e50);
  }
  return {
    requests,
    p50Ms: median(p50),
    baseP50Ms: median(base50),
    selfP50Ms: median(self),
    baseSelfP50Ms: median(baseSelf),
    addedSelfMs: addedSelf,
    selfMeanMs: requests > 0 ? selfTotal / requests : Number.NaN,
    baseSelfMeanMs: median(baseSelfMean),
    addedSelfMeanMs: addedSelfMean,
    addedLatencyMs: addedLat,
    errors,
    ownErrors,
    rateLimited,
    expectedErrors: requests * m.errRate,
    timeouts,
    volumeRatio: expectedCount > 0 ? requests / expectedCount : 1,
  };
}

/** Whether two bucket ranges overlap (with `slack` buckets of tolerance). */
export function overlaps(a0: number, a1: number, b0: number, b1: number, slack = 1): boolean {
  return a0 <= b1 + slack && b0 <= a1 + slack;
}

/** ISO-8601 time of the start of bucket `b`. */
export function bucketIso(ts: TraceSeries, b: number): string {
  return new Date((ts.firstBucket + b) * ts.bucketSeconds * 1000).toISOString();
}
