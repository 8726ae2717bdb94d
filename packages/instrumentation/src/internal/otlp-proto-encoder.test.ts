// The one-pass encoder must write exactly the bytes of OpenTelemetry's ProtobufTraceSerializer, for every shape a
// span can take: two resources × two scopes, attributes of every value type, non-ASCII and long strings (length
// varints of 1, 2 and 3 bytes), events, links with trace state, remote/local/no parent, error status with message.
//
//   resource A  scope a@1.0.0 (schemaUrl)   root ─┬─ child (local parent, events, links)
//                                                  └─ remote-child (remote parent, trace state)
//   resource A  scope b                     attrs (every AnyValue type), big (40 kB string)
//   resource B  scope a@1.0.0               one span per kind
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { encodeTraceExportRequest } from './otlp-proto-encoder.ts';

function provider(attrs: Record<string, string | number>) {
  const exporter = new InMemorySpanExporter();
  const p = new TracerProvider({
    resource: resourceFromAttributes(attrs),
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new SimpleSpanProcessor({ exporter })],
  });
  return { p, exporter };
}

function makeSpans(): ReadableSpan[] {
  const A = provider({ 'service.name': 'shop-é', 'host.name': 'h1', pid: 4242 });
  const B = provider({ 'service.name': 'other' });
  const a = A.p.getTracer('a', '1.0.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0' });
  const b = A.p.getTracer('b');
  const root = a.startSpan('GET /checkout', { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'GET' } });
  const rootCtx = trace.setSpan(ROOT_CONTEXT, root);
  const child = a.startSpan(
    'SELECT stock',
    {
      kind: SpanKind.CLIENT,
      links: [
        {
          context: {
            traceId: '0af7651916cd43dd8448eb211c80319c',
            spanId: 'b7ad6b7169203331',
            traceFlags: TraceFlags.SAMPLED,
            isRemote: true,
            traceState: new TraceState('vendor=abc,other=1'),
          },
          attributes: { reason: 'retry' },
        },
      ],
    },
    rootCtx,
  );
  child.addEvent('cache miss', { key: 'SKU-0042', size: 3 });
  child.addEvent('plain');
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset — retrying' });
  child.end();
  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('congo=t61rcWkgMzE'),
  });
  a.startSpan('remote-child', { kind: SpanKind.CONSUMER }, remoteParent).end();
  root.setStatus({ code: SpanStatusCode.OK });
  root.end();
  const attrs = b.startSpan('attrs');
  attrs.setAttributes({
    s: 'ascii',
    u: 'naïve ✓ 😀',
    t: true,
    f: false,
    i: 42,
    neg: -7,
    big: 2 ** 40 + 3,
    d: 3.25,
    nan: Number.NaN,
    arr: ['x', 'y'],
    nums: [1, 2.5, -3],
    bools: [true, false],
    empty: '',
    long: 'x'.repeat(300),
  });
  attrs.end();
  b.startSpan('big', { attributes: { 'db.query.text': 'SELECT 1 -- '.repeat(3500) } }).end();
  const c = B.p.getTracer('a', '1.0.0');
  for (const kind of [SpanKind.INTERNAL, SpanKind.SERVER, SpanKind.CLIENT, SpanKind.PRODUCER, SpanKind.CONSUMER])
    c.startSpan(`kind-${kind}`, { kind }).end();
  return [...A.exporter.getFinishedSpans(), ...B.exporter.getFinishedSpans()];
}

describe('encodeTraceExportRequest', () => {
  const spans = makeSpans();

  it('writes the same bytes as ProtobufTraceSerializer for every span shape', () => {
    expect(spans).toHaveLength(10);
    const ours = encodeTraceExportRequest(spans);
    const theirs = ProtobufTraceSerializer.serializeRequest(spans) as Uint8Array;
    expect(ours.length).toBe(theirs.length);
    expect(Buffer.from(ours).equals(Buffer.from(theirs))).toBe(true);
  });

  it('writes the same bytes for every single span, every pair in reverse order, and an empty batch', () => {
    for (const s of spans)
      expect(Buffer.from(encodeTraceExportRequest([s]))).toEqual(
        Buffer.from(ProtobufTraceSerializer.serializeRequest([s]) as Uint8Array),
      );
    const reversed = [...spans].reverse();
    expect(Buffer.from(encodeTraceExportRequest(reversed))).toEqual(
      Buffer.from(ProtobufTraceSerializer.serializeRequest(reversed) as Uint8Array),
    );
    expect(encodeTraceExportRequest([])).toHaveLength(0);
  });

  it('returns a copy that the next request does not overwrite', () => {
    const first = encodeTraceExportRequest(spans.slice(0, 1));
    const copy = Buffer.from(first);
    encodeTraceExportRequest(spans.slice(1));
    expect(Buffer.from(first)).toEqual(copy);
  });

  it('keeps 2-byte and 3-byte span lengths and a batch over 2 MB exact', () => {
    const many = Array.from({ length: 60 }, () => spans).flat();
    const ours = encodeTraceExportRequest(many);
    expect(ours.length).toBeGreaterThan(2_097_152);
    expect(Buffer.from(ours).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(many) as Uint8Array))).toBe(
      true,
    );
  });
});
