// The hand-written protobuf reader: every AnyValue kind, events, links, trace state, status, flags and unknown fields.
import { decodeOtlpProtobuf } from '@aiops/ingest';
import { spanRecord } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';
import { encodeOtlpRequest } from './otlp-proto.ts';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const doc = {
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
      scopeSpans: [
        {
          scope: { name: 'lib', version: '2', attributes: [{ key: 'scope.k', value: { boolValue: true } }] },
          spans: [
            {
              traceId: T,
              spanId: '00f067aa0ba902b7',
              parentSpanId: '00f067aa0ba902b6',
              traceState: 'vendor=x',
              flags: 0x301,
              name: 'op',
              kind: 'SPAN_KIND_PRODUCER',
              startTimeUnixNano: '1700000000000000001',
              endTimeUnixNano: '1700000000000000042',
              attributes: [
                { key: 's', value: { stringValue: 'héllo' } },
                { key: 'b', value: { boolValue: false } },
                { key: 'i', value: { intValue: '-9223372036854775808' } },
                { key: 'big', value: { intValue: '9007199254740993' } },
                { key: 'd', value: { doubleValue: 0.1 } },
                {
                  key: 'arr',
                  value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }, { boolValue: true }] } },
                },
                { key: 'kv', value: { kvlistValue: { values: [{ key: 'x', value: { doubleValue: 1.5 } }] } } },
                { key: 'bytes', value: { bytesValue: Buffer.from([0, 1, 2]) } },
              ],
              events: [
                {
                  timeUnixNano: '1700000000000000010',
                  name: 'exception',
                  attributes: [{ key: 'exception.type', value: { stringValue: 'E' } }],
                },
              ],
              links: [
                {
                  traceId: T,
                  spanId: '00000000000000aa',
                  traceState: 't=1',
                  attributes: [{ key: 'l', value: { intValue: '7' } }],
                },
              ],
              status: { code: 2, message: 'boom' },
            },
          ],
        },
      ],
    },
  ],
};

describe('decodeOtlpProtobuf', () => {
  const bytes = encodeOtlpRequest(doc);

  it('reads every field and AnyValue kind exactly', () => {
    const r = decodeOtlpProtobuf(bytes);
    expect(spanRecord(r.spans, 0)).toEqual({
      traceId: T,
      spanId: '00f067aa0ba902b7',
      parentSpanId: '00f067aa0ba902b6',
      parentRefType: 'child_of',
      service: 'checkout',
      operation: 'op',
      kind: 'producer',
      startTimeUnixNano: '1700000000000000001',
      durationNano: '41',
      statusCode: 'error',
      statusMessage: 'boom',
      attributes: {
        s: 'héllo',
        b: false,
        i: '-9223372036854775808',
        big: '9007199254740993',
        d: 0.1,
        arr: ['a', 2, true],
        kv: { x: 1.5 },
        bytes: 'AAEC',
      },
      resource: { 'service.name': 'checkout' },
      events: [{ timeUnixNano: '1700000000000000010', name: 'exception', attributes: { 'exception.type': 'E' } }],
      links: [{ traceId: T, spanId: '00000000000000aa', traceState: 't=1', attributes: { l: 7 } }],
    });
    expect(r.spans.stringAt('traceState', 0)).toBe('vendor=x');
    expect(r.spans.stringAt('errorType', 0)).toBe('E');
  });

  it('reads a Buffer at an offset inside a larger pooled allocation exactly as a plain Uint8Array', () => {
    // Node's receivers hand over Buffers that are views into bigger ArrayBuffers; the decoder reads them through a
    // plain Uint8Array view, which must start at the Buffer's offset.
    const pool = Buffer.alloc(bytes.length + 100, 0xff);
    pool.set(bytes, 37);
    const body = pool.subarray(37, 37 + bytes.length);
    expect(body.byteOffset).toBeGreaterThan(0);
    const fromBuffer = decodeOtlpProtobuf(body);
    expect(spanRecord(fromBuffer.spans, 0)).toEqual(spanRecord(decodeOtlpProtobuf(bytes).spans, 0));
    expect(fromBuffer.spans.stringAt('traceState', 0)).toBe('vendor=x');
    expect(spanRecord(fromBuffer.spans, 0).attributes).toMatchObject({ s: 'héllo', bytes: 'AAEC' });
  });

  it('skips unknown fields of every wire type', () => {
    // Append to the request: field 99 varint, field 98 fixed64, field 97 length-delimited, field 96 fixed32.
    const extra = new Uint8Array([
      0x98, 0x06, 0x05, 0x91, 0x06, 1, 2, 3, 4, 5, 6, 7, 8, 0x8a, 0x06, 2, 0x61, 0x62, 0x85, 0x06, 1, 2, 3, 4,
    ]);
    const joined = new Uint8Array(bytes.length + extra.length);
    joined.set(bytes);
    joined.set(extra, bytes.length);
    expect(decodeOtlpProtobuf(joined).spans.numSpans).toBe(1);
  });

  it('reports a truncated request with its byte offset', () => {
    expect(() => decodeOtlpProtobuf(bytes.subarray(0, bytes.length - 5), { source: 'cut.pb' })).toThrow(
      /^cut\.pb: byte \d+: truncated OTLP protobuf: /,
    );
  });
});
