import { describe, expect, it } from 'vitest';
import type { MetricSeries, TraceSeries } from '../trace-series.ts';
import { buildBaselineModel, SCAN_WINDOWS, seriesKey } from './model.ts';
import { resolveSettings } from './pipeline.ts';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function poisson(rnd: () => number, lambda: number): number {
  const l = Math.exp(-lambda);
  let k = 0;
  let p = rnd();
  while (p > l) {
    k++;
    p *= rnd();
  }
  return k;
}

/** A baseline of 90 fully covered 30 s buckets (45 min) holding one series with these counts. */
function baseline(counts: number[], level: MetricSeries['level']): TraceSeries {
  const B = counts.length;
  const nan = (): Float64Array => new Float64Array(B).fill(Number.NaN);
  const zero = (): Float64Array => new Float64Array(B);
  const s: MetricSeries = {
    level,
    service: level === 'endpoint' ? 'frontend' : 'cart-db',
    operation: level === 'endpoint' ? 'GET /cart' : 'SELECT cart',
    count: Float64Array.from(counts),
    errors: zero(),
    ownErrors: zero(),
    timeouts: zero(),
    rateLimited: zero(),
    p50Ms: nan(),
    p95Ms: nan(),
    p99Ms: nan(),
    selfP50Ms: nan(),
    selfMeanMs: nan(),
    meanLogMs: nan(),
    sdLogMs: nan(),
  };
  const firstBucket = 58_000_000;
  return {
    bucketSeconds: 30,
    firstBucket,
    buckets: B,
    startSeconds: firstBucket * 30,
    endSeconds: (firstBucket + B) * 30,
    series: [s],
    callPaths: [],
    traceFeatures: { bucket: new Int32Array(0), endpoint: new Int32Array(0), values: new Float64Array(0) },
    versions: [],
    warnings: [],
  };
}

function quasiOf(counts: number[], level: MetricSeries['level']): Float64Array {
  const ts = baseline(counts, level);
  const m = buildBaselineModel(ts, resolveSettings({ algorithm: 'stat' }), false).series.get(seriesKey(ts.series[0]!))!;
  // The variance factor c + φM at each window length, at the window's mean expectation.
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  return Float64Array.from(SCAN_WINDOWS, (w, i) => m.countQuasi[i]! + m.countDispersion[i]! * mean * w);
}

/** Mean of (X − M)²/M over the sliding windows of each length (the raw dispersion, before any shrinkage). */
function rawDispersion(counts: number[]): number[] {
  const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
  return SCAN_WINDOWS.map((w) => {
    let sum = 0;
    let n = 0;
    for (let end = w - 1; end < counts.length; end++) {
      let x = 0;
      for (let b = end - w + 1; b <= end; b++) x += counts[b]!;
      sum += (x - mean * w) ** 2 / (mean * w);
      n++;
    }
    return sum / n;
  });
}

describe('buildBaselineModel count dispersion', () => {
  it('shrinks the chance overdispersion of a short baseline of trace roots toward 1', () => {
    // 90 Poisson(3.5) buckets (45 min) whose raw dispersion is 1.25–1.46 by chance (its standard error is ≈ 0.16
    // at one bucket, ≈ 0.45 at eight): taken at face value it would cut every z of this series by 10–17%.
    const rnd = mulberry32(7);
    const counts = Array.from({ length: 90 }, () => poisson(rnd, 3.5));
    for (const v of rawDispersion(counts)) expect(v).toBeGreaterThan(1.24);
    const q = quasiOf(counts, 'endpoint');
    expect(q[0]).toBeLessThan(1.08);
    for (const v of q) expect(v).toBeLessThan(1.18);
  });

  it('keeps the fitted dispersion of calls inside traces (they can come in clusters)', () => {
    const rnd = mulberry32(7);
    const counts = Array.from({ length: 90 }, () => poisson(rnd, 3.5));
    const raw = rawDispersion(counts);
    const q = quasiOf(counts, 'operation');
    for (let i = 0; i < q.length; i++) expect(q[i]).toBeCloseTo(raw[i]!, 1);
    // 4 calls per trace: variance 4 × the mean (5.0 at one bucket with these draws).
    const clustered = quasiOf(
      counts.map((c) => 4 * c),
      'operation',
    );
    expect(clustered[0]).toBeGreaterThan(4.8);
    expect(clustered[0]).toBeLessThan(5.2);
  });
});
