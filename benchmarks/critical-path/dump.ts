// Per-trace dump of the accuracy scenarios (truth, our bottleneck, explained-rule verdict) to /tmp/cpx/<name>.json.
// Run: cd /work/main/benchmarks && mkdir -p /tmp/cpx && npx tsx --conditions=@aiops/source critical-path/dump.ts [name]

import { writeFileSync } from 'node:fs';
import { analyzeSlowTraces, criticalPaths } from '@aiops/critical-path';
import { buildTraceTree } from '@aiops/span-model';
import type { FaultSpec, ScenarioTopology } from '../scenarios/index.ts';
import { generateScenario } from '../scenarios/index.ts';

const db = (topo: ScenarioTopology, i = 0): string => topo.services.filter((s) => s.kind === 'database')[i]!.name;
const ext = (topo: ScenarioTopology): string => topo.services.find((s) => s.kind === 'external')!.name;
const svc = (topo: ScenarioTopology, i: number): string => topo.services.filter((s) => s.kind === 'service')[i]!.name;
const cases: { name: string; messy: boolean; faults: (t: ScenarioTopology) => FaultSpec[] }[] = [
  {
    name: 'slowdb',
    messy: false,
    faults: (t) => [{ kind: 'latency', startSeconds: 240, endSeconds: 270, service: db(t), addMs: 400 }],
  },
  {
    name: 'slowsvc',
    messy: false,
    faults: (t) => [{ kind: 'latency', startSeconds: 240, endSeconds: 270, service: svc(t, 5), factor: 8, addMs: 300 }],
  },
  {
    name: 'slowext',
    messy: false,
    faults: (t) => [{ kind: 'latency', startSeconds: 240, endSeconds: 270, service: ext(t), addMs: 600 }],
  },
  {
    name: 'n1',
    messy: false,
    faults: (t) => [{ kind: 'n-plus-one', startSeconds: 240, endSeconds: 270, service: db(t, 1), count: 40 }],
  },
  {
    name: 'retry',
    messy: false,
    faults: (t) => [
      { kind: 'retry', startSeconds: 0, endSeconds: 300, service: svc(t, 7), retries: 2 },
      { kind: 'latency', startSeconds: 200, endSeconds: 230, service: db(t, 2), addMs: 500 },
    ],
  },
  {
    name: 'messydb',
    messy: true,
    faults: (t) => [{ kind: 'latency', startSeconds: 240, endSeconds: 270, service: db(t), addMs: 400 }],
  },
  {
    name: 'messysvc',
    messy: true,
    faults: (t) => [{ kind: 'latency', startSeconds: 240, endSeconds: 270, service: svc(t, 5), factor: 8, addMs: 300 }],
  },
];
const only = process.argv[2];
for (const [k, c] of cases.entries()) {
  if (only && c.name !== only) continue;
  const { table, truth } = generateScenario({
    seed: 11 + k,
    durationSeconds: 300,
    tracesPerSecond: 20,
    messy: c.messy,
    faults: c.faults,
  });
  const tree = buildTraceTree(table);
  const paths = criticalPaths(tree);
  const all = analyzeSlowTraces(table, { tree, criticalPaths: paths, thresholdNano: 0 });
  const by = new Map(all.slowTraces.map((s) => [s.traceId, s]));
  const ex = new Map(analyzeSlowTraces(table, { tree, criticalPaths: paths }).slowTraces.map((s) => [s.traceId, s]));
  const rows = truth.traces.map((t) => {
    const s = by.get(t.traceId);
    return {
      id: t.traceId,
      ep: s ? `${s.service} ${s.operation}` : `?${t.entryService} ${t.entryOperation}`,
      tep: `${t.entryService} ${t.entryOperation}`,
      d: s ? s.durationNano : -1,
      td: Number(t.durationNano),
      add: t.slowCause?.addedNano ?? -1,
      cs: t.slowCause?.service ?? '',
      fi: t.faultIndex,
      bs: s?.bottleneck.service ?? '',
      bss: s?.bottleneck.spanService ?? '',
      bop: s?.bottleneck.operation ?? '',
      bsh: s?.bottleneck.share ?? 0,
      ex: ex.has(t.traceId),
      exMs: ex.get(t.traceId)?.excessMs ?? 0,
      fk: t.faultIndex >= 0 ? truth.faults[t.faultIndex]!.kind : '',
    };
  });
  writeFileSync(`/tmp/cpx/${c.name}.json`, JSON.stringify({ name: c.name, rows }));
  console.log(c.name, rows.length);
}
