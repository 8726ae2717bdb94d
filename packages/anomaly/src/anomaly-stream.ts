// Streaming anomaly detection: spans are pushed as they arrive; when a bucket closes (the newest span start has
// passed its end plus a lateness allowance) its traces are turned into series and the same detectors run over a
// rolling window, returning only anomalies not reported before.
//
//   push(spans) ─► pending spans ─► bucket closes ─► series of its traces ─► window (last W buckets)
//                                                                      └──► history (baseline when none given)
//
// Algorithm: the batch detectors (seasonal robust z, Poisson tails, CUSUM, Isolation Forest, call paths) over a
// rolling window of closed buckets; a trace belongs to the bucket of its earliest span.
// Reference: same as detectAnomalies.
import { buildTraceIndex, concatSpanTables, isSpanTable, type SpanTable, takeSpans } from '@aiops/span-model';
import type { Anomaly, AnomalyReport } from './anomaly-report.ts';
import { mergeSeries } from './internal/merge-series.ts';
import { type BaselineModel, buildBaselineModel } from './internal/model.ts';
import { reportFromSeries, resolveSettings, type TuningOptions } from './internal/pipeline.ts';
import { type TraceSeries, traceSeries } from './trace-series.ts';

/** Options of {@link createAnomalyStream}. */
export interface AnomalyStreamOptions extends TuningOptions {
  /** Fixed baseline. Default: learned from the stream's own history (after `warmupBuckets`). */
  readonly baseline?: SpanTable | TraceSeries;
  /** Bucket width, seconds. Default 30. */
  readonly bucketSeconds?: number;
  /** How long after a bucket's end to wait for late spans, seconds. Default 5. */
  readonly latenessSeconds?: number;
  /** Closed buckets of history needed before detecting (without a fixed baseline). Default 20. */
  readonly warmupBuckets?: number;
  /** Buckets kept in the detection window (context for CUSUM and merging). Default 20. */
  readonly windowBuckets?: number;
  /** Buckets of history kept as the learned baseline. Default 2880 (one day of 30 s buckets). */
  readonly historyBuckets?: number;
  /** Fold pod names. Default true. */
  readonly foldPodNames?: boolean;
  /**
   * Evaluate the open bucket once trusted data covers this fraction of it (0.5–1; 1 = only closed buckets).
   * Default 0.5: half a bucket is also the least coverage the count tests accept for a bucket.
   */
  readonly openFraction?: number;
}

/** A running detector. */
export interface AnomalyStream {
  /** Adds spans; returns anomalies first seen in the buckets this call closed. */
  push(spans: SpanTable): Anomaly[];
  /** Closes every pending bucket (end of input) and returns the new anomalies. */
  flush(): Anomaly[];
  /** The last report over the rolling window (empty before the first detection). */
  lastReport(): AnomalyReport | undefined;
  /** Spans waiting for their bucket to close. */
  readonly pendingSpans: number;
  /** Start of the first bucket not yet closed, Unix seconds (NaN before any span). */
  readonly closedUntilSeconds: number;
}

const DEFAULTS = {
  bucketSeconds: 30,
  latenessSeconds: 5,
  warmupBuckets: 20,
  windowBuckets: 20,
  historyBuckets: 2880,
  foldPodNames: true,
  openFraction: 0.5,
} as const;

/**
 * Creates a streaming detector, for use inside `aiops serve`.
 *
 * **Details**
 * - A trace is assigned to the bucket of its earliest span; it is processed once that bucket has closed, i.e. once
 *   a pushed span starts `latenessSeconds` after the bucket's end. Spans of a trace arriving after that become
 *   orphans of a later bucket (reported in the warnings of the series).
 * - Without `baseline`, the closed buckets form the history the baseline is learned from (first detection after
 *   `warmupBuckets`); the model is refreshed every 10 closed buckets.
 * - The open bucket is evaluated too once `openFraction` of it is covered (data up to the newest span start minus
 *   `latenessSeconds`), so an onset is reported without waiting for its bucket to close.
 * - An anomaly is returned once, when first detected; while it lasts it is not returned again.
 *
 * **Complexity** Each closed bucket costs the series of its spans plus detection over `windowBuckets` buckets.
 *
 * **Gotchas** Push spans roughly in time order: the newest start time decides which buckets close.
 *
 * @example
 * ```ts
 * const stream = createAnomalyStream({ baseline: lastWeek, bucketSeconds: 30 });
 * for await (const batch of incoming) for (const a of stream.push(batch)) alert(a);
 * ```
 */
export function createAnomalyStream(options: AnomalyStreamOptions = {}): AnomalyStream {
  const settings = resolveSettings(options);
  const bucketSeconds = options.bucketSeconds ?? DEFAULTS.bucketSeconds;
  if (!(bucketSeconds > 0)) throw new RangeError(`anomaly: bucketSeconds must be > 0, got ${bucketSeconds}`);
  const lateness = options.latenessSeconds ?? DEFAULTS.latenessSeconds;
  const warmup = options.warmupBuckets ?? DEFAULTS.warmupBuckets;
  const windowBuckets = options.windowBuckets ?? DEFAULTS.windowBuckets;
  const historyBuckets = options.historyBuckets ?? DEFAULTS.historyBuckets;
  const openFraction = options.openFraction ?? DEFAULTS.openFraction;
  if (!(openFraction >= 0.5 && openFraction <= 1))
    throw new RangeError(`anomaly: openFraction must be in [0.5, 1], got ${openFraction}`);
  const seriesOptions = { bucketSeconds, foldPodNames: options.foldPodNames ?? DEFAULTS.foldPodNames };
  let fixedModel: BaselineModel | undefined;
  if (options.baseline !== undefined) {
    const b = isSpanTable(options.baseline) ? traceSeries(options.baseline, seriesOptions) : options.baseline;
    if (b.bucketSeconds !== bucketSeconds) {
      throw new RangeError(`anomaly: baseline buckets are ${b.bucketSeconds} s, stream buckets ${bucketSeconds} s`);
    }
    fixedModel = buildBaselineModel(b, settings, false);
  }
  let pending: SpanTable[] = [];
  let pendingSpans = 0;
  let maxStartSec = Number.NEGATIVE_INFINITY;
  let closedUntil = Number.NaN; // absolute bucket index of the first open bucket
  let window: TraceSeries | undefined;
  let history: TraceSeries | undefined;
  let learned: BaselineModel | undefined;
  let sinceRefresh = 0;
  let last: AnomalyReport | undefined;
  const emitted = new Map<string, number>(); // anomaly identity → end (ms) last seen

  const closeUntil = (boundaryBucket: number): Anomaly[] => {
    if (pending.length === 0) return [];
    const all = pending.length === 1 ? pending[0]! : concatSpanTables(pending);
    const idx = buildTraceIndex(all);
    const start = all.times.startNano;
    const base = Number(all.times.baseUnixNano) / 1e9;
    const closedRows: number[] = [];
    const keepRows: number[] = [];
    const cut = boundaryBucket * bucketSeconds;
    for (let t = 0; t < idx.traceCount; t++) {
      let min = Number.POSITIVE_INFINITY;
      for (let k = idx.offsets[t]!; k < idx.offsets[t + 1]!; k++) min = Math.min(min, start[idx.rows[k]!]!);
      const into = base + min / 1e9 < cut ? closedRows : keepRows;
      for (let k = idx.offsets[t]!; k < idx.offsets[t + 1]!; k++) into.push(idx.rows[k]!);
    }
    if (closedRows.length === 0) return [];
    closedRows.sort((a, b) => a - b);
    keepRows.sort((a, b) => a - b);
    const closed = takeSpans(all, closedRows);
    pending = keepRows.length > 0 ? [takeSpans(all, keepRows)] : [];
    pendingSpans = keepRows.length;
    const fresh = traceSeries(closed, seriesOptions);
    const firstNew = Number.isNaN(closedUntil) ? fresh.firstBucket : closedUntil;
    const previous = closedUntil;
    closedUntil = boundaryBucket;
    const parts = window ? [window, fresh] : [fresh];
    window = mergeSeries(
      parts,
      Math.max(boundaryBucket - windowBuckets, Math.min(firstNew, fresh.firstBucket)),
      boundaryBucket,
    );
    if (!fixedModel) {
      history = mergeSeries(history ? [history, fresh] : [fresh]);
      if (history.buckets > historyBuckets)
        history = mergeSeries([history], history.firstBucket + history.buckets - historyBuckets);
      sinceRefresh += boundaryBucket - (Number.isNaN(previous) ? fresh.firstBucket : previous);
      if (history.buckets >= warmup && (!learned || sinceRefresh >= 10)) {
        learned = buildBaselineModel(history, settings, history.buckets * bucketSeconds < 2 * 86400);
        sinceRefresh = 0;
      }
    }
    const model = fixedModel ?? learned;
    if (!model) return [];
    last = reportFromSeries(window, model, settings, !fixedModel, []);
    return newlySeen(last);
  };

  /** The anomalies of `report` not returned before (an anomaly is new again after a gap of maxGap + 1 buckets). */
  const newlySeen = (report: AnomalyReport): Anomaly[] => {
    const out: Anomaly[] = [];
    const gapMs = (settings.maxGapBuckets + 1) * bucketSeconds * 1000;
    for (const a of report.anomalies) {
      const id = `${a.service}\u0000${a.kind}\u0000${a.kind === 'call_path_change' ? `${a.callPath?.callee}\u0000${a.callPath?.change}` : a.operation}`;
      const startMs = Date.parse(a.start);
      const endMs = Date.parse(a.end);
      const seen = emitted.get(id);
      if (seen === undefined || startMs > seen + gapMs) out.push(a);
      emitted.set(id, Math.max(seen ?? 0, endMs));
    }
    return out;
  };

  /**
   * The open bucket, once the data that can be trusted (up to the newest span start minus the lateness) covers at
   * least `openFraction` of it: its traces so far are added to the window as a partly covered bucket and the same
   * detectors run. Counts are compared with the expectation scaled by the covered fraction, and the per-bucket
   * latency and count tests already weigh the number of requests the bucket holds, so a part-bucket is judged on
   * the evidence it has. A change that starts late in a bucket is then seen about `openFraction` of a bucket plus
   * the lateness after the next bucket starts, instead of a whole bucket plus the lateness after it closes.
   */
  const peekOpen = (): Anomaly[] => {
    const model = fixedModel ?? learned;
    if (!model || !window || pending.length === 0 || Number.isNaN(closedUntil)) return [];
    const openStart = closedUntil * bucketSeconds;
    const horizon = Math.min(maxStartSec - lateness, openStart + bucketSeconds);
    if (horizon - openStart < openFraction * bucketSeconds) return [];
    const all = pending.length === 1 ? pending[0]! : concatSpanTables(pending);
    const idx = buildTraceIndex(all);
    const start = all.times.startNano;
    const base = Number(all.times.baseUnixNano) / 1e9;
    const rows: number[] = [];
    for (let t = 0; t < idx.traceCount; t++) {
      let min = Number.POSITIVE_INFINITY;
      for (let k = idx.offsets[t]!; k < idx.offsets[t + 1]!; k++) min = Math.min(min, start[idx.rows[k]!]!);
      if (base + min / 1e9 >= horizon) continue;
      for (let k = idx.offsets[t]!; k < idx.offsets[t + 1]!; k++) rows.push(idx.rows[k]!);
    }
    if (rows.length === 0) return [];
    rows.sort((a, b) => a - b);
    const part = traceSeries(takeSpans(all, rows), seriesOptions);
    const open = mergeSeries(
      [window, { ...part, endSeconds: horizon }],
      Math.max(closedUntil + 1 - windowBuckets, window.firstBucket),
      closedUntil + 1,
    );
    return newlySeen(reportFromSeries(open, model, settings, !fixedModel, []));
  };

  return {
    push(spans: SpanTable): Anomaly[] {
      if (!isSpanTable(spans)) throw new TypeError('anomaly: push expects a SpanTable');
      if (spans.numSpans === 0) return [];
      pending.push(spans);
      pendingSpans += spans.numSpans;
      const t = spans.times;
      let max = 0;
      for (let i = 0; i < spans.numSpans; i++) if (t.startNano[i]! > max) max = t.startNano[i]!;
      maxStartSec = Math.max(maxStartSec, Number(t.baseUnixNano) / 1e9 + max / 1e9);
      const boundary = Math.floor((maxStartSec - lateness) / bucketSeconds);
      const closedNow = !Number.isNaN(closedUntil) && boundary <= closedUntil ? [] : closeUntil(boundary);
      return openFraction < 1 ? [...closedNow, ...peekOpen()] : closedNow;
    },
    flush(): Anomaly[] {
      if (!Number.isFinite(maxStartSec)) return [];
      return closeUntil(Math.floor(maxStartSec / bucketSeconds) + 1);
    },
    lastReport(): AnomalyReport | undefined {
      return last;
    },
    get pendingSpans(): number {
      return pendingSpans;
    },
    get closedUntilSeconds(): number {
      return closedUntil * bucketSeconds;
    },
  };
}
