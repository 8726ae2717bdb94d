// start() in this process, with an in-memory exporter: the instrumentations end up with the SDK's own tracers (not
// the ProxyTracer they were built with), and the spans they make are exported with the resource we set.
//
//   withDbSpan (our scope)   |=====|   → exporter, service.name = start-test
import { context, ProxyTracer, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, describe, expect, it } from 'vitest';
import { withDbSpan } from './db-span.ts';
import { NodeHttpInstrumentation } from './node-http-instrumentation.ts';
import { start } from './start.ts';

const exporter = new InMemorySpanExporter();
const http = new NodeHttpInstrumentation();
const tracerOf = (i: NodeHttpInstrumentation): unknown => (i as unknown as { tracer: unknown }).tracer;
const before = tracerOf(http);
const shutdown = start({
  serviceName: 'start-test',
  instrumentations: [http],
  exporter,
  esmHook: false,
  flushOnExit: false,
  env: {},
});

afterAll(async () => {
  await shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

describe('start', () => {
  it('hands the instrumentations the SDK tracer instead of the ProxyTracer they were built with', () => {
    expect(before).toBeInstanceOf(ProxyTracer);
    expect(tracerOf(http)).not.toBeInstanceOf(ProxyTracer);
    expect(tracerOf(http)).toBe(trace.getTracerProvider().getTracer('@aiops/instrumentation-node-http', '0.1.0'));
  });

  it('exports the spans it makes with the configured resource', async () => {
    withDbSpan({ system: 'duckdb', operation: 'SELECT', collection: 'stock' }, () => 1);
    await shutdownFlush();
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('SELECT stock');
    expect(span?.resource.attributes['service.name']).toBe('start-test');
  });
});

/** Flushes the batch processor through the provider's public forceFlush. */
async function shutdownFlush(): Promise<void> {
  const provider = (
    trace.getTracerProvider() as unknown as { getDelegate(): { forceFlush(): Promise<void> } }
  ).getDelegate();
  await provider.forceFlush();
}
