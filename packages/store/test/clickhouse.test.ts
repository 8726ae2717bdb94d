// ClickHouse store against the real ClickHouse engine (chdb, in-process): the exporter's schema, round trips of
// every span field, and the same answers as the embedded DuckDB store on the same spans.
import { type SpanTable, spanRecord, spanTableFromRows } from '@aiops/span-model';
import { Session } from 'chdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClickHouseExecutor,
  type ClickHouseStore,
  chdbExecutor,
  isClickHouseError,
  openClickHouseStore,
  openStore,
  type TraceStore,
} from '../src/index.ts';
import { BASE, span, tempDir } from './helpers.ts';

const records = (t: SpanTable | undefined) =>
  (t ? Array.from({ length: t.numSpans }, (_, i) => spanRecord(t, i)) : []).sort((a, b) =>
    (a.traceId + a.spanId).localeCompare(b.traceId + b.spanId),
  );

const T1 = '4bf92f3577b34da6a3ce929d0e0e4736';
const T2 = '00000000000000000000000000000b02';
const T3 = '00000000000000000000000000000c03';
const T4 = '00000000000000000000000000000d04';

//  trace T1 (µs after BASE)
//  a frontend GET /checkout   |=====================================|  0..1000   server, ok
//  b checkout  PlaceOrder        |==========================|          50..800   server, error + exception event
//  c cart      GetCart              |=====|                           100..250   client, grpc, array/map attrs
//  d postgres  SELECT orders                |==========|              300..600   client, int64 beyond 2^53
//  e mq        publish (follows_from d)                 |====|        610..700   producer, link to another trace
const t1 = [
  span(T1, 'a', undefined, 'frontend', 'GET /checkout', 0, 1000, {
    kind: 'server',
    statusCode: 'ok',
    attributes: { 'http.request.method': 'GET', 'http.route': '/checkout', 'http.response.status_code': 200 },
    resource: { 'host.name': 'fe-1', 'service.version': '1.2.3' },
  }),
  span(T1, 'b', 'a', 'checkout', 'PlaceOrder', 50, 800, {
    kind: 'server',
    statusCode: 'error',
    statusMessage: 'payment declined',
    attributes: { 'rpc.system': 'grpc', 'rpc.grpc.status_code': 13, retry: true, ratio: 0.25 },
    events: [
      {
        timeUnixNano: (BASE + 700_000n).toString(),
        name: 'exception',
        attributes: { 'exception.type': 'PaymentError', 'exception.message': 'declined' },
      },
    ],
  }),
  span(T1, 'c', 'b', 'cart', 'GetCart', 100, 250, {
    kind: 'client',
    attributes: { 'rpc.system': 'grpc', 'rpc.service': 'CartService', tags: ['x', 'y'], nested: { k: 1 } },
  }),
  span(T1, 'd', 'b', 'postgres', 'SELECT orders', 300, 600, {
    kind: 'client',
    attributes: {
      'db.system': 'postgresql',
      'db.statement': "SELECT * FROM orders WHERE id = $1 AND note = 'a\nb'",
      'big.int': 9007199254740993n,
      empty: '',
      'unicode.ключ': 'значение ✓',
    },
  }),
  span(T1, 'e', 'd', 'mq', 'publish', 610, 700, {
    kind: 'producer',
    parentRefType: 'follows_from',
    links: [{ traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8), attributes: { reason: 'batch' } }],
  }),
];

//  trace T2, 2 s later: no kinds, no status (only services and timings)
//  f frontend GET /cart   |==========|        0..400 ms
//  g cart     GetCart        |====|          100..250 ms
//  trace T3, 5 s later: an orphan (parent never arrived) and no root
//  h cart     GetCart     (parent 99)  |==|   0..30 ms   error
//  trace T4, 1 h later: one frontend span, 3 s long
const ms = (n: number) => n * 1000;
const t2 = [
  span(T2, 'f', undefined, 'frontend', 'GET /cart', ms(2000), ms(2400)),
  span(T2, '10', 'f', 'cart', 'GetCart', ms(2100), ms(2250)),
];
const t3 = [span(T3, '11', '99', 'cart', 'GetCart', ms(5000), ms(5030), { statusCode: 'error' })];
const t4 = [span(T4, '12', undefined, 'frontend', 'GET /slow', ms(3_600_000), ms(3_603_000), { kind: 'server' })];
const all = spanTableFromRows([...t1, ...t2, ...t3, ...t4]);

describe('ClickHouse store (chdb)', () => {
  const tmp = tempDir();
  const duck = tempDir();
  let session: Session;
  let ex: ClickHouseExecutor;
  let ch: ClickHouseStore;
  let embedded: TraceStore;

  beforeAll(async () => {
    session = new Session(tmp.dir);
    ex = chdbExecutor(session);
    ch = await openClickHouseStore(ex, { database: 'otel', createSchema: true, batchSpans: 4 });
    embedded = await openStore({ dir: duck.dir });
    await embedded.append(all);
  });
  afterAll(async () => {
    await embedded.close();
    session.cleanup();
    tmp.cleanup();
    duck.cleanup();
  });

  it('creates the exporter schema: otel_traces, otel_traces_trace_id_ts and the materialized view', async () => {
    const cols = await ex.query(
      "SELECT name, type FROM system.columns WHERE database = 'otel' AND table = 'otel_traces' ORDER BY position",
    );
    expect(cols.map((c) => `${c[0]} ${c[1]}`)).toEqual([
      'Timestamp DateTime64(9)',
      'TraceId String',
      'SpanId String',
      'ParentSpanId String',
      'TraceState String',
      'SpanName LowCardinality(String)',
      'SpanKind LowCardinality(String)',
      'ServiceName LowCardinality(String)',
      'ResourceAttributes Map(LowCardinality(String), String)',
      'ScopeName String',
      'ScopeVersion String',
      'SpanAttributes Map(LowCardinality(String), String)',
      'Duration UInt64',
      'StatusCode LowCardinality(String)',
      'StatusMessage String',
      'Events.Timestamp Array(DateTime64(9))',
      'Events.Name Array(LowCardinality(String))',
      'Events.Attributes Array(Map(LowCardinality(String), String))',
      'Links.TraceId Array(String)',
      'Links.SpanId Array(String)',
      'Links.TraceState Array(String)',
      'Links.Attributes Array(Map(LowCardinality(String), String))',
    ]);
    const tables = await ex.query("SELECT name, engine FROM system.tables WHERE database = 'otel' ORDER BY name");
    expect(tables).toEqual([
      ['otel_traces', 'MergeTree'],
      ['otel_traces_trace_id_ts', 'MergeTree'],
      ['otel_traces_trace_id_ts_mv', 'MaterializedView'],
    ]);
    expect(ch.describe()).toMatchObject({ table: 'otel.otel_traces', hasLookupTable: true });
    expect(ch.describe().version).toMatch(/^2\d\.\d+/);
  });

  it('writes spans in batches and skips spans already stored', async () => {
    expect(await ch.append(all)).toEqual({ inserted: 9, duplicates: 0 });
    expect(await ch.append(spanTableFromRows([...t3, ...t3]))).toEqual({ inserted: 0, duplicates: 2 });
    const rows = await ex.query(
      "SELECT SpanKind, StatusCode, toString(Duration), ServiceName FROM otel.otel_traces WHERE SpanId = '000000000000000b'",
    );
    expect(rows).toEqual([['Server', 'Error', '750000', 'checkout']]);
    const lookup = await ex.query(
      `SELECT toUnixTimestamp(min(Start)), toUnixTimestamp(max(End)) FROM otel.otel_traces_trace_id_ts WHERE TraceId = '${T4}'`,
    );
    expect(lookup).toEqual([[1_700_003_600, 1_700_003_600]]);
  });

  it('getTrace returns every field of every span as written (follows_from, links, events, typed attributes)', async () => {
    const got = await ch.getTrace(T1.toUpperCase());
    expect(records(got)).toEqual(records(spanTableFromRows(t1)));
    expect(records(got).find((r) => r.spanId === '000000000000000e')?.parentRefType).toBe('follows_from');
    expect(records(got).find((r) => r.spanId === '000000000000000d')?.attributes['big.int']).toBe('9007199254740993');
    expect(await ch.getTrace('ffffffffffffffffffffffffffffffff')).toBeUndefined();
    expect(await ch.getTrace('not-an-id')).toBeUndefined();
  });

  it('spans() and getTrace() give the same span records as the embedded store', async () => {
    expect(records(await ch.spans({}))).toEqual(records(await embedded.spans({})));
    for (const id of [T1, T2, T3, T4])
      expect(records(await ch.getTrace(id))).toEqual(records(await embedded.getTrace(id)));
    const q = { fromUnixNano: BASE + 1_000_000_000n, toUnixNano: BASE + 10_000_000_000n };
    expect(records(await ch.spans(q)).map((r) => r.spanId)).toEqual(
      ['000000000000000f', '0000000000000010', '0000000000000011'].sort(),
    );
    expect(records(await ch.spans({ service: 'postgres' }))).toEqual(
      records(await embedded.spans({ service: 'postgres' })),
    );
    expect(records(await ch.spans({ limitTraces: 1 })).map((r) => r.traceId)).toEqual([T4]);
    expect(records(await ch.spans({ traceIds: [T2, 'zz'] })).length).toBe(2);
  });

  it('searchTraces answers like the embedded store for every filter', async () => {
    const queries = [
      {},
      { service: 'cart' },
      { service: 'cart', operation: 'GetCart' },
      { operation: 'GET /cart' },
      { failed: true },
      { failed: false },
      { minDurationNano: 1_000_000_000n },
      { maxDurationNano: 100_000_000n },
      { fromUnixNano: BASE + 2_000_000_000n },
      { fromUnixNano: BASE + 500n, toUnixNano: BASE + 5_000_000_000n },
      { toUnixNano: BASE + 2_000_000_000n },
      { limit: 2 },
      { service: 'nope' },
      // newest-first with a limit: answered from the last 10 minutes (T4 alone) or after widening to all data
      { limit: 1 },
      { limit: 1, service: 'frontend' },
      { limit: 1, failed: true },
      { limit: 3, fromUnixNano: BASE + 1n },
      { limit: 1, toUnixNano: BASE + 3_000_000_000n },
    ];
    for (const q of queries) expect([q, await ch.searchTraces(q)]).toEqual([q, await embedded.searchTraces(q)]);
    expect((await ch.searchTraces({ limit: 1 })).map((t) => t.traceId)).toEqual([T4]);
    expect((await ch.searchTraces({ limit: 1, failed: true })).map((t) => t.traceId)).toEqual([T3]);
    expect(await ch.searchTraces({ failed: true })).toEqual([
      {
        traceId: T3,
        rootService: '',
        rootOperation: '',
        startUnixNano: BASE + 5_000_000_000n,
        durationNano: 30_000_000n,
        spanCount: 1,
        services: ['cart'],
        errorCount: 1,
      },
      {
        traceId: T1,
        rootService: 'frontend',
        rootOperation: 'GET /checkout',
        startUnixNano: BASE,
        durationNano: 1_000_000n,
        spanCount: 5,
        services: ['cart', 'checkout', 'frontend', 'mq', 'postgres'],
        errorCount: 1,
      },
    ]);
  });

  it('services, operations and bounds match the embedded store', async () => {
    expect(await ch.services()).toEqual(await embedded.services());
    expect(await ch.operations()).toEqual(await embedded.operations());
    expect(await ch.operations('cart')).toEqual([{ service: 'cart', operation: 'GetCart', spanCount: 3 }]);
    expect(await ch.bounds()).toEqual(await embedded.bounds());
    expect(await ch.bounds()).toEqual({
      fromUnixNano: BASE,
      toUnixNano: BASE + 3_603_000_000_000n,
      spanCount: 9,
      traceCount: 4,
    });
  });

  it('pushes operation statistics and service edges down to ClickHouse', async () => {
    const stats = await ch.operationStats({ service: 'cart' });
    // traces touching cart: T1, T2, T3; GetCart durations 150 µs, 150 ms, 30 ms (exact quantiles)
    expect(stats.find((s) => s.service === 'cart')).toEqual({
      service: 'cart',
      operation: 'GetCart',
      spanCount: 3,
      errorCount: 1,
      p50Nano: 30_000_000,
      p95Nano: 150_000_000,
      p99Nano: 150_000_000,
    });
    expect(stats.map((s) => s.operation)).toEqual([
      'GetCart',
      'PlaceOrder',
      'GET /cart',
      'GET /checkout',
      'publish',
      'SELECT orders',
    ]);
    const edges = await ch.serviceEdges();
    expect(edges.map((e) => [e.caller, e.callee, e.callCount, e.errorCount])).toEqual([
      ['checkout', 'cart', 1, 0],
      ['checkout', 'postgres', 1, 0],
      ['frontend', 'cart', 1, 0],
      ['frontend', 'checkout', 1, 1],
      ['postgres', 'mq', 1, 0],
    ]);
    expect(edges.find((e) => e.caller === 'frontend' && e.callee === 'cart')?.p50Nano).toBe(150_000_000);
    expect(await ch.serviceEdges({ fromUnixNano: BASE + 1n })).toEqual([edges[2]]);
  });

  it('reads rows written by older exporter versions (SPAN_KIND_*, STATUS_CODE_*, no service.name resource)', async () => {
    await ex.command(`INSERT INTO otel.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind,
        ServiceName, SpanAttributes, Duration, StatusCode) VALUES
        (toDateTime64('2024-01-01 00:00:00.000000001', 9, 'UTC'), 'eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee', '1111111111111111', '',
         'legacy', 'SPAN_KIND_CLIENT', 'old-svc', map('http.status_code', '503'), 42, 'STATUS_CODE_ERROR')`);
    const t = await ch.getTrace('eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee');
    expect(records(t)).toEqual([
      expect.objectContaining({
        service: 'old-svc',
        kind: 'client',
        statusCode: 'error',
        startTimeUnixNano: '1704067200000000001',
        durationNano: '42',
        attributes: { 'http.status_code': 503 },
        resource: {},
      }),
    ]);
    expect(t!.columns.httpStatusCode[0]).toBe(503);
  });

  it('reports a missing table and a table that is not the exporter schema', async () => {
    const missing = await openClickHouseStore(ex, { database: 'otel', table: 'nope' }).catch((e: unknown) => e);
    expect(isClickHouseError(missing) && missing.code).toBe('not_found');
    await ex.command(
      'CREATE TABLE otel.wrong (TraceId String, Timestamp DateTime) ENGINE = MergeTree ORDER BY TraceId',
    );
    const wrong = await openClickHouseStore(ex, { database: 'otel', table: 'wrong' }).catch((e: unknown) => e);
    expect(isClickHouseError(wrong) && wrong.code).toBe('schema');
    expect((wrong as Error).message).toContain('Timestamp (DateTime, expected DateTime64');
    expect((wrong as Error).message).toContain('SpanId');
  });
});
