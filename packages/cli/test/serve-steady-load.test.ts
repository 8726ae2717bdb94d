// aiops serve under light, steady load from the real OpenTelemetry OTLP/HTTP exporters: five services export a
// 5-span trace each every 250 ms (20 requests/s) for 20 s, gzip and uncompressed, as the example shop does. The
// exporters stream their bodies (chunked, no Content-Length), which once made every request reserve the 16 MiB
// maximum body: four requests in flight filled the 64 MiB budget and the rest were refused with 429.
//
//   t (ms)   0     250    500    750   ...  20,000
//   svc-0    ▮      ▮      ▮      ▮            ▮      one export of 5 spans each tick, all five services
//   ...      ▮      ▮      ▮      ▮            ▮      at the same instant (bursts of 5 concurrent requests)
//   svc-4    ▮      ▮      ▮      ▮            ▮
//   expected: 400 requests, 2,000 spans stored, 0 throttled, 0 bytes in flight afterwards
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { context, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/serve/server.ts';
import { post } from './serve-fixtures/post.ts';

let dir: string;
let server: RunningServer;
let base: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-serve-steady-'));
  server = await startServer({ store: dir, otlpGrpcPort: null, otlpHttpPort: 0, zipkinPort: null, queryPort: 0 });
  base = `http://127.0.0.1:${server.ports.query}`;
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A tracer that records finished spans of one service in memory (the test exports them itself, on a schedule). */
function recorder(service: string): { provider: TracerProvider; memory: InMemorySpanExporter } {
  const memory = new InMemorySpanExporter();
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': service }),
    spanProcessors: [new SimpleSpanProcessor({ exporter: memory })],
  });
  return { provider, memory };
}

/** One 5-span trace (root and four children) of `service`. */
function traceOf(provider: TracerProvider, memory: InMemorySpanExporter, k: number): ReadableSpan[] {
  memory.reset();
  const tracer = provider.getTracer('steady-load');
  const root = tracer.startSpan(`GET /item/${k % 7}`, { attributes: { 'http.route': '/item/:id', n: k } });
  const ctx = trace.setSpan(context.active(), root);
  for (let i = 0; i < 4; i++) tracer.startSpan(`child-${i}`, { attributes: { 'db.statement': 'SELECT 1' } }, ctx).end();
  root.end();
  return memory.getFinishedSpans().slice();
}

function exportNow(exporter: SpanExporter, spans: ReadableSpan[]): Promise<number> {
  return new Promise((resolve) => exporter.export(spans, (r) => resolve(r.code)));
}

describe('aiops serve under steady load from the OTLP/HTTP exporter', () => {
  it('stores every span of 20 requests/s for 20 s and never answers 429', async () => {
    const url = `http://127.0.0.1:${server.ports.otlpHttp}/v1/traces`;
    const services = Array.from({ length: 5 }, (_, s) => ({
      ...recorder(`svc-${s}`),
      exporter: new ProtoExporter({ url, ...(s % 2 === 0 ? { compression: 'gzip' as never } : {}) }),
    }));
    const results: Promise<number>[] = [];
    let sent = 0;
    const t0 = performance.now();
    for (let tick = 0; tick < 80; tick++) {
      const due = t0 + tick * 250;
      await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
      for (const s of services) {
        const spans = traceOf(s.provider, s.memory, tick);
        sent += spans.length;
        results.push(exportNow(s.exporter, spans));
      }
    }
    const codes = await Promise.all(results);
    expect(sent).toBe(2000);
    expect(codes.filter((c) => c !== ExportResultCode.SUCCESS)).toEqual([]);
    const health = await (await fetch(`${base}/api/health`)).json();
    expect(health.ingest.requestsThrottled).toBe(0);
    expect(health.ingest.requests).toBe(400);
    expect(health.ingest.spansAccepted).toBe(2000);
    expect(health.spanCount).toBe(2000);
    expect(health.ingest.inflightBytes).toBe(0);
    expect(health.ingest.queueSpans).toBe(0);
    for (const s of services) {
      await s.exporter.shutdown();
      await s.provider.shutdown();
    }
  }, 90_000);

  it('returns the in-flight bytes of a request whose client went away mid-body', async () => {
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port: server.ports.otlpHttp,
        path: '/v1/traces',
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf' },
        agent: false,
      });
      req.on('error', () => resolve());
      req.write(Buffer.alloc(4096, 0x0a));
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 100);
    });
    const deadline = Date.now() + 5_000;
    let health = await (await fetch(`${base}/api/health`)).json();
    while (health.ingest.inflightBytes !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      health = await (await fetch(`${base}/api/health`)).json();
    }
    expect(health.ingest.inflightBytes).toBe(0);
  });

  it('refuses a streamed body with 429 only when it would pass the budget while another body is in flight', async () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-serve-budget-'));
    const small = await startServer({
      store: d,
      otlpGrpcPort: null,
      zipkinPort: null,
      otlpHttpPort: 0,
      queryPort: 0,
      limits: { maxInflightBytes: 1024 * 1024 },
    });
    const health = async () => (await (await fetch(`http://127.0.0.1:${small.ports.query}/api/health`)).json()).ingest;
    try {
      // A declares 900 KiB and sends 1 KiB of it: 900 KiB of the 1 MiB budget are reserved while it waits.
      const a = http.request({
        host: '127.0.0.1',
        port: small.ports.otlpHttp,
        path: '/v1/traces',
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-length': String(900 * 1024) },
        agent: false,
      });
      a.on('error', () => undefined);
      a.write(Buffer.alloc(1024, 0x0a));
      let h = await health();
      for (let i = 0; i < 100 && h.inflightBytes !== 900 * 1024; i++) h = await health();
      expect(h.inflightBytes).toBe(900 * 1024);
      // B streams 200 KiB without a length: it passes the budget on the way and is refused.
      const b = await post(
        small.ports.otlpHttp,
        '/v1/traces',
        { chunk: new Uint8Array(16 * 1024), times: 13 },
        { 'content-type': 'application/x-protobuf' },
        true,
      );
      expect(b.status).toBe(429);
      expect(b.headers['retry-after']).toBe('1');
      // C, an empty streamed export (zero spans), fits next to A and is answered 200.
      const c = await post(
        small.ports.otlpHttp,
        '/v1/traces',
        { chunk: new Uint8Array(0), times: 1 },
        {
          'content-type': 'application/x-protobuf',
        },
        true,
      );
      expect(c.status).toBe(200);
      a.destroy();
      for (let i = 0; i < 100 && h.inflightBytes !== 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        h = await health();
      }
      expect(h.inflightBytes).toBe(0);
      expect(h.requestsThrottled).toBe(1);
    } finally {
      await small.close();
      fs.rmSync(d, { recursive: true, force: true });
    }
  });
});
