import fs from 'node:fs';
import { DuckDBInstance } from '@duckdb/node-api';

const src = process.argv[2];
const table = process.argv[3] ?? 'spans';
const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
await c.run(`ATTACH '${src}' AS src (READ_ONLY)`);
const n = Number((await c.runAndReadAll(`SELECT count(*) FROM src.${table}`)).getRows()[0][0]);
const cols = (
  await c.runAndReadAll(`SELECT column_name FROM duckdb_columns() WHERE database_name='src' AND table_name='${table}'`)
)
  .getRows()
  .map((r) => r[0]);
const groups = process.argv[4] ? process.argv[4].split(';') : cols;
let total = 0;
for (const g of groups) {
  const f = `/tmp/probe/col.duckdb`;
  fs.rmSync(f, { force: true });
  fs.rmSync(f + '.wal', { force: true });
  await c.run(`ATTACH '${f}' AS d`);
  await c.run(`CREATE TABLE d.t AS SELECT ${g} FROM src.${table}`);
  await c.run('CHECKPOINT d');
  const r = (
    await c.runAndReadAll(`SELECT used_blocks FROM pragma_database_size() WHERE database_name='d'`)
  ).getRows()[0][0];
  await c.run('DETACH d');
  const bytes = Number(r) * 262144;
  total += bytes;
  console.log(g.padEnd(30), (bytes / n).toFixed(2), 'B/row');
}
console.log('sum', (total / n).toFixed(2), 'rows', n);
