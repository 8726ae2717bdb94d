// Builds a store of generated traffic (benchmarks/scenarios) for cli/speed.ts: one hour, a slow database and a
// failing service in the middle of the hour, so that every analysis has something to find.
// Usage: npx tsx --conditions=@aiops/source cli/build-store.ts <spans> [dir]
//
// Up to 1M spans the hour is one scenario. Beyond that it is generated in chunks of ≤ 1M spans (a 18M-span table
// would not fit in memory with its generator state): every chunk is the same seed's topology and traffic over its
// part of the hour, with the faults that overlap that part, and its trace ids get the chunk number in their first
// byte so that they stay distinct.
import { openStore } from '../../packages/store/src/index.ts';
import { generateScenario } from '../scenarios/index.ts';
import type { FaultSpec, ScenarioTopology } from '../scenarios/types.ts';

const spans = Number(process.argv[2] ?? 1_000_000);
const dir = process.argv[3] ?? `data/cli-store-${spans}`;
const HOUR = 3600;
const START = 1_735_689_600_000_000_000n; // 2025-01-01T00:00:00Z, the generator's default
const chunks = Math.max(1, Math.ceil(spans / 1_000_000));
const chunkSeconds = HOUR / chunks;

function hourFaults(topo: ScenarioTopology): FaultSpec[] {
  const db = topo.services.find((s) => s.kind === 'database')!.name;
  const app = topo.services.filter((s) => s.kind === 'service')[4]!.name;
  return [
    { kind: 'latency', service: db, addMs: 400, startSeconds: 1200, endSeconds: 1500 },
    { kind: 'error', service: app, probability: 0.3, startSeconds: 2400, endSeconds: 2700 },
  ];
}

const store = await openStore({ dir });
let total = 0;
let traces = 0;
let genMs = 0;
let appendMs = 0;
for (let k = 0; k < chunks; k++) {
  const from = k * chunkSeconds;
  const to = from + chunkSeconds;
  const t0 = performance.now();
  const { table, truth } = generateScenario({
    seed: 5,
    spans: Math.round(spans / chunks),
    durationSeconds: chunkSeconds,
    startUnixNano: START + BigInt(Math.round(from * 1e9)),
    faults: (topo) =>
      hourFaults(topo)
        .filter((f) => f.startSeconds < to && f.endSeconds > from)
        .map((f) => ({
          ...f,
          startSeconds: Math.max(0, f.startSeconds - from),
          endSeconds: Math.min(chunkSeconds, f.endSeconds - from),
        })),
  });
  if (chunks > 1) {
    const ids = table.columns.traceId;
    for (let i = 0; i < ids.length; i += 16) ids[i] = ids[i]! ^ k;
  }
  const t1 = performance.now();
  await store.append(table);
  const t2 = performance.now();
  genMs += t1 - t0;
  appendMs += t2 - t1;
  total += table.numSpans;
  traces += truth.traces.length;
  process.stderr.write(`\rchunk ${k + 1}/${chunks}: ${total} spans`);
}
process.stderr.write('\n');
await store.checkpoint();
await store.close();
console.log(
  `${total} spans, ${traces} traces → ${dir}; generate ${(genMs / 1000).toFixed(1)} s, append ${(appendMs / 1000).toFixed(1)} s`,
);
