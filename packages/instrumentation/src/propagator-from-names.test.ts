import {
  defaultTextMapGetter,
  defaultTextMapSetter,
  propagation,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { propagatorFromNames } from './propagator-from-names.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const ctx = propagation.setBaggage(
  trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED }),
  propagation.createBaggage({ k: { value: 'v' } }),
);
const inject = (names: Parameters<typeof propagatorFromNames>[0]): Record<string, string> => {
  const h: Record<string, string> = {};
  propagatorFromNames(names).inject(ctx, h, defaultTextMapSetter);
  return h;
};

describe('propagatorFromNames', () => {
  it('writes W3C traceparent and baggage by name', () => {
    expect(inject(['tracecontext', 'baggage'])).toEqual({ traceparent: `00-${TRACE}-${SPAN}-01`, baggage: 'k=v' });
  });

  it('writes the single b3 header', () => {
    expect(inject(['b3'])).toEqual({ b3: `${TRACE}-${SPAN}-1` });
  });

  it('writes the multi-header B3 form', () => {
    expect(inject(['b3multi'])).toEqual({ 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' });
  });

  it('writes Jaeger headers', () => {
    expect(inject(['jaeger'])).toEqual({ 'uber-trace-id': `${TRACE}:${SPAN}:0:1`, 'uberctx-k': 'v' });
  });

  it('extracts B3 multi headers with a b3 propagator', () => {
    const out = propagatorFromNames(['b3']).extract(
      ROOT_CONTEXT,
      { 'x-b3-traceid': TRACE, 'x-b3-spanid': SPAN, 'x-b3-sampled': '1' },
      defaultTextMapGetter,
    );
    expect(trace.getSpanContext(out)?.traceId).toBe(TRACE);
  });

  it('writes nothing for an empty list', () => {
    expect(inject([])).toEqual({});
  });
});
