// Anomaly detection over the traces of a window, against a baseline window: latency, errors, timeouts, volume and
// call paths per service and operation, each anomaly with detector evidence, severity, hypotheses and the likely
// origins across anomalies.
//
//   baseline (history, e.g. 7 days)          target (e.g. the last hour)
//   |--------------------------------------| |-----------------------|
//   seasonal median/MAD per hour-of-day slot  each bucket vs its slot:  z = (x - median_slot) / (1.4826 · MAD_slot)
//
// Algorithm: robust seasonal z-scores (median/MAD per hour-of-day or hour-of-week slot), Poisson tails for error,
// timeout and call-path counts with the rate shrunk toward all services, CUSUM for level shifts, Isolation Forest on
// trace-level features (and per-series residual vectors for `ml`); exclusive-time attribution for root causes.
// Reference: Hochenbaum et al., "Automatic Anomaly Detection in the Cloud Via Statistical Learning" (Twitter S-H-ESD,
// 2017) for seasonal median/MAD; Page 1954 (CUSUM); Liu et al., ICDM 2008 (Isolation Forest).
import { isSpanTable, type SpanTable } from '@aiops/span-model';
import type { AnomalyReport } from './anomaly-report.ts';
import { buildBaselineModel } from './internal/model.ts';
import { reportFromSeries, resolveSettings } from './internal/pipeline.ts';
import { type TraceSeries, traceSeries } from './trace-series.ts';

/** Options of {@link detectAnomalies}. */
export interface DetectAnomaliesOptions {
  /** History to learn normal behaviour from (a span table or its series). Default: the target itself. */
  readonly baseline?: SpanTable | TraceSeries;
  /** `stat` (seasonal z + CUSUM), `ml` (Isolation Forest per series), `auto` (stat, with forest evidence). Default auto. */
  readonly algorithm?: 'stat' | 'ml' | 'auto';
  /** Bucket width, seconds. Default 30. */
  readonly bucketSeconds?: number;
  /** 0 (only the clearest anomalies) … 1 (more, noisier). Default 0.5 (z ≥ 5). */
  readonly sensitivity?: number;
  /** Only anomalies of this (logical) service. */
  readonly service?: string;
  /** Fewest requests in a bucket for a latency test. Default 5. */
  readonly minRequests?: number;
  /** Smallest relative latency change reported (0.3 = ±30%). Default 0.3. */
  readonly minLatencyChange?: number;
  /** Smallest relative volume change reported (0.5 = ×1.5 or ÷1.5). Default 0.5. */
  readonly minVolumeChange?: number;
  /** Smallest absolute rise of the error / timeout rate. Default 0.02. */
  readonly minErrorRateIncrease?: number;
  /** Fewest errors / timeouts in a bucket. Default 3. */
  readonly minErrors?: number;
  /** Fewest traces with a new call path in a bucket. Default 3. */
  readonly minCallPathTraces?: number;
  /** Quiet buckets allowed inside one anomaly. Default 1. */
  readonly maxGapBuckets?: number;
  /** Fold pod names to workload names. Default true. */
  readonly foldPodNames?: boolean;
}

const DEFAULTS = { bucketSeconds: 30, foldPodNames: true } as const;

/**
 * Detects anomalies in `target` compared with `options.baseline`.
 *
 * **Details**
 * - Series per service, operation and entry endpoint ({@link traceSeries}); the baseline gives, per series and per
 *   hour-of-day slot (hour-of-week with ≥ 2 weeks of history, none under 2 days), the median and MAD.
 * - Latency: P50 and P95 per bucket on a log scale; errors and timeouts: Poisson tail of the count given the
 *   baseline rate shrunk toward the rate of all services (so 1 failure in 3 requests is not an alarm); volume:
 *   seasonal expectation; call paths: share of each endpoint's traces containing a caller → callee call.
 * - Each anomaly lists what every detector saw (`evidence`), hypotheses ranked by confidence, and a pattern
 *   analysis; `rootCauseCandidates` ranks the services whose own exclusive time or own errors grew.
 * - Without a baseline the target is its own baseline (anomalies must cover less than half of it).
 *
 * **Complexity** O(n) over spans plus sorting requests within buckets; detection is O(series × buckets).
 *
 * **Gotchas** The baseline must use the same service naming (pod names are folded in both). The `ml` forest draws
 * its random splits from a fixed seed, so identical input gives identical scores and reports.
 *
 * @example
 * ```ts
 * const report = detectAnomalies(lastHour, { baseline: lastWeek, sensitivity: 0.5 });
 * for (const a of report.anomalies) console.log(a.kind, a.service, a.severity, a.change);
 * report.rootCauseCandidates[0]?.service; // most likely origin
 * ```
 */
export function detectAnomalies(target: SpanTable | TraceSeries, options: DetectAnomaliesOptions = {}): AnomalyReport {
  const settings = resolveSettings(options);
  const bucketSeconds = options.bucketSeconds ?? DEFAULTS.bucketSeconds;
  const seriesOptions = { bucketSeconds, foldPodNames: options.foldPodNames ?? DEFAULTS.foldPodNames };
  const t = isSpanTable(target) ? traceSeries(target, seriesOptions) : target;
  const b =
    options.baseline === undefined
      ? t
      : isSpanTable(options.baseline)
        ? traceSeries(options.baseline, seriesOptions)
        : options.baseline;
  if (b.bucketSeconds !== t.bucketSeconds) {
    throw new RangeError(`anomaly: baseline buckets are ${b.bucketSeconds} s, target buckets ${t.bucketSeconds} s`);
  }
  const selfBaseline = options.baseline === undefined;
  const warnings = [...t.warnings];
  if (selfBaseline) warnings.push('no baseline given: the analysed window is its own baseline');
  const model = buildBaselineModel(b, settings, selfBaseline);
  return reportFromSeries(t, model, settings, selfBaseline, warnings);
}
