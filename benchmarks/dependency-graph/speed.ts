// Speed of dependencyGraph on a generated scenario of 1M+ spans, and the extrapolation to 18M spans (one hour at
// 5,000 spans/s). Run: cd benchmarks && npx tsx --conditions=@aiops/source dependency-graph/speed.ts [spans]
import { criticalPaths } from '@aiops/critical-path';
import { dependencyGraph } from '@aiops/dependency-graph';
import { buildTraceIndex, buildTraceTree } from '@aiops/span-model';
import { generateScenario } from '../scenarios/index.ts';

const spans = Number(process.argv[2] ?? 1_200_000);
const runs = Number(process.argv[3] ?? 3);
const TARGET = 18_000_000;

const t0 = performance.now();
const { table } = generateScenario({ seed: 7, services: 24, durationSeconds: 600, spans });
console.log(`generated ${table.numSpans} spans in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

const best = (label: string, fn: () => void): number => {
  let min = Number.POSITIVE_INFINITY;
  for (let r = 0; r < runs; r++) {
    const s = performance.now();
    fn();
    min = Math.min(min, performance.now() - s);
  }
  const rate = table.numSpans / (min / 1000);
  console.log(
    `${label.padEnd(44)} ${min.toFixed(0).padStart(6)} ms  ${(rate / 1e6).toFixed(2)} M spans/s  18M → ${(TARGET / rate).toFixed(1)} s`,
  );
  return min;
};

// Warm up once so that JIT compilation is not measured.
dependencyGraph(table);
const tree = buildTraceTree(table);
best('buildTraceIndex', () => buildTraceIndex(table));
best('buildTraceTree', () => buildTraceTree(table));
best('dependencyGraph, tree given', () => dependencyGraph(table, { tree }));
best('dependencyGraph (builds the tree)', () => dependencyGraph(table));
const cp = criticalPaths(tree);
const columnar = criticalPaths(tree);
const perTrace = Array.from({ length: tree.traces.traceCount }, (_, t) => {
  const out = [];
  for (let k = cp.segmentOffsets[t]!; k < cp.segmentOffsets[t + 1]!; k++) {
    out.push({ row: cp.segmentRow[k]!, startNano: cp.segmentStartNano[k]!, endNano: cp.segmentEndNano[k]! });
  }
  return out;
});
best('criticalPaths (critical-path package)', () => criticalPaths(tree));
best('dependencyGraph + critical paths as arrays, tree given', () =>
  dependencyGraph(table, { tree, criticalPaths: perTrace }),
);
best('dependencyGraph + critical paths in columns, tree given', () =>
  dependencyGraph(table, { tree, criticalPaths: columnar }),
);
const mem = process.memoryUsage();
console.log(`rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB, heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);
