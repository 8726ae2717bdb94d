// The baseline model: per series robust seasonal profiles and pooled rates, call-path frequencies per endpoint,
// and Isolation Forests (trace-level features; per-series residual vectors for the `ml` algorithm).
import type { MetricSeries, TraceSeries } from '../trace-series.ts';
import {
  expectedAt,
  type Seasonality,
  type SeasonalProfile,
  seasonalityFor,
  seasonalMean,
  seasonalProfile,
} from './seasonal.ts';
import { median } from './stats.ts';

/** Tunables shared by the detectors (resolved from the public options). */
export interface DetectSettings {
  readonly algorithm: 'stat' | 'ml' | 'auto';
  readonly zThreshold: number;
  readonly minRequests: number;
  readonly minLatencyChange: number;
  readonly minVolumeChange: number;
  readonly minErrorRateIncrease: number;
  readonly minErrors: number;
  readonly minCallPathTraces: number;
  readonly cusumK: number;
  readonly cusumH: number;
  readonly maxGapBuckets: number;
  readonly errorPrior: number;
  readonly service: string | undefined;
}

/** Baseline of one series. */
export interface SeriesModel {
  readonly logP50: SeasonalProfile;
  readonly logP95: SeasonalProfile;
  readonly logSelfP50: SeasonalProfile;
  /** ln of the mean exclusive time per request (sees faults that hit only some requests: loss, pauses). */
  readonly logSelfMean: SeasonalProfile;
  readonly count: SeasonalProfile;
  /** Per-bucket mean of ln(latency ms), over buckets with any request (location of the pooled latency test). */
  readonly meanLog: SeasonalProfile;
  /** Spread of ln(latency) between requests of one bucket, pooled over the baseline. */
  readonly withinLogSd: number;
  /** Spread of the per-bucket mean ln(latency) beyond sampling noise (drift between buckets). */
  readonly driftLogSd: number;
  /** Error and timeout rates, pooled over the baseline and shrunk toward the rate of all services. */
  readonly errRate: number;
  readonly timeoutRate: number;
  /** Median requests per bucket where the series had traffic. */
  readonly typicalCount: number;
  /** Baseline buckets with at least one request. */
  readonly activeBuckets: number;
  /** Mean requests per (fully covered) baseline bucket: the floor of the volume expectation for sparse series. */
  readonly countMean: number;
  /**
   * Seasonal mean of the counts (winsorized): the expected count of a bucket. Counts are skewed and often mostly
   * zero: the median of Poisson(3.4) counts is 3, that of Poisson(0.1) counts 0, so the median understates the rate.
   */
  readonly countLevel: SeasonalProfile;
  /**
   * Dispersion of a window's count X with expectation M at each window length of {@link SCAN_WINDOWS}:
   * Var(X) = quasi·M + dispersion·M² (quasi-Poisson factor of clustered counts, negative-binomial term of drift);
   * 1 and 0 are Poisson.
   */
  readonly countQuasi: Float64Array;
  readonly countDispersion: Float64Array;
  /** `ml`: the baseline's per-bucket residual vectors (reference rows of the per-series forest). */
  mlRows?: number[][] | undefined;
}

/** Baseline frequencies of one call path. */
export interface EdgeModel {
  readonly traces: number;
}

/** Everything the detectors compare against. */
export interface BaselineModel {
  readonly seasonality: Seasonality;
  readonly bucketSeconds: number;
  readonly fromSeconds: number;
  readonly toSeconds: number;
  readonly series: Map<string, SeriesModel>;
  readonly edges: Map<string, EdgeModel>;
  /** Traces per endpoint key (`service\0operation`) over the baseline. */
  readonly endpointTraces: Map<string, number>;
  /** Trace-level feature rows of the baseline (reference of the trace forest), at most 2000. */
  readonly traceRows: number[][];
  /** `service\0version` seen in the baseline. */
  readonly versions: Set<string>;
}

/** Key of a series across tables: level class, service, operation. */
export function seriesKey(s: MetricSeries): string {
  return `${s.level === 'service' ? 's' : 'o'}\u0000${s.service}\u0000${s.operation}`;
}

/** Key of a call path across tables. */
export function edgeKey(e: {
  endpointService: string;
  endpointOperation: string;
  caller: string;
  callerOperation: string;
  callee: string;
}): string {
  return `${e.endpointService}\u0000${e.endpointOperation}\u0000${e.caller}\u0000${e.callerOperation}\u0000${e.callee}`;
}

/** Centre of bucket `b` of `ts`, Unix seconds. */
export function bucketCentre(ts: TraceSeries, b: number): number {
  return (ts.firstBucket + b + 0.5) * ts.bucketSeconds;
}

/** Fraction of bucket `b` covered by data (the first and last buckets of a table are usually partial). */
export function bucketCoverage(ts: TraceSeries, b: number): number {
  const a = (ts.firstBucket + b) * ts.bucketSeconds;
  const e = a + ts.bucketSeconds;
  const lo = Math.max(a, ts.startSeconds);
  const hi = Math.min(e, ts.endSeconds + 1e-3);
  return Math.max(0, Math.min(1, (hi - lo) / ts.bucketSeconds));
}

const LOG_FLOOR = 0.05;

/**
 * Window lengths (buckets) of the volume and call-path tests: a geometric scan (ratio ≈ √2) so that a change of any duration up
 * to 16 buckets has a window within √2 of its length (a scan with a window half the change's length loses ≈ 30%
 * of the likelihood ratio).
 */
export const SCAN_WINDOWS: readonly number[] = [1, 2, 3, 4, 6, 8, 12, 16];
const MIN_DRIFT_LOG_SD = 0.03;

function meanFinite(v: Float64Array): number {
  let s = 0;
  let n = 0;
  for (const x of v) {
    if (Number.isFinite(x)) {
      s += x;
      n++;
    }
  }
  return n > 0 ? s / n : 0;
}

/** Residuals of bucket `b` of `s` against `m`: latency P50/P95 (log), errors, timeouts, volume. */
export interface Residuals {
  readonly zP50: number;
  readonly zP95: number;
  readonly ratioP50: number;
  readonly ratioP95: number;
  readonly zVolume: number;
  readonly expectedCount: number;
  readonly zErrors: number;
  readonly zTimeouts: number;
  readonly latencyOk: boolean;
  readonly volumeOk: boolean;
  /** Standard deviation of the bucket's count under the baseline (Poisson and seasonal spread). */
  readonly volumeSd: number;
}

/** Signed standardized deviation of a count from its Poisson expectation (for the `ml` vectors and CUSUM). */
function countZ(k: number, lambda: number): number {
  return (k - lambda) / Math.sqrt(lambda + 1);
}

/** The residuals of one bucket. */
export function residuals(
  s: MetricSeries,
  m: SeriesModel,
  b: number,
  centreSeconds: number,
  coverage: number,
  settings: DetectSettings,
): Residuals {
  const n = s.count[b]!;
  let zP50 = 0;
  let zP95 = 0;
  let ratioP50 = 1;
  let ratioP95 = 1;
  const latencyOk = n >= settings.minRequests && m.logP50.n >= 4 && Number.isFinite(s.p50Ms[b]!);
  if (latencyOk) {
    const small = Math.sqrt(Math.max(1, m.typicalCount / n));
    const e50 = expectedAt(m.logP50, centreSeconds);
    const e95 = expectedAt(m.logP95, centreSeconds);
    const d50 = Math.log(Math.max(s.p50Ms[b]!, 1e-6)) - e50.median;
    const d95 = Math.log(Math.max(s.p95Ms[b]!, 1e-6)) - e95.median;
    zP50 = d50 / (Math.max(e50.sigma, LOG_FLOOR) * small);
    // The P95 of a few requests is much noisier than the baseline's: widen by the count ratio more strongly.
    zP95 = d95 / (Math.max(e95.sigma, LOG_FLOOR * 1.5) * small * (n < 20 ? 1.5 : 1));
    ratioP50 = Math.exp(d50);
    ratioP95 = Math.exp(d95);
  }
  const ec = expectedAt(m.count, centreSeconds);
  // Sparse series: the median of mostly-zero counts is 0; the mean keeps the expectation honest.
  const mu = Math.max(0, expectedAt(m.countLevel, centreSeconds).median) * coverage;
  const volumeOk = coverage >= 0.5 && m.count.n >= 4;
  const sd = Math.sqrt(Math.max((ec.sigma * coverage) ** 2, mu, 1, (0.05 * mu) ** 2));
  const zVolume = volumeOk ? (n - mu) / sd : 0;
  const zErrors = n > 0 ? countZ(s.errors[b]!, n * m.errRate) : 0;
  const zTimeouts = n > 0 ? countZ(s.timeouts[b]!, n * m.timeoutRate) : 0;
  return {
    zP50,
    zP95,
    ratioP50,
    ratioP95,
    zVolume,
    expectedCount: mu,
    zErrors,
    zTimeouts,
    latencyOk,
    volumeOk,
    volumeSd: sd,
  };
}

// Raw residuals keep outliers far from the bulk (a split then falls in the gap); clamp only absurd values.
function clampZ(z: number): number {
  return z > 100 ? 100 : z < -100 ? -100 : z;
}

/** The residual vector the `ml` forest sees. */
export function residualVector(r: Residuals): number[] {
  return [clampZ(r.zP50), clampZ(r.zP95), clampZ(r.zErrors), clampZ(r.zTimeouts), clampZ(r.zVolume)];
}

/**
 * The dispersion of the counts around their seasonal mean `level` per window length of
 * {@link SCAN_WINDOWS}: Var(X) = c·M + φ·M² for a window's count X with expectation M, fitted by least squares of
 * (X − M)²/M on M over the baseline's sliding windows. c is the quasi-Poisson factor of clustered counts (a trace
 * calls a service several times: variance = mean × E[K²]/E[K]), φ the negative-binomial term of rate drift that
 * persists over the window (grows with M); c ≥ 1, φ ≥ 0. Windows with a partly covered bucket are skipped.
 */
function countModel(
  counts: Float64Array,
  level: SeasonalProfile,
  centre: (b: number) => number,
  roots: boolean,
): { quasi: Float64Array; dispersion: Float64Array } {
  const B = counts.length;
  const med = new Float64Array(B);
  for (let b = 0; b < B; b++) med[b] = Math.max(0, expectedAt(level, centre(b)).median);
  const quasi = new Float64Array(SCAN_WINDOWS.length).fill(1);
  const dispersion = new Float64Array(SCAN_WINDOWS.length);
  SCAN_WINDOWS.forEach((w, i) => {
    // Ordinary least squares of y = (X − M)²/M on M: intercept c, slope φ.
    let n = 0;
    let sM = 0;
    let sY = 0;
    let sMM = 0;
    let sMY = 0;
    let sYY = 0;
    for (let end = w - 1; end < B; end++) {
      let x = 0;
      let mu = 0;
      let ok = true;
      for (let b = end - w + 1; b <= end; b++) {
        if (!Number.isFinite(counts[b]!)) {
          ok = false;
          break;
        }
        x += counts[b]!;
        mu += med[b]!;
      }
      if (!ok || mu <= 0) continue;
      const y = (x - mu) ** 2 / mu;
      n++;
      sM += mu;
      sY += y;
      sMM += mu * mu;
      sMY += mu * y;
      sYY += y * y;
    }
    if (n < 4) return;
    // Standard error of the mean of y: its sample variance over n windows, of which about n·3/(2w) are
    // independent (sliding windows overlap; the correlation of two squared window sums falls as (1 − lag/w)²).
    const mY = sY / n;
    const overlap = 1 + ((w - 1) * (2 * w - 1)) / (3 * w);
    const seY = Math.sqrt((Math.max(0, sYY / n - mY * mY) * overlap) / n);
    const vM = sMM - (sM * sM) / n;
    let phi = vM > 1e-9 ? (sMY - (sM * sY) / n) / vM : 0;
    let c = (sY - phi * sM) / n;
    if (phi < 0) {
      phi = 0;
      c = sY / n;
    }
    if (c < 1) {
      // Through c = 1: φ = Σ M (y − 1) / Σ M².
      c = 1;
      phi = sMM > 0 ? Math.max(0, (sMY - sM) / sMM) : 0;
    }
    // Counts of trace roots (one per trace) have no clustering: only the excess over Poisson that the baseline
    // establishes beyond its own sampling noise is kept for them. The mean of y over a short baseline is noisy
    // (se ≈ 0.16 over 90 buckets at w = 1, ≈ 0.45 at w = 8) and the fit clamps it at ≥ 1, so a Poisson series
    // would otherwise get c ≈ 1.2–1.5 by chance and lose 10–20% of every z. The excess at the mean expectation,
    // c − 1 + φM̄, is shrunk by one standard error (positive part). Calls inside traces (a database called several
    // times per request) are clustered for real, and there a chance-low estimate would overstate z: kept as fitted.
    const excess = c - 1 + phi * (sM / n);
    const keep = !roots ? 1 : excess > 0 ? Math.max(0, excess - seY) / excess : 0;
    quasi[i] = 1 + keep * (c - 1);
    dispersion[i] = keep * phi;
  });
  return { quasi, dispersion };
}

/** Builds the baseline model from the series of the baseline window. */
export function buildBaselineModel(base: TraceSeries, settings: DetectSettings, selfBaseline: boolean): BaselineModel {
  const cover = base.buckets * base.bucketSeconds;
  const seasonality = selfBaseline ? 'none' : seasonalityFor(cover);
  const centre = (b: number): number => bucketCentre(base, b);
  let allErr = 0;
  let allTimeout = 0;
  let allReq = 0;
  for (const s of base.series) {
    if (s.level !== 'service') continue;
    for (let b = 0; b < base.buckets; b++) {
      allReq += s.count[b]!;
      allErr += s.errors[b]!;
      allTimeout += s.timeouts[b]!;
    }
  }
  const gErr = allReq > 0 ? allErr / allReq : 0;
  const gTimeout = allReq > 0 ? allTimeout / allReq : 0;
  const series = new Map<string, SeriesModel>();
  // Services whose requests are all trace roots (every operation series of theirs is an entry endpoint).
  const rootServices = new Set<string>();
  const innerServices = new Set<string>();
  for (const s of base.series) {
    if (s.level === 'endpoint') rootServices.add(s.service);
    else if (s.level === 'operation') innerServices.add(s.service);
  }
  for (const x of innerServices) rootServices.delete(x);
  for (const s of base.series) {
    const B = base.buckets;
    const lp50 = new Float64Array(B).fill(Number.NaN);
    const lp95 = new Float64Array(B).fill(Number.NaN);
    const lself = new Float64Array(B).fill(Number.NaN);
    const lselfMean = new Float64Array(B).fill(Number.NaN);
    const lmean = new Float64Array(B).fill(Number.NaN);
    let withinSum = 0;
    let withinDf = 0;
    const counts = new Float64Array(B);
    const active: number[] = [];
    let req = 0;
    let err = 0;
    let tmo = 0;
    // Latency profiles rest on buckets with enough requests; a sparse series (fewer than 4 such buckets) uses
    // every bucket with a request, so its exclusive time still has a baseline for root-cause ranking.
    let busy = 0;
    for (let b = 0; b < B; b++) if (s.count[b]! >= settings.minRequests) busy++;
    const minN = busy >= 4 ? settings.minRequests : 1;
    for (let b = 0; b < B; b++) {
      const n = s.count[b]!;
      const cov = bucketCoverage(base, b);
      counts[b] = cov >= 0.999 ? n : cov >= 0.5 ? n / cov : Number.NaN;
      req += n;
      err += s.errors[b]!;
      tmo += s.timeouts[b]!;
      if (n > 0) {
        active.push(n);
        lmean[b] = s.meanLogMs[b]!;
        if (n >= 2 && Number.isFinite(s.sdLogMs[b]!)) {
          withinSum += (n - 1) * s.sdLogMs[b]! ** 2;
          withinDf += n - 1;
        }
      }
      if (n >= minN) {
        lp50[b] = Math.log(Math.max(s.p50Ms[b]!, 1e-6));
        lp95[b] = Math.log(Math.max(s.p95Ms[b]!, 1e-6));
        lself[b] = Math.log(Math.max(s.selfP50Ms[b]!, 1e-6));
        lselfMean[b] = Math.log(Math.max(s.selfMeanMs[b]!, 1e-6));
      }
    }
    const k = settings.errorPrior;
    const typicalCount = active.length > 0 ? median(active) : 0;
    const meanLog = seasonalProfile(lmean, centre, seasonality, !selfBaseline);
    const withinLogSd = withinDf > 0 ? Math.sqrt(withinSum / withinDf) : meanLog.sigma;
    // What the bucket-to-bucket spread of the mean has beyond the sampling noise of its requests. A plain variance
    // (not MAD): a service whose request mix shifts (fast and slow queries of one database) has heavy tails here,
    // and the pooled test must not read them as anomalies.
    let driftSum = 0;
    let driftN = 0;
    for (let b = 0; b < B; b++) {
      const n = s.count[b]!;
      if (n === 0 || !Number.isFinite(lmean[b]!)) continue;
      const d = lmean[b]! - expectedAt(meanLog, centre(b)).median;
      driftSum += d * d - withinLogSd ** 2 / n;
      driftN++;
    }
    const drift = driftN > 0 ? driftSum / driftN : 0;
    const countProfile = seasonalProfile(counts, centre, seasonality, !selfBaseline);
    const countLevel = seasonalMean(counts, centre, countProfile);
    const { quasi: countQuasi, dispersion: countDispersion } = countModel(
      counts,
      countLevel,
      centre,
      s.level === 'endpoint' || (s.level === 'service' && rootServices.has(s.service)),
    );
    const model: SeriesModel = {
      logP50: seasonalProfile(lp50, centre, seasonality, !selfBaseline),
      logP95: seasonalProfile(lp95, centre, seasonality, !selfBaseline),
      logSelfP50: seasonalProfile(lself, centre, seasonality, !selfBaseline),
      logSelfMean: seasonalProfile(lselfMean, centre, seasonality, !selfBaseline),
      count: countProfile,
      meanLog,
      withinLogSd,
      driftLogSd: Math.max(MIN_DRIFT_LOG_SD, Math.sqrt(Math.max(0, drift))),
      errRate: Math.max((err + k * gErr) / (req + k), 2e-4),
      timeoutRate: Math.max((tmo + k * gTimeout) / (req + k), 2e-4),
      typicalCount,
      activeBuckets: active.length,
      countMean: meanFinite(counts),
      countLevel,
      countQuasi,
      countDispersion,
    };
    series.set(seriesKey(s), model);
  }
  if (settings.algorithm === 'ml') {
    for (const s of base.series) {
      const m = series.get(seriesKey(s))!;
      const rows: number[][] = [];
      for (let b = 0; b < base.buckets; b++) {
        if (s.count[b]! === 0) continue;
        rows.push(residualVector(residuals(s, m, b, centre(b), bucketCoverage(base, b), settings)));
      }
      m.mlRows = rows;
    }
  }
  const edges = new Map<string, EdgeModel>();
  for (const e of base.callPaths) {
    let t = 0;
    for (let b = 0; b < base.buckets; b++) t += e.traces[b]!;
    const key = edgeKey(e);
    edges.set(key, { traces: (edges.get(key)?.traces ?? 0) + t });
  }
  const endpointTraces = new Map<string, number>();
  for (const s of base.series) {
    if (s.level === 'service') continue;
    let t = 0;
    for (let b = 0; b < base.buckets; b++) t += s.count[b]!;
    endpointTraces.set(`${s.service}\u0000${s.operation}`, t);
  }
  const traceRows: number[][] = [];
  if (settings.algorithm !== 'stat') {
    const f = base.traceFeatures;
    const step = Math.max(1, f.bucket.length / 2000);
    for (let x = 0; x < f.bucket.length; x += step) {
      const r = Math.floor(x);
      traceRows.push(Array.from(f.values.subarray(r * 4, (r + 1) * 4)));
    }
  }
  const versions = new Set<string>();
  for (const v of base.versions) versions.add(`${v.service}\u0000${v.version}`);
  return {
    seasonality,
    bucketSeconds: base.bucketSeconds,
    fromSeconds: base.startSeconds,
    toSeconds: base.endSeconds,
    series,
    edges,
    endpointTraces,
    traceRows,
    versions,
  };
}
