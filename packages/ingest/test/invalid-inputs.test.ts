// Bad input gives a clear IngestError naming the file and the position; individual bad spans are counted by reason
// while the valid spans of the same input are kept.
import { readFileSync } from 'node:fs';
import {
  decodeOtlpJson,
  decodeTraces,
  decodeZipkinJson,
  IngestError,
  isIngestError,
  rejectedCount,
} from '@aiops/ingest';
import { spanRecord } from '@aiops/span-model';
import { describe, expect, it } from 'vitest';

function errorOf(fn: () => unknown): IngestError {
  try {
    fn();
  } catch (e) {
    if (isIngestError(e)) return e;
    throw e;
  }
  throw new Error('expected an IngestError');
}

const fixture = (p: string): Uint8Array => readFileSync(new URL(`./fixtures/${p}`, import.meta.url));

describe('broken fixtures from Jaeger (invalid/*.json)', () => {
  it.each([
    ['invalid/trace_empty.json', 'EMPTY_INPUT', '', 'invalid/trace_empty.json: the input is empty'],
    [
      'invalid/trace_scan_error.json',
      'INVALID_JSON',
      'line 2 column 1 (byte 79)',
      "invalid/trace_scan_error.json: line 2 column 1 (byte 79): invalid JSON: unexpected ']' after ',' (trailing comma)",
    ],
    [
      'invalid/trace_wrong_format.json',
      'WRONG_TYPE',
      '',
      'invalid/trace_wrong_format.json: this is a single Jaeger span (keys traceID, spanID, duration), not a trace: expected {"data":[{traceID, spans, processes}]} or {traceID, spans, processes}',
    ],
    [
      'invalid/trace_invalid_json.json',
      'NO_VALID_SPANS',
      '[0]',
      'invalid/trace_invalid_json.json: [0]: no valid span: all 1 rejected (1 wrong type); first: duration: expected microseconds, got a string ("invalid")',
    ],
  ])('%s → %s', (file, code, position, message) => {
    const err = errorOf(() => decodeTraces(fixture(file), { source: file }));
    expect(err).toBeInstanceOf(IngestError);
    expect([err.code, err.file, err.position, err.message]).toEqual([code, file, position, message]);
  });
});

describe('errors for broken inputs', () => {
  it('reports truncated JSON with line and column', () => {
    const err = errorOf(() => decodeTraces('{"resourceSpans": [\n  {"resource": {', { source: 'cut.json' }));
    expect(err.code).toBe('TRUNCATED_JSON');
    expect(err.message).toBe(
      "cut.json: line 2 column 17 (byte 36): truncated JSON: input ends where a property name or '}' was expected",
    );
  });

  it('reports truncated protobuf with the byte offset', () => {
    const bytes = new Uint8Array([0x0a, 0x10, 0x12, 0x0e, 0x12, 0x0c, 0x0a, 0x10, 1, 2, 3]);
    const err = errorOf(() => decodeTraces(bytes, { source: 'cut.pb' }));
    expect(err.code).toBe('TRUNCATED_PROTOBUF');
    expect(err.message).toBe(
      'cut.pb: byte 2: truncated OTLP protobuf: a field of 16 bytes runs past the end of its message',
    );
  });

  it('names an unknown format and what the input starts with', () => {
    const err = errorOf(() => decodeTraces('{"hello": "world"}', { source: 'x.json' }));
    expect(err.code).toBe('UNKNOWN_FORMAT');
    expect(err.message).toContain(
      'x.json: byte 0: not a trace format aiops reads (input starts with "{\\"hello\\": \\"world\\"}")',
    );
    expect(errorOf(() => decodeTraces(new TextEncoder().encode('hello'), { source: 'h.txt' })).code).toBe(
      'UNKNOWN_FORMAT',
    );
  });

  it('reports a wrong structure with its JSON path', () => {
    const err = errorOf(() =>
      decodeOtlpJson('{"resourceSpans":[{"scopeSpans":[{"spans":{}}]}]}', { source: 'w.json' }),
    );
    expect([err.code, err.position]).toEqual(['WRONG_TYPE', 'resourceSpans[0].scopeSpans[0].spans']);
  });

  it('rejects Zipkin v1 JSON as unsupported', () => {
    const v1 = '[{"traceId":"a","id":"b","name":"x","annotations":[],"binaryAnnotations":[]}]';
    expect(errorOf(() => decodeZipkinJson(v1)).code).toBe('UNSUPPORTED_FORMAT');
  });

  it('lets a forced format override detection', () => {
    const err = errorOf(() => decodeTraces('{"resourceSpans":[]}', { format: 'zipkin', source: 'f.json' }));
    expect(err.message).toBe('f.json: expected Zipkin v2 JSON (an array of spans), got an object');
  });
});

describe('rejected spans', () => {
  //   spans[0] ok                      kept
  //   spans[1] no spanId               missing span id
  //   spans[2] startTimeUnixNano: true wrong type
  //   spans[3] traceId 'xyz'           invalid trace id
  //   spans[4] end before start        end before start
  //   spans[5] ok                      kept
  const T = '0af7651916cd43dd8448eb211c80319c';
  const span = (o: object) => ({ traceId: T, name: 'op', startTimeUnixNano: '1000', endTimeUnixNano: '2000', ...o });
  const doc = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'api' } }] },
        scopeSpans: [
          {
            spans: [
              span({ spanId: '00000000000000a1', attributes: [{ key: 'k', value: { intValue: '1' } }] }),
              span({}),
              span({
                spanId: '00000000000000a3',
                startTimeUnixNano: true,
                attributes: [{ key: 'bad', value: { stringValue: 'x' } }],
              }),
              span({ spanId: '00000000000000a4', traceId: 'xyz' }),
              span({ spanId: '00000000000000a5', endTimeUnixNano: '500' }),
              span({ spanId: '00000000000000a6', attributes: [{ key: 'k', value: { intValue: '6' } }] }),
            ],
          },
        ],
      },
    ],
  };

  it('keeps the valid spans and counts the others by reason with their positions', () => {
    const r = decodeOtlpJson(JSON.stringify(doc));
    expect(r.spans.numSpans).toBe(2);
    expect([0, 1].map((i) => [spanRecord(r.spans, i).spanId, spanRecord(r.spans, i).attributes])).toEqual([
      ['00000000000000a1', { k: 1 }],
      ['00000000000000a6', { k: 6 }],
    ]);
    expect(rejectedCount(r)).toBe(4);
    expect(r.rejected).toEqual([
      {
        reason: 'missing span id',
        count: 1,
        examples: [{ position: 'resourceSpans[0].scopeSpans[0].spans[1]', message: 'missing span id' }],
      },
      {
        reason: 'wrong type',
        count: 1,
        examples: [
          {
            position: 'resourceSpans[0].scopeSpans[0].spans[2]',
            message: 'startTimeUnixNano: expected nanoseconds as a decimal string, got a boolean (true)',
          },
        ],
      },
      {
        reason: 'invalid trace id',
        count: 1,
        examples: [{ position: 'resourceSpans[0].scopeSpans[0].spans[3]', message: 'invalid trace id' }],
      },
      {
        reason: 'end before start',
        count: 1,
        examples: [{ position: 'resourceSpans[0].scopeSpans[0].spans[4]', message: 'end before start' }],
      },
    ]);
  });

  it('rejects a Zipkin span without timestamp or annotations but keeps one with annotations', () => {
    const z = [
      { traceId: 'a1', id: 'b1', name: 'no-time' },
      {
        traceId: 'a1',
        id: 'b2',
        name: 'annotated',
        annotations: [
          { timestamp: 10, value: 'cs' },
          { timestamp: 25, value: 'cr' },
        ],
      },
    ];
    const r = decodeZipkinJson(JSON.stringify(z));
    expect(r.spans.numSpans).toBe(1);
    expect(spanRecord(r.spans, 0)).toMatchObject({ startTimeUnixNano: '10000', durationNano: '15000' });
    expect(r.rejected).toEqual([
      { reason: 'missing start time', count: 1, examples: [{ position: '[0]', message: 'missing start time' }] },
    ]);
    expect(r.warnings).toEqual(['1 Zipkin spans have no timestamp: start and duration taken from their annotations']);
  });
});
