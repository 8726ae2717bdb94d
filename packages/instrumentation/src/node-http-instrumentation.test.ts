// Diagrams: the test process is both caller and server; `caller` is a span the test starts itself.
//
//   caller (test)        |==============================|
//   CLIENT GET             |==========================|     parent = caller, ours (outgoing patch)
//   SERVER GET /items/:id    |======================|       parent = CLIENT, via the traceparent header
//     body 'end' listener        ^ sees SERVER as the active span (emitter bound to the request's context)
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { getRPCMetadata, RPCType, suppressTracing, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AlwaysOnSampler, InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NodeHttpInstrumentation } from './node-http-instrumentation.ts';

const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({
  sampler: new AlwaysOnSampler(),
  spanProcessors: [new SimpleSpanProcessor({ exporter })],
});
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(provider);
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const instrumentation = new NodeHttpInstrumentation({ ignoreIncomingRequest: (r) => r.url === '/health' });
instrumentation.setTracerProvider(provider);
instrumentation.enable();
const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');

let base = '';
let server: import('node:http').Server;
const seenInEnd: (string | undefined)[] = [];
const seenTraceparent: (string | undefined)[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seenTraceparent.push(req.headers.traceparent as string | undefined);
    // A framework sets the route in the RPC metadata (as the express instrumentation does).
    const rpc = getRPCMetadata(context.active());
    if (rpc?.type === RPCType.HTTP && req.url?.startsWith('/items/')) rpc.route = '/items/:id';
    req.on('data', () => {});
    req.on('end', () => {
      seenInEnd.push(trace.getActiveSpan()?.spanContext().spanId);
      const status = req.url === '/boom' ? 500 : req.url === '/missing' ? 404 : 200;
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  instrumentation.disable();
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => {
  exporter.reset();
  seenInEnd.length = 0;
  seenTraceparent.length = 0;
});

function get(path: string): Promise<{ status: number; body: string; activeInCallback: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${path}`, (res) => {
        const activeInCallback = trace.getActiveSpan()?.spanContext().spanId;
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, activeInCallback }));
      })
      .on('error', reject);
  });
}

/** Waits until `n` spans have ended (the server span ends on 'finish', possibly after the client saw the body). */
async function spans(n: number) {
  for (let i = 0; i < 100 && exporter.getFinishedSpans().length < n; i++) await new Promise((r) => setTimeout(r, 5));
  return exporter.getFinishedSpans();
}

describe('NodeHttpInstrumentation', () => {
  it('links caller → CLIENT → SERVER in one trace, names the server span after the route, binds req events', async () => {
    const caller = trace.getTracer('test').startSpan('caller');
    const res = await context.with(trace.setSpan(context.active(), caller), () => get('/items/42?x=1'));
    caller.end();
    expect(res).toMatchObject({ status: 200, body: 'ok', activeInCallback: caller.spanContext().spanId });
    const all = await spans(3);
    const client = all.find((s) => s.kind === SpanKind.CLIENT);
    const srv = all.find((s) => s.kind === SpanKind.SERVER);
    expect(client?.name).toBe('GET');
    expect(srv?.name).toBe('GET /items/:id');
    const traceId = caller.spanContext().traceId;
    expect(client?.spanContext().traceId).toBe(traceId);
    expect(srv?.spanContext().traceId).toBe(traceId);
    expect(client?.parentSpanContext?.spanId).toBe(caller.spanContext().spanId);
    expect(srv?.parentSpanContext?.spanId).toBe(client?.spanContext().spanId);
    expect(seenInEnd).toEqual([srv?.spanContext().spanId]);
    const port = Number(base.slice(base.lastIndexOf(':') + 1));
    expect(srv?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'url.path': '/items/42',
      'server.address': '127.0.0.1',
      'server.port': port,
      'http.route': '/items/:id',
      'http.response.status_code': 200,
      'network.protocol.version': '1.1',
    });
    expect(srv?.attributes['url.query']).toBeUndefined();
    expect(client?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': '127.0.0.1',
      'server.port': port,
      'url.full': `${base}/items/42`,
      'http.response.status_code': 200,
    });
    expect(client?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it('marks 5xx as a server error, 4xx and 5xx as client errors', async () => {
    await get('/boom');
    await get('/missing');
    const all = await spans(4);
    const by = (kind: SpanKind, code: number) =>
      all.find((s) => s.kind === kind && s.attributes['http.response.status_code'] === code);
    expect(by(SpanKind.SERVER, 500)?.status.code).toBe(SpanStatusCode.ERROR);
    expect(by(SpanKind.SERVER, 500)?.attributes['error.type']).toBe('500');
    expect(by(SpanKind.SERVER, 404)?.status.code).toBe(SpanStatusCode.UNSET);
    expect(by(SpanKind.CLIENT, 404)?.status.code).toBe(SpanStatusCode.ERROR);
    expect(by(SpanKind.CLIENT, 500)?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('records a connection failure on the CLIENT span', async () => {
    await new Promise<void>((resolve) => {
      http.get('http://127.0.0.1:9/x').on('error', () => resolve());
    });
    const [span] = await spans(1);
    expect(span?.kind).toBe(SpanKind.CLIENT);
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('ECONNREFUSED');
  });

  it('consumes the body when the caller has no response listener, and leaves it to the caller otherwise', async () => {
    // No listener of our caller: Node would dump the body itself; we must too, or the CLIENT span never ends.
    const req = http.request(`${base}/items/7`);
    req.end();
    // Both spans end within spans()' 0.5 s; an unread body would hold the CLIENT span until the socket times out.
    expect((await spans(2)).map((s) => s.kind).sort()).toEqual([SpanKind.SERVER, SpanKind.CLIENT].sort());
    // A caller that reads the body itself gets all of it (nothing was consumed behind its back).
    const res = await get('/items/8');
    expect(res.body).toBe('ok');
    const all = await spans(4);
    const clients = all.filter((s) => s.kind === SpanKind.CLIENT).map((s) => s.attributes['url.full']);
    expect(clients.sort()).toEqual([`${base}/items/7`, `${base}/items/8`]);
    for (const s of all) expect(s.attributes['http.response.status_code']).toBe(200);
  });

  it('reads server.address and server.port from each Host header (IPv4, IPv6, no port)', async () => {
    const port = Number(base.slice(base.lastIndexOf(':') + 1));
    const hosts = ['shop.example:8080', '[::1]:9090', 'shop.example', 'shop.example:8080'];
    for (const host of hosts)
      await new Promise<void>((resolve, reject) => {
        const req = http.request({ port, host: '127.0.0.1', path: '/items/9', headers: { host } }, (r) => {
          r.resume();
          r.on('end', () => resolve());
        });
        req.on('error', reject);
        req.end();
      });
    const all = await spans(8);
    const servers = all.filter((s) => s.kind === SpanKind.SERVER);
    const clients = all.filter((s) => s.kind === SpanKind.CLIENT);
    const pairs = (xs: typeof all) =>
      xs.map((s) => `${s.attributes['server.address']}|${s.attributes['server.port']}`).sort();
    const expected = ['shop.example|8080', '::1|9090', 'shop.example|80', 'shop.example|8080'].sort();
    expect(pairs(servers)).toEqual(expected);
    expect(pairs(clients)).toEqual(expected);
  });

  it('makes no span for suppressed calls (the exporter) nor for ignored requests', async () => {
    await context.with(suppressTracing(context.active()), () => get('/items/1'));
    await get('/health');
    await new Promise((r) => setTimeout(r, 30));
    const all = exporter.getFinishedSpans();
    // The suppressed call sends no traceparent, so the server starts its own trace for it; /health has a CLIENT only.
    expect(all.map((s) => `${s.kind}:${s.attributes['url.path'] ?? s.attributes['url.full']}`).sort()).toEqual(
      [`${SpanKind.SERVER}:/items/1`, `${SpanKind.CLIENT}:${base}/health`].sort(),
    );
    expect(seenTraceparent[0]).toBeUndefined();
    expect(seenTraceparent[1]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});
