// Does a streamed read of the span table come in (trace_no, seq) order without ORDER BY? Counts the rows that break
// that order for a plain scan, wide projections, a long IN list (which the engine plans as a join), list_contains, a
// semi-join filter and the join on the selected traces (the analysis read's shapes).
// Usage: npx tsx --conditions=@aiops/source store/scan-order.ts <store dir>
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

const dir = process.argv[2]!;
const db = await DuckDBInstance.create(join(dir, 'traces.duckdb'), { access_mode: 'READ_ONLY' });
const conn = await db.connect();
const sel = 'SELECT trace_no, trace_hi, trace_lo, start_ns + base_delta AS base, span_count FROM traces';
const variants: Record<string, string> = {
  scan: 'SELECT s.trace_no, s.seq FROM all_spans s',
  range: 'SELECT s.trace_no, s.seq FROM all_spans s WHERE s.trace_no BETWEEN 0 AND 100000000',
  wide: 'SELECT s.trace_no, s.seq, s.v0, s.v1, hash(s.v2), s.events FROM all_spans s',
  wideRange:
    'SELECT s.trace_no, s.seq, s.v0, s.v1, hash(s.v2), s.events FROM all_spans s WHERE s.trace_no BETWEEN 0 AND 100000000',
  all: "SELECT s.trace_no, s.seq, s.span_id, s.parent_seq, s.parent_span_id, s.class_id, s.start_off, s.duration_ns, s.status_msg, s.trace_state, s.v0, s.v1, s.v2, s.v3, s.v4, s.v5, s.v6, s.v7, s.v8, s.v9, s.v10, s.v11, s.v12, s.v13, s.v14, s.v15, s.attr_more, CASE WHEN contains(s.events, 'exception') THEN s.events END, hash(s.v0), hash(s.v1), hash(s.v2), hash(s.v3), hash(s.v4), hash(s.v5), hash(s.v6), hash(s.v7), hash(s.v8), hash(s.v9), hash(s.v10), hash(s.v11), hash(s.v12), hash(s.v13), hash(s.v14), hash(s.v15) FROM all_spans s WHERE s.trace_no BETWEEN 0 AND 100000000",
  inList:
    'SELECT s.trace_no, s.seq, CASE WHEN s.class_id IN (1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39) THEN s.v0 END FROM all_spans s',
  listContains:
    'SELECT s.trace_no, s.seq, CASE WHEN list_contains([1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31,33,35,37,39], s.class_id) THEN s.v0 END FROM all_spans s',
  semi: `WITH sel AS MATERIALIZED (${sel}) SELECT s.trace_no, s.seq FROM all_spans s WHERE s.trace_no IN (SELECT trace_no FROM sel)`,
  join: `WITH sel AS MATERIALIZED (${sel}) SELECT s.trace_no, s.seq FROM all_spans s JOIN sel ON s.trace_no = sel.trace_no`,
};
for (const [name, sql] of Object.entries(variants)) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await conn.stream(sql);
  let rows = 0;
  let breaks = 0;
  let no = -1;
  let next = 0;
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    const nos = chunk.getColumnValues(0) as number[];
    const seqs = chunk.getColumnValues(1) as number[];
    for (let r = 0; r < nos.length; r++) {
      if (nos[r] !== no) {
        if (nos[r]! < no) breaks++;
        no = nos[r]!;
        next = 0;
      }
      if (seqs[r] !== next) breaks++;
      next = seqs[r]! + 1;
      rows++;
    }
  }
  const u = process.cpuUsage(cpu0);
  console.log(
    JSON.stringify({
      name,
      rows,
      breaks,
      wallS: +((performance.now() - t0) / 1000).toFixed(2),
      cpuS: +((u.user + u.system) / 1e6).toFixed(2),
    }),
  );
}
