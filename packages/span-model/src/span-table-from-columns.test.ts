import { describe, expect, it } from 'vitest';
import { spanRecord, spanTableFromRows } from './records.ts';
import { AttributeType } from './schema.ts';
import { DERIVED_ATTRIBUTE_KEYS, HOST_RESOURCE_KEYS, spanTableFromColumns } from './span-table-from-columns.ts';

const enc = new TextEncoder();

// Two spans of one trace, given as columns:
//
//   0 cart   GET /cart   |==========|   1_000..1_010 ns   attributes: http.route=/cart (derived column given too)
//   1 db     SELECT        |====|       1_002..1_006 ns   parent 0, status error "timeout"
describe('spanTableFromColumns', () => {
  const traceId = new Uint8Array(32).fill(0xab);
  const spanId = Uint8Array.from([...new Array(7).fill(0), 1, ...new Array(7).fill(0), 2]);
  const parentSpanId = Uint8Array.from([...new Array(8).fill(0), ...new Array(7).fill(0), 1]);
  const value = enc.encode('/cart');
  const table = spanTableFromColumns({
    length: 2,
    traceId,
    spanId,
    parentSpanId,
    parentRefType: Uint8Array.of(0, 1),
    kind: Uint8Array.of(2, 3),
    statusCode: Uint8Array.of(0, 2),
    startUnixNano: BigInt64Array.of(1_000n, 1_002n),
    durationNano: BigInt64Array.of(10n, 4n),
    dicts: {
      service: { codes: Int32Array.of(1, 2), values: ['', 'cart', 'db'] },
      operation: { codes: Int32Array.of(1, 2), values: ['', 'GET /cart', 'SELECT'] },
      statusMessage: { codes: Int32Array.of(0, 1), values: ['', 'timeout'] },
      resource: {
        codes: Int32Array.of(1, 2),
        values: ['', '[["service.name",0,"cart"]]', '[["service.name",0,"db"]]'],
      },
      httpRoute: { codes: Int32Array.of(1, 0), values: ['', '/cart'] },
    },
    attributes: {
      offsets: Int32Array.of(0, 1, 1),
      key: Int32Array.of(0),
      keys: ['http.route'],
      type: Uint8Array.of(AttributeType.String),
      values: { offsets: Int32Array.of(0, value.length), bytes: value },
    },
  });

  it('assembles the same spans as the row constructor', () => {
    const expected = spanTableFromRows([
      {
        traceId: 'ab'.repeat(16),
        spanId: '0000000000000001',
        service: 'cart',
        operation: 'GET /cart',
        kind: 'server',
        startUnixNano: 1_000n,
        durationNano: 10n,
        attributes: { 'http.route': '/cart' },
      },
      {
        traceId: 'ab'.repeat(16),
        spanId: '0000000000000002',
        parentSpanId: '0000000000000001',
        service: 'db',
        operation: 'SELECT',
        kind: 'client',
        startUnixNano: 1_002n,
        durationNano: 4n,
        statusCode: 'error',
        statusMessage: 'timeout',
      },
    ]);
    expect([0, 1].map((i) => spanRecord(table, i))).toEqual([0, 1].map((i) => spanRecord(expected, i)));
    expect(table.stringAt('httpRoute', 0)).toBe('/cart');
    expect(table.times.endNano[0]).toBe(10);
  });

  it('fills absent columns with the schema defaults', () => {
    const t = spanTableFromColumns({
      length: 1,
      traceId: new Uint8Array(16).fill(1),
      spanId: new Uint8Array(8).fill(2),
      startUnixNano: BigInt64Array.of(5n),
      durationNano: BigInt64Array.of(1n),
    });
    expect(t.stringAt('service', 0)).toBe('unknown_service');
    expect(t.stringAt('dbSystem', 0)).toBe('');
    expect(t.columns.rpcStatusCode[0]).toBe(-1);
    expect(t.columns.parentRefType[0]).toBe(0);
    expect(t.columns.attrOffsets[1]).toBe(0);
  });

  it('shares the given arrays instead of copying them', () => {
    expect(table.columns.startUnixNano.buffer).toBe(table.columns.startUnixNano.buffer);
    expect(table.dict('service').codes[1]).toBe(2);
  });

  it('names the column that is too short, and a dictionary without "" at code 0', () => {
    const base = {
      length: 2,
      traceId: new Uint8Array(32),
      spanId: new Uint8Array(16),
      startUnixNano: new BigInt64Array(2),
      durationNano: new BigInt64Array(2),
    };
    expect(() => spanTableFromColumns({ ...base, spanId: new Uint8Array(8) })).toThrow(
      'span-model: column "spanId" has 8 entries, expected at least 16',
    );
    expect(() =>
      spanTableFromColumns({ ...base, dicts: { service: { codes: new Int32Array(2), values: ['cart'] } } }),
    ).toThrow(`span-model: dictionary "service" must hold '' at code 0`);
    expect(() => spanTableFromColumns({ ...base, length: -1 })).toThrow(RangeError);
  });

  it('exposes the derived-key table and the host keys the builder applies', () => {
    expect(DERIVED_ATTRIBUTE_KEYS['http.route']).toEqual({ column: 'httpRoute', priority: 4 });
    expect(DERIVED_ATTRIBUTE_KEYS['http.response.status_code']).toEqual({ column: 'httpStatusCode', priority: 2 });
    expect(DERIVED_ATTRIBUTE_KEYS['service.name']).toBeUndefined();
    expect(HOST_RESOURCE_KEYS.slice(0, 2)).toEqual(['host.name', 'k8s.pod.name']);
  });
});
