// The ClickHouse store's Arrow encoding: the IPC stream written for `INSERT ... FORMAT ArrowStream` holds every span
// field in the exporter's column layout, and spans survive a round trip through the real engine (chdb) exactly.
import { type SpanTable, spanRecord, spanTableFromRows } from '@aiops/span-model';
import { type Table, tableFromIPC } from 'apache-arrow';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { arrowStreamFromSpans, insertColumns } from '../src/clickhouse/internal/arrow-insert.ts';
import { type ClickHouseStore, chdbExecutor, openClickHouseStore } from '../src/index.ts';
import { BASE, span, tempDir } from './helpers.ts';

const T = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const OTHER = 'ff'.repeat(16);

//  trace T (µs after BASE; BASE + 123 ns makes every timestamp need all 64 bits)
//  1 gateway   "GET /✓ café"   |=================================|  0..900    server, unicode names, resource
//  2 payments  "charge\tcard"     |=====================|            100..600  client, error, 2 events, 2 links
//  3 ledger    "append"                 |======|                     300..450  follows_from 2, big ints
//  4 ledger    "instant"                |                            300..300  zero duration, no kind
const start = BASE + 123n;
const us = (n: number): bigint => start + BigInt(n) * 1000n;
const rows = [
  {
    ...span(T, '1', undefined, 'gateway', 'GET /✓ café', 0, 900, {
      kind: 'server',
      statusCode: 'ok',
      attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200, ключ: 'значение ✓' },
      resource: { 'host.name': 'gw-1', 'service.version': '2.0.0', 'deployment.environment.name': 'prod' },
    }),
    startUnixNano: us(0),
    endUnixNano: us(900),
  },
  {
    ...span(T, '2', '1', 'payments', 'charge\tcard', 100, 600, {
      kind: 'client',
      statusCode: 'error',
      statusMessage: 'declined:\n"insufficient funds"',
      attributes: { 'rpc.system': 'grpc', 'rpc.grpc.status_code': 9, retry: false, ratio: 1.5e-7, tags: ['a', 'b'] },
      events: [
        {
          timeUnixNano: (us(500) + 1n).toString(),
          name: 'exception',
          attributes: { 'exception.type': 'CardError', 'exception.message': 'déclinée' },
        },
        { timeUnixNano: us(550).toString(), name: 'retry', attributes: { attempt: 2 } },
      ],
      links: [
        { traceId: OTHER, spanId: '0000000000000abc', attributes: { kind: 'batch' } },
        { traceId: OTHER, spanId: '0000000000000abd' },
      ],
    }),
    startUnixNano: us(100),
    endUnixNano: us(600),
  },
  {
    ...span(T, '3', '2', 'ledger', 'append', 300, 450, {
      kind: 'producer',
      parentRefType: 'follows_from',
      attributes: { 'big.int': 9223372036854775807n, 'neg.int': -9007199254740993n, empty: '' },
    }),
    startUnixNano: us(300),
    endUnixNano: us(450),
  },
  {
    traceId: T,
    spanId: '0000000000000004',
    parentSpanId: '0000000000000002',
    service: 'ledger',
    operation: 'instant',
    startUnixNano: us(300),
    durationNano: 0n,
  },
];
const table = spanTableFromRows(rows);
const all = Int32Array.from({ length: table.numSpans }, (_, i) => i);

const records = (t: SpanTable | undefined) =>
  (t ? Array.from({ length: t.numSpans }, (_, i) => spanRecord(t, i)) : []).sort((a, b) =>
    a.spanId.localeCompare(b.spanId),
  );
const plain = (v: unknown): unknown =>
  JSON.parse(JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? x.toString() : x instanceof Map ? [...x] : x)));
const column = (t: Table, name: string): unknown[] => t.getChild(name)!.toArray() as unknown[];
const rowOf = (t: Table, i: number): Record<string, unknown> => plain(t.get(i)?.toJSON()) as Record<string, unknown>;

describe('Arrow stream for INSERT ... FORMAT ArrowStream', () => {
  const decoded = tableFromIPC(arrowStreamFromSpans(table, all, true));

  it("has the exporter's columns, in order, with exact 64-bit times and UInt64 durations", () => {
    expect(decoded.schema.fields.map((f) => f.name)).toEqual(insertColumns(true));
    expect(insertColumns(false)).not.toContain('ScopeName');
    const ts = decoded.getChild('Timestamp')!.data[0]!.values as BigInt64Array;
    expect([...ts]).toEqual([us(0), us(100), us(300), us(300)]);
    expect((decoded.getChild('Duration')!.data[0]!.values as BigUint64Array)[0]).toBe(900_000n);
    expect((decoded.getChild('Duration')!.data[0]!.values as BigUint64Array)[3]).toBe(0n);
  });

  it('writes ids as lower-case hex, no parent as empty, and kinds and statuses as the exporter spells them', () => {
    expect(column(decoded, 'TraceId')).toEqual([T, T, T, T]);
    expect(column(decoded, 'SpanId')).toEqual([1, 2, 3, 4].map((i) => i.toString(16).padStart(16, '0')));
    expect(column(decoded, 'ParentSpanId')).toEqual(['', '0000000000000001', '0000000000000002', '0000000000000002']);
    expect(column(decoded, 'SpanKind')).toEqual(['Server', 'Client', 'Producer', 'Unspecified']);
    expect(column(decoded, 'StatusCode')).toEqual(['Ok', 'Error', 'Unset', 'Unset']);
    expect(column(decoded, 'StatusMessage')).toEqual(['', 'declined:\n"insufficient funds"', '', '']);
    expect(column(decoded, 'SpanName')).toEqual(['GET /✓ café', 'charge\tcard', 'append', 'instant']);
    expect(column(decoded, 'ServiceName')).toEqual(['gateway', 'payments', 'ledger', 'ledger']);
  });

  it('writes attributes and resources as maps of text (big ints exact, unicode intact)', () => {
    const first = rowOf(decoded, 0);
    expect(first.SpanAttributes).toEqual({
      'http.request.method': 'GET',
      'http.response.status_code': '200',
      ключ: 'значение ✓',
    });
    expect(first.ResourceAttributes).toEqual({
      'service.name': 'gateway',
      'host.name': 'gw-1',
      'service.version': '2.0.0',
      'deployment.environment.name': 'prod',
    });
    expect(rowOf(decoded, 2).SpanAttributes).toEqual({
      'big.int': '9223372036854775807',
      'neg.int': '-9007199254740993',
      empty: '',
    });
    expect(rowOf(decoded, 1).SpanAttributes).toMatchObject({ retry: 'false', ratio: '1.5e-7', tags: '["a","b"]' });
  });

  it('writes events and links as Nested columns; a FOLLOWS_FROM parent as a link with opentracing.ref_type', () => {
    const payments = rowOf(decoded, 1);
    expect(payments['Events.Name']).toEqual(['exception', 'retry']);
    expect((decoded.getChild('Events.Timestamp')!.data[0]!.children[0]!.values as BigInt64Array)[0]).toBe(us(500) + 1n);
    expect(payments['Events.Attributes']).toEqual([
      { 'exception.type': 'CardError', 'exception.message': 'déclinée' },
      { attempt: '2' },
    ]);
    expect(payments['Links.TraceId']).toEqual([OTHER, OTHER]);
    expect(payments['Links.SpanId']).toEqual(['0000000000000abc', '0000000000000abd']);
    expect(payments['Links.TraceState']).toEqual(['', '']);
    expect(payments['Links.Attributes']).toEqual([{ kind: 'batch' }, {}]);
    const ledger = rowOf(decoded, 2);
    expect(ledger['Links.SpanId']).toEqual(['0000000000000002']);
    expect(ledger['Links.Attributes']).toEqual([{ 'opentracing.ref_type': 'follows_from' }]);
    expect(rowOf(decoded, 0)['Events.Name']).toEqual([]);
  });

  it('encodes any subset of rows in any order, including batches whose lists are all empty', () => {
    const sub = tableFromIPC(arrowStreamFromSpans(table, Int32Array.from([3, 0]), false));
    expect(sub.numRows).toBe(2);
    expect(column(sub, 'SpanName')).toEqual(['instant', 'GET /✓ café']);
    expect(rowOf(sub, 1)['Events.Name']).toEqual([]);
    expect(rowOf(sub, 1)['Links.TraceId']).toEqual([]);
    const empty = tableFromIPC(arrowStreamFromSpans(table, new Int32Array(0), true));
    expect(empty.numRows).toBe(0);
  });
});

describe('round trip through ClickHouse (chdb)', () => {
  const tmp = tempDir();
  let session: Session;
  let ch: ClickHouseStore;
  beforeAll(async () => {
    session = new Session(tmp.dir);
    ch = await openClickHouseStore(chdbExecutor(session), { database: 'rt', createSchema: true, batchSpans: 3 });
  });
  afterAll(() => {
    session.cleanup();
    tmp.cleanup();
  });

  it('getTrace returns every field exactly as written (ns times, unicode, big ints, events, links, follows_from)', async () => {
    // span 2 twice in one append: the duplicate is skipped inside the batch
    const withDup = spanTableFromRows([...rows, rows[1]!]);
    expect(await ch.append(withDup)).toEqual({ inserted: 4, duplicates: 1 });
    const got = await ch.getTrace(T);
    expect(records(got)).toEqual(records(table));
    const payments = records(got).find((r) => r.spanId === '0000000000000002')!;
    expect(payments.events.map((e) => [e.name, e.timeUnixNano])).toEqual([
      ['exception', (us(500) + 1n).toString()],
      ['retry', us(550).toString()],
    ]);
    expect(records(got).find((r) => r.spanId === '0000000000000003')?.parentRefType).toBe('follows_from');
    expect(got!.columns.httpStatusCode[0]).toBe(200);
  });

  it('with traceIdProjection, the span table gets a projection ordered by trace id that getTrace reads', async () => {
    const pr = await openClickHouseStore(chdbExecutor(session), {
      database: 'rtp',
      createSchema: true,
      traceIdProjection: true,
    });
    expect(await pr.append(table)).toEqual({ inserted: 4, duplicates: 0 });
    const projections = await chdbExecutor(session).query(
      "SELECT name, query FROM system.projections WHERE database = 'rtp' AND table = 'otel_traces'",
    );
    expect(projections).toEqual([['trace_id_order', 'SELECT * ORDER BY TraceId, Timestamp']]);
    const plan = await chdbExecutor(session).query(
      `EXPLAIN projections = 1 SELECT SpanId FROM rtp.otel_traces WHERE TraceId = '${T}'`,
    );
    expect(plan.flat().join('\n')).toContain('trace_id_order');
    expect(records(await pr.getTrace(T))).toEqual(records(table));
  });

  it('spans() of a window reads the same spans through the same Arrow path', async () => {
    const t = await ch.spans({ fromUnixNano: start, toUnixNano: start + 1n });
    expect(records(t).map((r) => [r.spanId, r.operation])).toEqual([
      ['0000000000000001', 'GET /✓ café'],
      ['0000000000000002', 'charge\tcard'],
      ['0000000000000003', 'append'],
      ['0000000000000004', 'instant'],
    ]);
    expect((await ch.spans({ fromUnixNano: start + 1n })).numSpans).toBe(0);
  });
});
