// A span processor that copies chosen baggage entries onto each span as attributes, so that values set at the edge
// (tenant, user tier, experiment) are searchable on every downstream span.
import { type Context, propagation } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace';

/** Copies the baggage entries named in `keys` (`*` = all) from the parent context onto every started span. */
export class BaggageSpanProcessor implements SpanProcessor {
  readonly #all: boolean;
  readonly #keys: readonly string[];

  constructor(keys: readonly string[]) {
    this.#all = keys.includes('*');
    this.#keys = [...new Set(keys)];
  }

  onStart(span: Span, parentContext: Context): void {
    const baggage = propagation.getBaggage(parentContext);
    if (!baggage) return;
    if (this.#all) {
      for (const [key, entry] of baggage.getAllEntries()) span.setAttribute(key, entry.value);
      return;
    }
    // A lookup per wanted key: no array of all entries per span (this runs for every span started).
    for (const key of this.#keys) {
      const entry = baggage.getEntry(key);
      if (entry !== undefined) span.setAttribute(key, entry.value);
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
