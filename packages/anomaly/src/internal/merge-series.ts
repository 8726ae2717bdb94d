// Merging and trimming TraceSeries along the time axis (streaming keeps a rolling window of closed buckets).
import type { CallPathSeries, MetricSeries, TraceSeries, VersionSpan } from '../trace-series.ts';
import { edgeKey, seriesKey } from './model.ts';

const METRICS = [
  'count',
  'errors',
  'ownErrors',
  'timeouts',
  'rateLimited',
  'p50Ms',
  'p95Ms',
  'p99Ms',
  'selfP50Ms',
  'selfMeanMs',
  'meanLogMs',
  'sdLogMs',
] as const;

function emptyMetric(s: MetricSeries, B: number): MetricSeries {
  const nan = (): Float64Array => new Float64Array(B).fill(Number.NaN);
  return {
    level: s.level,
    service: s.service,
    operation: s.operation,
    count: new Float64Array(B),
    errors: new Float64Array(B),
    ownErrors: new Float64Array(B),
    timeouts: new Float64Array(B),
    rateLimited: new Float64Array(B),
    p50Ms: nan(),
    p95Ms: nan(),
    p99Ms: nan(),
    selfP50Ms: nan(),
    selfMeanMs: nan(),
    meanLogMs: nan(),
    sdLogMs: nan(),
  };
}

/**
 * Series covering the absolute buckets [from, to) built from `parts` (same bucket width). Where two parts have
 * requests in the same bucket, the first part wins (later parts only fill empty buckets).
 */
export function mergeSeries(parts: readonly TraceSeries[], from?: number, to?: number): TraceSeries {
  const live = parts.filter((p) => p.buckets > 0);
  const bucketSeconds = parts[0]?.bucketSeconds ?? 30;
  const lo = from ?? Math.min(...live.map((p) => p.firstBucket));
  const hi = to ?? Math.max(...live.map((p) => p.firstBucket + p.buckets));
  const B = Math.max(0, hi - lo);
  const series = new Map<string, MetricSeries>();
  const paths = new Map<string, CallPathSeries>();
  const versions = new Map<string, VersionSpan>();
  const fb: number[] = [];
  const fe: number[] = [];
  const fv: number[] = [];
  const warnings: string[] = [];
  let startSeconds = Number.POSITIVE_INFINITY;
  let endSeconds = Number.NEGATIVE_INFINITY;
  const order: string[] = [];
  for (const p of live) {
    const shift = p.firstBucket - lo;
    for (const s of p.series) {
      const key = seriesKey(s);
      let m = series.get(key);
      if (!m) {
        m = emptyMetric(s, B);
        series.set(key, m);
        order.push(key);
      }
      for (let b = 0; b < p.buckets; b++) {
        const k = b + shift;
        if (k < 0 || k >= B || s.count[b]! === 0 || m.count[k]! > 0) continue;
        for (const name of METRICS) (m[name] as Float64Array)[k] = s[name][b]!;
      }
    }
    for (const e of p.callPaths) {
      const key = edgeKey(e);
      let c = paths.get(key);
      if (!c) {
        c = { ...e, traces: new Float64Array(B) };
        paths.set(key, c);
      }
      for (let b = 0; b < p.buckets; b++) {
        const k = b + shift;
        if (k >= 0 && k < B) c.traces[k] = c.traces[k]! + e.traces[b]!;
      }
    }
    for (const v of p.versions) {
      const key = `${v.service}\u0000${v.version}`;
      const first = v.firstBucket + shift;
      const last = v.lastBucket + shift;
      const prev = versions.get(key);
      versions.set(key, {
        service: v.service,
        version: v.version,
        firstBucket: Math.min(prev?.firstBucket ?? first, first),
        lastBucket: Math.max(prev?.lastBucket ?? last, last),
      });
    }
    warnings.push(...p.warnings);
    startSeconds = Math.min(startSeconds, p.startSeconds);
    endSeconds = Math.max(endSeconds, p.endSeconds);
  }
  const merged = order.map((k) => series.get(k)!);
  const indexOf = new Map<string, number>(order.map((k, i) => [k, i]));
  for (const p of live) {
    const shift = p.firstBucket - lo;
    const f = p.traceFeatures;
    for (let r = 0; r < f.bucket.length; r++) {
      const k = f.bucket[r]! + shift;
      if (k < 0 || k >= B) continue;
      const i = indexOf.get(seriesKey(p.series[f.endpoint[r]!]!));
      if (i === undefined) continue;
      fb.push(k);
      fe.push(i);
      for (let j = 0; j < 4; j++) fv.push(f.values[r * 4 + j]!);
    }
  }
  const lowSec = lo * bucketSeconds;
  const highSec = hi * bucketSeconds;
  return {
    bucketSeconds,
    firstBucket: lo,
    buckets: B,
    startSeconds: Math.max(lowSec, Number.isFinite(startSeconds) ? startSeconds : lowSec),
    endSeconds: Math.min(highSec, Number.isFinite(endSeconds) ? endSeconds : highSec),
    series: merged,
    callPaths: [...paths.values()],
    traceFeatures: { bucket: Int32Array.from(fb), endpoint: Int32Array.from(fe), values: Float64Array.from(fv) },
    versions: [...versions.values()],
    warnings: [...new Set(warnings)],
  };
}
