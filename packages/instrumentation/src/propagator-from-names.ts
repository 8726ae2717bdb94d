// Builds the composite TextMapPropagator for a list of propagator names (the vocabulary of OTEL_PROPAGATORS + jaeger).
import type { TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { B3InjectEncoding, B3Propagator } from '@opentelemetry/propagator-b3';
import type { PropagatorName } from './instrumentation-config.ts';
import { JaegerPropagator } from './jaeger-propagator.ts';

/**
 * Returns one propagator that injects and extracts every named format, in order.
 *
 * **Details** `tracecontext` = W3C `traceparent`/`tracestate`; `baggage` = W3C `baggage`; `b3` = the single `b3`
 * header; `b3multi` = `X-B3-TraceId`/`X-B3-SpanId`/`X-B3-Sampled`; `jaeger` = `uber-trace-id` + `uberctx-*`. B3
 * extraction accepts both B3 encodings whichever is named. On extract, a later propagator's span context wins
 * when several headers are present (OpenTelemetry composite semantics).
 *
 * **Complexity** O(number of names).
 *
 * **Gotchas** An empty list yields a propagator that does nothing (as `OTEL_PROPAGATORS=none`).
 *
 * @example
 * ```ts
 * propagation.setGlobalPropagator(propagatorFromNames(['tracecontext', 'baggage', 'b3multi']));
 * ```
 */
export function propagatorFromNames(names: readonly PropagatorName[]): TextMapPropagator {
  const propagators: TextMapPropagator[] = names.map((name) => {
    switch (name) {
      case 'tracecontext':
        return new W3CTraceContextPropagator();
      case 'baggage':
        return new W3CBaggagePropagator();
      case 'b3':
        return new B3Propagator({ injectEncoding: B3InjectEncoding.SINGLE_HEADER });
      case 'b3multi':
        return new B3Propagator({ injectEncoding: B3InjectEncoding.MULTI_HEADER });
      case 'jaeger':
        return new JaegerPropagator();
      default:
        throw new TypeError(`instrumentation: unknown propagator "${String(name)}"`);
    }
  });
  return new CompositePropagator({ propagators });
}
