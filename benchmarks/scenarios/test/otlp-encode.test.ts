import { decodeOtlpProtobuf } from '@aiops/ingest';
import { AttributeType, ParentRefType, SpanKind, StatusCode, spanTableFromRows } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { OtlpExportRequest } from '../../../packages/ingest/test/otlp-proto.ts';
import { generateScenario } from '../index.ts';
import { spanTableToOtlpJson, spanTableToOtlpProtobuf } from '../otlp-encode.ts';

// opentelemetry-proto trace/common/resource messages as a protobufjs JSON descriptor (field numbers from the .proto).
const Request = OtlpExportRequest;
const hex8 = (ids: Uint8Array, i: number) => Buffer.from(ids.subarray(i * 8, i * 8 + 8)).toString('hex');
const toObject = (bytes: Uint8Array) =>
  Request.toObject(Request.decode(bytes), { longs: String, bytes: String, defaults: false, oneofs: false });

// One hand-made trace covering every value type:
//   0 api  GET /orders  |==============================|  0..100 ms  server
//   1 api  SELECT        |======|                          10..40     client, error, exception event
//   2 worker process orders        ...follows from 1       120..150   consumer
const small = spanTableFromRows([
  {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    service: 'api',
    operation: 'GET /orders',
    kind: 'server',
    startUnixNano: 1_735_689_600_000_000_000n,
    durationNano: 100_000_000n,
    attributes: {
      'http.response.status_code': 200,
      ratio: 0.25,
      ok: true,
      tags: ['a', 1],
      big: -42n,
      nested: { x: 'y' },
    },
    resource: { 'service.version': '1.2.3' },
  },
  {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b8',
    parentSpanId: '00f067aa0ba902b7',
    service: 'api',
    operation: 'SELECT orders',
    kind: 'client',
    statusCode: 'error',
    statusMessage: 'boom',
    startUnixNano: 1_735_689_600_010_000_000n,
    durationNano: 30_000_000n,
    attributes: { 'db.system': 'postgresql', 'db.statement': 'SELECT * FROM orders WHERE id = $1 -- ünïcode ✓' },
    events: [
      {
        timeUnixNano: 1_735_689_600_039_000_000n,
        name: 'exception',
        attributes: { 'exception.type': 'QueryFailedError', 'exception.message': 'boom' },
      },
    ],
    resource: { 'service.version': '1.2.3' },
  },
  {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b9',
    parentSpanId: '00f067aa0ba902b8',
    parentRefType: 'follows_from',
    service: 'worker',
    operation: 'process orders',
    kind: 'consumer',
    startUnixNano: 1_735_689_600_120_000_000n,
    durationNano: 30_000_000n,
  },
]);

describe('spanTableToOtlpProtobuf', () => {
  it('decodes with protobufjs against the opentelemetry-proto field numbers', () => {
    const msg = toObject(spanTableToOtlpProtobuf(small)) as {
      resourceSpans: {
        resource: { attributes: { key: string; value: Record<string, unknown> }[] };
        scopeSpans: { spans: Record<string, unknown>[] }[];
      }[];
    };
    expect(msg.resourceSpans).toHaveLength(2);
    const api = msg.resourceSpans[0]!;
    expect(api.resource.attributes).toEqual([
      { key: 'service.name', value: { stringValue: 'api' } },
      { key: 'service.version', value: { stringValue: '1.2.3' } },
    ]);
    const [server, client] = api.scopeSpans[0]!.spans as Record<string, unknown>[];
    expect(Buffer.from(server!.traceId as string, 'base64').toString('hex')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(Buffer.from(server!.spanId as string, 'base64').toString('hex')).toBe('00f067aa0ba902b7');
    expect(server!.parentSpanId).toBeUndefined();
    expect(server!.name).toBe('GET /orders');
    expect(server!.kind).toBe(SpanKind.Server);
    expect(server!.startTimeUnixNano).toBe('1735689600000000000');
    expect(server!.endTimeUnixNano).toBe('1735689600100000000');
    expect(server!.attributes).toEqual([
      { key: 'http.response.status_code', value: { intValue: '200' } },
      { key: 'ratio', value: { doubleValue: 0.25 } },
      { key: 'ok', value: { boolValue: true } },
      { key: 'tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '1' }] } } },
      { key: 'big', value: { intValue: '-42' } },
      { key: 'nested', value: { kvlistValue: { values: [{ key: 'x', value: { stringValue: 'y' } }] } } },
    ]);
    expect(client!.status).toEqual({ message: 'boom', code: StatusCode.Error });
    expect((client!.attributes as { value: { stringValue: string } }[])[1]!.value.stringValue).toContain('ünïcode ✓');
    expect(client!.events).toEqual([
      {
        timeUnixNano: '1735689600039000000',
        name: 'exception',
        attributes: [
          { key: 'exception.type', value: { stringValue: 'QueryFailedError' } },
          { key: 'exception.message', value: { stringValue: 'boom' } },
        ],
      },
    ]);
    const consumer = msg.resourceSpans[1]!.scopeSpans[0]!.spans[0]!;
    expect(consumer.kind).toBe(SpanKind.Consumer);
    expect(Buffer.from(consumer.parentSpanId as string, 'base64').toString('hex')).toBe('00f067aa0ba902b8');
    expect((consumer.links as { attributes: unknown[] }[])[0]!.attributes).toEqual([
      { key: 'opentracing.ref_type', value: { stringValue: 'follows_from' } },
    ]);
  });

  it('round-trips a generated scenario through the ingest protobuf decoder', () => {
    const { table } = generateScenario({ seed: 3, durationSeconds: 5, backgroundErrorRate: 0.05 });
    const decoded = decodeOtlpProtobuf(spanTableToOtlpProtobuf(table)).spans;
    expect(decoded.numSpans).toBe(table.numSpans);
    // Rows are regrouped by resource: compare span by span id.
    const index = new Map<string, number>();
    for (let i = 0; i < decoded.numSpans; i++) index.set(hex8(decoded.columns.spanId, i), i);
    const a = table.columns;
    const b = decoded.columns;
    let errors = 0;
    for (let i = 0; i < table.numSpans; i++) {
      const j = index.get(hex8(a.spanId, i))!;
      expect(b.startUnixNano[j]).toBe(a.startUnixNano[i]);
      expect(b.durationNano[j]).toBe(a.durationNano[i]);
      expect(b.kind[j]).toBe(a.kind[i]);
      expect(b.statusCode[j]).toBe(a.statusCode[i]);
      expect(b.httpStatusCode[j]).toBe(a.httpStatusCode[i]);
      expect(decoded.stringAt('service', j)).toBe(table.stringAt('service', i));
      expect(decoded.stringAt('operation', j)).toBe(table.stringAt('operation', i));
      expect(decoded.stringAt('dbStatement', j)).toBe(table.stringAt('dbStatement', i));
      expect(decoded.stringAt('errorType', j)).toBe(table.stringAt('errorType', i));
      expect(decoded.stringAt('host', j)).toBe(table.stringAt('host', i));
      expect(hex8(b.parentSpanId, j)).toBe(hex8(a.parentSpanId, i));
      expect(b.attrOffsets[j + 1]! - b.attrOffsets[j]!).toBe(a.attrOffsets[i + 1]! - a.attrOffsets[i]!);
      if (a.statusCode[i] === StatusCode.Error) errors++;
    }
    expect(errors).toBeGreaterThan(0);
  });

  it('encodes a row range only', () => {
    const all = toObject(spanTableToOtlpProtobuf(small, { start: 1, end: 2 })) as {
      resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
    };
    expect(all.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans.map((x) => x.name)))).toEqual([
      'SELECT orders',
    ]);
    expect(() => spanTableToOtlpProtobuf(small, { start: 2, end: 9 })).toThrow(RangeError);
  });
});

describe('spanTableToOtlpJson', () => {
  it('writes the same spans as the protobuf encoder', () => {
    const { table } = generateScenario({ seed: 3, durationSeconds: 2 });
    const fromJson = JSON.parse(spanTableToOtlpJson(table));
    const fromProto = toObject(spanTableToOtlpProtobuf(table));
    const flat = (doc: { resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[] }) =>
      doc.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans));
    const j = flat(fromJson);
    const p = flat(fromProto as never);
    expect(j).toHaveLength(table.numSpans);
    expect(p).toHaveLength(table.numSpans);
    for (let i = 0; i < j.length; i++) {
      expect(j[i]!.spanId).toBe(Buffer.from(p[i]!.spanId as string, 'base64').toString('hex'));
      expect(j[i]!.name).toBe(p[i]!.name);
      expect(j[i]!.startTimeUnixNano).toBe(p[i]!.startTimeUnixNano);
      expect(j[i]!.endTimeUnixNano).toBe(p[i]!.endTimeUnixNano);
      expect(j[i]!.kind).toBe(p[i]!.kind ?? 0);
      expect(j[i]!.attributes).toEqual(p[i]!.attributes);
    }
  });

  it('writes OTLP/JSON with hex ids, decimal times and integer enums', () => {
    const doc = JSON.parse(spanTableToOtlpJson(small));
    const span = doc.resourceSpans[0].scopeSpans[0].spans[1];
    expect(span.traceId).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(span.parentSpanId).toBe('00f067aa0ba902b7');
    expect(span.kind).toBe(SpanKind.Client);
    expect(span.startTimeUnixNano).toBe('1735689600010000000');
    expect(span.status).toEqual({ message: 'boom', code: 2 });
    expect(doc.resourceSpans[0].scopeSpans[0].spans[0].attributes[0]).toEqual({
      key: 'http.response.status_code',
      value: { intValue: '200' },
    });
    void AttributeType;
    void ParentRefType;
  });
});
