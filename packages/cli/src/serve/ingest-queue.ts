// The batching writer of `aiops serve`: a bounded queue of decoded span tables and a group-commit loop that appends
// everything queued in one store transaction and then acknowledges every request of the batch.
//
//   request A ──┐  wait groupCommitMs   ┌─ ack A
//   request B ──┼─▶ concat ─▶ append ──┼─ ack B      (one durable commit for A, B, C)
//   request C ──┘   (durable, queryable)└─ ack C
//
// While one append runs, new requests gather for the next one, so under load batches grow by themselves and the
// per-commit cost is shared. The queue is bounded in spans: a request that would push it past the bound is refused
// (the receivers answer 429 / UNAVAILABLE with Retry-After), so memory stays bounded under overload.
import { concatSpanTables, type SpanTable, type TraceSink } from '@aiops/span-model';

/** Options of {@link IngestQueue}. */
export interface IngestQueueOptions {
  /** Most spans held (waiting or being written) at once; a request that would pass it is refused. */
  readonly maxQueuedSpans?: number;
  /** Most spans in one append (one transaction). */
  readonly maxBatchSpans?: number;
  /** How long an idle writer waits for more requests before it writes, ms. */
  readonly groupCommitMs?: number;
}

/** Defaults of {@link IngestQueueOptions}. */
export const QUEUE_DEFAULTS: Required<IngestQueueOptions> = {
  maxQueuedSpans: 200_000,
  maxBatchSpans: 50_000,
  groupCommitMs: 2,
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

interface Item {
  readonly table: SpanTable;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * A bounded queue in front of a {@link TraceSink} with group commit.
 *
 * **Details** `submit` resolves only after the spans were appended (the store's append resolves when durable and
 * queryable). One writer loop; append failures reject every request of that batch.
 *
 * **Complexity** One `concatSpanTables` + one `append` per batch.
 *
 * **Gotchas** The bound counts spans, not bytes; the receivers bound request bytes separately.
 */
export class IngestQueue {
  readonly #sink: TraceSink;
  readonly #opts: Required<IngestQueueOptions>;
  #items: Item[] = [];
  #heldSpans = 0;
  #running = false;
  #closed = false;
  #idle: (() => void)[] = [];
  /** Spans appended so far. */
  spansWritten = 0;
  /** Duplicate spans skipped by the store so far. */
  duplicates = 0;
  /** Batches (transactions) written. */
  batches = 0;

  constructor(sink: TraceSink, options: IngestQueueOptions = {}) {
    this.#sink = sink;
    this.#opts = { ...QUEUE_DEFAULTS, ...options };
  }

  /** Spans waiting or being written. */
  get depthSpans(): number {
    return this.#heldSpans;
  }

  /** The bound in spans. */
  get maxQueuedSpans(): number {
    return this.#opts.maxQueuedSpans;
  }

  /** Whether a request of `spans` spans would be admitted now (an empty queue admits any size). */
  admits(spans: number): boolean {
    return !this.#closed && (this.#heldSpans === 0 || this.#heldSpans + spans <= this.#opts.maxQueuedSpans);
  }

  /** Queues spans; resolves once they are durably stored. Throws {@link QueueFullError} when refused. */
  submit(table: SpanTable): Promise<void> {
    if (this.#closed) return Promise.reject(new QueueFullError('closed', 'the server is shutting down'));
    if (!this.admits(table.numSpans)) {
      return Promise.reject(
        new QueueFullError(
          'full',
          `ingest queue full (${this.#heldSpans} of ${this.#opts.maxQueuedSpans} spans waiting); retry later`,
        ),
      );
    }
    if (table.numSpans === 0) return Promise.resolve();
    this.#heldSpans += table.numSpans;
    return new Promise<void>((resolve, reject) => {
      this.#items.push({ table, resolve, reject });
      if (!this.#running) {
        this.#running = true;
        setTimeout(() => void this.#loop(), this.#opts.groupCommitMs);
      }
    });
  }

  async #loop(): Promise<void> {
    while (this.#items.length > 0) {
      let n = 0;
      let k = 0;
      while (k < this.#items.length && (k === 0 || n + this.#items[k]!.table.numSpans <= this.#opts.maxBatchSpans)) {
        n += this.#items[k]!.table.numSpans;
        k++;
      }
      const batch = this.#items.splice(0, k);
      try {
        const table = batch.length === 1 ? batch[0]!.table : concatSpanTables(batch.map((b) => b.table));
        const r = await this.#sink.append(table);
        this.spansWritten += r.inserted;
        this.duplicates += r.duplicates;
        this.batches++;
        this.#heldSpans -= n;
        for (const b of batch) b.resolve();
      } catch (err) {
        this.#heldSpans -= n;
        for (const b of batch) b.reject(err);
      }
    }
    this.#running = false;
    for (const f of this.#idle.splice(0)) f();
  }

  /** Refuses new requests and resolves when everything queued is written. */
  async close(): Promise<void> {
    this.#closed = true;
    if (!this.#running && this.#items.length === 0) return;
    await new Promise<void>((resolve) => this.#idle.push(resolve));
  }
}
