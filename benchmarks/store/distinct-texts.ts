// Cost of fetching the text of each distinct hashed value (the analysis read's second statement), per SQL shape:
// DISTINCT (hash, text) vs GROUP BY hash with min/max text (a collision shows as min <> max), each with the
// semi-join on the selected traces or with a trace-number range. One UNION ALL part per value column v0..v15.
// Usage: npx tsx --conditions=@aiops/source store/distinct-texts.ts <store dir>

import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const dir = process.argv[2]!;
const db = await DuckDBInstance.create(join(dir, 'traces.duckdb'), { access_mode: 'READ_ONLY' });
const conn = await db.connect();
const max = Number((await conn.runAndReadAll('SELECT max(trace_no) FROM traces')).getRows()[0]![0]);
const slots = Array.from({ length: 16 }, (_, k) => k);
const semi = 's.trace_no IN (SELECT trace_no FROM traces)';
const range = `s.trace_no BETWEEN 0 AND ${max}`;
const distinct = (where: string) =>
  `SELECT DISTINCT h, v FROM (${slots.map((k) => `SELECT DISTINCT hash(s.v${k}) AS h, s.v${k} AS v FROM all_spans s WHERE s.v${k} IS NOT NULL AND ${where}`).join(' UNION ALL ')})`;
const grouped = (where: string) =>
  slots
    .map(
      (k) =>
        `SELECT hash(s.v${k}) AS h, min(s.v${k}) AS v, max(s.v${k}) AS w FROM all_spans s WHERE s.v${k} IS NOT NULL AND ${where} GROUP BY 1`,
    )
    .join(' UNION ALL ');
for (const [name, sql] of [
  ['distinct+semi', distinct(semi)],
  ['distinct+range', distinct(range)],
  ['groupMinMax+range', grouped(range)],
] as const) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const rows = (await conn.runAndReadAll(sql)).getRows().length;
  const u = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      name,
      rows,
      wallS: +((performance.now() - t0) / 1000).toFixed(2),
      cpuS: +((u.user + u.system) / 1e6).toFixed(2),
      load: loadavg()[0]!.toFixed(2),
    }),
  );
}
