// Store benchmark: bytes on disk per span, append throughput, trace-by-id latency.
// Usage: npx tsx --conditions=@aiops/source store/store-bench.ts [--spans 10000000] [--batch 100000] [--lookups 1000]
//          [--data webshop|scenario]
// --data scenario uses the shared generator (benchmarks/scenarios, 12 services, one 300 s scenario per batch).
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { type SpanTable, traceIdAt } from '@aiops/span-model';
import { openStore } from '@aiops/store';
import { generateScenario } from '../scenarios/index.ts';
import { spanTableToOtlpProtobuf as scenarioOtlp } from '../scenarios/otlp-encode.ts';
import { spanTableToOtlpProtobuf } from './otlp-protobuf.ts';
import { rng, webShopSpans } from './web-shop-spans.ts';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const total = arg('spans', 10_000_000);
const batch = arg('batch', 100_000);
const lookups = arg('lookups', 1000);
const di = process.argv.indexOf('--data');
const data = di >= 0 ? process.argv[di + 1]! : 'webshop';
if (data !== 'webshop' && data !== 'scenario') throw new Error('--data must be webshop or scenario');
const dir = join(import.meta.dirname, '..', 'data', `store-${total}${data === 'scenario' ? '-scenario' : ''}`);

function generate(seed: number, spans: number, startUnixNano: bigint): SpanTable {
  if (data === 'webshop') return webShopSpans({ spans, seed, startUnixNano });
  return generateScenario({ seed, services: 12, durationSeconds: 300, spans, startUnixNano }).table;
}
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });

const store = await openStore({ dir });
const sampleIds: string[] = [];
const pick = rng(42);
let appended = 0;
let appendMs = 0;
let appendCpuUs = 0;
let genMs = 0;
let protoBytes = 0;
let protoSpans = 0;
let start = 1_700_000_000_000_000_000n;
for (let seed = 1; appended < total; seed++) {
  const g0 = performance.now();
  const table = generate(seed, Math.min(batch, total - appended), start);
  genMs += performance.now() - g0;
  let last = start;
  for (const s of table.columns.startUnixNano) if (s > last) last = s;
  start = last + 1_000_000n;
  if (protoSpans < 200_000) {
    const proto = data === 'webshop' ? spanTableToOtlpProtobuf(table) : scenarioOtlp(table);
    protoBytes += gzipSync(proto).length;
    protoSpans += table.numSpans;
  }
  for (let k = 0; k < 20; k++) sampleIds.push(traceIdAt(table, Math.floor(pick() * table.numSpans)));
  const a0 = performance.now();
  const cpu0 = process.cpuUsage();
  const r = await store.append(table);
  const cpu = process.cpuUsage(cpu0);
  appendCpuUs += cpu.user + cpu.system;
  appendMs += performance.now() - a0;
  appended += r.inserted;
  if ((seed & 15) === 0) process.stderr.write(`\r${appended} spans, ${(appended / (appendMs / 1000)).toFixed(0)}/s`);
}
process.stderr.write('\n');
const c0 = performance.now();

await store.checkpoint();
const checkpointMs = performance.now() - c0;
await store.close();
const file = join(dir, 'traces.duckdb');
const wal = `${file}.wal`;
const bytes = statSync(file).size + (existsSync(wal) ? statSync(wal).size : 0);

const ro = await openStore({ dir, readOnly: true });
const ids = Array.from({ length: lookups }, () => sampleIds[Math.floor(pick() * sampleIds.length)]!);
for (const id of ids.slice(0, 20)) await ro.getTrace(id); // warm the buffer pool like a running process
const times: number[] = [];
let spansRead = 0;
for (const id of ids) {
  const t0 = performance.now();
  const t = await ro.getTrace(id);
  times.push(performance.now() - t0);
  spansRead += t?.numSpans ?? 0;
}
times.sort((a, b) => a - b);
const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
const s0 = performance.now();
const found = await ro.searchTraces({ service: 'payment', minDurationNano: 100_000_000n, limit: 20 });
const searchMs = performance.now() - s0;
const s1 = performance.now();
const failed = await ro.searchTraces({ operation: 'SELECT items', failed: true, limit: 20 });
const searchOpMs = performance.now() - s1;
const bounds = await ro.bounds();
await ro.close();

const result = {
  data,
  spans: appended,
  traces: bounds?.traceCount,
  bytesOnDisk: bytes,
  bytesPerSpan: +(bytes / appended).toFixed(1),
  gzipOtlpProtobufBytesPerSpan: +(protoBytes / protoSpans).toFixed(1),
  appendSpansPerSecond: Math.round(appended / (appendMs / 1000)),
  appendSpansPerCpuSecond: Math.round(appended / (appendCpuUs / 1e6)),
  generateSpansPerSecond: Math.round(appended / (genMs / 1000)),
  checkpointMs: Math.round(checkpointMs),
  getTrace: {
    lookups,
    p50Ms: +q(0.5).toFixed(2),
    p99Ms: +q(0.99).toFixed(2),
    maxMs: +q(1).toFixed(2),
    avgSpans: +(spansRead / lookups).toFixed(1),
  },
  search: {
    serviceMinDurationMs: +searchMs.toFixed(1),
    hits: found.length,
    operationFailedMs: +searchOpMs.toFixed(1),
    hits2: failed.length,
  },
};
console.log(JSON.stringify(result, null, 2));
