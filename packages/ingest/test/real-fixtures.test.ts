// Real files written by Jaeger, Zipkin and OpenTelemetry for their own tests (see fixtures/SOURCES.md) decode with
// the expected counts, links, services and exact times.
import { readFileSync } from 'node:fs';
import { type DecodeResult, decodeTraces } from '@aiops/ingest';
import { buildTraceTree, type SpanRecord, spanRecord } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';

const fixture = (p: string): Uint8Array => readFileSync(new URL(`./fixtures/${p}`, import.meta.url));
const decode = (p: string): DecodeResult => decodeTraces(fixture(p), { source: p });
const all = (r: DecodeResult): SpanRecord[] =>
  Array.from({ length: r.spans.numSpans }, (_, i) => spanRecord(r.spans, i));

describe('real OTLP JSON files', () => {
  it('reads the opentelemetry-proto example with upper-case hex ids and scope attributes', () => {
    const r = decode('otlp/otel-proto-example-trace.json');
    expect(r.format).toBe('otlp-json');
    const [s] = all(r);
    expect(s).toMatchObject({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: 'eee19b7ec3c1b173',
      service: 'my.service',
      operation: "I'm a server span",
      kind: 'server',
      startTimeUnixNano: '1544712660000000000',
      durationNano: '1000000000',
      attributes: { 'my.span.attr': 'some value' },
    });
    expect(r.spans.stringAt('scope', 0)).toBe(
      JSON.stringify({
        name: 'my.library',
        version: '1.0.0',
        attributes: [['my.scope.attribute', 0, 'some scope attribute']],
      }),
    );
  });

  it('reads Jaeger storage fixtures: three resources, events, kinds', () => {
    const r = decode('otlp/jaeger-storage-example_trace.json');
    const spans = all(r);
    expect(spans.map((s) => `${s.service}:${s.spanId.slice(-1)}:${s.kind}`)).toEqual([
      'example-service-2:4:unspecified',
      'example-service-3:5:unspecified',
      'example-service-1:3:unspecified',
      'example-service-1:6:server',
      'example-service-1:7:client',
    ]);
    expect(spans[0]!.durationNano).toBe('100000');
    expect(spans[0]!.events).toHaveLength(2);
  });

  it('keeps every typed link attribute (string, int, bool, double, bytes)', () => {
    const [s] = all(decode('otlp/jaeger-storage-link_attributes_trace.json'));
    expect(s!.links[0]).toEqual({
      traceId: '000000000000000000000000000000ff',
      spanId: '00000000000000ff',
      traceState: '',
      attributes: {
        'opentracing.ref_type': 'child_of',
        sameplacelinkattribute1: 'sameplacevalue',
        sameplacelinkattribute2: 123,
        sameplacelinkattribute4: true,
        sameplacelinkattribute3: 72.5,
        linkblob: 'AAAwOQ==',
      },
    });
  });

  it('reads the same trace from OTLP JSON and from Jaeger query JSON identically (duplicates kept)', () => {
    const otlp = all(decode('otlp/jaeger-query-otlp2jaeger-in.json'));
    const jaeger = all(decode('jaeger/jaeger-query-otlp2jaeger-out.json'));
    expect(otlp).toHaveLength(2);
    const strip = (s: SpanRecord) => ({
      ...s,
      attributes: Object.fromEntries(
        Object.entries(s.attributes).filter(([k]) => !['span.kind', 'otel.scope.name'].includes(k)),
      ),
    });
    expect(jaeger.map(strip)).toEqual(otlp);
    expect(otlp[0]).toMatchObject({
      parentSpanId: '909541b92cf05311',
      startTimeUnixNano: '1706678909209712000',
      durationNano: '123000',
    });
    expect(
      buildTraceTree(decode('jaeger/jaeger-query-otlp2jaeger-out.json').spans).issues.duplicateSpanIds,
    ).toHaveLength(1);
  });
});

describe('real Jaeger JSON files', () => {
  const r = decode('jaeger/ui_01.json');
  const spans = all(r);

  it('reads a bare UI trace with processes, typed tags and logs', () => {
    expect(r.format).toBe('jaeger');
    expect(spans).toHaveLength(5);
    expect(spans.map((s) => s.service)).toEqual(['service-x', 'service-x', 'service-y', 'service-y', 'service-y']);
    expect(spans[0]!.startTimeUnixNano).toBe('1485467191639875000');
    expect(spans[0]!.durationNano).toBe('5000');
    expect(spans[0]!.events).toEqual([
      { timeUnixNano: '1485467191639875000', name: 'some-event', attributes: {} },
      { timeUnixNano: '1485467191639875000', name: '', attributes: { x: 'y' } },
    ]);
    expect(spans[1]!.attributes).toEqual({
      'peer.service': 'service-y',
      'peer.ipv4': 23456,
      error: true,
      temperature: 72.5,
      javascript_limit: '9223372036854775222',
      blob: 'AAAwOQ==',
    });
    expect(spans[1]!.statusCode).toBe('error');
  });

  it('takes the first CHILD_OF in the same trace as parent and keeps the other references as links', () => {
    expect(spans[3]).toMatchObject({
      spanId: '0000000000000004',
      parentSpanId: '0000000000000002',
      parentRefType: 'child_of',
    });
    expect(
      spans[3]!.links.map((l) => [l.traceId.slice(-2), l.spanId.slice(-2), l.attributes['opentracing.ref_type']]),
    ).toEqual([
      ['ff', 'ff', 'child_of'],
      ['01', '02', 'follows_from'],
    ]);
    expect(spans[4]!.parentSpanId).toBe('0000000000000004');
  });

  it('returns the trace and span warnings', () => {
    expect(r.warnings).toEqual([
      'trace 0000000000000001: Jaeger warning: some trace warning',
      'span 0000000000000004: Jaeger warning: some span warning',
      'span 0000000000000005: Jaeger warning: some span warning',
    ]);
  });

  it('uses FOLLOWS_FROM as the parent when there is no CHILD_OF', () => {
    const doc = {
      traceID: 'ab',
      spans: [
        { traceID: 'ab', spanID: '01', operationName: 'producer', startTime: 10, duration: 5, processID: 'p' },
        {
          traceID: 'ab',
          spanID: '02',
          operationName: 'consumer',
          startTime: 20,
          duration: 5,
          processID: 'p',
          references: [{ refType: 'FOLLOWS_FROM', traceID: 'ab', spanID: '01' }],
        },
      ],
      processes: { p: { serviceName: 'queue', tags: [] } },
    };
    const [, consumer] = all(decodeTraces(JSON.stringify(doc)));
    expect(consumer).toMatchObject({ parentSpanId: '0000000000000001', parentRefType: 'follows_from', links: [] });
  });
});

describe('real Zipkin v2 files', () => {
  it('splits shared client/server spans and hangs the server under its client (ascend.json)', () => {
    const r = decode('zipkin/ascend.json');
    expect(r.format).toBe('zipkin');
    expect(r.spans.numSpans).toBe(8);
    expect(r.sharedSpansSplit).toBe(2);
    const spans = all(r);
    const server = spans.find((s) => s.operation === 'get /content/personal')!;
    expect(server.parentSpanId).toBe('ecc00062ceef4bf0');
    expect(server.spanId).not.toBe('ecc00062ceef4bf0');
    expect(server.attributes['zipkin.shared_span_id']).toBe('ecc00062ceef4bf0');
    // The content-service client call made inside the server now hangs under the server half.
    const inner = spans.find((s) => s.spanId === 'c21c6c51ac71b3ba')!;
    expect(inner.parentSpanId).toBe(server.spanId);
    const tree = buildTraceTree(r.spans);
    expect(tree.issues.duplicateSpanIds).toHaveLength(0);
    expect(tree.issues.orphans).toHaveLength(0);
    const authServer = spans.find((s) => s.service === 'auth-service' && s.kind === 'server')!;
    expect(authServer.parentSpanId).toBe('52b1ab4956917c39');
    expect(spans.find((s) => s.spanId === '80c0d1d62f437a1b')!.parentSpanId).toBe(authServer.spanId);
    expect(spans.find((s) => s.spanId === 'e6422f7ff7d78099')!.parentSpanId).toBe(server.spanId);
    expect(spans[0]).toMatchObject({
      traceId: '0000000000000000ef86c83c0a05a6d6',
      service: 'mobile-gateway',
      kind: 'client',
      startTimeUnixNano: '1531282088548312000',
      durationNano: '20333000',
    });
  });

  it('reads remote endpoints, annotations and otel status tags (collector-sample3.json)', () => {
    const [s] = all(decode('zipkin/collector-sample3.json'));
    expect(s).toMatchObject({
      traceId: '4d1e00c0db9010db86154a4ba6e91385',
      service: 'unknown_service',
      kind: 'client',
      statusCode: 'error',
      statusMessage: 'Something failed',
      events: [
        { timeUnixNano: '1472470996238000000', name: 'foo', attributes: {} },
        { timeUnixNano: '1472470996403000000', name: 'bar', attributes: {} },
      ],
    });
    expect(s!.attributes).toMatchObject({
      'peer.service': 'backend',
      'server.address': '192.168.99.101',
      'server.port': 9000,
    });
  });

  it.each([
    ['zipkin/envoy.json', 1, 0],
    ['zipkin/messaging.json', 4, 0],
    ['zipkin/messaging2.json', 11, 0],
    ['zipkin/simple-db-p6.json', 5, 0],
    ['zipkin/yelp.json', 16, 3],
  ])('decodes %s: %i spans, %i shared spans split, no span lost', (file, count, split) => {
    const r = decode(file);
    expect(r.spans.numSpans).toBe(count);
    expect(r.sharedSpansSplit).toBe(split);
    expect(r.rejected).toEqual([]);
    expect(buildTraceTree(r.spans).issues.duplicateSpanIds).toHaveLength(0);
  });
});
