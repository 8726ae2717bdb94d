import { spanTableFromRows } from '@aiops/span-model';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type TraceStore } from '../src/index.ts';
import { BASE, span, tempDir } from './helpers.ts';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const C = 'cccccccccccccccccccccccccccccccc';
const ms = (x: number) => BigInt(x) * 1_000_000n;

//  µs after BASE
//  A  web  GET /cart   |====|              0..  5000   ok        services: web, cart
//        cart GetCart    |==|           1000..  3000
//  B  web  GET /pay          |==========|  10000..40000   failed    services: pay, web
//        pay  Charge           |=====|  12000..30000   error
//  C  api  GET /health                 |=| 50000..51000   ok        services: api
const traces = [
  span(A, '1', undefined, 'web', 'GET /cart', 0, 5000),
  span(A, '2', '1', 'cart', 'GetCart', 1000, 3000),
  span(B, '3', undefined, 'web', 'GET /pay', 10000, 40000),
  span(B, '4', '3', 'pay', 'Charge', 12000, 30000, { statusCode: 'error' }),
  span(C, '5', undefined, 'api', 'GET /health', 50000, 51000),
];

describe('TraceStore search', () => {
  let store: TraceStore;
  let cleanup: () => void;
  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    store = await openStore({ dir: t.dir });
    await store.append(spanTableFromRows(traces));
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  const ids = async (q: Parameters<TraceStore['searchTraces']>[0]) =>
    (await store.searchTraces(q)).map((t) => t.traceId[0]);

  it('lists every trace newest first with its summary', async () => {
    const all = await store.searchTraces({});
    expect(all.map((t) => t.traceId)).toEqual([C, B, A]);
    expect(all[1]).toEqual({
      traceId: B,
      rootService: 'web',
      rootOperation: 'GET /pay',
      startUnixNano: BASE + ms(10),
      durationNano: ms(30),
      spanCount: 2,
      services: ['pay', 'web'],
      errorCount: 1,
    });
  });

  it('filters by service, operation, window, duration, status and limit', async () => {
    expect(await ids({ service: 'web' })).toEqual(['b', 'a']);
    expect(await ids({ service: 'nope' })).toEqual([]);
    expect(await ids({ operation: 'GetCart' })).toEqual(['a']);
    expect(await ids({ service: 'web', operation: 'GetCart' })).toEqual([]);
    expect(await ids({ service: 'cart', operation: 'GetCart' })).toEqual(['a']);
    expect(await ids({ fromUnixNano: BASE + ms(10), toUnixNano: BASE + ms(50) })).toEqual(['b']);
    expect(await ids({ minDurationNano: ms(5) })).toEqual(['b', 'a']);
    expect(await ids({ maxDurationNano: ms(1) })).toEqual(['c']);
    expect(await ids({ failed: true })).toEqual(['b']);
    expect(await ids({ failed: false })).toEqual(['c', 'a']);
    expect(await ids({ limit: 1 })).toEqual(['c']);
  });

  it('lists services, operations with span counts, and bounds', async () => {
    expect(await store.services()).toEqual(['api', 'cart', 'pay', 'web']);
    expect(await store.operations('web')).toEqual([
      { service: 'web', operation: 'GET /cart', spanCount: 1 },
      { service: 'web', operation: 'GET /pay', spanCount: 1 },
    ]);
    expect((await store.operations()).length).toBe(5);
    expect(await store.bounds()).toEqual({
      fromUnixNano: BASE,
      toUnixNano: BASE + ms(51),
      spanCount: 5,
      traceCount: 3,
    });
  });

  it('returns whole traces for a window, a service, ids or the newest n', async () => {
    const w = await store.spans({ fromUnixNano: BASE + ms(1), toUnixNano: BASE + ms(60) });
    expect(w.numSpans).toBe(3);
    const byService = await store.spans({ service: 'cart' });
    expect(byService.numSpans).toBe(2);
    expect(byService.stringAt('operation', 1)).toBe('GetCart');
    expect((await store.spans({ traceIds: [C.toUpperCase(), A] })).numSpans).toBe(3);
    expect((await store.spans({ limitTraces: 1 })).numSpans).toBe(1);
    // More ids than the OR form takes (16): a join against the id list; unknown, duplicate and malformed ids are
    // harmless.
    const many = [
      B,
      A.toUpperCase(),
      A,
      ...Array.from({ length: 40 }, (_, i) => i.toString(16).padStart(32, 'f')),
      'zz',
    ];
    const byIds = await store.spans({ traceIds: many });
    expect(byIds.numSpans).toBe(4);
    expect(new Set(Array.from({ length: 4 }, (_, r) => byIds.stringAt('operation', r)))).toEqual(
      new Set(['GET /cart', 'GetCart', 'GET /pay', 'Charge']),
    );
    expect((await store.spans({ traceIds: many, detail: 'analysis' })).numSpans).toBe(4);
    expect((await store.spans({ service: 'nope' })).numSpans).toBe(0);
  });
});

describe('TraceStore late spans', () => {
  //  trace L, three batches (µs after BASE):
  //  batch 1:      child  cart GetCart        |====|          1000..3000   (parent 1 not yet stored)
  //  batch 2:  root   web  GET /cart      |==========|        0..5000
  //  batch 3:      late   db  SELECT           |=========|    2000..9000   error, ends after the root
  //  summary after each batch: root '', start 1000, 1 span → root web, start 0, 2 spans → 3 spans, 9000 µs, 1 error
  const L = '11111111111111112222222222222222';
  it('updates the trace summary as spans of a trace arrive in several batches', async () => {
    const { dir, cleanup } = tempDir();
    const store = await openStore({ dir });
    try {
      await store.append(spanTableFromRows([span(L, '2', '1', 'cart', 'GetCart', 1000, 3000)]));
      let [s] = await store.searchTraces({});
      expect([s?.rootService, s?.startUnixNano, s?.spanCount]).toEqual(['', BASE + ms(1), 1]);
      await store.append(spanTableFromRows([span(L, '1', undefined, 'web', 'GET /cart', 0, 5000)]));
      [s] = await store.searchTraces({});
      expect([s?.rootService, s?.rootOperation, s?.startUnixNano, s?.durationNano, s?.spanCount]).toEqual([
        'web',
        'GET /cart',
        BASE,
        ms(5),
        2,
      ]);
      await store.append(spanTableFromRows([span(L, '3', '2', 'db', 'SELECT', 2000, 9000, { statusCode: 'error' })]));
      [s] = await store.searchTraces({ service: 'db', failed: true });
      expect(s).toEqual({
        traceId: L,
        rootService: 'web',
        rootOperation: 'GET /cart',
        startUnixNano: BASE,
        durationNano: ms(9),
        spanCount: 3,
        services: ['cart', 'db', 'web'],
        errorCount: 1,
      });
      const t = await store.getTrace(L);
      const parents = Array.from({ length: 3 }, (_, i) => t?.columns.parentRefType[i]);
      expect(parents).toEqual([1, 0, 1]);
      // The parent link of the first span (stored before its parent) and of the late span are intact.
      const hex = (i: number) => Buffer.from(t?.columns.parentSpanId.subarray(i * 8, i * 8 + 8) ?? []).toString('hex');
      expect([hex(0), hex(2)]).toEqual(['0000000000000001', '0000000000000002']);
      // Compaction moves the spans next to each other and keeps them readable.
      await store.compact();
      expect((await store.getTrace(L))?.numSpans).toBe(3);
      expect(await store.append(spanTableFromRows([span(L, '3', '2', 'db', 'SELECT', 2000, 9000)]))).toEqual({
        inserted: 0,
        duplicates: 1,
      });
    } finally {
      await store.close();
      cleanup();
    }
  });
});
