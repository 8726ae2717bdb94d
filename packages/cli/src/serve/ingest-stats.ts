// Ingest counters of `aiops serve` and the per-interval line that --verbose prints every 10 s.

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
