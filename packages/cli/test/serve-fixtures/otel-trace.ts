// Sends one small trace through an OpenTelemetry JS SDK exporter and returns the spans as the SDK recorded them.
//
//   0 checkout  POST /checkout (server, error)  |==============================|  t0 .. t0+1.000000005 s
//   1 checkout  SELECT orders (client)             |=======|                      t0+0.1 .. t0+0.35 s
//   2 checkout  render (internal)                            |=====|              t0+0.5 .. t0+0.7 s
import { context, type HrTime, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';

/** Start of the trace: a time with all nine nanosecond digits set, to check ns precision end to end. */
export const T0: HrTime = [1_764_000_000, 123_456_789];

const at = (ms: number, extraNs = 0): HrTime => {
  const ns = T0[1] + Math.round(ms * 1e6) + extraNs;
  return [T0[0] + Math.floor(ns / 1e9), ns % 1e9];
};

/** ns since the epoch of an HrTime, as a decimal string. */
export function hrNs(t: HrTime): string {
  return (BigInt(t[0]) * 1_000_000_000n + BigInt(t[1])).toString();
}

/** Sends the trace through `exporter` as service `service`; resolves with the spans the SDK recorded. */
export async function sendTrace(exporter: SpanExporter, service: string): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'deployment.environment': 'test', 'host.name': 'h1' }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory }), new SimpleSpanProcessor({ exporter })],
  });
  const tracer = provider.getTracer('aiops-serve-test', '1.2.3');
  const root = tracer.startSpan('POST /checkout', {
    kind: SpanKind.SERVER,
    startTime: T0,
    attributes: {
      'http.request.method': 'POST',
      'http.route': '/checkout',
      'http.response.status_code': 503,
      'app.ratio': 0.25,
      'app.retry': true,
      'app.tags': ['a', 'b'],
    },
  });
  root.addEvent('exception', { 'exception.type': 'TimeoutError', 'exception.message': 'upstream timed out' }, at(900));
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timed out' });
  const ctx = trace.setSpan(context.active(), root);
  const db = tracer.startSpan(
    'SELECT orders',
    {
      kind: SpanKind.CLIENT,
      startTime: at(100),
      attributes: { 'db.system.name': 'postgresql', 'db.query.text': 'SELECT * FROM orders WHERE id = $1' },
    },
    ctx,
  );
  db.end(at(350));
  const render = tracer.startSpan('render', { kind: SpanKind.INTERNAL, startTime: at(500) }, ctx);
  render.setStatus({ code: SpanStatusCode.OK });
  render.end(at(700));
  root.end(at(1000, 5));
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}
