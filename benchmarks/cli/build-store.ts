// Builds a store of generated traffic (benchmarks/scenarios) for cli/speed.ts: a slow database and a failing
// service in the middle of the window, so that every analysis has something to find.
// Usage: npx tsx --conditions=@aiops/source cli/build-store.ts <spans> [dir]
import { openStore } from '../../packages/store/src/index.ts';
import { generateScenario } from '../scenarios/index.ts';

const spans = Number(process.argv[2] ?? 1_000_000);
const dir = process.argv[3] ?? `data/cli-store-${spans}`;
const t0 = performance.now();
const { table, truth } = generateScenario({
  seed: 5,
  spans,
  durationSeconds: 3600,
  faults: (topo) => {
    const db = topo.services.find((s) => s.kind === 'database')!.name;
    const app = topo.services.filter((s) => s.kind === 'service')[4]!.name;
    return [
      { kind: 'latency', service: db, addMs: 400, startSeconds: 1200, endSeconds: 1500 },
      { kind: 'error', service: app, probability: 0.3, startSeconds: 2400, endSeconds: 2700 },
    ];
  },
});
const t1 = performance.now();
const store = await openStore({ dir });
await store.append(table);
await store.checkpoint();
await store.close();
console.log(
  `${table.numSpans} spans, ${truth.traces.length} traces → ${dir}; generate ${((t1 - t0) / 1000).toFixed(1)} s, append ${((performance.now() - t1) / 1000).toFixed(1)} s; faults ${JSON.stringify(truth.faults.map((f) => [f.kind, f.service]))}`,
);
