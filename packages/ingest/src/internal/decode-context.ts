// Shared state of one decode: the builder, rejected spans by reason, and aggregated warnings.
import { SpanTableBuilder } from '@aiops/span-model';
import type { DecodeResult, RejectedSpanExample, RejectedSpans } from '../decode-result.ts';
import { IngestError, IngestErrorCode } from '../ingest-error.ts';
import type { TraceFormat } from '../trace-format.ts';

const MAX_EXAMPLES = 5;
const MAX_WARNINGS = 50;

interface Bucket {
  count: number;
  examples: RejectedSpanExample[];
}

/** A span-level data problem: the span is rejected with this reason and message, the input goes on. */
export class SpanProblem extends Error {
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
  }
}

export class DecodeContext {
  readonly builder: SpanTableBuilder;
  readonly source: string;
  private readonly buckets = new Map<string, Bucket>();
  private readonly counted = new Map<string, { count: number; message: (n: number) => string }>();
  private readonly warnings: string[] = [];
  private extraWarnings = 0;
  sharedSpansSplit = 0;

  constructor(source: string, builder?: SpanTableBuilder) {
    this.source = source;
    this.builder = builder ?? new SpanTableBuilder({ initialCapacity: 4096 });
  }

  /** Counts a rejected span. */
  reject(reason: string, position: string, message: string): void {
    let b = this.buckets.get(reason);
    if (!b) {
      b = { count: 0, examples: [] };
      this.buckets.set(reason, b);
    }
    b.count++;
    if (b.examples.length < MAX_EXAMPLES) b.examples.push({ position, message });
  }

  private open = false;

  /** Begins a span (see {@link abort}). */
  begin(): void {
    this.builder.beginSpan();
    this.open = true;
  }

  /**
   * Rejects the span begun with {@link begin} after a {@link SpanProblem}: the builder only rolls a span back
   * (attributes included) when it rejects it, so the span is made invalid and committed.
   */
  abort(): void {
    if (!this.open) return;
    this.open = false;
    this.builder.setTraceId('!');
    this.builder.commitSpan();
  }

  /** Commits the current span; a rejection is recorded at `position` (a string or a byte offset). */
  commit(position: string | number | (() => string)): boolean {
    this.open = false;
    const reason = this.builder.commitSpan();
    if (reason === undefined) return true;
    const where =
      typeof position === 'number' ? `byte ${position}` : typeof position === 'string' ? position : position();
    this.reject(reason, where, reason);
    return false;
  }

  /** A one-off warning. */
  warn(message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(message);
    else this.extraWarnings++;
  }

  /** A warning counted over the whole input: reported once, as `message(count)`. */
  count(key: string, message: (n: number) => string, by = 1): void {
    const c = this.counted.get(key);
    if (c) c.count += by;
    else this.counted.set(key, { count: by, message });
  }

  get rejectedTotal(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.count;
    return n;
  }

  rejectedList(): RejectedSpans[] {
    return [...this.buckets].map(([reason, b]) => ({ reason, count: b.count, examples: b.examples }));
  }

  warningList(): string[] {
    const out = [...this.warnings];
    for (const c of this.counted.values()) out.push(c.message(c.count));
    if (this.extraWarnings > 0) out.push(`${this.extraWarnings} more warnings not shown`);
    return out;
  }

  /** Throws when every span was rejected (there is nothing to keep, and the user must see why). */
  assertSomethingKept(accepted: number): void {
    if (accepted > 0 || this.rejectedTotal === 0) return;
    const first = this.rejectedList()[0]!;
    const ex = first.examples[0];
    throw new IngestError({
      code: IngestErrorCode.NoValidSpans,
      file: this.source,
      position: ex?.position ?? '',
      detail: `no valid span: all ${this.rejectedTotal} rejected (${this.rejectedList()
        .map((r) => `${r.count} ${r.reason}`)
        .join(', ')})${ex && ex.message !== first.reason ? `; first: ${ex.message}` : ''}`,
    });
  }

  result(format: TraceFormat, allowNothingKept = false): DecodeResult {
    const spans = this.builder.finish();
    if (!allowNothingKept) this.assertSomethingKept(spans.numSpans);
    const base = { spans, format, rejected: this.rejectedList(), warnings: this.warningList() };
    return format === 'zipkin' ? { ...base, sharedSpansSplit: this.sharedSpansSplit } : base;
  }

  error(code: IngestErrorCode, position: string, detail: string): IngestError {
    return new IngestError({ code, file: this.source, position, detail });
  }
}
