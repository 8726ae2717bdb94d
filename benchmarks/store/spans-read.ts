// Bulk read: `store.spans({ fromUnixNano, toUnixNano })` over the whole stored window (what every analysis command
// does), reporting spans per CPU-second and per wall second, plus a fingerprint of the result so that two versions of
// the reader can be checked to return the same table.
// Usage: npx tsx --conditions=@aiops/source store/spans-read.ts [--spans 1000000] [--data scenario] [--runs 3]
// (STORE_DIR=<dir> to read another store; --service <name> to filter).
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DICTIONARY_COLUMNS, type SpanTable } from '@aiops/span-model';
import { openStore } from '@aiops/store';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}
const total = Number(arg('spans', '1000000'));
const data = arg('data', 'scenario');
const runs = Number(arg('runs', '3'));
const service = arg('service', '');
const dir =
  process.env.STORE_DIR ??
  join(import.meta.dirname, '..', 'data', `store-${total}${data === 'scenario' ? '-scenario' : ''}`);

function fingerprint(t: SpanTable): string {
  const h = createHash('sha256');
  const c = t.columns;
  for (const a of [
    c.traceId,
    c.spanId,
    c.parentSpanId,
    c.parentRefType,
    c.kind,
    c.statusCode,
    c.startUnixNano,
    c.durationNano,
    c.httpStatusCode,
    c.rpcStatusCode,
    c.attrOffsets,
    c.attrType,
    c.attrValues.offsets,
    c.attrValues.bytes,
    c.events.offsets,
    c.events.bytes,
    c.links.offsets,
    c.links.bytes,
  ]) {
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  for (let i = 0; i < c.attrKey.length; i++) h.update(c.attrKeys[c.attrKey[i]!]!);
  for (const name of DICTIONARY_COLUMNS) {
    const d = t.dict(name);
    for (let i = 0; i < d.codes.length; i++) h.update(`${d.values[d.codes[i]!]}\u0000`);
  }
  return h.digest('hex').slice(0, 16);
}

const threads = process.env.STORE_THREADS ? Number(process.env.STORE_THREADS) : undefined;
const store = await openStore({ dir, readOnly: true, ...(threads ? { threads } : {}) });
const b = await store.bounds();
if (!b) throw new Error(`no spans in ${dir}`);
for (let run = 0; run < runs; run++) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const table = await store.spans({
    fromUnixNano: b.fromUnixNano,
    toUnixNano: b.toUnixNano + 1n,
    ...(service ? { service } : {}),
  });
  const wall = (performance.now() - t0) / 1000;
  const cpuUsage = process.cpuUsage(cpu0);
  const cpu = (cpuUsage.user + cpuUsage.system) / 1e6;
  const n = table.numSpans;
  console.log(
    JSON.stringify({
      run,
      spans: n,
      wallS: +wall.toFixed(2),
      cpuS: +cpu.toFixed(2),
      spansPerCpuS: Math.round(n / cpu),
      spansPerWallS: Math.round(n / wall),
      rssMB: Math.round(process.memoryUsage().rss / 1e6),
      ...(run === 0 ? { fingerprint: fingerprint(table) } : {}),
    }),
  );
}
await store.close();
