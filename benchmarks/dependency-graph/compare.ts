// The analysis of `aiops analyze-dependencies` (trace tree, critical paths, dependencyGraph, JSON) with the current
// package against an earlier copy of its source, on the same generated table in one process, runs interleaved:
// checks that both give the same graph and prints each run's CPU time (process.cpuUsage, user + system).
// Setup (the copy must sit inside the repository so that its imports resolve), then run:
//   git archive 199151d packages/dependency-graph/src | tar -x -C /tmp && \
//     cp -r /tmp/packages/dependency-graph/src packages/dependency-graph/old.tmp
//   cd benchmarks && npx tsx --conditions=@aiops/source dependency-graph/compare.ts [spans] [runs] [old index.ts]
import { loadavg } from 'node:os';
import { criticalPaths } from '@aiops/critical-path';
import { dependencyGraph, toJson } from '@aiops/dependency-graph';
import { buildTraceTree } from '@aiops/span-model';
import { criticalPathsOfTraces } from '../../packages/cli/src/commands/analyze-dependencies.ts';
import { generateScenario } from '../scenarios/index.ts';

const spans = Number(process.argv[2] ?? 2e6);
const runs = Number(process.argv[3] ?? 2);
// The earlier package source, copied inside the repository so that its imports resolve (see RESULTS.md).
const oldPath = process.argv[4] ?? '../../packages/dependency-graph/old.tmp/index.ts';
const { dependencyGraph: oldGraph, toJson: oldJson } = (await import(
  oldPath
)) as typeof import('@aiops/dependency-graph');
const { table } = generateScenario({ seed: 7, services: 24, durationSeconds: 3600, spans });
table.columns;
table.times;
table.dict('service');
table.dict('operation');
console.log(
  `${table.numSpans} spans, load ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
const cpu = (fn: () => void): number => {
  const c = process.cpuUsage();
  fn();
  const u = process.cpuUsage(c);
  return (u.user + u.system) / 1000;
};
{
  const tree = buildTraceTree(table);
  const full = JSON.stringify(toJson(dependencyGraph(table, { tree, criticalPaths: criticalPaths(tree) })));
  const lazy = JSON.stringify(
    toJson(dependencyGraph(table, { tree, criticalPathsOf: (t) => criticalPathsOfTraces(tree, t) })),
  );
  type Doc = ReturnType<typeof toJson> & Record<string, unknown>;
  const old = JSON.parse(JSON.stringify(oldJson(oldGraph(table, { tree, criticalPaths: criticalPaths(tree) })))) as Doc;
  console.log(`lazy paths identical to full paths: ${full === lazy}`);
  const f = JSON.parse(full) as Doc;
  const same = (k: string) => JSON.stringify(f[k]) === JSON.stringify(old[k]);
  console.log(
    `vs old: services ${same('services')}, edges ${same('edges')}, endpoints ${same('endpoints')}, spof ${same('singlePointsOfFailure')}`,
  );
  for (const c of f.criticalPaths) {
    const o = old.criticalPaths.find((x) => x.entry === c.entry);
    console.log(
      `  ${c.entry}: bottleneck ${c.bottleneck} (old ${o?.bottleneck}), share ${c.share.toFixed(4)} (old ${o?.share.toFixed(4)}), excess ${c.excessMs.toFixed(2)} (old ${o?.excessMs.toFixed(2)}) ms, path ${c.path.join('>')} (old ${o?.path.join('>')})`,
    );
  }
}
const res: Record<string, number[]> = { old: [], new: [] };
for (let r = 0; r < runs; r++) {
  res.old!.push(
    cpu(() => {
      const t = buildTraceTree(table);
      JSON.stringify(oldJson(oldGraph(table, { tree: t, criticalPaths: criticalPaths(t) })));
    }),
  );
  res.new!.push(
    cpu(() => {
      const t = buildTraceTree(table);
      JSON.stringify(toJson(dependencyGraph(table, { tree: t, criticalPathsOf: (x) => criticalPathsOfTraces(t, x) })));
    }),
  );
}
for (const [k, v] of Object.entries(res))
  console.log(`${k}: tree + paths + graph + JSON, cpu ms: ${v.map((x) => x.toFixed(0)).join(' ')}`);
console.log(
  `load ${loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
const mem = process.memoryUsage();
console.log(`rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB`);
