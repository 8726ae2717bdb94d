// Speed of criticalPaths (and of the full slow-trace analysis) on 1M+ generated spans.
// Run: cd /work/main/benchmarks && npx tsx --conditions=@aiops/source critical-path/speed.ts

import { analyzeSlowTraces, criticalPaths } from '@aiops/critical-path';
import { buildTraceTree } from '@aiops/span-model';
import { generateScenario } from '../scenarios/index.ts';

const { table } = generateScenario({ seed: 7, durationSeconds: 600, spans: 1_500_000 });
const n = table.numSpans;
const tree = buildTraceTree(table);
const best = (f: () => void, runs = 5): number => {
  let b = Number.POSITIVE_INFINITY;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    f();
    b = Math.min(b, performance.now() - t0);
  }
  return b;
};
const cp = best(() => criticalPaths(tree));
const tr = best(() => buildTraceTree(table), 3);
const paths = criticalPaths(tree);
const an = best(() => analyzeSlowTraces(table, { tree, criticalPaths: paths }), 3);
const anRobust = best(() => analyzeSlowTraces(table, { tree, criticalPaths: paths, rule: 'robust' }), 3);
const anThreshold = best(() => analyzeSlowTraces(table, { tree, criticalPaths: paths, thresholdNano: 1e9 }), 3);
console.log(`spans ${n}, traces ${tree.traces.traceCount}`);
console.log(`criticalPaths(tree): ${cp.toFixed(0)} ms → ${(((n / cp) * 1000) / 1e6).toFixed(2)} M spans/s`);
console.log(
  `buildTraceTree + criticalPaths: ${(cp + tr).toFixed(0)} ms → ${(((n / (cp + tr)) * 1000) / 1e6).toFixed(2)} M spans/s`,
);
console.log(`analyzeSlowTraces (explained rule, the default; given tree and paths): ${an.toFixed(0)} ms`);
console.log(
  `analyzeSlowTraces (robust rule): ${anRobust.toFixed(0)} ms; (threshold 1 s): ${anThreshold.toFixed(0)} ms`,
);
