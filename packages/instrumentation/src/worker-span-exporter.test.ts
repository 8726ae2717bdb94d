// The worker exporter must put exactly the bytes on the wire that OpenTelemetry's in-thread OTLP exporter puts
// there: the same finished spans are exported both ways to a real HTTP receiver and the request bodies compared.
//
//   resource {service.name=checkout, ...}
//   scope a@1.0.0   root SERVER  |==========================|  attrs of every type, an event, ERROR + message
//                   child CLIENT    |=========|                 link to a remote span with tracestate
//   scope b         remote-parent INTERNAL |=====|              parent from another process, tracestate kept
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { context, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, TraceState } from '@opentelemetry/core';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOnSampler,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OtlpProtocol } from './instrumentation-config.ts';
import { otlpExporter } from './internal/otlp-exporter.ts';
import { FIELDS, SpanBatchDecoder, SpanBatchEncoder } from './internal/span-transfer.ts';
import { WorkerSpanExporter } from './worker-span-exporter.ts';

let receiver: Server;
let base = '';
const bodies = new Map<string, Buffer[]>();

beforeAll(async () => {
  receiver = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/reject') {
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end('bad payload');
        return;
      }
      const list = bodies.get(req.url ?? '') ?? [];
      list.push(Buffer.concat(chunks));
      bodies.set(req.url ?? '', list);
      res.writeHead(200, { 'content-type': req.headers['content-type'] ?? 'application/json' });
      res.end(req.headers['content-type']?.includes('json') ? '{}' : '');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => receiver.close(() => r())));

/** Real SDK spans covering every field the OTLP encoding writes. */
function makeSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'host.name': 'box-1', 'process.pid': 4242 }),
    sampler: new AlwaysOnSampler(),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  const a = provider.getTracer('a', '1.0.0');
  const b = provider.getTracer('b');
  const root = a.startSpan('POST /api/checkout', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'POST',
      'http.response.status_code': 500,
      ratio: 0.25,
      ok: false,
      tags: ['x', 'y'],
      codes: [1, 2, 3],
    },
  });
  root.addEvent('exception', { 'exception.type': 'CallError', 'exception.message': 'payment answered 502' });
  const remoteLinked = {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('vendor=abc,other=1'),
  };
  const child = a.startSpan(
    'GET',
    { kind: SpanKind.CLIENT, links: [{ context: remoteLinked, attributes: { reason: 'retry of' } }] },
    trace.setSpan(context.active(), root),
  );
  child.setStatus({ code: SpanStatusCode.OK });
  child.end();
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'payment failed' });
  root.end();
  const remoteParent = trace.setSpanContext(context.active(), {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: new TraceState('congo=t61rcWkgMzE'),
  });
  b.startSpan('reserve stock', {}, remoteParent).end();
  return memory.getFinishedSpans();
}

function exportWith(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

describe('SpanBatchEncoder / SpanBatchDecoder', () => {
  it('sends resources and scopes once, then by number', () => {
    const spans = makeSpans();
    const encoder = new SpanBatchEncoder();
    const first = encoder.encode(spans);
    expect(first.resources).toHaveLength(1);
    expect(first.scopes.map(([, s]) => s.name)).toEqual(['a', 'b']);
    expect(first.spans).toHaveLength(3 * FIELDS);
    const second = encoder.encode(spans);
    expect(second.resources).toEqual([]);
    expect(second.scopes).toEqual([]);
  });

  it('rebuilds spans with the same ids, parent, times, attributes, links and status', () => {
    const spans = makeSpans();
    const decoded = new SpanBatchDecoder().decode(structuredClone(new SpanBatchEncoder().encode(spans)));
    const [child, root, remoteChild] = decoded as [ReadableSpan, ReadableSpan, ReadableSpan];
    expect(root.name).toBe('POST /api/checkout');
    expect(root.spanContext().spanId).toBe(spans[1]?.spanContext().spanId);
    expect(root.attributes.codes).toEqual([1, 2, 3]);
    expect(root.status).toEqual({ code: SpanStatusCode.ERROR, message: 'payment failed' });
    expect(root.events[0]?.attributes?.['exception.type']).toBe('CallError');
    expect(root.endTime).toEqual(spans[1]?.endTime);
    expect(child.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
    expect(child.links[0]?.context.traceState?.serialize()).toBe('vendor=abc,other=1');
    expect(remoteChild.parentSpanContext).toMatchObject({ spanId: '00f067aa0ba902b7', isRemote: true });
    expect(remoteChild.spanContext().traceState?.get('congo')).toBe('t61rcWkgMzE');
    expect(remoteChild.resource).toBe(root.resource);
  });
});

describe('WorkerSpanExporter', () => {
  it.each<[OtlpProtocol, string]>([
    ['http/protobuf', 'proto'],
    ['http/json', 'json'],
  ])('sends the same %s bytes as the in-thread OTLP exporter', async (protocol, tag) => {
    const spans = makeSpans();
    const inThread = otlpExporter(protocol, `${base}/${tag}/main`);
    const worker = new WorkerSpanExporter({ protocol, url: `${base}/${tag}/worker` });
    try {
      expect((await exportWith(inThread, spans)).code).toBe(ExportResultCode.SUCCESS);
      expect((await exportWith(worker, spans)).code).toBe(ExportResultCode.SUCCESS);
      // Not the in-thread fallback: the worker started and did the export.
      expect(worker.thread).toBe('worker');
      // A second batch: resource and scopes now travel by number and must still encode identically.
      expect((await exportWith(inThread, spans.slice(1))).code).toBe(ExportResultCode.SUCCESS);
      expect((await exportWith(worker, spans.slice(1))).code).toBe(ExportResultCode.SUCCESS);
    } finally {
      await Promise.all([inThread.shutdown(), worker.shutdown()]);
    }
    const main = bodies.get(`/${tag}/main`) ?? [];
    const fromWorker = bodies.get(`/${tag}/worker`) ?? [];
    expect(main).toHaveLength(2);
    expect(fromWorker).toHaveLength(2);
    expect(main[0]?.length).toBeGreaterThan(300);
    expect(fromWorker[0]?.equals(main[0] as Buffer)).toBe(true);
    expect(fromWorker[1]?.equals(main[1] as Buffer)).toBe(true);
    expect(main[1]?.length).toBeLessThan(main[0]?.length as number);
  });

  it('sends, in-thread, the protobuf bytes of @opentelemetry/exporter-trace-otlp-proto (one-pass encoder)', async () => {
    const spans = makeSpans();
    const ours = otlpExporter('http/protobuf', `${base}/proto-ours`);
    const theirs = new OtlpProtoExporter({ url: `${base}/proto-theirs` });
    try {
      expect((await exportWith(ours, spans)).code).toBe(ExportResultCode.SUCCESS);
      expect((await exportWith(theirs, spans)).code).toBe(ExportResultCode.SUCCESS);
    } finally {
      await Promise.all([ours.shutdown(), theirs.shutdown()]);
    }
    const [a] = bodies.get('/proto-ours') ?? [];
    const [b] = bodies.get('/proto-theirs') ?? [];
    expect(a?.length).toBeGreaterThan(300);
    expect(a?.equals(b as Buffer)).toBe(true);
  });

  it("reports the receiver's refusal as a failed export", async () => {
    const worker = new WorkerSpanExporter({ url: `${base}/reject` });
    try {
      const result = await exportWith(worker, makeSpans());
      expect(result.code).toBe(ExportResultCode.FAILED);
      expect(result.error?.message).toMatch(/400|Bad Request/);
    } finally {
      await worker.shutdown();
    }
  });

  it('refuses exports after shutdown', async () => {
    const worker = new WorkerSpanExporter({ url: `${base}/late` });
    await worker.shutdown();
    const result = await exportWith(worker, makeSpans());
    expect(result.code).toBe(ExportResultCode.FAILED);
    expect(bodies.get('/late')).toBeUndefined();
  });
});
