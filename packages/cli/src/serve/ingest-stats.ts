// Ingest counters of `aiops serve`, the per-interval line that --verbose prints every 10 s, and the timings of each
// stage of a request's path (read, decode, queryable, WAL wait, write, fsync, ack) for /api/health and benchmarks.

/** Timed stages of the write path, in ms: `read` receipt → body in memory; `decode` the decoder alone; `queryable`
 * receipt → spans in the head block; `walWait` hand-over to the WAL → fsynced (queueing behind a running fsync,
 * write, fsync); `walWrite` and `fsync` one group's write and fdatasync; `ack` receipt → acknowledgement. */
export const STAGES = ['read', 'decode', 'queryable', 'walWait', 'walWrite', 'fsync', 'ack'] as const;
/** One of {@link STAGES}. */
export type Stage = (typeof STAGES)[number];
/** Count, p50, p99 and mean of one stage, ms. */
export interface StageSummary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
}

/** Samples of each stage since start (the first 200,000 per stage). */
export class StageTimings {
  readonly #samples = new Map<Stage, number[]>(STAGES.map((s) => [s, []]));

  /** Records one sample of `stage`, ms. */
  add(stage: Stage, ms: number): void {
    const xs = this.#samples.get(stage)!;
    if (xs.length < 200_000) xs.push(ms);
  }

  /** p50/p99/mean per stage (rounded to 0.01 ms). */
  summary(): Record<Stage, StageSummary> {
    const out = {} as Record<Stage, StageSummary>;
    const r = (x: number) => Math.round(x * 100) / 100;
    for (const [stage, xs] of this.#samples) {
      const sorted = Float64Array.from(xs).sort();
      const q = (p: number) =>
        sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0;
      let sum = 0;
      for (const x of sorted) sum += x;
      out[stage] = {
        n: sorted.length,
        p50: r(q(0.5)),
        p99: r(q(0.99)),
        mean: r(sorted.length ? sum / sorted.length : 0),
      };
    }
    return out;
  }
}

/** Counters since start, plus the ack latencies of the current interval. */
export class IngestStats {
  /** Export requests received (all endpoints). */
  requests = 0;
  /** Spans acknowledged (durably appended). */
  spansAccepted = 0;
  /** Spans rejected by the decoders (bad ids, times...). */
  spansRejected = 0;
  /** Requests answered 400/413/415 (or the gRPC equivalents). */
  requestsInvalid = 0;
  /** Requests refused under backpressure (429/503, UNAVAILABLE). */
  requestsThrottled = 0;
  /** Per-stage timings of the write path. */
  readonly stages: StageTimings = new StageTimings();
  readonly #startMs = Date.now();
  #latencies: number[] = [];
  #intervalStart = Date.now();
  #intervalSpans = 0;
  #intervalRejected = 0;

  /** Records an acknowledged request: spans stored, spans rejected, ms from receipt to ack. */
  acked(spans: number, rejected: number, latencyMs: number): void {
    this.spansAccepted += spans;
    this.spansRejected += rejected;
    this.#intervalSpans += spans;
    this.#intervalRejected += rejected;
    if (this.#latencies.length < 100_000) this.#latencies.push(latencyMs);
  }

  /** Seconds since start. */
  get uptimeSeconds(): number {
    return (Date.now() - this.#startMs) / 1000;
  }

  /** Ends the current interval and returns its figures. */
  takeInterval(): { spansPerSec: number; rejected: number; ackP50Ms: number; ackP99Ms: number; seconds: number } {
    const now = Date.now();
    const seconds = Math.max(1e-3, (now - this.#intervalStart) / 1000);
    const lat = this.#latencies.sort((a, b) => a - b);
    const q = (p: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(p * lat.length))]! : 0);
    const out = {
      spansPerSec: this.#intervalSpans / seconds,
      rejected: this.#intervalRejected,
      ackP50Ms: q(0.5),
      ackP99Ms: q(0.99),
      seconds,
    };
    this.#latencies = [];
    this.#intervalStart = now;
    this.#intervalSpans = 0;
    this.#intervalRejected = 0;
    return out;
  }
}
