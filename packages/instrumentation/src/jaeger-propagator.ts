// Jaeger's native trace-context headers (`uber-trace-id`, `uberctx-*` baggage) as an OpenTelemetry TextMapPropagator,
// so that a Node service continues traces started by Jaeger clients (jaeger-client-java/go, Envoy in Jaeger mode).
// Reference: https://www.jaegertracing.io/docs/1.x/client-libraries/#propagation-format
import {
  type Context,
  isSpanContextValid,
  propagation,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  TraceFlags,
  trace,
} from '@opentelemetry/api';

/** The trace header of the Jaeger propagation format. */
export const UBER_TRACE_ID_HEADER = 'uber-trace-id';
/** Prefix of the Jaeger baggage headers (`uberctx-<key>: <value>`). */
export const UBER_BAGGAGE_PREFIX = 'uberctx-';

const HEX = /^[0-9a-f]{1,32}$/;

function firstValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function decode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

/**
 * Parses an `uber-trace-id` value (`{trace-id}:{span-id}:{parent-span-id}:{flags}`) into a remote span context.
 *
 * **Details** Ids are hex and may be shorter than 32/16 digits (Jaeger drops leading zeros): they are left-padded.
 * 64-bit trace ids become 128-bit with zeros in front. Flags bit 1 is "sampled" (bit 2, debug, also means sampled).
 * The value may be URL-encoded (`%3A` for `:`), as some HTTP stacks write it.
 *
 * **Complexity** O(length of the value).
 *
 * **Gotchas** Returns undefined for anything malformed, including all-zero ids.
 *
 * @example
 * ```ts
 * spanContextFromUberTraceId('abc:def:0:1'); // { traceId: '0…0abc', spanId: '0…0def', traceFlags: 1, isRemote: true }
 * ```
 */
export function spanContextFromUberTraceId(value: string): SpanContext | undefined {
  const parts = decode(value.trim()).toLowerCase().split(':');
  if (parts.length !== 4) return undefined;
  const [rawTrace, rawSpan, , rawFlags] = parts as [string, string, string, string];
  if (!HEX.test(rawTrace) || !HEX.test(rawSpan) || rawSpan.length > 16) return undefined;
  const flags = Number.parseInt(rawFlags, 16);
  if (!Number.isFinite(flags)) return undefined;
  const ctx: SpanContext = {
    traceId: rawTrace.padStart(32, '0'),
    spanId: rawSpan.padStart(16, '0'),
    traceFlags: flags & 0x3 ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  };
  return isSpanContextValid(ctx) ? ctx : undefined;
}

/**
 * Propagates trace context and baggage in Jaeger's header format.
 *
 * **Details** Inject writes `uber-trace-id: <32 hex>:<16 hex>:0:<01|00>` and one `uberctx-<key>` header per baggage
 * entry (value URL-encoded). Extract reads both; baggage entries are merged into the context's existing baggage, so
 * W3C `baggage` and Jaeger baggage can be combined with a composite propagator.
 *
 * **Complexity** O(number of headers) per call.
 *
 * **Gotchas** The deprecated parent-span-id field is written as 0 and ignored when read, as Jaeger clients do.
 *
 * @example
 * ```ts
 * propagation.setGlobalPropagator(new JaegerPropagator());
 * ```
 */
export class JaegerPropagator implements TextMapPropagator {
  /** Writes the active span context and baggage of `context` into `carrier`. */
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const span = trace.getSpanContext(context);
    if (span && isSpanContextValid(span)) {
      const sampled = (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '1' : '0';
      setter.set(carrier, UBER_TRACE_ID_HEADER, `${span.traceId}:${span.spanId}:0:${sampled}`);
    }
    const baggage = propagation.getBaggage(context);
    if (baggage) {
      for (const [key, entry] of baggage.getAllEntries()) {
        setter.set(carrier, `${UBER_BAGGAGE_PREFIX}${key}`, encodeURIComponent(entry.value));
      }
    }
  }

  /** Reads `uber-trace-id` and `uberctx-*` headers from `carrier` into a new context. */
  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let out = context;
    const header = firstValue(getter.get(carrier, UBER_TRACE_ID_HEADER));
    if (header) {
      const span = spanContextFromUberTraceId(header);
      if (span) out = trace.setSpanContext(out, span);
    }
    let baggage = propagation.getBaggage(out);
    let found = false;
    for (const key of getter.keys(carrier)) {
      if (!key.toLowerCase().startsWith(UBER_BAGGAGE_PREFIX)) continue;
      const value = firstValue(getter.get(carrier, key));
      if (value === undefined) continue;
      const name = key.slice(UBER_BAGGAGE_PREFIX.length).toLowerCase();
      if (!name) continue;
      baggage = (baggage ?? propagation.createBaggage()).setEntry(name, { value: decode(value) });
      found = true;
    }
    return found && baggage ? propagation.setBaggage(out, baggage) : out;
  }

  /** The headers this propagator writes (baggage headers vary by key and are not listed). */
  fields(): string[] {
    return [UBER_TRACE_ID_HEADER];
  }
}
