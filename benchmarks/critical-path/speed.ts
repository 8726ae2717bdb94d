// Speed of criticalPaths (and of the full slow-trace analysis) on 1M+ generated spans.
// Run: cd /work/main/benchmarks && npx tsx --conditions=@aiops/source critical-path/speed.ts

import { aggregateCriticalPath, analyzeSlowTraces, criticalPaths, topDownCriticalPath } from '@aiops/critical-path';
import { buildTraceTree } from '@aiops/span-model';
import { generateScenario } from '../scenarios/index.ts';

const { table } = generateScenario({ seed: 7, durationSeconds: 600, spans: 1_500_000 });
const n = table.numSpans;
const tree = buildTraceTree(table);
// Best wall time of `runs`, and the CPU time (user + system, ms) of that run: the box is shared, CPU is the fairer figure.
const cpuOf = new Map<number, number>();
const best = (f: () => void, runs = 5): number => {
  let b = Number.POSITIVE_INFINITY;
  let cpu = 0;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    f();
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (wall < b) {
      b = wall;
      cpu = (c.user + c.system) / 1000;
    }
  }
  cpuOf.set(b, cpu);
  return b;
};
const ms = (x: number): string => `${x.toFixed(0)} ms (CPU ${cpuOf.get(x)?.toFixed(0) ?? '?'} ms)`;
const cp = best(() => criticalPaths(tree));
const tr = best(() => buildTraceTree(table), 3);
const paths = criticalPaths(tree);
// Top-down aggregate: every trace in one group, then the slowest 10% of each root operation against the rest.
const all = Int32Array.from({ length: tree.traces.traceCount }, (_, t) => t).filter((t) => paths.head[t]! >= 0);
const sorted = [...all].sort((a, b) => paths.totalNano[b]! - paths.totalNano[a]!);
const slowSet = sorted.slice(0, Math.ceil(sorted.length / 10));
const fastSet = sorted.slice(slowSet.length);
const tdAll = best(() => topDownCriticalPath(paths), 3);
const tdSplit = best(() => topDownCriticalPath(paths, { traces: slowSet, baseline: fastSet }), 3);
const flat = best(() => aggregateCriticalPath(paths, { traces: slowSet, baseline: fastSet }), 3);
const td = topDownCriticalPath(paths, { traces: slowSet, baseline: fastSet });
const an = best(() => analyzeSlowTraces(table, { tree, criticalPaths: paths }), 3);
const anRobust = best(() => analyzeSlowTraces(table, { tree, criticalPaths: paths, rule: 'robust' }), 3);
const anThreshold = best(() => analyzeSlowTraces(table, { tree, criticalPaths: paths, thresholdNano: 1e9 }), 3);
console.log(`spans ${n}, traces ${tree.traces.traceCount}`);
console.log(`criticalPaths(tree): ${cp.toFixed(0)} ms → ${(((n / cp) * 1000) / 1e6).toFixed(2)} M spans/s`);
console.log(
  `buildTraceTree + criticalPaths: ${(cp + tr).toFixed(0)} ms → ${(((n / (cp + tr)) * 1000) / 1e6).toFixed(2)} M spans/s`,
);
console.log(
  `topDownCriticalPath, all traces in one group: ${ms(tdAll)} → ${(((n / tdAll) * 1000) / 1e6).toFixed(2)} M spans/s; slowest 10% against the rest: ${ms(tdSplit)} (${td.nodes.length} nodes, ${td.roots.length} roots); flat aggregateCriticalPath, same split: ${ms(flat)}`,
);
console.log(`analyzeSlowTraces (explained rule, the default; given tree and paths): ${ms(an)}`);
console.log(`analyzeSlowTraces (robust rule): ${ms(anRobust)}; (threshold 1 s): ${ms(anThreshold)}`);
