// aiops serve with real clients: the OpenTelemetry JS SDK's OTLP gRPC, OTLP HTTP/protobuf, OTLP HTTP/JSON and Zipkin
// exporters send the trace of serve-fixtures/otel-trace.ts; it is read back through the query API and through
// `aiops trace --json` while the server runs, and every field is compared with what the SDK recorded.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OTLPTraceExporter as GrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ZipkinExporter } from '@opentelemetry/exporter-zipkin';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/serve/server.ts';
import { runCli } from './run-cli.ts';
import { hrNs, sendTrace } from './serve-fixtures/otel-trace.ts';

let dir: string;
let server: RunningServer;
let base: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-serve-'));
  server = await startServer({ store: dir, otlpGrpcPort: 0, otlpHttpPort: 0, zipkinPort: 0, queryPort: 0 });
  base = `http://127.0.0.1:${server.ports.query}`;
});
afterAll(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const KIND = ['internal', 'server', 'client', 'producer', 'consumer'];

interface SpanJson {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  service: string;
  operation: string;
  kind: string;
  startTimeUnixNano: string;
  durationNano: string;
  statusCode: string;
  statusMessage: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  events: { timeUnixNano: string; name: string; attributes: Record<string, unknown> }[];
}

async function traceFromApi(traceId: string): Promise<SpanJson[]> {
  const res = await fetch(`${base}/api/traces/${traceId}`);
  expect(res.status).toBe(200);
  const doc = (await res.json()) as { traceId: string; spanCount: number; spans: SpanJson[] };
  expect(doc.traceId).toBe(traceId);
  return doc.spans;
}

async function traceFromCli(traceId: string): Promise<SpanJson[]> {
  const r = await runCli(['trace', traceId, '--store', dir, '--json']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).spans;
}

/** Compares every OTLP field of the stored spans with the spans the SDK recorded. */
function expectSameAsSent(stored: SpanJson[], sent: ReadableSpan[], service: string): void {
  expect(stored).toHaveLength(sent.length);
  for (const s of sent) {
    const got = stored.find((x) => x.spanId === s.spanContext().spanId)!;
    expect(got).toBeDefined();
    expect(got.traceId).toBe(s.spanContext().traceId);
    expect(got.parentSpanId).toBe(s.parentSpanContext?.spanId ?? '');
    expect(got.service).toBe(service);
    expect(got.operation).toBe(s.name);
    expect(got.kind).toBe(KIND[s.kind]);
    expect(got.startTimeUnixNano).toBe(hrNs(s.startTime));
    expect(got.durationNano).toBe(hrNs(s.duration));
    expect(got.statusCode).toBe(['unset', 'ok', 'error'][s.status.code]);
    expect(got.statusMessage).toBe(s.status.message ?? '');
    expect(got.attributes).toEqual(s.attributes);
    expect(got.resource).toEqual(s.resource.attributes);
    expect(got.events).toEqual(
      s.events.map((e) => ({ timeUnixNano: hrNs(e.time), name: e.name, attributes: e.attributes ?? {} })),
    );
  }
}

describe('aiops serve with the OpenTelemetry JS exporters', () => {
  const cases: [string, () => SpanExporter][] = [
    ['OTLP gRPC', () => new GrpcExporter({ url: `http://127.0.0.1:${server.ports.otlpGrpc}` })],
    ['OTLP HTTP/protobuf', () => new ProtoExporter({ url: `http://127.0.0.1:${server.ports.otlpHttp}/v1/traces` })],
    ['OTLP HTTP/JSON', () => new JsonExporter({ url: `http://127.0.0.1:${server.ports.otlpHttp}/v1/traces` })],
  ];
  it.each(cases)('stores a trace sent over %s with every field intact', async (name, make) => {
    const service = `checkout-${name.replace(/\W+/g, '-').toLowerCase()}`;
    const sent = await sendTrace(make(), service);
    expect(sent).toHaveLength(3);
    const traceId = sent[0]!.spanContext().traceId;
    // The export was acknowledged, so the trace is queryable now: no waiting.
    expectSameAsSent(await traceFromApi(traceId), sent, service);
    expectSameAsSent(await traceFromCli(traceId), sent, service);
  });

  it('stores a trace sent over Zipkin with ids, names, kinds, µs times, tags and annotations', async () => {
    const sent = await sendTrace(
      new ZipkinExporter({ url: `http://127.0.0.1:${server.ports.zipkin}/api/v2/spans` }),
      'checkout-zipkin',
    );
    const traceId = sent[0]!.spanContext().traceId;
    for (const stored of [await traceFromApi(traceId), await traceFromCli(traceId)]) {
      expect(stored).toHaveLength(3);
      for (const s of sent) {
        const got = stored.find((x) => x.spanId === s.spanContext().spanId)!;
        expect(got.traceId).toBe(traceId);
        expect(got.parentSpanId).toBe(s.parentSpanContext?.spanId ?? '');
        expect(got.service).toBe('checkout-zipkin');
        expect(got.operation).toBe(s.name);
        // Zipkin has no INTERNAL kind: the exporter leaves it out.
        expect(got.kind).toBe(s.kind === 0 ? 'unspecified' : KIND[s.kind]);
        // Zipkin carries µs (the exporter writes fractional µs as a JSON number): equal to within 1 µs.
        const within1us = (a: string, b: string) => expect(Math.abs(Number(BigInt(a) - BigInt(b)))).toBeLessThan(1000);
        within1us(got.startTimeUnixNano, hrNs(s.startTime));
        within1us(got.durationNano, hrNs(s.duration));
        // Tags are strings in Zipkin.
        for (const [k, v] of Object.entries(s.attributes)) {
          expect(String(got.attributes[k])).toBe(Array.isArray(v) ? v.join(',') : String(v));
        }
        expect(got.statusCode).toBe(s.status.code === 2 ? 'error' : got.statusCode);
        expect(got.events.map((e) => e.name)).toEqual(s.events.map((e) => expect.stringContaining(e.name)));
        for (const [i, e] of got.events.entries()) within1us(e.timeUnixNano, hrNs(s.events[i]!.time));
      }
    }
  });

  it('answers search, services, operations and health for what was received', async () => {
    const search = await (
      await fetch(`${base}/api/traces?service=checkout-otlp-grpc&failed=true&minDuration=999ms`)
    ).json();
    expect(search.traces).toHaveLength(1);
    expect(search.traces[0]).toMatchObject({
      rootService: 'checkout-otlp-grpc',
      rootOperation: 'POST /checkout',
      spanCount: 3,
      durationNano: '1000000005',
      errorCount: 1,
    });
    const none = await (await fetch(`${base}/api/traces?service=checkout-otlp-grpc&minDuration=2s`)).json();
    expect(none.traces).toEqual([]);
    const services = (await (await fetch(`${base}/api/services`)).json()).services;
    expect(services).toEqual([
      'checkout-otlp-grpc',
      'checkout-otlp-http-json',
      'checkout-otlp-http-protobuf',
      'checkout-zipkin',
    ]);
    const ops = (await (await fetch(`${base}/api/operations?service=checkout-zipkin`)).json()).operations;
    expect(ops.map((o: { operation: string }) => o.operation)).toEqual(['POST /checkout', 'SELECT orders', 'render']);
    const health = await (await fetch(`${base}/api/health`)).json();
    expect(health).toMatchObject({ status: 'ok', spanCount: 12, traceCount: 4, pid: process.pid });
    expect(health.ingest.spansAccepted).toBe(12);
    const deps = await (await fetch(`${base}/api/dependencies`)).json();
    expect(deps.traceCount).toBe(4);
  });

  it('lets search-traces run through the server while it holds the store', async () => {
    const r = await runCli(['search-traces', '--store', dir, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).traces).toHaveLength(4);
  });
});
