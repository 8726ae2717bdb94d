import { type SpanInput, type SpanTable, spanRecord, spanTableFromRows } from '@aiops/span-model';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type TraceStore } from '../src/index.ts';
import { BASE, span, tempDir } from './helpers.ts';

const records = (t: SpanTable) => Array.from({ length: t.numSpans }, (_, i) => spanRecord(t, i));

// Three traces of 1,500 spans each: 4,500 rows, so DuckDB hands them over in three chunks (2,048 rows each) and
// trace B straddles the first chunk boundary, trace C the second. Each trace is a chain (span k's parent is k-1):
//
//   trace A  s0 |=========================================|   user.id=uA on every span (stored once, then "repeat")
//            s1  |=======================================|    step=k (int, a new value every span)
//            ...                                              url.full: 40 bytes (outside DuckDB's 12-byte inline
//            s1499                    |=|                     strings), the same on every span of the trace
//   trace B  same shape, user.id=uB; trace C: user.id=uC
function chain(trace: string, user: string, startUs: number): SpanInput[] {
  return Array.from({ length: 1500 }, (_, k) =>
    span(
      trace,
      `${trace.slice(0, 4)}${(k + 1).toString(16).padStart(6, '0')}`,
      k === 0 ? undefined : `${trace.slice(0, 4)}${k.toString(16).padStart(6, '0')}`,
      `svc-${k % 3}`,
      `op-${k % 5}`,
      startUs + k,
      startUs + 3000 - k,
      {
        attributes: { 'user.id': user, step: k, 'url.full': `https://shop.example/${user}/checkout/cart/1` },
      },
    ),
  );
}

describe('bulk read (spans) across result chunks', () => {
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

  it('rebuilds every span, parent and repeated value of traces that straddle chunk boundaries', async () => {
    const a = chain('aaaa000000000000000000000000000a', 'uA', 0);
    const b = chain('bbbb000000000000000000000000000b', 'uB', 10_000);
    const c = chain('cccc000000000000000000000000000c', 'uC', 20_000);
    await store.append(spanTableFromRows([...a, ...b, ...c]));
    const all = await store.spans({ fromUnixNano: BASE, toUnixNano: BASE + 1_000_000_000n });
    expect(all.numSpans).toBe(4500);
    expect(records(all)).toEqual(records(spanTableFromRows([...a, ...b, ...c])));
    const r = spanRecord(all, 1500 + 1499);
    expect(r.attributes['user.id']).toBe('uB');
    expect(r.attributes['url.full']).toBe('https://shop.example/uB/checkout/cart/1');
    expect(r.parentSpanId).toBe('000000bbbb0005db');
  });
});
