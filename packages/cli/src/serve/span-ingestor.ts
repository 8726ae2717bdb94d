// The receiver-independent part of ingestion: decode a request body with the fast @aiops/ingest decoders, queue the
// accepted spans for the group-commit writer, and describe the outcome (ok with partial success, invalid, busy).

import type { DecodeResult } from '@aiops/ingest';
import { decodeOtlpJson, decodeOtlpProtobuf, decodeZipkinJson, isIngestError, rejectedCount } from '@aiops/ingest';
import { type IngestQueue, QueueFullError } from './ingest-queue.ts';
import type { IngestStats } from './ingest-stats.ts';
import type { PartialSuccess } from './otlp-response.ts';

/** Wire formats the receivers accept. */
export type WireFormat = 'otlp-proto' | 'otlp-json' | 'zipkin-json';

/** What happened to one export request. */
export type IngestOutcome =
  | { readonly kind: 'ok'; readonly accepted: number; readonly partial: PartialSuccess }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'busy'; readonly message: string; readonly retryAfterSeconds: number }
  | { readonly kind: 'unavailable'; readonly message: string; readonly retryAfterSeconds: number };

/** Limits of the receivers. */
export interface IngestLimits {
  /** Largest request body as sent (compressed), bytes. */
  readonly maxBodyBytes: number;
  /** Largest request body after decompression, bytes. */
  readonly maxDecodedBytes: number;
  /** Most request bytes being read or decoded at once (all connections); more is answered 429. */
  readonly maxInflightBytes: number;
}

/** Default limits: 16 MiB per request (compressed and decompressed), 64 MiB in flight. */
export const LIMIT_DEFAULTS: IngestLimits = {
  maxBodyBytes: 16 * 1024 * 1024,
  maxDecodedBytes: 16 * 1024 * 1024,
  maxInflightBytes: 64 * 1024 * 1024,
};

function partialOf(r: DecodeResult): PartialSuccess {
  const n = rejectedCount(r);
  if (n === 0) return { rejectedSpans: 0, errorMessage: '' };
  const reasons = r.rejected
    .map((x) => {
      const ex = x.examples[0];
      return `${x.count} ${x.reason}${ex ? ` (first at ${ex.position}${ex.message !== x.reason ? `: ${ex.message}` : ''})` : ''}`;
    })
    .join('; ');
  return { rejectedSpans: n, errorMessage: `${n} of ${n + r.spans.numSpans} spans rejected: ${reasons}` };
}

/** Decodes one request body (throws the decoders' IngestError for a malformed one). */
export function decodeBody(format: WireFormat, body: Uint8Array): DecodeResult {
  const source = format === 'zipkin-json' ? 'zipkin' : 'otlp';
  return format === 'otlp-proto'
    ? decodeOtlpProtobuf(body, { source })
    : format === 'otlp-json'
      ? decodeOtlpJson(body, { source })
      : decodeZipkinJson(body, { source });
}

/** Decodes, queues and accounts export requests. */
export class SpanIngestor {
  readonly queue: IngestQueue;
  readonly stats: IngestStats;
  readonly limits: IngestLimits;
  #inflightBytes = 0;

  constructor(queue: IngestQueue, stats: IngestStats, limits: IngestLimits) {
    this.queue = queue;
    this.stats = stats;
    this.limits = limits;
  }

  /** Request bytes being read or decoded now. */
  get inflightBytes(): number {
    return this.#inflightBytes;
  }

  /** Reserves `bytes` of the in-flight budget; false (nothing reserved) when over it and something is in flight. */
  reserve(bytes: number): boolean {
    if (this.#inflightBytes > 0 && this.#inflightBytes + Math.max(1, bytes) > this.limits.maxInflightBytes)
      return false;
    this.#inflightBytes += bytes;
    return true;
  }

  /**
   * Adds `bytes` to a request that holds `own` bytes already; false (nothing added) when that would pass the budget
   * while other requests hold bytes too (a request alone may always grow to the per-request limit).
   */
  grow(bytes: number, own: number): boolean {
    if (this.#inflightBytes - own > 0 && this.#inflightBytes + bytes > this.limits.maxInflightBytes) return false;
    this.#inflightBytes += bytes;
    return true;
  }

  /** Counts bytes that are already in memory (a gRPC message) against the budget, unconditionally. */
  hold(bytes: number): void {
    this.#inflightBytes += bytes;
  }

  /** Returns bytes reserved with {@link reserve} or {@link hold}. */
  release(bytes: number): void {
    this.#inflightBytes -= bytes;
  }

  /** The busy outcome, when the queue refuses new work right now. */
  busyNow(): IngestOutcome | undefined {
    if (this.queue.admits(1)) return undefined;
    this.stats.requestsThrottled++;
    return {
      kind: 'busy',
      message: `ingest queue full (${this.queue.depthSpans} of ${this.queue.maxQueuedSpans} spans waiting); retry later`,
      retryAfterSeconds: 1,
    };
  }

  /**
   * Decodes `body` and resolves once its spans are durable (fsynced in the WAL; they are queryable in the head block
   * from the moment they are handed to the WAL), or refused. `onDecoded` is called as soon as the body is no longer
   * needed (the receivers return its bytes to the in-flight budget then). `receivedAtMs` is `performance.now()` at
   * receipt.
   */
  async ingest(
    format: WireFormat,
    body: Uint8Array,
    receivedAtMs: number,
    onDecoded: () => void = () => undefined,
  ): Promise<IngestOutcome> {
    this.stats.requests++;
    const stages = this.stats.stages;
    let decoded: DecodeResult;
    try {
      if (format === 'otlp-proto' && body.length === 0) {
        this.stats.acked(0, 0, performance.now() - receivedAtMs);
        return { kind: 'ok', accepted: 0, partial: { rejectedSpans: 0, errorMessage: '' } };
      }
      const t0 = performance.now();
      stages.add('read', t0 - receivedAtMs);
      decoded = decodeBody(format, body);
      stages.add('decode', performance.now() - t0);
    } catch (err) {
      if (isIngestError(err)) {
        this.stats.requestsInvalid++;
        return { kind: 'invalid', message: err.message };
      }
      throw err;
    }
    onDecoded();
    const partial = partialOf(decoded);
    try {
      const handed = performance.now();
      await this.queue.submit(decoded.spans, format, body, () =>
        stages.add('queryable', performance.now() - receivedAtMs),
      );
      stages.add('walWait', performance.now() - handed);
    } catch (err) {
      if (err instanceof QueueFullError) {
        this.stats.requestsThrottled++;
        return err.reason === 'full'
          ? { kind: 'busy', message: err.message, retryAfterSeconds: 1 }
          : { kind: 'unavailable', message: err.message, retryAfterSeconds: 5 };
      }
      return {
        kind: 'unavailable',
        message: `the store could not write the spans: ${err instanceof Error ? err.message : String(err)}`,
        retryAfterSeconds: 5,
      };
    }
    const ackMs = performance.now() - receivedAtMs;
    stages.add('ack', ackMs);
    this.stats.acked(decoded.spans.numSpans, partial.rejectedSpans, ackMs);
    return { kind: 'ok', accepted: decoded.spans.numSpans, partial };
  }
}
