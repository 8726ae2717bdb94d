// Where a bulk read of the store spends its time: the engine alone (the `spans()` query streamed without decoding,
// with and without ORDER BY, and narrower projections) versus the whole `store.spans()`.
// Usage: npx tsx --conditions=@aiops/source store/read-cost.ts <store-dir>

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { openStore } from '@aiops/store';
import { SPAN_READ_COLUMNS } from '../../packages/store/src/internal/ddl.ts';

// The store's own copies of the DuckDB packages (benchmarks does not depend on them).
const storeRequire = createRequire(join(import.meta.dirname, '../../packages/store/package.json'));
const { DuckDBInstance } = storeRequire('@duckdb/node-api') as typeof import('@duckdb/node-api');
const bindings = storeRequire('@duckdb/node-bindings') as typeof import('@duckdb/node-bindings').default;
const dir = process.argv[2]!;
async function timed<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await fn();
  const c = process.cpuUsage(c0);
  console.log(
    `${name.padEnd(48)} wall ${((performance.now() - t0) / 1000).toFixed(2)} s  cpu ${((c.user + c.system) / 1e6).toFixed(2)} s`,
  );
  return r;
}
const inst = await DuckDBInstance.create(join(dir, 'traces.duckdb'), { access_mode: 'READ_ONLY' });
const conn = await inst.connect();
async function drain(sql: string): Promise<number> {
  const res = await conn.stream(sql);
  let rows = 0;
  for (;;) {
    const raw = await bindings.fetch_chunk((res as unknown as { result: never }).result);
    if (!raw) break;
    const n = bindings.data_chunk_get_size(raw);
    if (n === 0) break;
    rows += n;
  }
  return rows;
}
const sel = 'SELECT trace_no, trace_hi, trace_lo, start_ns + base_delta AS base, span_count FROM traces';
for (const [name, sql] of [
  [
    'engine: spans() query',
    `WITH sel AS MATERIALIZED (${sel}) SELECT sel.trace_hi, sel.trace_lo, sel.base, ${SPAN_READ_COLUMNS} FROM all_spans s JOIN sel ON s.trace_no = sel.trace_no ORDER BY s.trace_no, s.seq`,
  ],
  [
    'engine: same, no ORDER BY',
    `WITH sel AS MATERIALIZED (${sel}) SELECT sel.trace_hi, sel.trace_lo, sel.base, ${SPAN_READ_COLUMNS} FROM all_spans s JOIN sel ON s.trace_no = sel.trace_no`,
  ],
  ['engine: all columns, plain scan', `SELECT ${SPAN_READ_COLUMNS} FROM all_spans s`],
  [
    'engine: no attributes/events',
    'SELECT trace_no, seq, span_id, parent_seq, parent_span_id, class_id, start_off, duration_ns FROM all_spans',
  ],
] as const) {
  const rows = await timed(name, () => drain(sql));
  void rows;
}
conn.closeSync();
inst.closeSync();
const store = await openStore({ dir, readOnly: true });
const t = await timed('store.spans({})', () => store.spans({}));
console.log(`${t.numSpans} spans`);
await store.close();
