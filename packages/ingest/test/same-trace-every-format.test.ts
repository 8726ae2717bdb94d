// Product brief AC 1: one trace of 5 services and 8 spans, written as OTLP JSON, OTLP protobuf, Jaeger JSON and
// Zipkin v2 JSON, is rebuilt identically from each: every parent/child link, timestamps exact to the microsecond,
// every tag kept.
//
//   µs after 1700000000.123456 s
//   1 frontend  GET /checkout (server, error)  |==================================================| 0..250000
//   2 frontend  POST /cart (client)              |=======|                                          5000..45000
//   3 cart      POST /cart/items (server)         |======|                                          8000..42000
//   4 inventory reserve (server)                    |====|                                          15000..38000
//   5 frontend  charge (client, error)                      |=====================================| 50000..240000
//   6 payment   PaymentService/Charge (server, error, exception at 237000)                         52000..238000
//   7 payment   SELECT payments (client)                      |================================|   60000..230000
//   8 shipping  quote (server, event cache.miss at 242000)                                     |=| 241000..249500
import { readFileSync } from 'node:fs';
import { decodeJaegerJson, decodeOtlpJson, decodeOtlpProtobuf, decodeTraces, decodeZipkinJson } from '@aiops/ingest';
import { buildTraceTree, type SpanRecord, type SpanTable, spanRecord } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { encodeOtlpRequest } from './otlp-proto.ts';

const dir = new URL('./fixtures/ac1/', import.meta.url);
const otlpText = readFileSync(new URL('trace.otlp.json', dir), 'utf8');
const jaegerText = readFileSync(new URL('trace.jaeger.json', dir), 'utf8');
const zipkinText = readFileSync(new URL('trace.zipkin.json', dir), 'utf8');

function records(t: SpanTable): SpanRecord[] {
  return Array.from({ length: t.numSpans }, (_, i) => spanRecord(t, i)).sort((a, b) => (a.spanId < b.spanId ? -1 : 1));
}

// Tags Jaeger's OTLP translator writes for fields OTLP has natively (kind, status, scope): kept, but not OTLP attributes.
const JAEGER_TRANSLATION_TAGS = [
  'span.kind',
  'otel.status_code',
  'otel.status_description',
  'error',
  'otel.scope.name',
  'otel.scope.version',
];
function without(attrs: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(attrs).filter(([k]) => !keys.includes(k)));
}

describe('the same trace from every format', () => {
  const fromJson = records(decodeOtlpJson(otlpText).spans);
  const protoBytes = encodeOtlpRequest(JSON.parse(otlpText));

  it('decodes all 8 spans of 5 services with the tree drawn above', () => {
    expect(fromJson).toHaveLength(8);
    expect(new Set(fromJson.map((r) => r.service))).toEqual(
      new Set(['frontend', 'cart', 'inventory', 'payment', 'shipping']),
    );
    expect(fromJson.map((r) => [r.spanId.slice(0, 1), r.parentSpanId.slice(0, 1), r.service])).toEqual([
      ['1', '', 'frontend'],
      ['2', '1', 'frontend'],
      ['3', '2', 'cart'],
      ['4', '3', 'inventory'],
      ['5', '1', 'frontend'],
      ['6', '5', 'payment'],
      ['7', '6', 'payment'],
      ['8', '1', 'shipping'],
    ]);
    expect(fromJson[0]!.startTimeUnixNano).toBe('1700000000123456000');
    expect(fromJson[3]!.startTimeUnixNano).toBe('1700000000138456000');
    expect(fromJson[3]!.durationNano).toBe('23000000');
    expect(fromJson[2]!.attributes).toEqual({
      'http.request.method': 'POST',
      'http.route': '/cart/items',
      'http.response.status_code': 200,
      'cart.items': 3,
      'cart.total': 59.97,
      'cart.guest': true,
    });
    expect(fromJson[5]).toMatchObject({ statusCode: 'error', statusMessage: 'card declined', kind: 'server' });
    const tree = buildTraceTree(decodeOtlpJson(otlpText).spans);
    expect(tree.issues.orphans).toHaveLength(0);
  });

  it('OTLP protobuf gives exactly the records of OTLP JSON', () => {
    expect(decodeTraces(protoBytes).format).toBe('otlp-proto');
    expect(records(decodeOtlpProtobuf(protoBytes).spans)).toEqual(fromJson);
  });

  it('Jaeger JSON gives the same records, the translator tags kept as extra attributes', () => {
    const jaeger = records(decodeJaegerJson(jaegerText).spans);
    expect(jaeger).toHaveLength(8);
    for (let i = 0; i < 8; i++) {
      const j = jaeger[i]!;
      expect({ ...j, attributes: without(j.attributes, JAEGER_TRANSLATION_TAGS) }).toEqual(fromJson[i]);
      expect(j.attributes['span.kind']).toBe(fromJson[i]!.kind);
    }
  });

  it('Zipkin JSON gives the same tree, times, kinds, status and tags (Zipkin tags are strings)', () => {
    const zipkin = records(decodeZipkinJson(zipkinText).spans);
    expect(zipkin).toHaveLength(8);
    for (let i = 0; i < 8; i++) {
      const z = zipkin[i]!;
      const o = fromJson[i]!;
      const { attributes: za, events: ze, resource: zr, ...zRest } = z;
      const { attributes: oa, events: oe, resource: or, ...oRest } = o;
      expect(zRest).toEqual(oRest);
      expect(zr['service.name']).toBe(or['service.name']);
      const asText = (a: Record<string, unknown>) =>
        Object.fromEntries(Object.entries(a).map(([k, v]) => [k, String(v)]));
      expect(asText(without(za, ['error']))).toEqual(asText(oa));
      // Annotations carry a name and a time only.
      expect(ze.map((e) => [e.name, e.timeUnixNano])).toEqual(oe.map((e) => [e.name, e.timeUnixNano]));
    }
    expect(zipkin[1]!.attributes).toMatchObject({
      'peer.service': 'cart',
      'server.address': '10.0.0.12',
      'server.port': 8080,
    });
  });
});
