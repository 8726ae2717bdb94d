// Slow traces in a fault window: most requests of an endpoint are slowed, so "normal" cannot be learnt from the
// window itself. Measures precision/recall of analyzeSlowTraces with and without a baseline window, bottleneck
// accuracy, slow-call durations against the raw spans, suggestions with evidence, and off-path blame.
// Run: cd /work/main/benchmarks && npx tsx --conditions=@aiops/source critical-path/fault-window.ts
//
// Each scenario: 600 s of traffic at 20 traces/s; the fault is active from 300 s to 600 s with a probability per
// matching call, so that 60–90% of the most affected endpoint's traces are slowed. Baseline = the spans of traces
// that start before 300 s (the window before), analysed window = the others. Truth = `slowCause` (the injected
// latency lies on the root's critical path).

import { analyzeSlowTraces, criticalPaths } from '@aiops/critical-path';
import { buildTraceTree, type SpanTable, takeSpans, traceIdAt, workloadName } from '@aiops/span-model';
import type { FaultSpec, ScenarioTopology, TraceTruth } from '../scenarios/index.ts';
import { generateScenario } from '../scenarios/index.ts';

interface Case {
  readonly name: string;
  readonly messy: boolean;
  /** Scenario seed (default 31 + case index); the same seed gives the same topology. */
  readonly seed?: number;
  readonly fault: (topo: ScenarioTopology) => FaultSpec;
}
const db = (topo: ScenarioTopology, i = 0): string => topo.services.filter((s) => s.kind === 'database')[i]!.name;
const ext = (topo: ScenarioTopology): string => topo.services.find((s) => s.kind === 'external')!.name;
const svc = (topo: ScenarioTopology, i: number): string => topo.services.filter((s) => s.kind === 'service')[i]!.name;
const W = { startSeconds: 300, endSeconds: 600 } as const;
const cases: Case[] = [
  {
    name: 'slow database (+400 ms, p 0.8)',
    messy: false,
    fault: (t) => ({ kind: 'latency', ...W, service: db(t), addMs: 400, probability: 0.8 }),
  },
  {
    name: 'slow service (×8 +300 ms, p 0.75)',
    messy: false,
    fault: (t) => ({ kind: 'latency', ...W, service: svc(t, 3), factor: 8, addMs: 300, probability: 0.75 }),
  },
  {
    name: 'slow external API (+600 ms, p 0.7)',
    messy: false,
    fault: (t) => ({ kind: 'latency', ...W, service: ext(t), addMs: 600, probability: 0.7 }),
  },
  {
    name: 'N+1 queries (40×, p 0.8)',
    messy: false,
    fault: (t) => ({ kind: 'n-plus-one', ...W, service: db(t, 1), count: 40, probability: 0.8 }),
  },
  {
    name: 'messy: slow database (+400 ms, p 0.8)',
    messy: true,
    fault: (t) => ({ kind: 'latency', ...W, service: db(t), addMs: 400, probability: 0.8 }),
  },
  {
    name: 'messy: slow service (×8 +300 ms, p 0.75)',
    messy: true,
    fault: (t) => ({ kind: 'latency', ...W, service: svc(t, 3), factor: 8, addMs: 300, probability: 0.75 }),
  },
  {
    name: 'N+1 queries (150×, p 0.5)',
    messy: false,
    seed: 34,
    fault: (t) => ({ kind: 'n-plus-one', ...W, service: db(t, 1), count: 150, probability: 0.5 }),
  },
];

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;
const pr = (c: { tp: number; fp: number; fn: number }): string =>
  `${pct(c.tp / (c.tp + c.fp || 1))} / ${pct(c.tp / (c.tp + c.fn || 1))}`;
type Counts = { tp: number; fp: number; fn: number };
const zero = (): Counts => ({ tp: 0, fp: 0, fn: 0 });
const add = (a: Counts, b: Counts): void => {
  a.tp += b.tp;
  a.fp += b.fp;
  a.fn += b.fn;
};

// Splits a scenario's table at a time: spans of traces starting before it, and the others.
function split(table: SpanTable, truth: readonly TraceTruth[], atUnixNano: bigint): [SpanTable, SpanTable] {
  const start = new Map(truth.map((t) => [t.traceId, t.startUnixNano]));
  const tree = buildTraceTree(table);
  const before: number[] = [];
  const after: number[] = [];
  const { offsets, rows } = tree.traces;
  for (let t = 0; t < tree.traces.traceCount; t++) {
    const id = traceIdAt(table, rows[offsets[t]!]!);
    const into = (start.get(id) ?? 0n) < atUnixNano ? before : after;
    for (let i = offsets[t]!; i < offsets[t + 1]!; i++) into.push(rows[i]!);
  }
  return [takeSpans(table, before), takeSpans(table, after)];
}

const modes = ['no baseline (explained)', 'no baseline (robust)', 'baseline spans', 'baseline durations'] as const;
const total = Object.fromEntries(modes.map((m) => [m, zero()])) as Record<(typeof modes)[number], Counts>;
const sepTotal = zero();
const matTotal = zero();
let bnN = 0;
let bnRight = 0;
let causeRightTotal = 0;
let maxErr = 0;
let reports = 0;
let reportsWithEvidence = 0;
let offPath = 0;
let offPathBlamed = 0;
const rows: string[] = [];
const only = process.argv[2];
for (const [k, c] of cases.entries()) {
  if (only && !c.name.includes(only)) continue;
  const { table, truth } = generateScenario({
    seed: c.seed ?? 31 + k,
    durationSeconds: 600,
    tracesPerSecond: 20,
    messy: c.messy,
    faults: (t) => [c.fault(t)],
  });
  const cut = truth.faults[0]!.startUnixNano;
  const [baseTable, winTable] = split(table, truth.traces, cut);
  const byId = new Map(truth.traces.map((t) => [t.traceId, t]));
  const winTruth = truth.traces.filter((t) => t.startUnixNano >= cut);
  // Share of slowed traces per endpoint in the window; the most affected endpoint.
  const perEndpoint = new Map<string, { n: number; slowed: number }>();
  for (const t of winTruth) {
    const key = `${t.entryService} ${t.entryOperation}`;
    const e = perEndpoint.get(key) ?? { n: 0, slowed: 0 };
    e.n++;
    if (t.slowCause) e.slowed++;
    perEndpoint.set(key, e);
  }
  const worst = [...perEndpoint.entries()]
    .filter(([, e]) => e.n >= 100)
    .sort((a, b) => b[1].slowed / b[1].n - a[1].slowed / a[1].n)[0]!;
  const tree = buildTraceTree(winTable);
  const paths = criticalPaths(tree);
  const baseTree = buildTraceTree(baseTable);
  const basePaths = criticalPaths(baseTree);
  const durationsByEndpoint = analyzeSlowTraces(baseTable, {
    tree: baseTree,
    criticalPaths: basePaths,
    thresholdNano: 0,
  });
  const endpoints = new Map<string, { service: string; operation: string; durationsNano: number[] }>();
  for (const s of durationsByEndpoint.slowTraces) {
    const key = `${s.service}\u0000${s.operation}`;
    const e = endpoints.get(key) ?? { service: s.service, operation: s.operation, durationsNano: [] };
    e.durationsNano.push(s.durationNano);
    endpoints.set(key, e);
  }
  const results = {
    'no baseline (explained)': analyzeSlowTraces(winTable, { tree, criticalPaths: paths }),
    'no baseline (robust)': analyzeSlowTraces(winTable, { tree, criticalPaths: paths, rule: 'robust' }),
    'baseline spans': analyzeSlowTraces(winTable, {
      tree,
      criticalPaths: paths,
      baseline: { table: baseTable, tree: baseTree, criticalPaths: basePaths },
    }),
    'baseline durations': analyzeSlowTraces(winTable, {
      tree,
      criticalPaths: paths,
      baseline: { endpoints: [...endpoints.values()] },
    }),
  };
  // Hidden: slowed traces no longer than the longest unslowed trace of their endpoint (in either window).
  const longestNormal = new Map<string, number>();
  for (const t of truth.traces) {
    if (t.slowCause) continue;
    const key = `${t.entryService} ${t.entryOperation}`;
    longestNormal.set(key, Math.max(longestNormal.get(key) ?? 0, Number(t.durationNano)));
  }
  const hidden = (t: TraceTruth): boolean =>
    t.slowCause !== undefined &&
    Number(t.durationNano) <= (longestNormal.get(`${t.entryService} ${t.entryOperation}`) ?? 0);
  // Material: the injected latency on the path is at least 25% of the endpoint's normal median (the explained rule's
  // minExcessShare); smaller slowdowns (N+1 of 40 short queries adds ~10%) are neither required nor penalised.
  const normalDurations = new Map<string, number[]>();
  for (const t of truth.traces) {
    if (t.slowCause || t.startUnixNano >= cut) continue;
    const key = `${t.entryService} ${t.entryOperation}`;
    normalDurations.set(key, [...(normalDurations.get(key) ?? []), Number(t.durationNano)]);
  }
  const medianOf = new Map(
    [...normalDurations].map(([key, d]) => [key, d.sort((a, b) => a - b)[Math.floor(d.length / 2)]!]),
  );
  const material = (t: TraceTruth): boolean =>
    t.slowCause !== undefined &&
    t.slowCause.addedNano >= 0.25 * (medianOf.get(`${t.entryService} ${t.entryOperation}`) ?? 0);
  const mat = zero();
  let materialN = 0;
  const cells: string[] = [];
  let hiddenN = 0;
  const sep = zero();
  for (const m of modes) {
    const found = new Set(results[m].slowTraces.map((s) => s.traceId));
    const cnt = zero();
    for (const t of winTruth) {
      const f = found.has(t.traceId);
      if (t.slowCause && f) cnt.tp++;
      else if (f) cnt.fp++;
      else if (t.slowCause) cnt.fn++;
      if (m === 'baseline spans') {
        if (material(t)) {
          materialN++;
          if (f) mat.tp++;
          else mat.fn++;
        } else if (f && !t.slowCause) mat.fp++;
        if (hidden(t)) hiddenN++;
        else if (t.slowCause && f) sep.tp++;
        else if (f) sep.fp++;
        else if (t.slowCause) sep.fn++;
      }
    }
    add(total[m], cnt);
    cells.push(pr(cnt));
  }
  add(sepTotal, sep);
  add(matTotal, mat);
  // Bottleneck, durations, suggestions and off-path blame on the baseline report.
  const r = results['baseline spans'];
  let n = 0;
  let right = 0;
  let causeRight = 0;
  // Services that call a dependency in a trace (a dependency's caller emits its client span).
  const callers = new Map<string, Set<string>>();
  {
    const svc = winTable.dict('service');
    const peer = winTable.dict('peerService');
    const dbName = winTable.dict('dbName');
    for (let row = 0; row < winTable.numSpans; row++) {
      const target = peer.values[peer.codes[row]!] || dbName.values[dbName.codes[row]!];
      if (!target) continue;
      const key = `${traceIdAt(winTable, row)} ${target}`;
      const set = callers.get(key) ?? new Set<string>();
      set.add(workloadName(svc.values[svc.codes[row]!]!));
      callers.set(key, set);
    }
  }
  const callerOf = (traceId: string, dep: string): string | undefined => {
    const set = callers.get(`${traceId} ${dep}`);
    return set?.size === 1 ? [...set][0] : undefined;
  };
  for (const s of r.slowTraces) {
    const t = byId.get(s.traceId)!;
    maxErr = Math.max(maxErr, Math.abs(s.durationNano - Number(t.durationNano)) / Number(t.durationNano));
    if (!t.slowCause || t.slowCause.addedNano < 0.3 * Number(t.durationNano)) continue;
    n++;
    if (s.bottleneck.service === t.slowCause.service || s.bottleneck.spanService === t.slowCause.service) right++;
    // The cause (component furthest beyond its normal range): its service, or for a dependency the caller's.
    const cs = s.cause?.service;
    if (cs === t.slowCause.service || (cs !== undefined && callerOf(s.traceId, cs) === t.slowCause.service))
      causeRight++;
  }
  bnN += n;
  bnRight += right;
  causeRightTotal += causeRight;
  reports++;
  if (r.suggestions.length > 0 && r.suggestions.every((s) => s.evidence.length > 0)) reportsWithEvidence++;
  // Traces the fault touched off the critical path: never their bottleneck.
  const faultService = truth.faults[0]!.service!;
  const all = analyzeSlowTraces(winTable, { tree, criticalPaths: paths, thresholdNano: 0 });
  let op = 0;
  let blamed = 0;
  for (const s of all.slowTraces) {
    const t = byId.get(s.traceId)!;
    if (t.faultIndex < 0 || t.slowCause || truth.faults[0]!.kind !== 'latency') continue;
    op++;
    if (s.bottleneck.service === faultService) blamed++;
  }
  offPath += op;
  offPathBlamed += blamed;
  const top = r.suggestions[0];
  const kinds = [...new Set(r.suggestions.slice(0, 3).map((x) => `${x.kind} ${x.service}`))].join(', ');
  // The call of the top-down tree whose critical-path time grew most against the fast traces.
  const grown = r.topDown.nodes.reduce<(typeof r.topDown.nodes)[number] | undefined>(
    (best, x) => (!best || x.delta.meanExclusiveNano > best.delta.meanExclusiveNano ? x : best),
    undefined,
  );
  const topDownFirst = grown
    ? `${grown.depth > 1 ? '… → ' : ''}${grown.path.slice(-2).join(' → ')} (depth ${grown.depth}) +${(grown.delta.meanExclusiveNano / 1e6).toFixed(0)} ms, ${grown.stats.meanCalls.toFixed(1)} vs ${(grown.baseline?.meanCalls ?? 0).toFixed(1)} calls`
    : '—';
  rows.push(
    `| ${c.name} | ${winTable.numSpans} / ${winTruth.length} | ${worst[0]} ${pct(worst[1].slowed / worst[1].n)} of ${worst[1].n} | ${cells.join(' | ')} | ${hiddenN} | ${pr(sep)} | ${materialN} | ${pr(mat)} | ${pct(right / (n || 1))} of ${n} | ${pct(causeRight / (n || 1))} | ${blamed}/${op} | ${top ? kinds : '—'} | ${topDownFirst} |`,
  );
  console.error(`${c.name} done`);
}
console.log(
  `| scenario | window spans / traces | most affected endpoint: slowed | ${modes.map((m) => `${m} P / R`).join(' | ')} | hidden | baseline spans, separable P / R | materially slowed | baseline spans, material P / R | bottleneck right | cause right | off-path fault blamed | top 3 suggestions | top-down: call with the largest Δ critical-path time (slow vs fast) |`,
);
console.log(`|${' --- |'.repeat(15)}`);
console.log(rows.join('\n'));
console.log(
  `\nall: ${modes.map((m) => `${m} ${pr(total[m])}`).join('; ')}; baseline spans separable ${pr(sepTotal)}, material ${pr(matTotal)}; bottleneck right ${pct(bnRight / (bnN || 1))} of ${bnN}, cause right ${pct(causeRightTotal / (bnN || 1))}; max duration error ${maxErr.toExponential(2)}; reports with suggestions, all with evidence: ${reportsWithEvidence}/${reports}; off-path fault blamed ${offPathBlamed}/${offPath}`,
);
