// CPU profile of what `aiops analyze-dependencies` computes after loading, on one generated scenario in memory:
// writes a .cpuprofile (open it in Chrome DevTools or speedscope) and prints the top functions by self time.
// Run: cd benchmarks && npx tsx --conditions=@aiops/source dependency-graph/profile.ts [spans] [out.cpuprofile]
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { criticalPaths } from '@aiops/critical-path';
import { dependencyGraph, toJson } from '@aiops/dependency-graph';
import { buildTraceTree } from '@aiops/span-model';
import { generateScenario } from '../scenarios/index.ts';

const spans = Number(process.argv[2] ?? 2_000_000);
const out = process.argv[3] ?? 'dependency-graph.cpuprofile';
const { table } = generateScenario({ seed: 7, services: 24, durationSeconds: 3600, spans });
table.columns;
table.times;
table.dict('service');
table.dict('operation');
const run = (): void => {
  const tree = buildTraceTree(table);
  JSON.stringify(toJson(dependencyGraph(table, { tree, criticalPaths: criticalPaths(tree) })));
};
run();
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 200 });
await session.post('Profiler.start');
const c = process.cpuUsage();
run();
const u = process.cpuUsage(c);
const { profile } = await session.post('Profiler.stop');
writeFileSync(out, JSON.stringify(profile));
const self = new Map<string, number>();
const dt = profile.timeDeltas ?? [];
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
(profile.samples ?? []).forEach((id, i) => {
  const f = byId.get(id)!.callFrame;
  const key = `${f.functionName || '(anon)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + (dt[i] ?? 0));
});
console.log(`${table.numSpans} spans: cpu ${((u.user + u.system) / 1e6).toFixed(2)} s`);
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
  console.log(`${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`);
}
