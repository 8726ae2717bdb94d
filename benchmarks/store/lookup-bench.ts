// Trace-by-id latency on an existing store (e.g. the one store-bench.ts built), over random stored trace ids.
// Usage: npx tsx --conditions=@aiops/source store/lookup-bench.ts [--spans 10000000] [--lookups 1000]
// (STORE_DIR=<dir> to read another store). cpuMsPerLookup is the process's CPU time (all threads) per lookup: a
// figure that a loaded machine does not inflate the way it inflates wall-clock percentiles.
import { join } from 'node:path';
import { openStore } from '@aiops/store';
import { DuckDBInstance } from '@duckdb/node-api';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const total = arg('spans', 10_000_000);
const lookups = arg('lookups', 1000);
const dir = process.env.STORE_DIR ?? join(import.meta.dirname, '..', 'data', `store-${total}`);

const db = await DuckDBInstance.create(join(dir, 'traces.duckdb'), { access_mode: 'READ_ONLY' });
const conn = await db.connect();
const ids = (
  await conn.runAndReadAll(
    `SELECT lower(printf('%016x%016x', trace_hi, trace_lo)) FROM traces USING SAMPLE ${lookups} ROWS (reservoir, 7)`,
  )
)
  .getRows()
  .map((r) => String(r[0]));
conn.closeSync();
db.closeSync();

const threads = process.env.STORE_THREADS ? Number(process.env.STORE_THREADS) : undefined;
const store = await openStore({ dir, readOnly: true, ...(threads ? { threads } : {}) });
for (const id of ids.slice(0, 20)) await store.getTrace(id);
const times: number[] = [];
let missing = 0;
const cpu0 = process.cpuUsage();
for (const id of ids) {
  const t0 = performance.now();
  const t = await store.getTrace(id);
  times.push(performance.now() - t0);
  if (!t) missing++;
}
const cpu = process.cpuUsage(cpu0);
await store.close();
times.sort((a, b) => a - b);
const q = (p: number) => +times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(2);
console.log(
  JSON.stringify({
    lookups: ids.length,
    missing,
    p50Ms: q(0.5),
    p90Ms: q(0.9),
    p99Ms: q(0.99),
    maxMs: q(1),
    cpuMsPerLookup: +((cpu.user + cpu.system) / 1000 / ids.length).toFixed(2),
  }),
);
