import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const src = process.argv[2];
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
await c.run(`ATTACH '${src}' AS src (READ_ONLY)`);
const n = Number((await c.runAndReadAll(`SELECT count(*) FROM src.all_spans`)).getRows()[0][0]);
for (const [name, sql] of [
  ['as stored', 'SELECT * FROM src.all_spans'],
  ['trace,seq', 'SELECT * FROM src.all_spans ORDER BY trace_no, seq'],
  [
    'batch(trace_no//6667), op, shape, trace',
    'SELECT * FROM src.all_spans ORDER BY trace_no // 6667, op_id, shape_id, trace_no, seq',
  ],
  ['global op, shape, trace', 'SELECT * FROM src.all_spans ORDER BY op_id, shape_id, trace_no, seq'],
]) {
  const f = `/tmp/probe/o.duckdb`;
  fs.rmSync(f, { force: true });
  fs.rmSync(f + '.wal', { force: true });
  await c.run(`ATTACH '${f}' AS d`);
  await c.run(`CREATE TABLE d.t AS ${sql}`);
  await c.run('CHECKPOINT d');
  const r = (
    await c.runAndReadAll(`SELECT used_blocks FROM pragma_database_size() WHERE database_name='d'`)
  ).getRows()[0][0];
  await c.run('DETACH d');
  console.log(name.padEnd(45), ((Number(r) * 262144) / n).toFixed(2), 'B/span');
}
