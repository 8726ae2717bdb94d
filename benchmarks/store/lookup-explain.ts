// EXPLAIN ANALYZE of the two queries behind getTrace (trace id → trace_no, then the spans), on a built store.
// Usage: npx tsx --conditions=@aiops/source store/lookup-explain.ts <store dir>
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const dir = process.argv[2]!;
const db = await DuckDBInstance.create(join(dir, 'traces.duckdb'), { access_mode: 'READ_ONLY' });
const conn = await db.connect();
const sample = (
  await conn.runAndReadAll('SELECT trace_no, trace_hi, trace_lo FROM traces USING SAMPLE 50 ROWS (reservoir, 7)')
).getRows();
const time = async (sql: string): Promise<number> => {
  const t0 = performance.now();
  await conn.runAndReadAll(sql);
  return performance.now() - t0;
};
const idSql = (r: unknown[]) => `SELECT trace_no FROM traces WHERE trace_hi = ${r[1]} AND trace_lo = ${r[2]} LIMIT 1`;
const spanSql = (r: unknown[]) => `SELECT * FROM all_spans WHERE trace_no = ${r[0]} ORDER BY seq`;
const med = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!.toFixed(2);
for (const r of sample.slice(0, 5)) await time(spanSql(r));
const a: number[] = [];
const b: number[] = [];
for (const r of sample) {
  a.push(await time(idSql(r)));
  b.push(await time(spanSql(r)));
}
console.log(`trace id → trace_no: median ${med(a)} ms; spans of the trace: median ${med(b)} ms`);
for (const sql of [idSql(sample[0]!), spanSql(sample[0]!)]) {
  const plan = (await conn.runAndReadAll(`EXPLAIN ANALYZE ${sql}`)).getRows();
  console.log(String(plan[0]![1]));
}
conn.closeSync();
db.closeSync();
