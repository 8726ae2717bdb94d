// Speed of buildTraceIndex, buildTraceTree and dependencyGraph on one generated scenario held in memory as a single
// SpanTable: 2M spans by default, 18M (one hour at 5,000 spans/s) with `18000000 1`.
// Run: cd benchmarks && npx tsx --conditions=@aiops/source dependency-graph/speed.ts [spans] [runs]
// Reports the best wall time and the CPU time (process.cpuUsage, user + system) of that run: the machine is shared.
import { loadavg } from 'node:os';
import { criticalPaths } from '@aiops/critical-path';
import { dependencyGraph } from '@aiops/dependency-graph';
import { buildTraceIndex, buildTraceTree, spanFailureSignals } from '@aiops/span-model';
import { criticalPathsOfTraces } from '../../packages/cli/src/commands/analyze-dependencies.ts';
import { generateScenario } from '../scenarios/index.ts';

const spans = Number(process.argv[2] ?? 2_000_000);
const runs = Number(process.argv[3] ?? 3);
const TARGET = 18_000_000;

const t0 = performance.now();
const { table } = generateScenario({ seed: 7, services: 24, durationSeconds: 3600, spans });
console.log(`generated ${table.numSpans} spans in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
// Column views and float times are computed once per table (the loader's job); not part of the analysis.
table.columns;
table.times;
table.dict('service');
table.dict('operation');

const best = (label: string, fn: () => void, times = runs): void => {
  let wall = Number.POSITIVE_INFINITY;
  let cpu = 0;
  for (let r = 0; r < times; r++) {
    const c = process.cpuUsage();
    const s = performance.now();
    fn();
    const w = performance.now() - s;
    const u = process.cpuUsage(c);
    if (w < wall) {
      wall = w;
      cpu = (u.user + u.system) / 1000;
    }
  }
  const rate = table.numSpans / (cpu / 1000);
  console.log(
    `${label.padEnd(48)} wall ${wall.toFixed(0).padStart(6)} ms  cpu ${cpu.toFixed(0).padStart(6)} ms  ${(rate / 1e6).toFixed(2)} M spans/cpu-s  18M → ${(TARGET / rate).toFixed(2)} cpu-s`,
  );
};

console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
// The failure signals are computed once per table (span-model caches them): measured cold, before the warm-up.
best('spanFailureSignals (span-model, cached per table)', () => spanFailureSignals(table), 1);
// Warm up once so that JIT compilation is not measured (on the full table: 18M is too large to repeat much).
const tree = buildTraceTree(table);
dependencyGraph(table, { tree });
best('buildTraceIndex', () => buildTraceIndex(table));
best('buildTraceTree', () => buildTraceTree(table));
best('dependencyGraph, tree given', () => dependencyGraph(table, { tree }));
best('dependencyGraph (builds index and tree)', () => dependencyGraph(table));
best('criticalPaths (critical-path package)', () => criticalPaths(tree));
const columnar = criticalPaths(tree);
best('dependencyGraph + every critical path, tree given', () =>
  dependencyGraph(table, { tree, criticalPaths: columnar }),
);
best('tree + every critical path + dependencyGraph', () => {
  const t = buildTraceTree(table);
  dependencyGraph(table, { tree: t, criticalPaths: criticalPaths(t) });
});
best('dependencyGraph + needed critical paths, tree given', () => {
  dependencyGraph(table, { tree, criticalPathsOf: (traces) => criticalPathsOfTraces(tree, traces) });
});
best('tree + needed critical paths + dependencyGraph (cli)', () => {
  const t = buildTraceTree(table);
  dependencyGraph(table, { tree: t, criticalPathsOf: (traces) => criticalPathsOfTraces(t, traces) });
});
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const mem = process.memoryUsage();
console.log(`rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);
