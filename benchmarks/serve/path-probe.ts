// Probe of the CPU time per span of each stage of `aiops serve`'s ingest path, in one process and without HTTP:
// decoding OTLP protobuf (1,000-span requests), the WAL's group write + fdatasync, concatenating a flush's request
// tables, and the store's append of one flush (fresh store each round); and the same flush as one
// `TraceStore.appendAll` of the request tables (no concatenation). The sum counts the "before" path. Reports the median of several rounds as
// CPU µs per span (process.cpuUsage: DuckDB's own threads included) and wall µs per span.
//
// Run: cd benchmarks && npx tsx --conditions=@aiops/source serve/path-probe.ts [spans per round, default 100000]
//      [rounds, default 5] [DuckDB threads, default DuckDB's own: one per core]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeOtlpProtobuf } from '@aiops/ingest';
import { buildTraceIndex, concatSpanTables, type SpanTable, takeSpans } from '@aiops/span-model';
import { openStore } from '@aiops/store';
import { WriteAheadLog } from '../../packages/cli/src/serve/wal.ts';
import { mergeSpanTables } from '../../packages/store/src/internal/write-batch.ts';
import { generateScenario } from '../scenarios/index.ts';
import { spanTableToOtlpProtobuf } from '../scenarios/otlp-encode.ts';

const SPANS = Number(process.argv[2] ?? 100_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const THREADS = process.argv[4] ? Number(process.argv[4]) : undefined;

/** Requests as Buffers, as the receivers hand them to the decoder. */
function requests(table: SpanTable, perRequest: number): Buffer[] {
  const index = buildTraceIndex(table);
  const out: Buffer[] = [];
  let t0 = 0;
  for (let t = 0; t < index.traceCount; t++) {
    const n = index.offsets[t + 1]! - index.offsets[t0]!;
    if (n >= perRequest || t === index.traceCount - 1) {
      out.push(
        Buffer.from(
          spanTableToOtlpProtobuf(takeSpans(table, index.rows.subarray(index.offsets[t0]!, index.offsets[t + 1]!))),
        ),
      );
      t0 = t + 1;
    }
  }
  return out;
}

async function timed<T>(fn: () => T | Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = await fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, wallMs, cpuMs: (c.user + c.system) / 1000 };
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!;
const { table } = generateScenario({ services: 12, spans: SPANS, seed: 7 });
const bodies = requests(table, 1000);
const bytes = bodies.reduce((a, b) => a + b.length, 0);
const stages: Record<string, { cpu: number[]; wall: number[] }> = {};
const record = (name: string, r: { wallMs: number; cpuMs: number }, n: number) => {
  const s = (stages[name] ??= { cpu: [], wall: [] });
  s.cpu.push((r.cpuMs * 1000) / n);
  s.wall.push((r.wallMs * 1000) / n);
};
for (let round = 0; round < ROUNDS; round++) {
  const dec = await timed(() => bodies.map((b) => decodeOtlpProtobuf(b, { source: 'otlp' }).spans));
  const n = dec.value.reduce((a, t) => a + t.numSpans, 0);
  record('decode', dec, n);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-path-probe-'));
  const wal = await WriteAheadLog.create(path.join(dir, 'wal'));
  const walRun = await timed(async () => {
    for (let i = 0; i < bodies.length; i += 64)
      await Promise.all(bodies.slice(i, i + 64).map((b) => wal.append('otlp-proto', b, () => undefined)));
  });
  record('wal (64 requests per group)', walRun, n);
  await wal.closeAndRemove();
  // The flush before (concatSpanTables + append) and after (appendAll), each into a fresh store; which runs first
  // alternates by round, so that neither always pays for the other's garbage.
  const open = (name: string) => openStore({ dir: path.join(dir, name), ...(THREADS ? { threads: THREADS } : {}) });
  const before = async () => {
    const cat = await timed(() => concatSpanTables(dec.value));
    record('concat', cat, n);
    const store = await open('store-before');
    const app = await timed(() => store.append(cat.value));
    record('store append', app, n);
    record('= flush before (concat + append)', { wallMs: cat.wallMs + app.wallMs, cpuMs: cat.cpuMs + app.cpuMs }, n);
    await store.close();
  };
  const after = async () => {
    record('join (inside appendAll)', await timed(() => mergeSpanTables(dec.value)), n);
    const store = await open('store-after');
    const all = await timed(() => store.appendAll(dec.value));
    record('= flush after (appendAll)', all, n);
    await store.close();
  };
  if (round % 2 === 0) {
    await before();
    await after();
  } else {
    await after();
    await before();
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(
  `${bodies.length} requests, ${SPANS} spans per round, ${(bytes / SPANS).toFixed(0)} B/span, ${ROUNDS} rounds, DuckDB threads ${THREADS ?? 'default'}, load ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
let total = 0;
for (const [name, s] of Object.entries(stages)) {
  const cpu = median(s.cpu);
  if (!name.startsWith('=') && !name.startsWith('join')) total += cpu;
  console.log(
    `${name.padEnd(34)} cpu ${cpu.toFixed(2).padStart(6)} µs/span   wall ${median(s.wall).toFixed(2).padStart(6)} µs/span`,
  );
}
console.log(
  `${'sum of the stages (before)'.padEnd(34)} cpu ${total.toFixed(2).padStart(6)} µs/span = ${Math.round(1e6 / total).toLocaleString('en-US')} spans per CPU-s`,
);
