// Bucket-level detection over series: robust seasonal z-scores, Poisson tails for error and timeout counts, CUSUM
// level shifts, per-series Isolation Forest (ml), and call-path presence tests; flagged buckets merged into runs.
// Algorithm: residual z per bucket against the seasonal median/MAD of the baseline; CUSUM (Page 1954) on the
// residuals for sustained shifts; Poisson upper/lower tails for counts; runs of flagged buckets (gaps ≤ maxGap).
// Reference: Page, "Continuous inspection schemes", Biometrika 1954; Liu et al., "Isolation Forest", ICDM 2008.
import type { AnomalyKind } from '../anomaly-report.ts';
import type { CallPathSeries, MetricSeries, TraceSeries } from '../trace-series.ts';
import { fitAndScore } from './forest.ts';
import {
  type BaselineModel,
  bucketCentre,
  bucketCoverage,
  type DetectSettings,
  edgeKey,
  type Residuals,
  residuals,
  residualVector,
  SCAN_WINDOWS,
  type SeriesModel,
  seriesKey,
} from './model.ts';
import { expectedAt } from './seasonal.ts';
import { countDevianceZ, poissonLogLowerTail, poissonLogUpperTail, zFromLogP } from './stats.ts';

const MIN_LATENCY_RUN_REQUESTS = 20;
/**
 * Fewest requests a pooled (multi-bucket) latency test rests on. Small because the test must also hold with any
 * one bucket of the window left out ({@link survivesLeaveOneOut}): one slow request cannot decide it.
 */
const MIN_POOLED_REQUESTS = 6;
/** z the rest of a pooled latency window must keep with any one bucket left out (p ≈ 0.0013, one-sided). */
const LEAVE_ONE_OUT_Z = 3;
/** Window lengths (buckets) of the pooled tests: a change too small for one bucket can be clear over four. */
const WINDOWS: readonly number[] = [2, 4, 8];

/** One flagged bucket. */
export interface BucketHit {
  readonly b: number;
  /** Which detectors flagged it. */
  readonly stat: boolean;
  readonly changepoint: boolean;
  readonly ml: boolean;
  /** Signed z of the deciding test. */
  readonly z: number;
  readonly observed: number;
  readonly expected: number;
  readonly count: number;
  /** Extra count for the kind: excess errors / timeouts, traces with the call path. */
  readonly affected: number;
  /** ML anomaly score (0 when not computed). */
  readonly mlScore: number;
  /**
   * Flagged or supported by a test pooled over several buckets (the bucket alone may not be significant): its run
   * rests on the pooled test's minimum of requests.
   */
  readonly pooled?: true;
}

/** A run of flagged buckets of one series and kind. */
export interface Run {
  readonly seriesIndex: number;
  readonly series: MetricSeries | undefined;
  readonly service: string;
  readonly operation: string;
  readonly level: MetricSeries['level'] | 'call-path';
  readonly kind: AnomalyKind;
  readonly hits: readonly BucketHit[];
  readonly startBucket: number;
  readonly endBucket: number;
  /** CUSUM onset bucket (where the cumulative sum left zero), or the first hit. */
  readonly onsetBucket: number;
  /** Residual z per bucket of the series for this kind's metric (for pattern analysis). */
  readonly residualZ: Float64Array;
  readonly callPath?: { callee: string; change: 'added' | 'removed'; endpoint: string };
}

interface KindTrack {
  readonly kind: AnomalyKind;
  readonly z: Float64Array;
  readonly hits: BucketHit[];
  cusum: number;
  cusumStart: number;
  readonly onset: Int32Array;
}

function track(kind: AnomalyKind, B: number): KindTrack {
  return { kind, z: new Float64Array(B), hits: [], cusum: 0, cusumStart: 0, onset: new Int32Array(B) };
}

/** Flags the buckets of one series. */
function detectSeries(target: TraceSeries, idx: number, m: SeriesModel, settings: DetectSettings): KindTrack[] {
  const s = target.series[idx]!;
  const B = target.buckets;
  const thr = settings.zThreshold;
  const tracks = {
    latency_spike: track('latency_spike', B),
    latency_drop: track('latency_drop', B),
    error_rate_spike: track('error_rate_spike', B),
    timeout_spike: track('timeout_spike', B),
    volume_spike: track('volume_spike', B),
    volume_drop: track('volume_drop', B),
  };
  const res: Residuals[] = [];
  for (let b = 0; b < B; b++)
    res.push(residuals(s, m, b, bucketCentre(target, b), bucketCoverage(target, b), settings));
  const fit =
    settings.algorithm === 'ml' && m.mlRows !== undefined
      ? fitAndScore(m.mlRows, res.map(residualVector), 0.5)
      : undefined;
  const mlScores = fit?.scores;
  // The library's scores of clear outliers top out near 0.55-0.6 (capped tree depth), typical rows near 0.3:
  // an outlier is a row scoring well above the baseline's median score.
  const mlThreshold = fit ? Math.max(0.45, fit.threshold + 0.18) : 1;
  const cusumStep = (t: KindTrack, z: number, b: number): boolean => {
    const zc = z > 10 ? 10 : z;
    const before = t.cusum;
    t.cusum = Math.max(0, t.cusum + zc - settings.cusumK);
    if (before === 0 && t.cusum > 0) t.cusumStart = b;
    t.onset[b] = t.cusumStart;
    return t.cusum >= settings.cusumH;
  };
  for (let b = 0; b < B; b++) {
    const r = res[b]!;
    const n = s.count[b]!;
    const mlHit = mlScores !== undefined && mlScores[b]! >= mlThreshold;
    const mlScore = mlScores?.[b] ?? 0;
    const push = (
      t: KindTrack,
      statHit: boolean,
      cpHit: boolean,
      gate: boolean,
      z: number,
      observed: number,
      expected: number,
      affected: number,
    ): void => {
      const byMl = mlHit && gate && Math.abs(z) >= 2;
      const fired = settings.algorithm === 'ml' ? byMl || (cpHit && gate) : (statHit || cpHit) && gate;
      if (!fired) return;
      t.hits.push({
        b,
        stat: statHit && gate,
        changepoint: cpHit && gate,
        ml: byMl,
        z,
        observed,
        expected,
        count: n,
        affected,
        mlScore,
      });
    };
    // Latency: the percentile (P50 or P95) that moved most, gated on relative change.
    if (r.latencyOk) {
      const use95 = Math.abs(r.zP95) > Math.abs(r.zP50) && Math.sign(r.zP95) === Math.sign(r.zP50 || r.zP95);
      const z = use95 ? r.zP95 : r.zP50;
      const ratio = use95 ? r.ratioP95 : r.ratioP50;
      const observed = use95 ? s.p95Ms[b]! : s.p50Ms[b]!;
      const expected = observed / ratio;
      tracks.latency_spike.z[b] = z;
      tracks.latency_drop.z[b] = -z;
      const up = cusumStep(tracks.latency_spike, r.zP50, b);
      const down = cusumStep(tracks.latency_drop, -r.zP50, b);
      const spikeGate = ratio >= 1 + settings.minLatencyChange;
      const dropGate = ratio <= 1 / (1 + settings.minLatencyChange);
      push(tracks.latency_spike, z >= thr, up && r.zP50 >= 2, spikeGate, z, observed, expected, n);
      push(tracks.latency_drop, z <= -thr, down && r.zP50 <= -2, dropGate, z, observed, expected, n);
    }
    // Error and timeout counts: Poisson upper tail with the shrunk baseline rate.
    if (n > 0) {
      for (const [t, k, p0] of [
        [tracks.error_rate_spike, s.errors[b]!, m.errRate],
        [tracks.timeout_spike, s.timeouts[b]!, m.timeoutRate],
      ] as const) {
        const lambda = n * p0;
        const z = k > lambda ? zFromLogP(poissonLogUpperTail(k, lambda)) : 0;
        t.z[b] = z;
        const cp = cusumStep(t, Math.min(z, 10), b);
        const gate = k >= settings.minErrors && k / n - p0 >= settings.minErrorRateIncrease && k / n >= 2 * p0;
        push(t, z >= thr, cp && z >= 2, gate, z, k / n, p0, Math.max(0, Math.round(k - lambda)));
      }
    }
    // Volume against the seasonal expectation of the bucket (scaled by its coverage).
    if (r.volumeOk) {
      const mu = r.expectedCount;
      tracks.volume_spike.z[b] = r.zVolume;
      tracks.volume_drop.z[b] = -r.zVolume;
      const up = cusumStep(tracks.volume_spike, r.zVolume, b);
      const down = cusumStep(tracks.volume_drop, -r.zVolume, b);
      const spikeGate = n >= mu * (1 + settings.minVolumeChange) && n - mu >= 5;
      const dropGate = n <= mu / (1 + settings.minVolumeChange) && mu >= 10;
      const c = m.countQuasi[0]! + m.countDispersion[0]! * mu;
      const spikeZ = n > mu ? countDevianceZ(n, Math.max(mu, 0.5), c) : 0;
      const dropZ = n < mu ? countDevianceZ(n, mu, c) : 0;
      push(tracks.volume_spike, spikeZ >= thr, up && r.zVolume >= 2, spikeGate, spikeZ, n, mu, Math.round(n - mu));
      push(tracks.volume_drop, dropZ <= -thr, down && r.zVolume <= -2, dropGate, dropZ, n, mu, Math.round(mu - n));
    }
  }
  pooledTests(target, s, m, tracks, settings);
  volumeScan(s, m, res, tracks.volume_spike, tracks.volume_drop, settings);
  for (const t of Object.values(tracks)) t.hits.sort((a, b) => a.b - b.b);
  return Object.values(tracks);
}

/**
 * Tests pooled over windows of 2, 4 and 8 buckets, for changes that are clear only over several buckets: sparse
 * services (a few requests per bucket) and moderate shifts. Latency: the mean of ln(latency) over all requests of
 * the window against the baseline's per-bucket mean, with variance within²/N + drift² (drift between buckets is
 * not averaged away). Errors / timeouts: Poisson tail of the window's count. Volume: {@link volumeScan}.
 * Only the window's buckets that show the change themselves are flagged (as `pooled` hits).
 */
function pooledTests(
  target: TraceSeries,
  s: MetricSeries,
  m: SeriesModel,
  tracks: Record<
    'latency_spike' | 'latency_drop' | 'error_rate_spike' | 'timeout_spike' | 'volume_spike' | 'volume_drop',
    KindTrack
  >,
  settings: DetectSettings,
): void {
  const B = target.buckets;
  const thr = settings.zThreshold;
  const has = new Map<KindTrack, Set<number>>();
  const flagged = (t: KindTrack): Set<number> => {
    let x = has.get(t);
    if (!x) {
      x = new Set(t.hits.map((h) => h.b));
      has.set(t, x);
    }
    return x;
  };
  const flag = (t: KindTrack, b: number, z: number, observed: number, expected: number, affected: number): void => {
    const set = flagged(t);
    if (set.has(b)) {
      // Flagged by its own bucket's test already: the pooled test supports it too, so its run needs only the
      // pooled test's requests, not the 20 a run of single-bucket hits needs (an onset seen in a bucket of 7
      // requests and the next half-bucket of 7 was held back until 20 requests had arrived).
      const i = t.hits.findIndex((h) => h.b === b);
      if (i >= 0 && t.hits[i]!.pooled === undefined) t.hits[i] = { ...t.hits[i]!, pooled: true };
      return;
    }
    set.add(b);
    t.hits.push({
      b,
      stat: true,
      changepoint: false,
      ml: false,
      z,
      observed,
      expected,
      count: s.count[b]!,
      affected,
      mlScore: 0,
      pooled: true,
    });
  };
  const expLog = new Float64Array(B);
  const latOk = m.meanLog.n >= 4;
  if (latOk) for (let b = 0; b < B; b++) expLog[b] = expectedAt(m.meanLog, bucketCentre(target, b)).median;
  const minLog = Math.log(1 + settings.minLatencyChange);
  for (const w of WINDOWS) {
    for (let end = w - 1; end < B; end++) {
      const from = end - w + 1;
      // Latency.
      if (latOk) {
        let n = 0;
        let sum = 0;
        let exp = 0;
        for (let b = from; b <= end; b++) {
          const c = s.count[b]!;
          if (c === 0 || !Number.isFinite(s.meanLogMs[b]!)) continue;
          n += c;
          sum += c * s.meanLogMs[b]!;
          exp += c * expLog[b]!;
        }
        if (n >= MIN_POOLED_REQUESTS) {
          const d = (sum - exp) / n;
          const z = d / Math.sqrt(m.withinLogSd ** 2 / n + m.driftLogSd ** 2);
          const t = d > 0 ? tracks.latency_spike : tracks.latency_drop;
          if (Math.abs(z) >= thr && Math.abs(d) >= minLog && survivesLeaveOneOut(s, expLog, from, end, m, thr, d)) {
            for (let b = from; b <= end; b++) {
              const c = s.count[b]!;
              if (c === 0) continue;
              const db = s.meanLogMs[b]! - expLog[b]!;
              if (d > 0 ? db < 0.5 * minLog : db > -0.5 * minLog) continue;
              const obs = s.p50Ms[b]!;
              flag(t, b, d > 0 ? z : -z, obs, obs / Math.exp(db), c);
            }
          }
        }
      }
      // Errors and timeouts.
      let n = 0;
      let errs = 0;
      let tmo = 0;
      for (let b = from; b <= end; b++) {
        n += s.count[b]!;
        errs += s.errors[b]!;
        tmo += s.timeouts[b]!;
      }
      if (n > 0) {
        for (const [t, k, p0, arr] of [
          [tracks.error_rate_spike, errs, m.errRate, s.errors],
          [tracks.timeout_spike, tmo, m.timeoutRate, s.timeouts],
        ] as const) {
          const lambda = n * p0;
          if (k < settings.minErrors || k / n - p0 < settings.minErrorRateIncrease || k / n < 2 * p0) continue;
          const z = zFromLogP(poissonLogUpperTail(k, lambda));
          if (z < thr) continue;
          for (let b = from; b <= end; b++) {
            const c = s.count[b]!;
            const x = arr[b]!;
            if (c === 0 || x === 0 || x / c < Math.max(2 * p0, p0 + settings.minErrorRateIncrease)) continue;
            flag(t, b, z, x / c, p0, Math.max(0, Math.round(x - c * p0)));
          }
        }
      }
    }
  }
}

/**
 * Volume over windows of {@link SCAN_WINDOWS} buckets: the window's count X against its expectation M (seasonal
 * median × mean/median ratio, scaled by coverage) by the quasi-Poisson likelihood ratio with the dispersion the
 * baseline showed at that window length (variance cM + φM²: clustered calls and persistent drift). Under that model a window passes the
 * z bar with one-sided probability 1 − Φ(z) (2.9e-7 at z = 5); windows of one series overlap, so the tests are
 * strongly correlated and the family-wise rate per series is a few times that, not the number of windows times it.
 * The window must also move by `minVolumeChange` as a whole; only its buckets that show half that change
 * themselves are flagged.
 */
function volumeScan(
  s: MetricSeries,
  m: SeriesModel,
  res: readonly Residuals[],
  spike: KindTrack,
  drop: KindTrack,
  settings: DetectSettings,
): void {
  const B = res.length;
  // Prefix sums of counts and expectations; a bucket without a volume test (partial, no baseline) breaks windows.
  const cx = new Float64Array(B + 1);
  const cm = new Float64Array(B + 1);
  const bad = new Int32Array(B + 1);
  for (let b = 0; b < B; b++) {
    const r = res[b]!;
    cx[b + 1] = cx[b]! + s.count[b]!;
    cm[b + 1] = cm[b]! + (r.volumeOk ? r.expectedCount : 0);
    bad[b + 1] = bad[b]! + (r.volumeOk ? 0 : 1);
  }
  const thr = settings.zThreshold;
  const vol = settings.minVolumeChange;
  const seen = (t: KindTrack): Set<number> => new Set(t.hits.map((h) => h.b));
  const spikeSeen = seen(spike);
  const dropSeen = seen(drop);
  for (let i = 1; i < SCAN_WINDOWS.length; i++) {
    const w = SCAN_WINDOWS[i]!;
    const quasi = m.countQuasi[i]!;
    const phi = m.countDispersion[i]!;
    for (let end = w - 1; end < B; end++) {
      const from = end - w + 1;
      if (bad[end + 1]! - bad[from]! > 0) continue;
      const x = cx[end + 1]! - cx[from]!;
      const mu = cm[end + 1]! - cm[from]!;
      if (mu <= 0) continue;
      const up = x >= mu * (1 + vol) && x - mu >= 5;
      const down = x <= mu / (1 + vol) && mu >= 10;
      if (!up && !down) continue;
      const z = countDevianceZ(x, up ? Math.max(mu, 0.5) : mu, quasi + phi * mu);
      if (up ? z < thr : z > -thr) continue;
      const t = up ? spike : drop;
      const set = up ? spikeSeen : dropSeen;
      for (let b = from; b <= end; b++) {
        const e = res[b]!.expectedCount;
        const c = s.count[b]!;
        if (up ? c < e * (1 + 0.5 * vol) : c > e / (1 + 0.5 * vol)) continue;
        const prev = set.has(b);
        if (prev) continue;
        set.add(b);
        t.hits.push({
          b,
          stat: true,
          changepoint: false,
          ml: false,
          z,
          observed: c,
          expected: e,
          count: c,
          affected: Math.round(Math.abs(c - e)),
          mlScore: 0,
          pooled: true,
        });
      }
    }
  }
}

/**
 * Whether the pooled latency shift of buckets [from, end] (mean `d` of ln latency over the expectation) stays
 * significant, in the same direction, with any one bucket left out: z ≥ {@link LEAVE_ONE_OUT_Z} (one-sided
 * p ≈ 0.0013). The within-bucket spread is a pooled standard deviation that does not see rare outliers (a pause, a
 * cold cache): in a window of a few requests one such request could carry the mean on its own; with this check an
 * aberrant bucket yields a detection only together with an independent p < 0.0013 shift of the rest.
 */
function survivesLeaveOneOut(
  s: MetricSeries,
  expLog: Float64Array,
  from: number,
  end: number,
  m: SeriesModel,
  thr: number,
  d: number,
): boolean {
  let n = 0;
  let dev = 0;
  let buckets = 0;
  for (let b = from; b <= end; b++) {
    const c = s.count[b]!;
    if (c === 0 || !Number.isFinite(s.meanLogMs[b]!)) continue;
    n += c;
    dev += c * (s.meanLogMs[b]! - expLog[b]!);
    buckets++;
  }
  if (buckets < 2) return false;
  for (let b = from; b <= end; b++) {
    const c = s.count[b]!;
    if (c === 0 || !Number.isFinite(s.meanLogMs[b]!)) continue;
    const n1 = n - c;
    const d1 = (dev - c * (s.meanLogMs[b]! - expLog[b]!)) / n1;
    const z1 = d1 / Math.sqrt(m.withinLogSd ** 2 / n1 + m.driftLogSd ** 2);
    const bar = Math.min(thr, LEAVE_ONE_OUT_Z);
    if (d > 0 ? z1 < bar : z1 > -bar) return false;
  }
  return true;
}

/** Prefix sums: out[k] = a[0] + … + a[k − 1] (rounding is exact for counts; sums of rates differ by ≤ 1 ulp each). */
function prefix(a: Float64Array): Float64Array {
  const out = new Float64Array(a.length + 1);
  for (let k = 0; k < a.length; k++) out[k + 1] = out[k]! + a[k]!;
  return out;
}

function toRuns(
  t: KindTrack,
  base: Omit<Run, 'hits' | 'startBucket' | 'endBucket' | 'onsetBucket' | 'residualZ' | 'kind'>,
  maxGap: number,
): Run[] {
  const out: Run[] = [];
  let cur: BucketHit[] = [];
  const flush = (): void => {
    if (cur.length === 0) return;
    const start = cur[0]!.b;
    const onset = Math.min(start, t.onset[start]! || start);
    out.push({
      ...base,
      kind: t.kind,
      hits: cur,
      startBucket: start,
      endBucket: cur[cur.length - 1]!.b,
      onsetBucket: onset,
      residualZ: t.z,
    });
    cur = [];
  };
  for (const h of t.hits) {
    if (cur.length > 0 && h.b - cur[cur.length - 1]!.b > maxGap + 1) flush();
    cur.push(h);
  }
  flush();
  return out;
}

/**
 * Call-path presence: for each caller → callee pair, the traces containing it per bucket (summed over endpoints and
 * caller operations) against the expectation from the baseline share of each endpoint's traces. Windows of
 * {@link SCAN_WINDOWS} buckets let a low-traffic call path reach significance; flagged windows become runs.
 */
function detectCallPaths(target: TraceSeries, model: BaselineModel, settings: DetectSettings): Run[] {
  const B = target.buckets;
  const thr = settings.zThreshold;
  const endpointCounts = new Map<string, Float64Array>();
  for (const s of target.series) {
    if (s.level !== 'service') endpointCounts.set(`${s.service}\u0000${s.operation}`, s.count);
  }
  interface Pair {
    caller: string;
    callee: string;
    observed: Float64Array;
    expected: Float64Array;
    /** Traces of the endpoints involved, per bucket. */
    traces: Float64Array;
    baseTraces: number;
    baseEndpointTraces: number;
    ops: Map<string, number>;
    endpoints: Map<string, number>;
  }
  const pairs = new Map<string, Pair>();
  const pairOf = (caller: string, callee: string): Pair => {
    const k = `${caller}\u0000${callee}`;
    let p = pairs.get(k);
    if (!p) {
      p = {
        caller,
        callee,
        observed: new Float64Array(B),
        expected: new Float64Array(B),
        traces: new Float64Array(B),
        baseTraces: 0,
        baseEndpointTraces: 0,
        ops: new Map(),
        endpoints: new Map(),
      };
      pairs.set(k, p);
    }
    return p;
  };
  const seenCombos = new Set<string>();
  const countedEndpoints = new Map<Pair, Set<string>>();
  const addCombo = (e: Omit<CallPathSeries, 'traces'>, traces: Float64Array | undefined): void => {
    const epKey = `${e.endpointService}\u0000${e.endpointOperation}`;
    const epTarget = endpointCounts.get(epKey);
    const epBase = model.endpointTraces.get(epKey) ?? 0;
    if (!epTarget || epBase < 20) return;
    const baseTraces = model.edges.get(edgeKey(e))?.traces ?? 0;
    const f = baseTraces / epBase;
    const p = pairOf(e.caller, e.callee);
    let counted = countedEndpoints.get(p);
    if (!counted) countedEndpoints.set(p, (counted = new Set()));
    const newEndpoint = !counted.has(epKey);
    counted.add(epKey);
    let total = 0;
    for (let b = 0; b < B; b++) {
      const n = epTarget[b]!;
      const x = traces?.[b] ?? 0;
      p.observed[b] = p.observed[b]! + x;
      p.expected[b] = p.expected[b]! + n * f;
      if (newEndpoint) p.traces[b] = p.traces[b]! + n;
      total += x;
    }
    p.baseTraces += baseTraces;
    if (newEndpoint) p.baseEndpointTraces += epBase;
    p.ops.set(e.callerOperation, (p.ops.get(e.callerOperation) ?? 0) + total + baseTraces);
    p.endpoints.set(e.endpointOperation, (p.endpoints.get(e.endpointOperation) ?? 0) + total + baseTraces);
  };
  for (const e of target.callPaths) {
    seenCombos.add(edgeKey(e));
    addCombo(e, e.traces);
  }
  // Baseline call paths that vanished from the target altogether.
  for (const [key, em] of model.edges) {
    if (seenCombos.has(key) || em.traces === 0) continue;
    const [endpointService, endpointOperation, caller, callerOperation, callee] = key.split('\u0000') as [
      string,
      string,
      string,
      string,
      string,
    ];
    addCombo({ endpointService, endpointOperation, caller, callerOperation, callee }, undefined);
  }
  const runs: Run[] = [];
  const top = (m: Map<string, number>): string => [...m].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  for (const p of pairs.values()) {
    if (p.caller === p.callee) continue;
    const fBase = p.baseEndpointTraces > 0 ? p.baseTraces / p.baseEndpointTraces : 0;
    const added = fBase < 0.01;
    if (!added && fBase < 0.02) continue;
    const t = track('call_path_change', B);
    const flagged = new Map<number, BucketHit>();
    const cx = prefix(p.observed);
    const cl = prefix(p.expected);
    const cn = prefix(p.traces);
    for (const w of SCAN_WINDOWS) {
      for (let b = w - 1; b < B; b++) {
        const x = cx[b + 1]! - cx[b + 1 - w]!;
        const lambda = cl[b + 1]! - cl[b + 1 - w]!;
        const n = cn[b + 1]! - cn[b + 1 - w]!;
        if (n === 0) continue;
        let z = 0;
        let ok = false;
        // The exact tails cost a loop over the counts near x; they are computed only where the window can pass its
        // other conditions (and for the one-bucket residuals of pattern analysis).
        if (added) {
          const lam = Math.max(lambda, (n * 0.5) / Math.max(p.baseEndpointTraces, 1));
          const can = x >= settings.minCallPathTraces;
          z = x > lam && (can || w === 1) ? zFromLogP(poissonLogUpperTail(x, lam)) : 0;
          ok = can && z >= thr;
        } else {
          const can = x <= 0.25 * lambda && lambda >= 8;
          z = x < lambda && (can || w === 1) ? zFromLogP(poissonLogLowerTail(x, lambda)) : 0;
          ok = can && z >= thr;
        }
        if (w === 1) t.z[b] = z;
        if (!ok) continue;
        for (let k = b - w + 1; k <= b; k++) {
          if (p.traces[k]! === 0) continue;
          // Only the buckets of the window that show the change themselves.
          if (added ? p.observed[k]! === 0 : p.observed[k]! >= 0.5 * p.expected[k]!) continue;
          const prev = flagged.get(k);
          if (prev && prev.z >= z) continue;
          const xo = p.observed[k]!;
          const lo = p.expected[k]!;
          flagged.set(k, {
            b: k,
            stat: true,
            changepoint: false,
            ml: false,
            z,
            observed: xo / p.traces[k]!,
            expected: lo / p.traces[k]!,
            count: p.traces[k]!,
            affected: Math.round(added ? xo : Math.max(0, lo - xo)),
            mlScore: 0,
          });
        }
      }
    }
    t.hits.push(...[...flagged.values()].sort((a, b) => a.b - b.b));
    const endpoint = top(p.endpoints);
    for (const r of toRuns(
      t,
      {
        seriesIndex: -1,
        series: undefined,
        service: p.caller,
        operation: top(p.ops),
        level: 'call-path',
        callPath: { callee: p.callee, change: added ? 'added' : 'removed', endpoint },
      },
      settings.maxGapBuckets,
    )) {
      runs.push(r);
    }
  }
  return runs;
}

/**
 * Whether a service-level latency run is only a change of the request mix: the service has several operations,
 * and none of them moved in the run's direction by half the service's change (mean ln latency pooled over the
 * run, against each operation's own baseline). A database whose buckets happen to hold only fast statements has
 * a lower P50 while no statement got faster.
 */
function mixShiftOnly(target: TraceSeries, model: BaselineModel, service: string, r: Run): boolean {
  const ops: { s: MetricSeries; m: SeriesModel }[] = [];
  for (const s of target.series) {
    if (s.level === 'service' || s.service !== service) continue;
    const m = model.series.get(seriesKey(s));
    if (m && m.meanLog.n >= 4) ops.push({ s, m });
  }
  if (ops.length < 2) return false;
  const svc = r.series!;
  const svcModel = model.series.get(seriesKey(svc));
  if (!svcModel || svcModel.meanLog.n < 4) return false;
  const pooledShift = (s: MetricSeries, m: SeriesModel): number => {
    let n = 0;
    let d = 0;
    for (let b = r.startBucket; b <= r.endBucket; b++) {
      const c = s.count[b]!;
      if (c === 0 || !Number.isFinite(s.meanLogMs[b]!)) continue;
      n += c;
      d += c * (s.meanLogMs[b]! - expectedAt(m.meanLog, bucketCentre(target, b)).median);
    }
    return n > 0 ? d / n : 0;
  };
  const total = pooledShift(svc, svcModel);
  const up = r.kind === 'latency_spike';
  if (up ? total <= 0 : total >= 0) return false;
  for (const { s, m } of ops) {
    const d = pooledShift(s, m);
    if (up ? d >= 0.5 * total : d <= 0.5 * total) return false;
  }
  return true;
}

/** All runs of flagged buckets in `target`. */
export function detectRuns(target: TraceSeries, model: BaselineModel, settings: DetectSettings): Run[] {
  const runs: Run[] = [];
  for (let i = 0; i < target.series.length; i++) {
    const s = target.series[i]!;
    if (settings.service !== undefined && s.service !== settings.service) continue;
    const m = model.series.get(seriesKey(s));
    if (!m || m.activeBuckets < 4) continue;
    for (const t of detectSeries(target, i, m, settings)) {
      for (const r of toRuns(
        t,
        { seriesIndex: i, series: s, service: s.service, operation: s.operation, level: s.level },
        settings.maxGapBuckets,
      )) {
        // Low-traffic noise: a latency run must rest on enough requests (a percentile of 6 requests in one bucket
        // is not evidence on its own).
        if (r.kind === 'latency_spike' || r.kind === 'latency_drop') {
          let requests = 0;
          let pooled = false;
          for (const h of r.hits) {
            requests += h.count;
            if (h.pooled) pooled = true;
          }
          if (requests < (pooled ? MIN_POOLED_REQUESTS : MIN_LATENCY_RUN_REQUESTS)) continue;
          if (s.level === 'service' && mixShiftOnly(target, model, s.service, r)) continue;
        }
        runs.push(r);
      }
    }
  }
  for (const r of detectCallPaths(target, model, settings)) {
    if (settings.service === undefined || r.service === settings.service || r.callPath?.callee === settings.service) {
      runs.push(r);
    }
  }
  return runs;
}
