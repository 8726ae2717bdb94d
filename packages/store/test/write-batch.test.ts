// The writer's per-span bookkeeping, checked through the public store: span ids and parents found across batches,
// duplicates skipped, trace times computed from 32-bit words (a carry and a borrow across the low word), and late
// spans of stored traces written in trace order.
import { spanRecord, spanTableFromRows } from '@aiops/span-model';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type TraceStore } from '../src/index.ts';
import { BASE, span, tempDir } from './helpers.ts';

const A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const C = 'cccccccccccccccccccccccccccccccc';
// BASE's low 32-bit word is 908,722,176: 3,386,245,120 ns later it wraps to the next high word.
const WRAP_US = 3_386_245;

//  µs after BASE (batch 1)
//  A  web  GET /cart  1        |======================|            0 .. 3,386,245
//     cart GetCart    f0..a2                           |=|  3,386,245 .. 3,386,246   end crosses the low word
//  B  web  GET /pay   b1       |=|                                10 .. 20
//  (batch 2: late spans and a new trace, C first so the rows arrive out of trace order)
//  C  api  GET /health c1      |=|                                 5 .. 6
//  A  cart GetCart    f0..a2   duplicate of batch 1 → skipped
//  A  cart Query      3  |=|   parent f0..a2 (stored)     -1,000,000 .. -999,000   before the trace's base
//  A  web  render     4                                 |=|  3,386,247 .. 3,386,248   offset borrows from the high word
//  B  pay  Charge     b2       parent dead (never sent)          12 .. 15
//  expected A: start BASE - 1 s, end BASE + 3,386,248 µs, 4 spans, root GET /cart
const batch1 = [
  span(A, '1', undefined, 'web', 'GET /cart', 0, WRAP_US),
  span(A, 'f0000000000000a2', '1', 'cart', 'GetCart', WRAP_US, WRAP_US + 1),
  span(B, 'b1', undefined, 'web', 'GET /pay', 10, 20),
];
const batch2 = [
  span(C, 'c1', undefined, 'api', 'GET /health', 5, 6),
  span(A, 'f0000000000000a2', '1', 'cart', 'GetCart', WRAP_US, WRAP_US + 1),
  span(A, '3', 'f0000000000000a2', 'cart', 'Query', -1_000_000, -999_000),
  span(A, '4', '1', 'web', 'render', WRAP_US + 2, WRAP_US + 3),
  span(B, 'b2', 'dead', 'pay', 'Charge', 12, 15),
];

describe('TraceStore append (writer bookkeeping)', () => {
  let store: TraceStore;
  let cleanup: () => void;
  beforeEach(async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    store = await openStore({ dir: t.dir });
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  it('skips the duplicate, links late spans to stored parents and keeps exact times', async () => {
    expect(await store.append(spanTableFromRows(batch1))).toEqual({ inserted: 3, duplicates: 0 });
    expect(await store.append(spanTableFromRows(batch2))).toEqual({ inserted: 4, duplicates: 1 });

    const a = (await store.getTrace(A))!;
    const spans = Array.from({ length: a.numSpans }, (_, i) => spanRecord(a, i));
    expect(spans.map((s) => [s.spanId, s.parentSpanId, s.startTimeUnixNano, s.durationNano])).toEqual([
      ['0000000000000001', '', String(BASE), String(BigInt(WRAP_US) * 1000n)],
      ['f0000000000000a2', '0000000000000001', String(BASE + BigInt(WRAP_US) * 1000n), '1000'],
      ['0000000000000003', 'f0000000000000a2', String(BASE - 1_000_000_000n), '1000000'],
      ['0000000000000004', '0000000000000001', String(BASE + BigInt(WRAP_US + 2) * 1000n), '1000'],
    ]);

    const b = (await store.getTrace(B))!;
    const late = spanRecord(b, b.numSpans - 1);
    expect([late.spanId, late.parentSpanId, late.operation]).toEqual([
      '00000000000000b2',
      '000000000000dead',
      'Charge',
    ]);

    const summaries = await store.searchTraces({});
    const sa = summaries.find((s) => s.traceId === A)!;
    expect(sa).toMatchObject({
      startUnixNano: BASE - 1_000_000_000n,
      durationNano: 1_000_000_000n + BigInt(WRAP_US + 3) * 1000n,
      spanCount: 4,
      rootOperation: 'GET /cart',
      services: ['cart', 'web'],
    });
    expect(summaries.find((s) => s.traceId === C)).toMatchObject({ spanCount: 1, rootService: 'api' });
    expect(await store.operations('cart')).toEqual([
      { service: 'cart', operation: 'GetCart', spanCount: 1 },
      { service: 'cart', operation: 'Query', spanCount: 1 },
    ]);
  });
});
