// Critical-path segments (≥ 2 ms) of the trace ids read on stdin, for one accuracy scenario (messydb, messysvc, slowsvc).
// Run: ... | npx tsx --conditions=@aiops/source critical-path/detail.ts messydb

import { readFileSync } from 'node:fs';
import { criticalPaths } from '@aiops/critical-path';
import { buildTraceTree, traceIdAt } from '@aiops/span-model';
import type { ScenarioTopology } from '../scenarios/index.ts';
import { generateScenario } from '../scenarios/index.ts';

const svc = (topo: ScenarioTopology, i: number): string => topo.services.filter((s) => s.kind === 'service')[i]!.name;
const which = process.argv[2] ?? 'messysvc';
const k = ['slowdb', 'slowsvc', 'slowext', 'n1', 'retry', 'messydb', 'messysvc'].indexOf(which);
const db = (topo: ScenarioTopology, i = 0): string => topo.services.filter((s) => s.kind === 'database')[i]!.name;
const faults = which.endsWith('svc')
  ? (t: ScenarioTopology) => [
      { kind: 'latency' as const, startSeconds: 240, endSeconds: 270, service: svc(t, 5), factor: 8, addMs: 300 },
    ]
  : (t: ScenarioTopology) => [
      { kind: 'latency' as const, startSeconds: 240, endSeconds: 270, service: db(t), addMs: 400 },
    ];
const { table } = generateScenario({
  seed: 11 + k,
  durationSeconds: 300,
  tracesPerSecond: 20,
  messy: which.startsWith('messy'),
  faults,
});
const tree = buildTraceTree(table);
const paths = criticalPaths(tree);
const ids = new Set(readFileSync(0, 'utf8').split(/\s+/).filter(Boolean));
const svcD = table.dict('service'),
  opD = table.dict('operation'),
  st = table.dict('dbStatement');
for (let t = 0; t < tree.traces.traceCount; t++) {
  const h = paths.head[t]!;
  if (h < 0) continue;
  const id = traceIdAt(table, h);
  if (!ids.has(id)) continue;
  console.log(
    `# ${id} total ${(paths.totalNano[t]! / 1e6).toFixed(1)} head ${svcD.values[svcD.codes[h]!]} ${opD.values[opD.codes[h]!]} kind ${paths.headKind[t]} spans ${tree.traces.offsets[t + 1]! - tree.traces.offsets[t]!}`,
  );
  for (let s = paths.segmentOffsets[t + 1]! - 1; s >= paths.segmentOffsets[t]!; s--) {
    const r = paths.segmentRow[s]!;
    const ms = (paths.segmentEndNano[s]! - paths.segmentStartNano[s]!) / 1e6;
    if (ms < 2) continue;
    console.log(
      `   ${ms.toFixed(1).padStart(7)} ms  ${svcD.values[svcD.codes[r]!]} | ${opD.values[opD.codes[r]!]} | ${st.values[st.codes[r]!] ?? ''} depth ${tree.depth[r]} kind ${table.columns.kind[r]}`,
    );
  }
}
