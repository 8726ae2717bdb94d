// The write path of `aiops serve` behind the receivers: a bounded set of accepted spans that are made durable in the
// write-ahead log (group fsync), then held in the head block where queries see them at once, and written to the
// store in large batches by a background flush (in the store's worker thread).
//
//   request ─▶ decode ─▶ head block (queryable) ─▶ WAL append ─┐ group fdatasync ─▶ acknowledge (durable)
//   request ─▶ decode ─▶ head block (queryable) ─▶ WAL append ─┘                  ─▶ acknowledge
//                              every flushIntervalMs or maxBatchSpans: head ─▶ store.append (one transaction)
//                              ─▶ drop those tables from the head ─▶ delete their WAL segments
//
// The bound counts every span accepted and not yet in the store (waiting for the fsync, in the head, being
// flushed): a request that would pass it is refused (429 / UNAVAILABLE with Retry-After), so memory and the WAL stay
// bounded under overload.
import type { SpanTable } from '@aiops/span-model';
import { HeadBlock, type HeadChunk } from './head-block.ts';
import { RecentTraceIds } from './live-source.ts';
import type { StoreBackend } from './store-client.ts';
import type { WalFormat, WriteAheadLog } from './wal.ts';

/** Options of {@link IngestQueue}. */
export interface IngestQueueOptions {
  /** Most spans accepted and not yet in the store; a request that would pass it is refused. */
  readonly maxQueuedSpans?: number;
  /** Flush the head to the store as soon as it holds this many spans not being flushed. */
  readonly maxBatchSpans?: number;
  /** Flush the head at least this often (ms) when it holds spans. */
  readonly flushIntervalMs?: number;
  /** Kept for compatibility; the WAL groups requests by itself (those arriving during one fsync share the next). */
  readonly groupCommitMs?: number;
}

/** Defaults of {@link IngestQueueOptions}. */
export const QUEUE_DEFAULTS: Required<IngestQueueOptions> = {
  maxQueuedSpans: 500_000,
  maxBatchSpans: 100_000,
  flushIntervalMs: 1_000,
  groupCommitMs: 0,
};

/** Thrown by {@link IngestQueue.submit} when the queue is full or closed. */
export class QueueFullError extends Error {
  /** 'full' under backpressure, 'closed' while shutting down. */
  readonly reason: 'full' | 'closed';
  constructor(reason: 'full' | 'closed', message: string) {
    super(message);
    this.name = 'QueueFullError';
    this.reason = reason;
  }
}

/**
 * Accepted spans on their way to the store: WAL, head block, background flush.
 *
 * **Details** `submit` resolves once the request's record is fsynced in the WAL and its spans are in the head
 * block (so queryable). The flush writes every head table present at its start in one `append` and then deletes
 * the WAL segments that held them; a failed flush keeps both and is retried at the next interval.
 *
 * **Complexity** Per request: one copy into the WAL's write buffer and a trace index of the table. Per flush: one
 * store append of up to `maxQueuedSpans` spans.
 *
 * **Gotchas** The bound counts spans, not bytes; the receivers bound request bytes separately.
 */
export class IngestQueue {
  readonly #store: StoreBackend;
  readonly #wal: WriteAheadLog;
  readonly #opts: Required<IngestQueueOptions>;
  readonly head: HeadBlock = new HeadBlock();
  /** Trace ids flushed recently (a head trace among them also has spans in the store). */
  readonly recent: RecentTraceIds = new RecentTraceIds();
  #pendingSpans = 0;
  #pendingRequests = 0;
  #closed = false;
  #flushing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #idle: (() => void)[] = [];
  /** Spans written to the store so far. */
  spansWritten = 0;
  /** Duplicate spans skipped by the store so far. */
  duplicates = 0;
  /** Flushes (store transactions) done. */
  batches = 0;
  /** Flushes that failed (their spans stay in the head and the WAL, and are retried). */
  flushErrors = 0;
  /** The last flush error, if any. */
  lastFlushError: string | undefined;

  constructor(store: StoreBackend, wal: WriteAheadLog, options: IngestQueueOptions = {}) {
    this.#store = store;
    this.#wal = wal;
    this.#opts = { ...QUEUE_DEFAULTS, ...options };
    this.#timer = setInterval(() => {
      if (this.head.unflushedSpans > 0) void this.flush();
    }, this.#opts.flushIntervalMs);
    this.#timer.unref();
  }

  /** Spans waiting for the WAL's fsync (not yet acknowledged). */
  get depthSpans(): number {
    return this.#pendingSpans;
  }

  /** Spans held in the head block, not yet in the store (including a running flush and those awaiting the fsync). */
  get headSpans(): number {
    return this.head.spans;
  }

  /** The bound in spans. */
  get maxQueuedSpans(): number {
    return this.#opts.maxQueuedSpans;
  }

  /** Bytes in the WAL's current segment. */
  get walBytes(): number {
    return this.#wal.bytes;
  }

  /** Whether a request of `spans` spans would be admitted now (an empty queue admits any size). */
  admits(spans: number): boolean {
    const held = this.head.spans; // spans waiting for the fsync are in the head already
    return !this.#closed && (held === 0 || held + spans <= this.#opts.maxQueuedSpans);
  }

  /**
   * Makes a request durable and queryable; resolves once both. `body` is the request as decoded (it is what the
   * WAL keeps and replays). Throws {@link QueueFullError} when refused.
   */
  async submit(
    table: SpanTable,
    format: WalFormat,
    body: Uint8Array,
    onQueryable: () => void = () => undefined,
  ): Promise<void> {
    if (this.#closed) throw new QueueFullError('closed', 'the server is shutting down');
    if (!this.admits(table.numSpans)) {
      throw new QueueFullError(
        'full',
        `ingest queue full (${this.head.spans} of ${this.#opts.maxQueuedSpans} spans not yet in the store); retry later`,
      );
    }
    if (table.numSpans === 0) return;
    const n = table.numSpans;
    this.#pendingSpans += n;
    this.#pendingRequests++;
    // Queryable now, acknowledged once durable: the head takes the spans when they are handed to the WAL, not
    // after the fsync, so export → queryable does not include waiting for (and doing) the group's fdatasync.
    const chunk = this.head.add(table);
    onQueryable();
    try {
      await this.#wal.append(format, body, () => {
        this.#pendingSpans -= n;
      });
    } catch (err) {
      // The record never became durable (its onDurable did not run): the request is refused, its spans go.
      this.#pendingSpans -= n;
      if (chunk) this.head.discard(chunk);
      throw err;
    } finally {
      this.#pendingRequests--;
      if (this.#pendingRequests === 0) for (const f of this.#idle.splice(0)) f();
    }
    if (this.head.unflushedSpans >= this.#opts.maxBatchSpans) void this.flush();
  }

  /**
   * Resolves when the flush running now has ended (at once when none runs); never rejects. It does not wait for the
   * flushes after it: under sustained ingest one flush starts as the previous one ends, and waiting for "no flush
   * running" starved the query API (a trace lookup waited 113 s, until the AC6 `--fast` load stopped).
   */
  async settled(): Promise<void> {
    await this.#flushing?.catch(() => undefined);
  }

  /** Writes every table in the head now to the store (resolves when done; joins a running flush first). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.head.unflushedSpans === 0) return;
    const run = this.#flushOnce();
    this.#flushing = run;
    try {
      await run;
    } finally {
      this.#flushing = undefined;
    }
    if (!this.#closed && this.head.unflushedSpans >= this.#opts.maxBatchSpans) void this.flush();
  }

  async #flushOnce(): Promise<void> {
    let rotated: { upTo: number; value: HeadChunk[] };
    try {
      rotated = await this.#wal.rotate((): HeadChunk[] => this.head.beginFlush());
    } catch (err) {
      // A failed WAL (disk gone) refuses further appends itself; the flush reports it instead of rejecting into
      // the timer's `void this.flush()` (an unhandled rejection would end the process).
      this.flushErrors++;
      this.lastFlushError = err instanceof Error ? err.message : String(err);
      return;
    }
    const { upTo, value: chunks } = rotated;
    if (chunks.length === 0) return;
    try {
      const r = await this.#store.appendAll(chunks.map((c) => c.table));
      this.spansWritten += r.inserted;
      this.duplicates += r.duplicates;
      this.batches++;
    } catch (err) {
      this.head.endFlush(chunks, false);
      this.flushErrors++;
      this.lastFlushError = err instanceof Error ? err.message : String(err);
      return;
    }
    this.recent.add(chunks.flatMap((c) => c.ids));
    this.head.endFlush(chunks, true);
    try {
      await this.#wal.removeUpTo(upTo);
    } catch (err) {
      // The spans are in the store; a segment left behind is only replayed (idempotently) at the next start.
      this.flushErrors++;
      this.lastFlushError = err instanceof Error ? err.message : String(err);
    }
  }

  /**
   * Refuses new requests, waits for the pending WAL writes, flushes the head to the store and deletes the WAL.
   * When the store cannot take the spans, the WAL is kept for the next start.
   */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    if (this.#pendingRequests > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
    await this.flush();
    if (this.head.spans === 0) await this.#wal.closeAndRemove();
    else await this.#wal.close();
  }
}
