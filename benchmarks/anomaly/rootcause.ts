// Root-cause ranking of @aiops/anomaly on data shaped like the public fault-injection experiments (TrainTicket,
// Online Boutique, Sock Shop): pod names as service names, no span kinds, no status codes — in `bare` seeds no
// attributes at all, only names, parent links and timings — with the faults those experiments inject:
//   cpu      CPU contention: self time × 3 of every request of the service (callers inherit the latency)
//   memory   memory stress: self time × 4 on half of the requests (pauses)
//   delay    network delay: + max(50 ms, 2 × P50) between each client span and the service's server span
//   loss     packet loss: + 200 ms (a retransmission timeout) on 30% of the calls into the service
//   code     code fault: HTTP 500 on half of the requests (messy seeds: 70% of error spans keep an `error` tag;
//            bare seeds: nothing marks the failure, so it is not injected there)
// Judged: rootCauseCandidates top-1 and top-3 contain the faulty workload (pods folded to workload names).
//
//   cd benchmarks && npx tsx --conditions=@aiops/source anomaly/rootcause.ts [--seeds 12] [--verbose]
import { detectAnomalies, traceSeries } from '@aiops/anomaly';
import { generateScenario, scenarioTopology } from '../scenarios/index.ts';
import type { FaultSpec, ScenarioOptions } from '../scenarios/types.ts';
import { traceWindow } from './split.ts';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SEEDS = arg('--seeds', 12);
const VERBOSE = process.argv.includes('--verbose');
const BASE_S = 1800;
const SLOT_S = 600;
const LEAD_S = 180;
const FAULT_S = 240;
const KINDS = ['cpu', 'memory', 'delay', 'loss', 'code'] as const;
type Kind = (typeof KINDS)[number];

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Outcome {
  seed: number;
  bare: boolean;
  kind: Kind;
  service: string;
  detected: boolean;
  top: string[];
}
const outcomes: Outcome[] = [];
const t0 = performance.now();
const cpu0 = process.cpuUsage();
for (let seed = 1; seed <= SEEDS; seed++) {
  const bare = seed % 2 === 1;
  const kinds = KINDS.filter((k) => !(bare && k === 'code'));
  const base: ScenarioOptions = {
    seed: 500 + seed,
    services: [12, 16, 20][seed % 3]!,
    durationSeconds: BASE_S + kinds.length * SLOT_S,
    tracesPerSecond: [2, 4][seed % 2]!,
    lowTrafficServices: 2,
    messy: true,
    bare,
  };
  const topo = scenarioTopology(base);
  const pilot = traceSeries(generateScenario({ ...base, durationSeconds: 600, faults: [] }).table);
  const called = new Set(topo.edges.map((e) => e.to));
  const eligible = pilot.series.filter((x) => {
    if (x.level !== 'service' || !called.has(x.service)) return false;
    if (!topo.services.some((v) => v.name === x.service && v.kind === 'service')) return false;
    const c = Array.from(x.count);
    return c.reduce((a, b) => a + b, 0) / c.length >= 4;
  });
  const r = rng(seed * 31 + 3);
  const faults: FaultSpec[] = [];
  const chosen: string[] = [];
  kinds.forEach((kind, slot) => {
    const x = eligible[Math.floor(r() * eligible.length)]!;
    const p50 = Array.from(x.p50Ms)
      .filter(Number.isFinite)
      .sort((a, b) => a - b)[Math.floor(x.p50Ms.length / 2)]!;
    const w = { startSeconds: BASE_S + slot * SLOT_S + LEAD_S, endSeconds: BASE_S + slot * SLOT_S + LEAD_S + FAULT_S };
    const service = x.service;
    chosen.push(service);
    if (kind === 'cpu') faults.push({ kind: 'latency', service, factor: 3, ...w });
    else if (kind === 'memory') faults.push({ kind: 'latency', service, factor: 4, probability: 0.5, ...w });
    else if (kind === 'delay') faults.push({ kind: 'network-delay', service, addMs: Math.max(50, 2 * p50), ...w });
    else if (kind === 'loss') faults.push({ kind: 'network-delay', service, addMs: 200, probability: 0.3, ...w });
    else faults.push({ kind: 'error', service, probability: 0.5, ...w });
  });
  const { table } = generateScenario({ ...base, faults });
  const baseline = traceSeries(traceWindow(table, 0, BASE_S));
  kinds.forEach((kind, slot) => {
    const from = BASE_S + slot * SLOT_S;
    const report = detectAnomalies(traceWindow(table, from, from + SLOT_S), { baseline });
    const top = report.rootCauseCandidates.slice(0, 3).map((c) => c.service);
    const o = { seed, bare, kind, service: chosen[slot]!, detected: report.anomalies.length > 0, top };
    outcomes.push(o);
    if (VERBOSE && top[0] !== o.service) {
      console.error(`  seed ${seed}${bare ? ' bare' : ''} ${kind} ${o.service} → ${top.join(', ') || '(none)'}`);
      for (const a of report.anomalies.slice(0, 8))
        console.error(`    ${a.kind} ${a.service} ${a.operation} ${a.start} ${a.change} ${a.score}`);
      for (const c of report.rootCauseCandidates.slice(0, 3))
        console.error(`    rc ${c.service} ${c.score} ${c.evidence[0]}`);
    }
  });
  console.error(
    `seed ${seed}${bare ? ' (bare)' : ' (messy)'}: ${table.numSpans} spans, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
}

const pct = (a: number, b: number): string => (b === 0 ? '–' : `${((100 * a) / b).toFixed(0)}% (${a}/${b})`);
console.log(
  '\n| fault | cases | detected | top-1 | top-3 | top-1 bare | top-1 messy |\n| --- | --- | --- | --- | --- | --- | --- |',
);
for (const k of [...KINDS, 'all'] as const) {
  const xs = outcomes.filter((o) => k === 'all' || o.kind === k);
  const t1 = (ys: Outcome[]): number => ys.filter((o) => o.top[0] === o.service).length;
  const bare = xs.filter((o) => o.bare);
  const messy = xs.filter((o) => !o.bare);
  console.log(
    `| ${k} | ${xs.length} | ${pct(xs.filter((o) => o.detected).length, xs.length)} | ${pct(t1(xs), xs.length)} | ${pct(xs.filter((o) => o.top.includes(o.service)).length, xs.length)} | ${pct(t1(bare), bare.length)} | ${pct(t1(messy), messy.length)} |`,
  );
}
const used = process.cpuUsage(cpu0);
console.log(
  `\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s wall, ${((used.user + used.system) / 1e6).toFixed(0)} CPU-s, load average ${(
    await import('node:os')
  )
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(' ')}`,
);
