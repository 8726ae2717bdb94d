import {
  buildChildrenIndex,
  ParentRefType,
  type SpanInput,
  type SpanTable,
  spanRecord,
  spanTableFromRows,
} from '@aiops/span-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type TraceStore } from '../src/index.ts';
import { BASE, span, tempDir } from './helpers.ts';

// Four traces (times in µs after BASE). Rows are listed in arrival order, which is the store's `seq` order: a value
// equal to the one the same key had on an earlier span of the trace is stored once ("repeat").
//
//   trace 1 (one append; the root arrives last, so all of its attributes repeat seq 1's)
//     seq 0  cart      POST /cart      |=====|        20..60    parent 1b (frontend)    status 200, user.id=u1
//     seq 1  frontend  HTTP POST       |=======|      10..70    parent 1a (the root)    a00..a17, status 503, user.id=u1
//     seq 2  frontend  GET /checkout  |==========|     0..100   root                    a00..a17, status 503 (repeats
//                                                                                       the latest, seq 1), exception
//   trace 2 (two appends: the cart span comes first, its parent in a later batch: found by id, not by seq)
//     batch 1  cart      POST /cart        |==|       1020..1050  parent 2b
//     batch 2  frontend  GET /home     |=========|    1000..1090  root
//              frontend  HTTP POST       |=====|      1010..1060  parent 2a
//   trace 3 (no root)
//     seq 0  cart      POST /cart       |====|       2000..2040  parent 3f (never arrives): an orphan
//     seq 1  cart      SELECT carts       |=|        2010..2020  parent 3a (cart): not a request of cart
//     seq 2  cart      retry            |==|         2050..2070  its own parent (treated as none)
//   trace 4  frontend  GET /home  at 9,000,000 µs: outside the window [0, 1 s)
//
//   requests (roots)        trace 1 GET /checkout, trace 2 GET /home
//   requests of cart        trace 1 POST /cart, trace 2 POST /cart, trace 3 POST /cart, trace 3 retry
const T1 = '10000000000000000000000000000001';
const T2 = '20000000000000000000000000000002';
const T3 = '30000000000000000000000000000003';
const T4 = '40000000000000000000000000000004';
const many = Object.fromEntries(Array.from({ length: 18 }, (_, i) => [`a${String(i).padStart(2, '0')}`, `value-${i}`]));

const trace1: SpanInput[] = [
  span(T1, '1c', '1b', 'cart', 'POST /cart', 20, 60, {
    kind: 'server',
    attributes: { 'user.id': 'u1', 'http.response.status_code': 200 },
  }),
  span(T1, '1b', '1a', 'frontend', 'HTTP POST', 10, 70, {
    kind: 'client',
    attributes: { ...many, 'http.response.status_code': 503, 'user.id': 'u1' },
  }),
  span(T1, '1a', undefined, 'frontend', 'GET /checkout', 0, 100, {
    kind: 'server',
    attributes: { ...many, 'http.response.status_code': 503 },
    events: [
      {
        timeUnixNano: BASE + 90_000n,
        name: 'exception',
        attributes: { 'exception.type': 'UpstreamError', 'exception.message': 'cart answered 503' },
      },
    ],
  }),
];
const trace2Late = [span(T2, '2c', '2b', 'cart', 'POST /cart', 1020, 1050, { kind: 'server' })];
const trace2 = [
  span(T2, '2a', undefined, 'frontend', 'GET /home', 1000, 1090, { kind: 'server' }),
  span(T2, '2b', '2a', 'frontend', 'HTTP POST', 1010, 1060, { kind: 'client' }),
];
const trace3 = [
  span(T3, '3a', '3f', 'cart', 'POST /cart', 2000, 2040, { attributes: { error: 'true' } }),
  span(T3, '3b', '3a', 'cart', 'SELECT carts', 2010, 2020, { kind: 'client', attributes: { 'db.system': 'redis' } }),
  span(T3, '3c', '3c', 'cart', 'retry', 2050, 2070),
];
const trace4 = [span(T4, '4a', undefined, 'frontend', 'GET /home', 9_000_000, 9_000_100, { kind: 'server' })];

const window = { fromUnixNano: BASE, toUnixNano: BASE + 1_000_000_000n };

/** The in-memory rule of `aiops stats traces`: roots, or spans of `service` whose parent is absent or elsewhere. */
function requestRecords(t: SpanTable, service?: string) {
  const svc = t.dict('service');
  const { parent } = buildChildrenIndex(t);
  const out = [];
  for (let r = 0; r < t.numSpans; r++) {
    const request =
      service === undefined
        ? t.columns.parentRefType[r] === ParentRefType.None
        : svc.values[svc.codes[r]!] === service && (parent[r]! < 0 || svc.codes[parent[r]!] !== svc.codes[r]);
    if (request) out.push(spanRecord(t, r));
  }
  return out;
}
const records = (t: SpanTable) => Array.from({ length: t.numSpans }, (_, i) => spanRecord(t, i));

describe('TraceStore.requestSpans', () => {
  let cleanup: () => void;
  let store: TraceStore;
  beforeAll(async () => {
    let dir: string;
    ({ dir, cleanup } = tempDir());
    store = await openStore({ dir });
    await store.append(spanTableFromRows([...trace1, ...trace2Late, ...trace3, ...trace4]));
    await store.append(spanTableFromRows(trace2));
  });
  afterAll(async () => {
    await store.close();
    cleanup();
  });

  it('returns the root spans of the window, with the values they repeat from spans it does not return', async () => {
    const roots = await store.requestSpans(window);
    expect(records(roots).map((r) => [r.traceId, r.service, r.operation])).toEqual([
      [T1, 'frontend', 'GET /checkout'],
      [T2, 'frontend', 'GET /home'],
    ]);
    const root = spanRecord(roots, 0);
    expect(root.attributes).toEqual({ ...many, 'http.response.status_code': 503 });
    expect(root.events.map((e) => e.name)).toEqual(['exception']);
    expect(roots.columns.httpStatusCode[0]).toBe(503);
    expect(records(roots)).toEqual(requestRecords(await store.spans(window)));
  });

  it("returns the spans entering a service: no parent, a parent found late, a parent that is itself, another service's parent", async () => {
    const cart = await store.requestSpans({ ...window, service: 'cart' });
    expect(records(cart).map((r) => [r.traceId, r.operation, r.parentSpanId])).toEqual([
      [T1, 'POST /cart', '000000000000001b'],
      [T2, 'POST /cart', '000000000000002b'],
      [T3, 'POST /cart', '000000000000003f'],
      [T3, 'retry', '000000000000003c'],
    ]);
    expect(spanRecord(cart, 0).attributes).toEqual({ 'user.id': 'u1', 'http.response.status_code': 200 });
    expect(spanRecord(cart, 2).attributes).toEqual({ error: 'true' });
    expect(records(cart)).toEqual(requestRecords(await store.spans({ ...window, service: 'cart' }), 'cart'));
  });

  it('keeps one operation, and reads nothing for an unknown service or operation', async () => {
    const home = await store.requestSpans({ operation: 'GET /home' });
    expect(records(home).map((r) => r.traceId)).toEqual([T2, T4]);
    const retry = await store.requestSpans({ service: 'cart', operation: 'retry' });
    expect(records(retry).map((r) => r.spanId)).toEqual(['000000000000003c']);
    expect((await store.requestSpans({ service: 'nope' })).numSpans).toBe(0);
    expect((await store.requestSpans({ operation: 'nope' })).numSpans).toBe(0);
    expect((await store.requestSpans({ service: 'cart', operation: 'GET /home' })).numSpans).toBe(0);
  });

  it('reads the same spans after compaction moved them to the main table', async () => {
    const before = records(await store.requestSpans({ ...window, service: 'cart' }));
    await store.compact();
    expect(records(await store.requestSpans({ ...window, service: 'cart' }))).toEqual(before);
    expect(records(await store.requestSpans(window))).toEqual(requestRecords(await store.spans(window)));
  });
});
