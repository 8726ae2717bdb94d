// The detection pipeline shared by detectAnomalies and the stream: settings, runs, drafts, patterns, hypotheses,
// root causes, report.
import type { Anomaly, AnomalyReport } from '../anomaly-report.ts';
import type { TraceSeries } from '../trace-series.ts';
import { analysePatterns, draftAnomalies, type TraceForestScores } from './assemble.ts';
import { explainContext } from './context.ts';
import { detectRuns } from './detect-core.ts';
import { fitAndScore } from './forest.ts';
import { hypothesesFor } from './hypotheses.ts';
import type { BaselineModel, DetectSettings } from './model.ts';
import { rootCauseCandidates } from './root-cause.ts';

/** Options that tune detection (the public options extend this). */
export interface TuningOptions {
  readonly algorithm?: 'stat' | 'ml' | 'auto';
  readonly sensitivity?: number;
  readonly service?: string;
  readonly minRequests?: number;
  readonly minLatencyChange?: number;
  readonly minVolumeChange?: number;
  readonly minErrorRateIncrease?: number;
  readonly minErrors?: number;
  readonly minCallPathTraces?: number;
  readonly maxGapBuckets?: number;
}

/** Defaults of the tuning options. */
export const TUNING_DEFAULTS = {
  algorithm: 'auto',
  sensitivity: 0.5,
  minRequests: 5,
  minLatencyChange: 0.3,
  minVolumeChange: 0.5,
  minErrorRateIncrease: 0.02,
  minErrors: 3,
  minCallPathTraces: 3,
  maxGapBuckets: 1,
} as const;

/** Resolves the public options into detector settings. */
export function resolveSettings(o: TuningOptions): DetectSettings {
  const sensitivity = o.sensitivity ?? TUNING_DEFAULTS.sensitivity;
  if (!(sensitivity >= 0 && sensitivity <= 1))
    throw new RangeError(`anomaly: sensitivity must be in [0, 1], got ${sensitivity}`);
  const algorithm = o.algorithm ?? TUNING_DEFAULTS.algorithm;
  if (algorithm !== 'stat' && algorithm !== 'ml' && algorithm !== 'auto') {
    throw new TypeError(`anomaly: algorithm must be 'stat', 'ml' or 'auto', got ${String(algorithm)}`);
  }
  // sensitivity 0 → z 7, 0.5 → z 5, 1 → z 3.
  const zThreshold = 7 - 4 * sensitivity;
  return {
    algorithm,
    zThreshold,
    minRequests: o.minRequests ?? TUNING_DEFAULTS.minRequests,
    minLatencyChange: o.minLatencyChange ?? TUNING_DEFAULTS.minLatencyChange,
    minVolumeChange: o.minVolumeChange ?? TUNING_DEFAULTS.minVolumeChange,
    minErrorRateIncrease: o.minErrorRateIncrease ?? TUNING_DEFAULTS.minErrorRateIncrease,
    minErrors: o.minErrors ?? TUNING_DEFAULTS.minErrors,
    minCallPathTraces: o.minCallPathTraces ?? TUNING_DEFAULTS.minCallPathTraces,
    cusumK: 1,
    cusumH: 1.6 * zThreshold,
    maxGapBuckets: o.maxGapBuckets ?? TUNING_DEFAULTS.maxGapBuckets,
    errorPrior: 200,
    service: o.service,
  };
}

function traceScores(target: TraceSeries, model: BaselineModel): TraceForestScores | undefined {
  const f = target.traceFeatures;
  if (model.traceRows.length < 16 || f.bucket.length === 0) return undefined;
  const rows: number[][] = [];
  for (let r = 0; r < f.bucket.length; r++) rows.push(Array.from(f.values.subarray(r * 4, r * 4 + 4)));
  const fit = fitAndScore(model.traceRows, rows, 0.99);
  if (!fit) return undefined;
  const scores = Float64Array.from(fit.scores);
  const flagged = new Uint8Array(scores.length);
  for (let r = 0; r < scores.length; r++) if (scores[r]! > fit.threshold) flagged[r] = 1;
  return { flagged, threshold: fit.threshold, scores };
}

/** Runs every step on a target series against a baseline model. */
export function reportFromSeries(
  target: TraceSeries,
  model: BaselineModel,
  settings: DetectSettings,
  selfBaseline: boolean,
  warnings: string[],
): AnomalyReport {
  const runs = detectRuns(target, model, settings);
  const ctx = explainContext(target, model, settings, runs);
  const drafts = draftAnomalies(ctx, settings.algorithm === 'stat' ? undefined : traceScores(target, model));
  analysePatterns(ctx, drafts);
  const anomalies: Anomaly[] = drafts.map((d) => ({
    ...d.anomaly,
    hypotheses: hypothesesFor(ctx, drafts, d),
    pattern: d.anomaly.pattern ?? { periodic: false, onset: 'sudden', correlatedServices: [], propagation: 'isolated' },
  }));
  const order = anomalies.map((a, i) => ({ a, d: drafts[i]! }));
  order.sort(
    (x, y) => y.a.score - x.a.score || x.a.start.localeCompare(y.a.start) || x.a.service.localeCompare(y.a.service),
  );
  let roots = rootCauseCandidates(ctx, drafts);
  if (roots.length === 0 && settings.zThreshold > 3) {
    // Nothing crossed the threshold: rank origins from sub-threshold deviations (z ≥ 3) so that a weak fault still
    // gets candidates; the anomaly list itself is unchanged.
    const weak = { ...settings, zThreshold: 3, cusumH: 4.8 };
    const weakRuns = detectRuns(target, model, weak);
    const weakCtx = explainContext(target, model, weak, weakRuns);
    const weakDrafts = draftAnomalies(weakCtx, undefined);
    roots = rootCauseCandidates(weakCtx, weakDrafts).map((c) => ({ ...c, score: Math.round(c.score * 500) / 1000 }));
    if (roots.length > 0) warnings.push('root-cause candidates come from deviations below the detection threshold');
  }
  const iso = (s: number): string => new Date(s * 1000).toISOString();
  if (model.series.size === 0) warnings.push('the baseline has no requests: nothing to compare against');
  return {
    from: iso(target.startSeconds),
    to: iso(target.endSeconds),
    baselineFrom: selfBaseline ? '' : iso(model.fromSeconds),
    baselineTo: selfBaseline ? '' : iso(model.toSeconds),
    seasonality: model.seasonality,
    algorithm: settings.algorithm,
    bucketSeconds: target.bucketSeconds,
    anomalies: order.map((x) => x.a),
    rootCauseCandidates: roots,
    warnings,
  };
}
