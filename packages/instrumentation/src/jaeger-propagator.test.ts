import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { JaegerPropagator, spanContextFromUberTraceId } from './jaeger-propagator.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('spanContextFromUberTraceId', () => {
  it('reads a 128-bit trace id, span id and sampled flag', () => {
    expect(spanContextFromUberTraceId(`${TRACE}:${SPAN}:0:1`)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
  });

  it('left-pads short ids, accepts URL-encoding and treats debug (2) as sampled', () => {
    expect(spanContextFromUberTraceId('abc%3Adef%3A0%3A2')).toMatchObject({
      traceId: `${'0'.repeat(29)}abc`,
      spanId: `${'0'.repeat(13)}def`,
      traceFlags: TraceFlags.SAMPLED,
    });
  });

  it('rejects malformed values and zero ids', () => {
    expect(spanContextFromUberTraceId('abc:def:0')).toBeUndefined();
    expect(spanContextFromUberTraceId('xyz:def:0:1')).toBeUndefined();
    expect(spanContextFromUberTraceId(`0:${SPAN}:0:1`)).toBeUndefined();
    expect(spanContextFromUberTraceId(`${TRACE}:${'1'.repeat(17)}:0:1`)).toBeUndefined();
  });
});

describe('JaegerPropagator', () => {
  const p = new JaegerPropagator();

  it('injects uber-trace-id and uberctx-* baggage headers', () => {
    let ctx = trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED });
    ctx = propagation.setBaggage(ctx, propagation.createBaggage({ 'user.id': { value: 'u 42' } }));
    const headers: Record<string, string> = {};
    p.inject(ctx, headers, defaultTextMapSetter);
    expect(headers).toEqual({ 'uber-trace-id': `${TRACE}:${SPAN}:0:1`, 'uberctx-user.id': 'u%2042' });
  });

  it('extracts what it injects, an unsampled context and merged baggage', () => {
    const headers = {
      'uber-trace-id': `${TRACE}:${SPAN}:0:0`,
      'uberctx-tenant': 'acme',
      'UberCtx-Tier': 'gold%20plus',
    };
    const base = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ from: { value: 'w3c' } }));
    const ctx = p.extract(base, headers, defaultTextMapGetter);
    expect(trace.getSpanContext(ctx)).toEqual({ traceId: TRACE, spanId: SPAN, traceFlags: 0, isRemote: true });
    const bag = propagation.getBaggage(ctx);
    expect(
      Object.fromEntries(
        bag
          ?.getAllEntries()
          .map(([k, v]) => [k, v.value])
          .sort() ?? [],
      ),
    ).toEqual({ from: 'w3c', tenant: 'acme', tier: 'gold plus' });
  });

  it('leaves the context alone when there are no Jaeger headers', () => {
    const ctx = p.extract(context.active(), { traceparent: 'x' }, defaultTextMapGetter);
    expect(trace.getSpanContext(ctx)).toBeUndefined();
    expect(propagation.getBaggage(ctx)).toBeUndefined();
  });
});
