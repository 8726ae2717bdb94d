import { concatSpanTables, DICTIONARY_COLUMNS, type SpanTable, spanRecord, spanTableFromRows } from '@aiops/span-model';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type TraceStore } from '../src/index.ts';
import { mergeSpanTables } from '../src/internal/write-batch.ts';
import { BASE, span, tempDir } from './helpers.ts';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const C = 'cccccccccccccccccccccccccccccccc';
const D = 'dddddddddddddddddddddddddddddddd';

//  µs after BASE; [n] = the table the span arrives in; (stored) = appended before the tables
//  A  [1] web  GET /cart  1  |======|              0..6000
//     [2] cart GetCart    2    |==|             1000..3000   parent 1 is in table 1
//     [3] web  GET /cart  1  (duplicate of table 1's span)
//  B  [1] web  GET /pay   3          |=========|  10000..40000
//     [3] pay  Charge     5            |=====|   12000..30000  error, parent 3
//     [2] db   INSERT     6              |=|     14000..16000  parent 5 arrives only in table 3
//  C  [3] api  GET /health 7                   |=| 50000..51000
//  D  (stored) web GET /   8  |====|              0..4000
//     [2] auth Check       9    |=|             500..1500   late span, parent 8 already stored
//     [2] web  GET /       8  (duplicate of the stored span)
const stored = spanTableFromRows([span(D, '8', undefined, 'web', 'GET /', 0, 4000)]);
const t1 = spanTableFromRows([
  span(A, '1', undefined, 'web', 'GET /cart', 0, 6000, {
    kind: 'server',
    attributes: { 'http.route': '/cart', 'http.response.status_code': 200 },
    resource: { 'host.name': 'node-1' },
  }),
  span(B, '3', undefined, 'web', 'GET /pay', 10000, 40000, { kind: 'server', attributes: { 'http.route': '/pay' } }),
]);
const t2 = spanTableFromRows([
  span(A, '2', '1', 'cart', 'GetCart', 1000, 3000, { kind: 'client', attributes: { 'rpc.system': 'grpc' } }),
  span(B, '6', '5', 'db', 'INSERT', 14000, 16000, { attributes: { 'db.system': 'postgresql', retries: 2 } }),
  span(D, '9', '8', 'auth', 'Check', 500, 1500),
  span(D, '8', undefined, 'web', 'GET /', 0, 4000),
]);
const t3 = spanTableFromRows([
  span(A, '1', undefined, 'web', 'GET /cart', 0, 6000),
  span(B, '5', '3', 'pay', 'Charge', 12000, 30000, {
    statusCode: 'error',
    statusMessage: 'card declined',
    events: [
      {
        timeUnixNano: (BASE + 20_000_000n).toString(),
        name: 'exception',
        attributes: { 'exception.type': 'Declined' },
      },
    ],
    links: [{ traceId: A, spanId: '0000000000000001' }],
  }),
  span(C, '7', undefined, 'api', 'GET /health', 50000, 51000, { attributes: { ok: true } }),
]);

/** Every column of every row, in (trace id, span id) order. */
function rows(table: SpanTable): unknown[] {
  const out = [];
  for (let r = 0; r < table.numSpans; r++) {
    const c = table.columns;
    out.push({
      ...spanRecord(table, r),
      httpStatusCode: c.httpStatusCode[r],
      rpcStatusCode: c.rpcStatusCode[r],
      ...Object.fromEntries(DICTIONARY_COLUMNS.map((d) => [d, table.stringAt(d, r)])),
    });
  }
  const key = (x: unknown) => {
    const s = x as { traceId: string; spanId: string };
    return `${s.traceId}/${s.spanId}`;
  };
  return out.sort((x, y) => (key(x) < key(y) ? -1 : key(x) > key(y) ? 1 : 0));
}

describe('mergeSpanTables', () => {
  it('gives the rows and strings of concatSpanTables, in the same order', () => {
    const merged = mergeSpanTables([t1, t2, t3]);
    const cat = concatSpanTables([t1, t2, t3]);
    expect(merged.numSpans).toBe(9);
    for (let r = 0; r < 9; r++) {
      expect(spanRecord(merged, r)).toEqual(spanRecord(cat, r));
      for (const d of DICTIONARY_COLUMNS) expect(merged.stringAt(d, r)).toBe(cat.stringAt(d, r));
    }
    expect([...merged.columns.httpStatusCode]).toEqual([200, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(merged.stringAt('host', 0)).toBe('node-1');
    expect(merged.stringAt('statusMessage', 7)).toBe('card declined');
    expect(merged.stringAt('dbSystem', 3)).toBe('postgresql');
  });

  it('adds nothing for an empty table', () => {
    const merged = mergeSpanTables([spanTableFromRows([]), t2]);
    expect(rows(merged)).toEqual(rows(t2));
    expect(merged.stringAt('service', 2)).toBe('auth');
  });
});

describe('TraceStore.appendAll', () => {
  let all: TraceStore;
  let one: TraceStore;
  const cleanups: (() => void)[] = [];
  beforeEach(async () => {
    const a = tempDir();
    const b = tempDir();
    cleanups.push(a.cleanup, b.cleanup);
    all = await openStore({ dir: a.dir });
    one = await openStore({ dir: b.dir });
    await all.append(stored);
    await one.append(stored);
  });
  afterEach(async () => {
    await all.close();
    await one.close();
    for (const c of cleanups.splice(0)) c();
  });

  it('stores exactly what append of the concatenation stores', async () => {
    expect(await all.appendAll([t1, t2, t3])).toEqual({ inserted: 7, duplicates: 2 });
    expect(await one.append(concatSpanTables([t1, t2, t3]))).toEqual({ inserted: 7, duplicates: 2 });
    const got = await all.spans({});
    const want = await one.spans({});
    expect(got.numSpans).toBe(8);
    expect(rows(got)).toEqual(rows(want));
    expect(await all.searchTraces({})).toEqual(await one.searchTraces({}));
  });

  it('writes a trace split across the tables as one trace, parents resolved', async () => {
    await all.appendAll([t1, t2, t3]);
    const b = await all.getTrace(B);
    const byId = new Map<string, string>();
    for (let r = 0; r < b!.numSpans; r++) {
      const s = spanRecord(b!, r);
      byId.set(s.spanId, `${s.parentSpanId}:${s.service}:${s.operation}:${s.statusCode}`);
    }
    expect(Object.fromEntries(byId)).toEqual({
      '0000000000000003': ':web:GET /pay:unset',
      '0000000000000005': '0000000000000003:pay:Charge:error',
      '0000000000000006': '0000000000000005:db:INSERT:unset',
    });
    const summaries = await all.searchTraces({});
    expect(summaries.map((t) => [t.traceId, t.spanCount, t.errorCount, t.rootOperation, t.services])).toEqual([
      [C, 1, 0, 'GET /health', ['api']],
      [B, 3, 1, 'GET /pay', ['db', 'pay', 'web']],
      [A, 2, 0, 'GET /cart', ['cart', 'web']],
      [D, 2, 0, 'GET /', ['auth', 'web']],
    ]);
    const pay = rows(await all.spans({ traceIds: [B] }))[1] as Record<string, unknown>;
    expect(pay.events).toEqual([
      {
        timeUnixNano: (BASE + 20_000_000n).toString(),
        name: 'exception',
        attributes: { 'exception.type': 'Declined' },
      },
    ]);
    expect(pay.errorType).toBe('Declined');
  });

  it('accepts one table, empty tables and an empty list', async () => {
    expect(await all.appendAll([])).toEqual({ inserted: 0, duplicates: 0 });
    expect(await all.appendAll([spanTableFromRows([]), t1, spanTableFromRows([])])).toEqual({
      inserted: 2,
      duplicates: 0,
    });
    expect(await all.appendAll([t1])).toEqual({ inserted: 0, duplicates: 2 });
  });

  it('names a bad element and rejects on a read-only store', async () => {
    await expect(all.appendAll([t1, {} as SpanTable])).rejects.toThrow(
      'store: appendAll() element 1 is not a SpanTable',
    );
    const dir = all.dir;
    await all.close();
    const ro = await openStore({ dir, readOnly: true });
    await expect(ro.appendAll([t1])).rejects.toMatchObject({ code: 'read-only' });
    await ro.close();
    all = await openStore({ dir });
  });
});
