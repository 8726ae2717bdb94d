import { tableFromIPC, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { normalizeId, normalizeTraceId } from './ids.ts';
import { spanRecord, spanTableFromRows } from './records.ts';
import { AttributeType, SpanKind, StatusCode } from './schema.ts';
import { isSpanTable } from './span-table.ts';
import { SpanTableBuilder } from './span-table-builder.ts';
import { concatSpanTables, spanTableFromArrow, takeSpans } from './transform.ts';

describe('SpanTableBuilder', () => {
  it('keeps every field and fills derived semantic-convention columns', () => {
    const b = new SpanTableBuilder({ initialCapacity: 1 });
    b.setResource([
      ['service.name', AttributeType.String, 'inventory'],
      ['host.name', AttributeType.String, 'node-7'],
      ['service.version', AttributeType.String, '1.4.2'],
    ]);
    b.setScope('@opentelemetry/instrumentation-pg', '0.50.0');
    b.beginSpan();
    b.setTraceId('5B8EFFF798038103D269B633813FC60C');
    b.setSpanId('EEE19B7EC3C1B174');
    b.setParentSpanId('EEE19B7EC3C1B173');
    b.setOperation('SELECT stock');
    b.setKind(SpanKind.Client);
    b.setStartEndUnixNano(1_544_712_660_000_000_123n, 1_544_712_661_000_000_456n);
    b.setStatus(StatusCode.Error, 'timeout');
    b.addAttribute('db.system', AttributeType.String, 'postgresql');
    b.addAttribute('db.statement', AttributeType.String, 'SELECT * FROM stock WHERE sku = $1');
    b.addAttribute('http.status_code', AttributeType.Int, '503');
    b.addAttribute('retry', AttributeType.Bool, 'true');
    b.addAttribute('big', AttributeType.Int, '9007199254740993');
    b.addEvent({
      timeUnixNano: 1_544_712_660_500_000_000n,
      name: 'exception',
      attributes: [
        ['exception.type', AttributeType.String, 'TimeoutError'],
        ['exception.message', AttributeType.String, 'query timed out'],
      ],
    });
    b.addLink({ traceId: 'AAAAAAAAAAAAAAAAAAAAAQ==', spanId: '0000000000000002' });
    expect(b.commitSpan()).toBeUndefined();
    // A span without a span id is rejected and rolled back; later spans are kept.
    b.beginSpan();
    b.setTraceId('5b8efff798038103d269b633813fc60c');
    b.addAttribute('lost', AttributeType.String, 'x');
    expect(b.commitSpan()).toBe('missing span id');
    const t = b.finish();
    expect(t.numSpans).toBe(1);
    expect(isSpanTable(t)).toBe(true);
    expect(spanRecord(t, 0)).toEqual({
      traceId: '5b8efff798038103d269b633813fc60c',
      spanId: 'eee19b7ec3c1b174',
      parentSpanId: 'eee19b7ec3c1b173',
      parentRefType: 'child_of',
      service: 'inventory',
      operation: 'SELECT stock',
      kind: 'client',
      startTimeUnixNano: '1544712660000000123',
      durationNano: '1000000333',
      statusCode: 'error',
      statusMessage: 'timeout',
      attributes: {
        'db.system': 'postgresql',
        'db.statement': 'SELECT * FROM stock WHERE sku = $1',
        'http.status_code': 503,
        retry: true,
        big: '9007199254740993',
      },
      resource: { 'service.name': 'inventory', 'host.name': 'node-7', 'service.version': '1.4.2' },
      events: [
        {
          timeUnixNano: '1544712660500000000',
          name: 'exception',
          attributes: { 'exception.type': 'TimeoutError', 'exception.message': 'query timed out' },
        },
      ],
      links: [
        { traceId: '00000000000000000000000000000001', spanId: '0000000000000002', traceState: '', attributes: {} },
      ],
    });
    expect(t.stringAt('dbSystem', 0)).toBe('postgresql');
    expect(t.stringAt('dbStatement', 0)).toBe('SELECT * FROM stock WHERE sku = $1');
    expect(t.stringAt('host', 0)).toBe('node-7');
    expect(t.stringAt('serviceVersion', 0)).toBe('1.4.2');
    expect(t.stringAt('errorType', 0)).toBe('TimeoutError');
    expect(t.stringAt('exceptionMessage', 0)).toBe('query timed out');
    expect(t.columns.httpStatusCode[0]).toBe(503);
    expect(t.columns.rpcStatusCode[0]).toBe(-1);
  });

  it('computes durations from fixed64 word halves without BigInt', () => {
    const b = new SpanTableBuilder();
    b.beginSpan();
    b.setTraceId('01');
    b.setSpanId('02');
    // start = 0x0000_0001_FFFF_FFFF, end = 0x0000_0002_0000_0005 → duration 6
    b.setStartEndWords(0xffffffff, 1, 5, 2);
    expect(b.commitSpan()).toBeUndefined();
    b.beginSpan();
    b.setTraceId('01');
    b.setSpanId('03');
    b.setStartEndWords(10, 0, 5, 0);
    expect(b.commitSpan()).toBe('end before start');
    const t = b.finish();
    expect(t.columns.startUnixNano[0]).toBe(0x1ffffffffn);
    expect(t.columns.durationNano[0]).toBe(6n);
  });

  it('rejects ids that are not hex or base64 and all-zero ids', () => {
    const b = new SpanTableBuilder();
    for (const [trace, span, want] of [
      ['xyz!', '01', 'invalid trace id'],
      ['00000000000000000000000000000000', '01', 'invalid trace id'],
      ['01', '0000000000000000', 'invalid span id'],
      ['01', '0102030405060708090a', 'invalid span id'],
    ] as const) {
      b.beginSpan();
      b.setTraceId(trace);
      b.setSpanId(span);
      b.setStartDurationNano(1n, 1n);
      expect(b.commitSpan()).toBe(want);
    }
    expect(b.finish().numSpans).toBe(0);
  });
});

describe('SpanTableBuilder.finish dictionaries', () => {
  // One span per operation; every fourth span also carries a status message, the first an odd attribute key.
  function build(operations: readonly string[]) {
    const b = new SpanTableBuilder({ initialCapacity: 16 });
    b.setResource([['service.name', AttributeType.String, 'zürich-api']]);
    operations.forEach((op, i) => {
      b.beginSpan();
      b.setTraceId('5b8efff798038103d269b633813fc60c');
      b.setSpanId((i + 1).toString(16).padStart(16, '0'));
      b.setOperation(op);
      b.setStartDurationNano(1_700_000_000_000_000_000n + BigInt(i), 1000n);
      if (i % 4 === 0) b.setStatus(StatusCode.Error, i === 0 ? 'délai dépassé' : '');
      if (i === 0) b.addAttribute('клиент.id', AttributeType.String, 'x');
      expect(b.commitSpan()).toBeUndefined();
    });
    return b.finish();
  }

  it('keeps non-ASCII, empty and lone-surrogate strings and their codes', () => {
    const ops = ['GET /cart', '', 'café', '東京 → 大阪', '🚀 launch', 'a\uD800b', 'GET /cart', 'café'];
    const t = build(ops);
    const op = t.dict('operation');
    // Code 0 is the builder's reserved '' (first interned), so the span with '' shares it.
    expect(op.values).toEqual(['', 'GET /cart', 'café', '東京 → 大阪', '🚀 launch', 'a\uFFFDb']);
    expect([...op.codes]).toEqual([1, 0, 2, 3, 4, 5, 1, 2]);
    expect(t.dict('service').values).toEqual(['', 'unknown_service', 'zürich-api']);
    expect(t.dict('statusMessage').values).toEqual(['', 'délai dépassé']);
    expect([...t.dict('statusMessage').codes]).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(t.columns.attrKeys).toEqual(['клиент.id']);
    expect(t.dict('dbSystem').values).toEqual(['']);
    expect([...t.dict('dbSystem').codes]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    // The UTF-8 buffers themselves: 'é' is C3 A9, '🚀' is F0 9F 9A 80, a lone surrogate EF BF BD.
    const dictionary = t.table.getChild('operation')!.data[0]!.dictionary!.data[0]!;
    expect([...dictionary.valueOffsets]).toEqual([0, 0, 9, 14, 31, 42, 47]);
    expect([...dictionary.values.subarray(9, 14)]).toEqual([0x63, 0x61, 0x66, 0xc3, 0xa9]);
    expect([...dictionary.values.subarray(31, 35)]).toEqual([0xf0, 0x9f, 0x9a, 0x80]);
    expect([...dictionary.values.subarray(42, 47)]).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62]);
    expect(dictionary.nullCount).toBe(0);
  });

  it('encodes many values exactly as Arrow’s own Utf8 builder does', () => {
    // A long non-ASCII value first (it needs more bytes than its UTF-16 length, so the buffer sized for ASCII must
    // grow before the 5,000 ASCII values that follow), then more non-ASCII values that must grow it again.
    const head = '名古屋から東京まで大阪経由で';
    const ops = [head, ...Array.from({ length: 6000 }, (_, i) => (i < 5000 ? `op-${i}` : `опер-${i}-ü`))];
    const t = build(ops);
    const op = t.dict('operation');
    expect(op.values.length).toBe(6002);
    expect(op.values[1]).toBe(head);
    expect(op.values[2]).toBe('op-0');
    expect(op.values[5001]).toBe('op-4999');
    expect(op.values[5002]).toBe('опер-5000-ü');
    expect(op.values[6001]).toBe('опер-5999-ü');
    expect(op.codes[6000]).toBe(6001);
    expect(t.columns.attrKeys).toEqual(['клиент.id']);
    const ours = t.table.getChild('operation')!.data[0]!.dictionary!.data[0]!;
    const arrow = vectorFromArray(['', ...ops], new Utf8()).data[0]!;
    expect(ours.valueOffsets).toEqual(arrow.valueOffsets.subarray(0, 6003));
    expect(ours.values).toEqual(arrow.values.subarray(0, arrow.valueOffsets[6002]));
    // And it survives Arrow IPC unchanged.
    const back = tableFromIPC(tableToIPC(t.table));
    expect(back.getChild('operation')!.get(6000)).toBe('опер-5999-ü');
    expect(back.getChild('operation')!.get(0)).toBe(head);
    expect(back.getChild('operation')!.get(1)).toBe('op-0');
  });
});

describe('ids', () => {
  it('normalises hex of any case, 64-bit ids and base64 to lower-case hex', () => {
    expect(normalizeTraceId(' D269B633813FC60C ')).toBe('0000000000000000d269b633813fc60c');
    expect(normalizeId('W47/95gDgQPSabYzgT/GDA==', 16)).toBe('5b8efff798038103d269b633813fc60c');
    expect(normalizeId('7uGbfsPBsXM=', 8)).toBe('eee19b7ec3c1b173');
    expect(normalizeTraceId('not-an-id')).toBeUndefined();
    expect(normalizeId('xyz', 8)).toBeUndefined();
    expect(normalizeId('AAE=', 8)).toBeUndefined();
  });
});

describe('transforms', () => {
  const rows = [
    {
      traceId: 'a1',
      spanId: '1',
      service: 'api',
      operation: 'GET /',
      startUnixNano: 1000n,
      durationNano: 50n,
      attributes: { k: 'v' },
    },
    {
      traceId: 'a1',
      spanId: '2',
      parentSpanId: '1',
      service: 'db',
      operation: 'SELECT',
      startUnixNano: 1010n,
      durationNano: 20n,
    },
    { traceId: 'b2', spanId: '3', service: 'api', operation: 'POST /', startUnixNano: 2000n, durationNano: 70n },
  ];

  it('concatenates tables with different dictionaries and keeps every value', () => {
    const a = spanTableFromRows(rows.slice(0, 2));
    const b = spanTableFromRows(rows.slice(2));
    const all = concatSpanTables([b, a]);
    expect(all.numSpans).toBe(3);
    expect([0, 1, 2].map((r) => `${all.stringAt('service', r)} ${all.stringAt('operation', r)}`)).toEqual([
      'api POST /',
      'api GET /',
      'db SELECT',
    ]);
    expect(spanRecord(all, 1).attributes).toEqual({ k: 'v' });
  });

  it('takes rows in the given order', () => {
    const t = spanTableFromRows(rows);
    const picked = takeSpans(t, [2, 0]);
    expect([spanRecord(picked, 0).spanId, spanRecord(picked, 1).spanId]).toEqual([
      '0000000000000003',
      '0000000000000001',
    ]);
  });

  it('round-trips through Arrow IPC', () => {
    const t = spanTableFromRows(rows);
    const back = spanTableFromArrow(tableFromIPC(tableToIPC(t.table)));
    expect([0, 1, 2].map((r) => spanRecord(back, r))).toEqual([0, 1, 2].map((r) => spanRecord(t, r)));
  });

  it('inputs are unchanged by takeSpans and concat', () => {
    const t = spanTableFromRows(rows);
    const before = [0, 1, 2].map((r) => spanRecord(t, r));
    concatSpanTables([t, takeSpans(t, [1])]);
    expect([0, 1, 2].map((r) => spanRecord(t, r))).toEqual(before);
  });
});
