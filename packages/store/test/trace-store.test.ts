import { type SpanTable, spanRecord, spanTableFromRows } from '@aiops/span-model';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type TraceStore } from '../src/index.ts';
import { BASE, span, tempDir } from './helpers.ts';

const records = (t: SpanTable | undefined) => (t ? Array.from({ length: t.numSpans }, (_, i) => spanRecord(t, i)) : []);

const T1 = '4bf92f3577b34da6a3ce929d0e0e4736';

//  trace T1 (µs after BASE)
//  a frontend GET /checkout   |=====================================|  0..1000   server, ok
//  b checkout  PlaceOrder        |==========================|          50..800   server, error + exception event
//  c cart      GetCart              |=====|                           100..250   client, grpc
//  d postgres  SELECT orders                |==========|              300..600   client, db.statement, int64 attr
//  e mq        publish (follows_from d)                 |====|        610..700   producer, link to another trace
const roundTripSpans = [
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
      'db.statement': 'SELECT * FROM orders WHERE id = $1',
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

describe('TraceStore', () => {
  let dir: string;
  let cleanup: () => void;
  let store: TraceStore;
  beforeEach(async () => {
    ({ dir, cleanup } = tempDir());
    store = await openStore({ dir });
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  it('gives back every field of every span after append and getTrace', async () => {
    const input = spanTableFromRows(roundTripSpans);
    expect(await store.append(input)).toEqual({ inserted: 5, duplicates: 0 });
    const out = await store.getTrace(T1);
    expect(out?.numSpans).toBe(5);
    expect(records(out)).toEqual(records(input));
    // Derived columns come back too.
    expect(out?.stringAt('dbStatement', 3)).toBe('SELECT * FROM orders WHERE id = $1');
    expect(out?.stringAt('errorType', 1)).toBe('PaymentError');
    expect(out?.columns.httpStatusCode[0]).toBe(200);
    expect(out?.stringAt('host', 0)).toBe('fe-1');
  });

  it('survives close and reopen', async () => {
    await store.append(spanTableFromRows(roundTripSpans));
    await store.close();
    store = await openStore({ dir });
    expect(records(await store.getTrace(T1.toUpperCase()))).toEqual(records(spanTableFromRows(roundTripSpans)));
  });

  it('skips spans that are already stored and counts them as duplicates', async () => {
    const input = spanTableFromRows(roundTripSpans);
    await store.append(input);
    expect(await store.append(input)).toEqual({ inserted: 0, duplicates: 5 });
    // A batch mixing old and new spans inserts only the new one; a span repeated inside one batch counts once.
    const mixed = spanTableFromRows([
      roundTripSpans[0]!,
      span(T1, 'f', 'a', 'frontend', 'render', 900, 950),
      span(T1, 'f', 'a', 'frontend', 'render', 900, 950),
    ]);
    expect(await store.append(mixed)).toEqual({ inserted: 1, duplicates: 2 });
    expect((await store.getTrace(T1))?.numSpans).toBe(6);
    expect(await store.bounds()).toEqual({
      fromUnixNano: BASE,
      toUnixNano: BASE + 1_000_000n,
      spanCount: 6,
      traceCount: 1,
    });
  });

  it('returns undefined for an unknown or malformed id', async () => {
    await store.append(spanTableFromRows(roundTripSpans));
    expect(await store.getTrace('ffffffffffffffffffffffffffffffff')).toBeUndefined();
    expect(await store.getTrace('not-an-id')).toBeUndefined();
  });

  it('finds a 64-bit trace id under its 16-digit and zero-padded 32-digit forms, in any case', async () => {
    const z = 'd269b633813fc60c';
    await store.append(spanTableFromRows([span(z, '1', undefined, 'zipkin-svc', 'get', 0, 10)]));
    const short = await store.getTrace('D269B633813FC60C');
    const long = await store.getTrace(`0000000000000000${z}`);
    expect(short?.numSpans).toBe(1);
    expect(records(long)).toEqual(records(short));
    expect(records(short)[0]?.traceId).toBe(`0000000000000000${z}`);
  });

  it('opens with one DuckDB thread and rejects a thread count that is not a positive integer', async () => {
    await store.append(spanTableFromRows(roundTripSpans));
    await store.close();
    store = await openStore({ dir, readOnly: true, threads: 1 });
    expect((await store.getTrace(T1))?.numSpans).toBe(5);
    await expect(openStore({ dir, threads: 0 })).rejects.toThrow(
      new RangeError('store: threads must be a positive integer'),
    );
  });
});
