// Per-request fixed cost of OTLP decoding: CPU µs per span for SDK-sized (512-span) and small (30-span) protobuf
// requests, and the cost of `SpanTableBuilder.finish()` alone (the dictionary columns are built there).
//
// Workload: the shared scenario generator (benchmarks/scenarios), 12 services, encoded as OTLP protobuf requests as
// an SDK batch span processor (512 spans) or a lightly loaded service (30 spans) would send them.
//
// Run: cd benchmarks && npx tsx --conditions=@aiops/source ingest/finish-dictionaries.ts [spansPerRun] [runs]
import { loadavg } from 'node:os';
import { decodeOtlpProtobuf } from '@aiops/ingest';
import { type SpanTable, SpanTableBuilder } from '@aiops/span-model';
import { generateScenario } from '../scenarios/index.ts';
import { spanTableToOtlpProtobuf } from '../scenarios/otlp-encode.ts';

const SPANS = Number(process.argv[2] ?? 61_440);
const RUNS = Number(process.argv[3] ?? 11);

const { table } = generateScenario({ services: 12, spans: SPANS, seed: 7 });
const n = table.numSpans;

function cpuUs(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

function stats(name: string, spans: number, run: () => void): void {
  const perSpan: number[] = [];
  for (let r = 0; r <= RUNS; r++) {
    const start = cpuUs();
    run();
    const us = cpuUs() - start;
    if (r > 0) perSpan.push(us / spans); // run 0 warms up the JIT
  }
  perSpan.sort((a, b) => a - b);
  const median = perSpan[Math.floor(perSpan.length / 2)]!;
  console.log(
    `${name.padEnd(40)} min ${perSpan[0]!.toFixed(3)}  median ${median.toFixed(3)} CPU µs/span  (${RUNS} runs)`,
  );
}

console.log(
  `load average at start: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (const size of [512, 30]) {
  const requests: Uint8Array[] = [];
  for (let s = 0; s < n; s += size)
    requests.push(spanTableToOtlpProtobuf(table, { start: s, end: Math.min(n, s + size) }));
  const decoded: SpanTable[] = requests.map((b) => decodeOtlpProtobuf(b).spans);
  if (decoded.reduce((a, t) => a + t.numSpans, 0) !== n) throw new Error('decode lost spans');
  stats(`decodeOtlpProtobuf, ${size}-span requests`, n, () => {
    for (const b of requests) decodeOtlpProtobuf(b);
  });
  // finish() alone: the builders are filled outside the timed region.
  let builders: SpanTableBuilder[] = [];
  const fill = () => {
    builders = decoded.map((t) => {
      const b = new SpanTableBuilder({ initialCapacity: t.numSpans });
      b.appendRows(t);
      return b;
    });
  };
  const perSpan: number[] = [];
  for (let r = 0; r <= RUNS; r++) {
    fill();
    const start = cpuUs();
    for (const b of builders) b.finish();
    const us = cpuUs() - start;
    if (r > 0) perSpan.push(us / n);
  }
  perSpan.sort((a, b) => a - b);
  const median = perSpan[Math.floor(perSpan.length / 2)]!;
  console.log(
    `${`finish() alone, ${size}-span tables`.padEnd(40)} min ${perSpan[0]!.toFixed(3)}  median ${median.toFixed(3)} CPU µs/span  (${RUNS} runs; ${(median * size).toFixed(1)} µs per request)`,
  );
}
console.log(
  `load average at end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
