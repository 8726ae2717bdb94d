// The result of decoding a trace input: the span table plus everything that was rejected or looked wrong.
import type { SpanTable } from '@aiops/span-model';
import type { TraceFormat } from './trace-format.ts';

/** One rejected span, for the user to find it: where it is and why it was rejected. */
export interface RejectedSpanExample {
  /** Byte offset (`byte 1234`), JSON path (`resourceSpans[0].scopeSpans[0].spans[3]`) or `line 7`. */
  readonly position: string;
  /** What is wrong with it, e.g. `startTime: expected microseconds, got "invalid"`. */
  readonly message: string;
}

/** Spans rejected for one reason: how many, and the first few of them. */
export interface RejectedSpans {
  /** The reason, e.g. `missing span id`, `invalid trace id`, `wrong type`, `missing start time`. */
  readonly reason: string;
  /** How many spans were rejected for this reason. */
  readonly count: number;
  /** Up to five examples. */
  readonly examples: readonly RejectedSpanExample[];
}

/** What a decoder returns. */
export interface DecodeResult {
  /** The accepted spans. */
  readonly spans: SpanTable;
  /** The format that was decoded. */
  readonly format: TraceFormat;
  /** Rejected spans by reason (empty when every span was accepted). */
  readonly rejected: readonly RejectedSpans[];
  /** Data problems that did not cost a span (duplicate ids, precision lost, producer-side drops, ...). */
  readonly warnings: readonly string[];
  /** Zipkin only: how many shared client/server spans were split into two spans. */
  readonly sharedSpansSplit?: number;
}

/**
 * Total number of rejected spans in a result.
 *
 * **Complexity** O(reasons).
 *
 * @example
 * ```ts
 * const r = decodeTraces(text);
 * console.log(`${r.spans.numSpans} spans, ${rejectedCount(r)} rejected`);
 * ```
 */
export function rejectedCount(result: Pick<DecodeResult, 'rejected'>): number {
  let n = 0;
  for (const r of result.rejected) n += r.count;
  return n;
}
