// Probe of what one ingest batch costs in `aiops serve`: decoding OTLP protobuf, concatenating request tables, and
// the store's append at several batch sizes (fresh store each), with the wall and CPU time of each.
//
// Run: cd benchmarks && npx tsx --conditions=@aiops/source serve/append-probe.ts [total spans, default 300000]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeOtlpProtobuf } from '@aiops/ingest';
import { buildTraceIndex, concatSpanTables, type SpanTable, takeSpans } from '@aiops/span-model';
import { openStore } from '@aiops/store';
import { generateScenario } from '../scenarios/index.ts';
import { spanTableToOtlpProtobuf } from '../scenarios/otlp-encode.ts';

const TOTAL = Number(process.argv[2] ?? 300_000);

function requests(table: SpanTable, perRequest: number): Uint8Array[] {
  const index = buildTraceIndex(table);
  const out: Uint8Array[] = [];
  let t0 = 0;
  for (let t = 0; t < index.traceCount; t++) {
    const n = index.offsets[t + 1]! - index.offsets[t0]!;
    if (n >= perRequest || t === index.traceCount - 1) {
      out.push(
        spanTableToOtlpProtobuf(takeSpans(table, index.rows.subarray(index.offsets[t0]!, index.offsets[t + 1]!))),
      );
      t0 = t + 1;
    }
  }
  return out;
}

function timed<T>(fn: () => T): { value: T; wallMs: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, wallMs, cpuMs: (c.user + c.system) / 1000 };
}

const { table } = generateScenario({ services: 12, spans: TOTAL, seed: 7 });
const bodies = requests(table, 1000);
const bytes = bodies.reduce((a, b) => a + b.length, 0);
const dec = timed(() => bodies.map((b) => decodeOtlpProtobuf(b, { source: 'otlp' }).spans));
const n = dec.value.reduce((a, t) => a + t.numSpans, 0);
console.log(
  `decode: ${bodies.length} requests, ${n} spans, ${(bytes / n).toFixed(0)} B/span: ${Math.round(n / (dec.wallMs / 1000))} spans/s (cpu ${dec.cpuMs.toFixed(0)} ms)`,
);
for (const batch of [10_000, 25_000, 50_000, 100_000]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'aiops-append-probe-'));
  const store = await openStore({ dir });
  const per = batch / 1000;
  let wall = 0;
  let cpu = 0;
  let concatMs = 0;
  const times: number[] = [];
  for (let i = 0; i + per <= dec.value.length; i += per) {
    const c = timed(() => concatSpanTables(dec.value.slice(i, i + per)));
    concatMs += c.wallMs;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await store.append(c.value);
    const w = performance.now() - t0;
    const cu = process.cpuUsage(c0);
    wall += w;
    times.push(w);
    cpu += (cu.user + cu.system) / 1000;
  }
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
  times.sort((a, b) => a - b);
  const spans = times.length * batch;
  console.log(
    `append ${batch}: ${Math.round(spans / (wall / 1000))} spans/s, median ${times[times.length >> 1]!.toFixed(0)} ms/append, process cpu ${((cpu / wall) * 100).toFixed(0)}% of wall; concat ${Math.round(spans / (concatMs / 1000))} spans/s`,
  );
}
