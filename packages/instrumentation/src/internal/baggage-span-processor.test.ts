// Baggage set at the edge lands on every span started under it, for the chosen keys only (or all with `*`).
//
//   edge sets baggage {tenant=acme, user.id=u-7, secret=x}
//   └─ span "work"   attributes: tenant=acme, user.id=u-7   (keys ['tenant', 'user.id']; secret never copied)
import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AlwaysOnSampler, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { BaggageSpanProcessor } from './baggage-span-processor.ts';

function attributesWith(keys: string[]): Record<string, unknown> {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new BaggageSpanProcessor(keys), new SimpleSpanProcessor({ exporter })],
  });
  const baggage = propagation.createBaggage({
    tenant: { value: 'acme' },
    'user.id': { value: 'u-7' },
    secret: { value: 'x' },
  });
  const parent = propagation.setBaggage(ROOT_CONTEXT, baggage);
  provider.getTracer('t').startSpan('work', {}, parent).end();
  provider.getTracer('t').startSpan('no baggage', {}, trace.deleteSpan(context.active())).end();
  const [work, plain] = exporter.getFinishedSpans();
  expect(plain?.attributes).toEqual({});
  return { ...work?.attributes };
}

describe('BaggageSpanProcessor', () => {
  it('copies only the listed keys that are present', () => {
    expect(attributesWith(['tenant', 'user.id', 'missing'])).toEqual({ tenant: 'acme', 'user.id': 'u-7' });
  });

  it('copies every entry for *', () => {
    expect(attributesWith(['*'])).toEqual({ tenant: 'acme', 'user.id': 'u-7', secret: 'x' });
  });
});
