// Accuracy of @aiops/dependency-graph on generated scenarios (24 services) against the generator's ground truth:
//  1. edge precision and recall (clean data, and messy data: no span kinds, pod names, dropped spans, clock skew);
//  2. call counts and P50/P95/P99 of every edge against a reference computed directly from the raw spans
//     (plain span records, one rule per truth edge kind, independent of the package's code);
//  3. critical path per entry endpoint: the bottleneck against the injected latency fault that is the slow cause
//     of the endpoint's P99 tail traces (truth: majority `slowCause` of the traces at or above the P99).
// Run: cd benchmarks && npx tsx --conditions=@aiops/source dependency-graph/accuracy.ts [seeds] [typical sample, 100]
import { criticalPaths } from '@aiops/critical-path';
import { dependencyGraph } from '@aiops/dependency-graph';
import { buildTraceTree, type SpanRecord, type SpanTable, spanRecord } from '@aiops/span-model';
import { criticalPathsOfTraces } from '../../packages/cli/src/commands/analyze-dependencies.ts';
import type { ScenarioOptions, ScenarioTruth } from '../scenarios/index.ts';
import { generateScenario, scenarioTopology } from '../scenarios/index.ts';

const SEEDS = Number(process.argv[2] ?? 10);
// Typical-trace sample of the second bottleneck check (see bottleneckScores).
const SAMPLE = Number(process.argv[3] ?? 100);
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

function nearestRank(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

// --- 1. edges ------------------------------------------------------------------------------------------------
function edgeScores(table: SpanTable, truth: ScenarioTruth): { tp: number; fp: string[]; fn: string[] } {
  const g = dependencyGraph(table);
  // Messy mode names services by pod: map pods back to the logical service.
  const logical = new Map<string, string>();
  for (const s of truth.services) for (const p of s.pods ?? []) logical.set(p, s.name);
  const name = (n: string): string => logical.get(n) ?? n;
  const got = new Set(g.edges.map((e) => `${name(e.from)} -> ${name(e.to)}`).filter((k) => !isSelf(k)));
  const want = new Set(truth.edges.map((e) => `${e.from} -> ${e.to}`));
  return {
    tp: [...got].filter((k) => want.has(k)).length,
    fp: [...got].filter((k) => !want.has(k)),
    fn: [...want].filter((k) => !got.has(k)),
  };
}
const isSelf = (k: string): boolean => {
  const [a, b] = k.split(' -> ');
  return a === b;
};

// --- 2. reference call statistics from raw spans --------------------------------------------------------------
interface RefEdge {
  durNano: number[];
}
function referenceEdges(table: SpanTable, truth: ScenarioTruth): Map<string, RefEdge> {
  const spans: SpanRecord[] = [];
  for (let i = 0; i < table.numSpans; i++) spans.push(spanRecord(table, i));
  const byId = new Map<string, SpanRecord>();
  const children = new Map<string, SpanRecord[]>();
  for (const s of spans) byId.set(`${s.traceId}/${s.spanId}`, s);
  for (const s of spans) {
    if (!s.parentSpanId) continue;
    const k = `${s.traceId}/${s.parentSpanId}`;
    const list = children.get(k) ?? [];
    list.push(s);
    children.set(k, list);
  }
  const kindOf = new Map(truth.edges.map((e) => [`${e.from} -> ${e.to}`, e.kind]));
  const out = new Map<string, RefEdge>();
  const add = (from: string, to: string, durNano: number): void => {
    const key = `${from} -> ${to}`;
    if (!kindOf.has(key)) return;
    const e = out.get(key) ?? { durNano: [] };
    e.durNano.push(durNano);
    out.set(key, e);
  };
  for (const s of spans) {
    const kids = children.get(`${s.traceId}/${s.spanId}`) ?? [];
    const d = Number(s.durationNano);
    if (s.kind === 'client') {
      const servers = kids.filter((c) => c.service !== s.service && c.kind === 'server');
      // http: a client span and the server span under it are one call, timed by the client.
      for (const c of servers) add(s.service, c.service, d);
      // db / cache / external: a client span without server span, the callee named by peer.service.
      if (servers.length === 0 && typeof s.attributes['peer.service'] === 'string') {
        add(s.service, s.attributes['peer.service'] as string, d);
      }
    } else if (s.kind === 'producer') {
      add(s.service, s.attributes['messaging.destination.name'] as string, d);
    } else if (s.kind === 'consumer') {
      const p = byId.get(`${s.traceId}/${s.parentSpanId}`);
      if (p) add(p.attributes['messaging.destination.name'] as string, s.service, d);
    }
  }
  return out;
}

function statsScores(table: SpanTable, truth: ScenarioTruth) {
  const g = dependencyGraph(table);
  const ref = referenceEdges(table, truth);
  let compared = 0;
  let countExact = 0;
  let within = 0;
  let worst = 0;
  let worstAt = '';
  for (const e of g.edges) {
    const r = ref.get(`${e.from} -> ${e.to}`);
    if (!r) continue;
    compared++;
    const sorted = [...r.durNano].sort((a, b) => a - b);
    if (sorted.length === e.calls) countExact++;
    let ok = Math.abs(e.calls - sorted.length) / sorted.length <= 0.05;
    for (const [q, got] of [
      [0.5, e.p50Ms],
      [0.95, e.p95Ms],
      [0.99, e.p99Ms],
    ] as const) {
      const want = nearestRank(sorted, q) / 1e6;
      const err = Math.abs(got - want) / want;
      if (err > worst) {
        worst = err;
        worstAt = `${e.from} -> ${e.to} p${q * 100}: ${got} vs ${want} ms`;
      }
      if (err > 0.05) ok = false;
    }
    if (ok) within++;
  }
  return { compared, countExact, within, worst, worstAt, refEdges: ref.size };
}

// --- 3. critical path bottleneck --------------------------------------------------------------------------------
function bottleneckScores(seed: number) {
  const base: ScenarioOptions = { seed, services: 24, durationSeconds: 240, tracesPerSecond: 20 };
  const topo = scenarioTopology(base);
  // One latency fault per scenario on a node some operation calls, chosen by the seed.
  const callees = [...new Set(topo.edges.map((e) => e.to))].sort();
  const target = callees[(seed * 7919) % callees.length]!;
  const { table, truth } = generateScenario({
    ...base,
    faults: [{ kind: 'latency', service: target, addMs: 250, startSeconds: 60, endSeconds: 120 }],
  });
  const tree = buildTraceTree(table);
  const g = dependencyGraph(table, { tree, criticalPaths: criticalPaths(tree) });
  // As the cli computes it (paths of the needed traces only), with a typical sample far below the ~600 traces of an
  // endpoint, so that sampling is exercised (the default 1,000 reads every trace at this size).
  const sampled = dependencyGraph(table, {
    tree,
    criticalPathSample: SAMPLE,
    criticalPathsOf: (traces) => criticalPathsOfTraces(tree, traces),
  });
  const byEntry = new Map<string, { dur: number; cause: string }[]>();
  for (const t of truth.traces) {
    const k = `${t.entryService} ${t.entryOperation}`;
    const list = byEntry.get(k) ?? [];
    list.push({ dur: Number(t.durationNano), cause: t.slowCause?.service ?? '' });
    byEntry.set(k, list);
  }
  const rows: { entry: string; want: string; got: string; ok: boolean; gotSampled: string }[] = [];
  for (const [entry, traces] of byEntry) {
    const p99 = nearestRank(
      traces.map((t) => t.dur).sort((a, b) => a - b),
      0.99,
    );
    const votes = new Map<string, number>();
    for (const t of traces) if (t.dur >= p99) votes.set(t.cause, (votes.get(t.cause) ?? 0) + 1);
    const [want] = [...votes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]!;
    if (want === '') continue; // the fault is not what makes this endpoint's tail slow: no ground truth
    const cp = g.criticalPaths.find((c) => c.entry === entry);
    const got = cp?.bottleneck ?? '(none)';
    const gotSampled = sampled.criticalPaths.find((c) => c.entry === entry)?.bottleneck ?? '(none)';
    rows.push({ entry, want, got, ok: got === want, gotSampled });
  }
  return { target, rows };
}

// --- run ----------------------------------------------------------------------------------------------------------
const t0 = performance.now();
let tp = 0;
let fp = 0;
let fn = 0;
let mtp = 0;
let mfp = 0;
let mfn = 0;
const messyMisses: string[] = [];
let compared = 0;
let countExact = 0;
let within = 0;
let worst = 0;
let worstAt = '';
let evaluated = 0;
let right = 0;
let rightSampled = 0;
const wrong: string[] = [];
let spans = 0;
for (let seed = 1; seed <= SEEDS; seed++) {
  const clean = generateScenario({ seed, services: 24, durationSeconds: 120 });
  spans += clean.table.numSpans;
  const e = edgeScores(clean.table, clean.truth);
  tp += e.tp;
  fp += e.fp.length;
  fn += e.fn.length;
  if (e.fp.length || e.fn.length) console.log(`seed ${seed} clean: extra ${e.fp} missing ${e.fn}`);
  const s = statsScores(clean.table, clean.truth);
  compared += s.compared;
  countExact += s.countExact;
  within += s.within;
  if (s.worst >= worst) {
    worst = s.worst;
    worstAt = `seed ${seed} ${s.worstAt}`;
  }
  const messy = generateScenario({ seed, services: 24, durationSeconds: 120, messy: true });
  const m = edgeScores(messy.table, messy.truth);
  mtp += m.tp;
  mfp += m.fp.length;
  mfn += m.fn.length;
  for (const x of [...m.fp.map((k) => `extra ${k}`), ...m.fn.map((k) => `missing ${k}`)]) {
    messyMisses.push(`seed ${seed} ${x}`);
  }
  const b = bottleneckScores(seed);
  for (const r of b.rows) {
    evaluated++;
    if (r.ok) right++;
    else wrong.push(`seed ${seed} (fault on ${b.target}) ${r.entry}: got ${r.got}, want ${r.want}`);
    if (r.gotSampled === r.want) rightSampled++;
    else
      wrong.push(
        `seed ${seed} (fault on ${b.target}) ${r.entry}, sample ${SAMPLE}: got ${r.gotSampled}, want ${r.want}`,
      );
  }
}
console.log(`scenarios: ${SEEDS} seeds × 24 services, ${spans} clean spans (edges/stats) + messy + fault runs`);
console.log(`edges clean: precision ${pct(tp / (tp + fp))}, recall ${pct(tp / (tp + fn))} (${tp} edges)`);
console.log(`edges messy: precision ${pct(mtp / (mtp + mfp))}, recall ${pct(mtp / (mtp + mfn))} (${mtp} edges)`);
for (const x of messyMisses.slice(0, 10)) console.log(`  ${x}`);
console.log(
  `edge stats: ${compared} edges compared, call counts exact ${pct(countExact / compared)}, ` +
    `count and P50/P95/P99 within 5% ${pct(within / compared)}, worst relative error ${pct(worst)} (${worstAt})`,
);
console.log(`critical path bottleneck right: ${right}/${evaluated} endpoints = ${pct(right / evaluated)}`);
console.log(
  `  with the cli's on-demand paths and a typical sample of ${SAMPLE} traces: ${rightSampled}/${evaluated} = ${pct(rightSampled / evaluated)}`,
);
for (const w of wrong) console.log(`  ${w}`);
console.log(`time ${((performance.now() - t0) / 1000).toFixed(1)} s`);
