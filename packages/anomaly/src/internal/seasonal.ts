// Seasonal robust profile of one metric: median and MAD per hour-of-day (or hour-of-week) slot, interpolated
// between slot centres, falling back to the whole baseline when a slot has too few samples.
import { MAD_TO_SIGMA, medianMad } from './stats.ts';

/** Which seasonality a profile models. */
export type Seasonality = 'weekly' | 'daily' | 'none';

/** A robust profile of a metric over the baseline. */
export interface SeasonalProfile {
  readonly seasonality: Seasonality;
  /** Median per slot (NaN where the slot fell back). */
  readonly slotMedian: Float64Array;
  /** Robust sigma (1.4826 · MAD) per slot. */
  readonly slotSigma: Float64Array;
  /** Whole-baseline median and sigma. */
  readonly median: number;
  readonly sigma: number;
  /** Finite samples used. */
  readonly n: number;
}

const HOUR = 3600;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** Seasonality a baseline of `coverSeconds` supports: two full periods at least. */
export function seasonalityFor(coverSeconds: number): Seasonality {
  if (coverSeconds >= 2 * WEEK) return 'weekly';
  if (coverSeconds >= 2 * DAY) return 'daily';
  return 'none';
}

function slotsOf(s: Seasonality): number {
  return s === 'weekly' ? 168 : s === 'daily' ? 24 : 1;
}

function slotPosition(s: Seasonality, unixSeconds: number): number {
  // Slot coordinate (fractional): 0..slots; Unix epoch day 0 is a Thursday, which only shifts weekly slots.
  if (s === 'none') return 0;
  const period = s === 'weekly' ? WEEK : DAY;
  const t = ((unixSeconds % period) + period) % period;
  return t / HOUR;
}

/**
 * Builds the profile of `values` (one per baseline bucket, NaN = no data) whose bucket centres are
 * `centreSeconds(b)` (Unix seconds).
 */
export function seasonalProfile(
  values: ArrayLike<number>,
  centreSeconds: (b: number) => number,
  seasonality: Seasonality,
  widenForTails = true,
  minSlotSamples = 6,
): SeasonalProfile {
  const all = medianMad(values);
  // Heavy tails: when a few baseline buckets already deviate a lot (bimodal latency, bursty traffic), MAD does not
  // see them (not applied when the window is its own baseline: its anomalies would widen it); the 98th percentile of |deviation| / 3 (≈ 0.78 σ for normal data) widens sigma only in that case.
  const dev: number[] = [];
  for (let b = 0; b < values.length; b++) if (Number.isFinite(values[b]!)) dev.push(Math.abs(values[b]! - all.median));
  dev.sort((a, b) => a - b);
  const tailSigma = widenForTails && dev.length >= 20 ? (dev[Math.floor(0.98 * (dev.length - 1))] ?? 0) / 3 : 0;
  const slots = slotsOf(seasonality);
  const slotMedian = new Float64Array(slots).fill(Number.NaN);
  const slotSigma = new Float64Array(slots).fill(Number.NaN);
  if (seasonality !== 'none') {
    const per: number[][] = Array.from({ length: slots }, () => []);
    for (let b = 0; b < values.length; b++) {
      const v = values[b]!;
      if (!Number.isFinite(v)) continue;
      per[Math.floor(slotPosition(seasonality, centreSeconds(b))) % slots]!.push(v);
    }
    for (let s = 0; s < slots; s++) {
      if (per[s]!.length < minSlotSamples) continue;
      const m = medianMad(per[s]!);
      slotMedian[s] = m.median;
      slotSigma[s] = Math.max(MAD_TO_SIGMA * m.mad, tailSigma);
    }
  }
  return {
    seasonality,
    slotMedian,
    slotSigma,
    median: all.median,
    sigma: Math.max(MAD_TO_SIGMA * all.mad, tailSigma),
    n: all.n,
  };
}

/** Expected median and robust sigma at `unixSeconds`, interpolated between the two nearest slot centres. */
export function expectedAt(p: SeasonalProfile, unixSeconds: number): { median: number; sigma: number } {
  if (p.seasonality === 'none') return { median: p.median, sigma: p.sigma };
  const slots = p.slotMedian.length;
  const pos = slotPosition(p.seasonality, unixSeconds) - 0.5;
  const lo = Math.floor(pos);
  const w = pos - lo;
  const a = ((lo % slots) + slots) % slots;
  const b = (a + 1) % slots;
  const ma = p.slotMedian[a]!;
  const mb = p.slotMedian[b]!;
  const sa = p.slotSigma[a]!;
  const sb = p.slotSigma[b]!;
  if (Number.isFinite(ma) && Number.isFinite(mb))
    return { median: ma * (1 - w) + mb * w, sigma: sa * (1 - w) + sb * w };
  if (Number.isFinite(ma) && w < 0.5) return { median: ma, sigma: sa };
  if (Number.isFinite(mb) && w >= 0.5) return { median: mb, sigma: sb };
  return { median: p.median, sigma: p.sigma };
}

/**
 * Seasonal profile of the mean of `values` (counts: their natural level; the median of skewed or mostly-zero counts
 * understates the rate). Each value is winsorized at the median ± 4 sd of its slot of `robust` (sd at least √median,
 * the Poisson spread), so an outage or a burst in the baseline does not move the level. Sigma is taken from `robust`.
 */
export function seasonalMean(
  values: ArrayLike<number>,
  centreSeconds: (b: number) => number,
  robust: SeasonalProfile,
): SeasonalProfile {
  const slots = robust.slotMedian.length;
  const sum = new Float64Array(slots);
  const cnt = new Float64Array(slots);
  let all = 0;
  let n = 0;
  for (let b = 0; b < values.length; b++) {
    const v = values[b]!;
    if (!Number.isFinite(v)) continue;
    const e = expectedAt(robust, centreSeconds(b));
    const sd = Math.max(e.sigma, Math.sqrt(Math.max(e.median, 1)));
    const w = Math.min(Math.max(v, e.median - 4 * sd), e.median + 4 * sd);
    const s =
      robust.seasonality === 'none' ? 0 : Math.floor(slotPosition(robust.seasonality, centreSeconds(b))) % slots;
    sum[s] = sum[s]! + w;
    cnt[s] = cnt[s]! + 1;
    all += w;
    n++;
  }
  const slotMedian = new Float64Array(slots).fill(Number.NaN);
  for (let s = 0; s < slots; s++)
    if (Number.isFinite(robust.slotMedian[s]!) && cnt[s]! > 0) slotMedian[s] = sum[s]! / cnt[s]!;
  return {
    seasonality: robust.seasonality,
    slotMedian,
    slotSigma: robust.slotSigma,
    median: n > 0 ? all / n : Number.NaN,
    sigma: robust.sigma,
    n,
  };
}
