// Accuracy of @aiops/critical-path on generated scenarios with known slow causes (benchmarks/scenarios).
// Run: cd /work/main/benchmarks && npx tsx --conditions=@aiops/source critical-path/accuracy.ts
//
// Measures, per scenario:
// - threshold mode (`--threshold`): slow traces found against the true root durations (precision, recall), and the
//   reported durations against the raw root spans (max relative error);
// - automatic mode (no threshold, robust per-endpoint rule): slow traces found against the traces whose injected
//   latency lies on the critical path (truth.slowCause), precision and recall;
// - bottleneck service right in slow traces (our bottleneck service = truth.slowCause.service);
// - hard case: traces touched by a fault whose slow span is NOT on the critical path — how often we still blame it.

import { analyzeSlowTraces, criticalPaths } from '@aiops/critical-path';
import { buildTraceTree } from '@aiops/span-model';
import type { FaultSpec, ScenarioTopology } from '../scenarios/index.ts';
import { generateScenario } from '../scenarios/index.ts';

interface Case {
  readonly name: string;
  readonly messy: boolean;
  readonly faults: (topo: ScenarioTopology) => FaultSpec[];
}

const db = (topo: ScenarioTopology, i = 0): string => topo.services.filter((s) => s.kind === 'database')[i]!.name;
const ext = (topo: ScenarioTopology): string => topo.services.find((s) => s.kind === 'external')!.name;
const svc = (topo: ScenarioTopology, i: number): string => topo.services.filter((s) => s.kind === 'service')[i]!.name;

const cases: Case[] = [
  {
    name: 'slow database (+400 ms)',
    messy: false,
    faults: (t) => [{ kind: 'latency', startSeconds: 240, endSeconds: 270, service: db(t), addMs: 400 }],
  },
  {
    name: 'slow service (self time ×8)',
    messy: false,
    faults: (t) => [{ kind: 'latency', startSeconds: 240, endSeconds: 270, service: svc(t, 5), factor: 8, addMs: 300 }],
  },
  {
    name: 'slow external API (+600 ms)',
    messy: false,
    faults: (t) => [{ kind: 'latency', startSeconds: 240, endSeconds: 270, service: ext(t), addMs: 600 }],
  },
  {
    name: 'N+1 queries (40×)',
    messy: false,
    faults: (t) => [{ kind: 'n-plus-one', startSeconds: 240, endSeconds: 270, service: db(t, 1), count: 40 }],
  },
  {
    name: 'retries + slow database',
    messy: false,
    faults: (t) => [
      { kind: 'retry', startSeconds: 0, endSeconds: 300, service: svc(t, 7), retries: 2 },
      { kind: 'latency', startSeconds: 200, endSeconds: 230, service: db(t, 2), addMs: 500 },
    ],
  },
  {
    name: 'messy: slow database (+400 ms)',
    messy: true,
    faults: (t) => [{ kind: 'latency', startSeconds: 240, endSeconds: 270, service: db(t), addMs: 400 }],
  },
  {
    name: 'messy: slow service (×8)',
    messy: true,
    faults: (t) => [{ kind: 'latency', startSeconds: 240, endSeconds: 270, service: svc(t, 5), factor: 8, addMs: 300 }],
  },
];

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
const rows: string[] = [];
const totals = {
  slow: 0,
  bottleneckRight: 0,
  tp: 0,
  fp: 0,
  fn: 0,
  atp: 0,
  afp: 0,
  afn: 0,
  rtp: 0,
  rfp: 0,
  rfn: 0,
  stp: 0,
  sfn: 0,
  rstp: 0,
  rsfn: 0,
  hidden: 0,
  maxErr: 0,
};
const pr = (tp: number, fp: number, fn: number): string => `${pct(tp / (tp + fp || 1))} / ${pct(tp / (tp + fn || 1))}`;
for (const [k, c] of cases.entries()) {
  const { table, truth } = generateScenario({
    seed: 11 + k,
    durationSeconds: 300,
    tracesPerSecond: 20,
    messy: c.messy,
    faults: c.faults,
  });
  const tree = buildTraceTree(table);
  const paths = criticalPaths(tree);
  // Threshold mode: a threshold at the P90 of true root durations.
  const durs = truth.traces.map((t) => Number(t.durationNano)).sort((a, b) => a - b);
  const threshold = durs[Math.floor(durs.length * 0.9)]!;
  const byThreshold = analyzeSlowTraces(table, { tree, criticalPaths: paths, thresholdNano: threshold });
  const found = new Map(byThreshold.slowTraces.map((s) => [s.traceId, s]));
  let tp = 0,
    fp = 0,
    fn = 0,
    maxErr = 0;
  for (const tt of truth.traces) {
    const isSlow = Number(tt.durationNano) >= threshold;
    const f = found.get(tt.traceId);
    if (f && isSlow) tp++;
    else if (f) fp++;
    else if (isSlow) fn++;
    if (f) maxErr = Math.max(maxErr, Math.abs(f.durationNano - Number(tt.durationNano)) / Number(tt.durationNano));
  }
  // Automatic mode against the injected causes, for the old robust rule and the explained (default) rule.
  // Truth: slowCause set. 'Hidden' traces — slowCause set, yet no longer than the longest trace of the same endpoint
  // without a slow cause — cannot be told apart by their duration: they are counted in the strict figures and left
  // out (neither required nor penalised) in the separable figures.
  const longestNormal = new Map<string, number>();
  for (const tt of truth.traces) {
    if (tt.slowCause) continue;
    const k = `${tt.entryService} ${tt.entryOperation}`;
    longestNormal.set(k, Math.max(longestNormal.get(k) ?? 0, Number(tt.durationNano)));
  }
  const hidden = (tt: (typeof truth.traces)[number]): boolean =>
    tt.slowCause !== undefined &&
    Number(tt.durationNano) <= (longestNormal.get(`${tt.entryService} ${tt.entryOperation}`) ?? 0);
  const autoScores = (['robust', 'explained'] as const).map((rule) => {
    const auto = analyzeSlowTraces(table, { tree, criticalPaths: paths, rule });
    const autoFound = new Set(auto.slowTraces.map((s) => s.traceId));
    const c = { tp: 0, fp: 0, fn: 0, stp: 0, sfn: 0, hidden: 0, retrySlowed: 0 };
    for (const tt of truth.traces) {
      const isSlow = tt.slowCause !== undefined;
      const f = autoFound.has(tt.traceId);
      if (f && isSlow) c.tp++;
      else if (f) c.fp++;
      else if (isSlow) c.fn++;
      // Slowed by an injected retry (failed attempts on the path): fault-made, though the truth has no slowCause.
      if (f && !isSlow && tt.faultIndex >= 0 && truth.faults[tt.faultIndex]!.kind === 'retry') c.retrySlowed++;
      if (hidden(tt)) c.hidden++;
      else if (isSlow && f) c.stp++;
      else if (isSlow) c.sfn++;
    }
    return { c, top: auto.suggestions[0] };
  });
  const [atp, afp, afn] = [autoScores[1]!.c.tp, autoScores[1]!.c.fp, autoScores[1]!.c.fn];
  let slowN = 0,
    right = 0,
    offPath = 0,
    offPathBlamed = 0;
  const faultServices = new Set(truth.faults.map((f) => f.service));
  // Bottleneck of every truly slow trace, whether or not a threshold flagged it.
  const all = analyzeSlowTraces(table, { tree, criticalPaths: paths, thresholdNano: 0 });
  const bottleneckOf = new Map(all.slowTraces.map((s) => [s.traceId, s.bottleneck]));
  for (const tt of truth.traces) {
    const isSlow = tt.slowCause !== undefined;
    // Bottleneck accuracy on the traces the injected latency made slow: it is at least 30% of their duration.
    if (isSlow && tt.slowCause!.addedNano >= 0.3 * Number(tt.durationNano)) {
      slowN++;
      const b = bottleneckOf.get(tt.traceId)!;
      // N+1 truth names the service issuing the queries: the caller of the dependency we name.
      if (b.service === tt.slowCause!.service || b.spanService === tt.slowCause!.service) right++;
    } else if (tt.faultIndex >= 0 && truth.faults[tt.faultIndex]!.kind === 'latency') {
      offPath++;
      if (faultServices.has(bottleneckOf.get(tt.traceId)!.service)) offPathBlamed++;
    }
  }
  Object.assign(totals, {
    slow: totals.slow + slowN,
    bottleneckRight: totals.bottleneckRight + right,
    tp: totals.tp + tp,
    fp: totals.fp + fp,
    fn: totals.fn + fn,
    atp: totals.atp + atp,
    afp: totals.afp + afp,
    afn: totals.afn + afn,
    rtp: totals.rtp + autoScores[0]!.c.tp,
    rfp: totals.rfp + autoScores[0]!.c.fp,
    rfn: totals.rfn + autoScores[0]!.c.fn,
    stp: totals.stp + autoScores[1]!.c.stp,
    sfn: totals.sfn + autoScores[1]!.c.sfn,
    rstp: totals.rstp + autoScores[0]!.c.stp,
    rsfn: totals.rsfn + autoScores[0]!.c.sfn,
    hidden: totals.hidden + autoScores[1]!.c.hidden,
    maxErr: Math.max(totals.maxErr, maxErr),
  });
  const top = autoScores[1]!.top;
  const [r, x] = [autoScores[0]!.c, autoScores[1]!.c];
  rows.push(
    `| ${c.name} | ${table.numSpans} | ${truth.traces.length} | ${pct(tp / (tp + fp || 1))} / ${pct(tp / (tp + fn || 1))} | ${maxErr.toExponential(1)} | ${slowN} | ${pr(r.tp, r.fp, r.fn)} | ${pr(x.tp, x.fp, x.fn)} (${x.retrySlowed} of the FP retry-slowed) | ${x.hidden} | ${pr(r.stp, r.fp, r.sfn)} | ${pr(x.stp, x.fp, x.sfn)} | ${pct(right / (slowN || 1))} | ${offPathBlamed}/${offPath} | ${top ? `${top.kind} ${top.service}` : '—'} |`,
  );
}
const header = [
  '| scenario | spans | traces | threshold mode P / R | max duration error | slow by fault (≥30% of duration) | auto robust P / R | auto explained P / R | hidden | robust separable P / R | explained separable P / R | bottleneck right | off-path fault blamed | top suggestion |',
  '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
];
console.log([...header, ...rows].join('\n'));
console.log(
  `\nall: threshold P ${pct(totals.tp / (totals.tp + totals.fp))} R ${pct(totals.tp / (totals.tp + totals.fn))}; auto robust ${pr(totals.rtp, totals.rfp, totals.rfn)}; auto explained ${pr(totals.atp, totals.afp, totals.afn)}; separable (${totals.hidden} hidden left out): robust ${pr(totals.rstp, totals.rfp, totals.rsfn)}, explained ${pr(totals.stp, totals.afp, totals.sfn)}; bottleneck right ${pct(totals.bottleneckRight / totals.slow)} of ${totals.slow}; max duration error ${totals.maxErr.toExponential(2)}`,
);
