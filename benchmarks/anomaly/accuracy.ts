// Accuracy of @aiops/anomaly on generated scenarios with injected faults and known truth:
//  - detection rate per fault kind (latency +300%, error rate, volume spike/drop, call path added/removed),
//  - root-cause top-1 accuracy (latency and error faults), severity ranking (×5 above ×1.5),
//  - detection delay in streaming mode, and
//  - false-positive rate on a fault-free day with daily seasonality and noisy low-traffic services.
//
//   cd benchmarks && npx tsx --conditions=@aiops/source anomaly/accuracy.ts [--seeds 10] [--fp-days 3]
//
// Scenario per seed: 45 min of baseline, then 6 slots of 15 min; each slot has one fault lasting 4 min starting
// 5 min into the slot; each fault is judged on its own slot (baseline = the first 45 min).
import { type Anomaly, createAnomalyStream, detectAnomalies, traceSeries } from '@aiops/anomaly';
import type { SpanTable } from '@aiops/span-model';
import { generateScenario, scenarioTopology } from '../scenarios/index.ts';
import type { FaultSpec, ScenarioOptions } from '../scenarios/types.ts';
import { traceWindow } from './split.ts';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const SEEDS = arg('--seeds', 10);
const FP_DAYS = arg('--fp-days', 3);
const BASE_S = 2700;
const SLOT_S = 900;
const LEAD_S = 300;
const FAULT_S = 240;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  seed: number;
  messy: boolean;
  label: string;
  fault: FaultSpec;
  slot: number;
}
interface Outcome extends Case {
  detected: boolean;
  delayS: number;
  top1: string;
  score: number;
  fpInSlot: number;
}

const pct = (a: number, b: number): string => (b === 0 ? '–' : `${((100 * a) / b).toFixed(1)}% (${a}/${b})`);

function planFaults(seed: number, messy: boolean, base: ScenarioOptions): Case[] {
  // Pilot run (same seed → same topology) to learn each service's latency and traffic.
  const topo = scenarioTopology(base);
  const pilot = generateScenario({ ...base, durationSeconds: 600, faults: [] });
  const s = traceSeries(pilot.table);
  const stats = new Map<string, { p50: number; perBucket: number }>();
  for (const x of s.series) {
    if (x.level !== 'service') continue;
    const p = Array.from(x.p50Ms)
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    const c = Array.from(x.count).sort((a, b) => a - b);
    stats.set(x.service, { p50: p[p.length >> 1] ?? 0, perBucket: c[c.length >> 1] ?? 0 });
  }
  const apps = topo.services
    .filter((v) => v.kind === 'service' && v.name !== 'frontend' && (stats.get(v.name)?.perBucket ?? 0) >= 8)
    .map((v) => v.name);
  const r = rng(seed * 101 + 7);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const lat = pick(apps);
  const err = pick(apps.filter((x) => x !== lat));
  const p50 = stats.get(lat)!.p50;
  const callees = new Map<string, Set<string>>();
  for (const e of topo.edges) {
    if (!callees.has(e.from)) callees.set(e.from, new Set());
    callees.get(e.from)!.add(e.to);
  }
  const caller = pick(apps.filter((x) => (callees.get(x)?.size ?? 0) > 0));
  const appSet = new Set(topo.services.filter((v) => v.kind === 'service').map((v) => v.name));
  const newTarget = pick([...appSet].filter((x) => x !== caller && x !== 'frontend' && !callees.get(caller)!.has(x)));
  const oldTarget = pick(
    [...callees.get(caller)!]
      .filter((x) => appSet.has(x))
      .concat([...callees.get(caller)!])
      .slice(0, 3),
  );
  const at = (slot: number): { startSeconds: number; endSeconds: number } => ({
    startSeconds: BASE_S + slot * SLOT_S + LEAD_S,
    endSeconds: BASE_S + slot * SLOT_S + LEAD_S + FAULT_S,
  });
  const spike = seed % 2 === 0;
  const added = seed % 2 === 1;
  const cases: Omit<Case, 'seed' | 'messy'>[] = [
    { label: 'latency +300%', slot: 0, fault: { kind: 'latency', service: lat, addMs: 3 * p50, ...at(0) } },
    { label: 'error rate', slot: 1, fault: { kind: 'error', service: err, ...at(1) } },
    {
      label: spike ? 'volume ×3' : 'volume ×0.3',
      slot: 2,
      fault: { kind: 'volume', factor: spike ? 3 : 0.3, ...at(2) },
    },
    {
      label: added ? 'call path added' : 'call path removed',
      slot: 3,
      fault: added
        ? { kind: 'new-call', service: caller, target: newTarget, ...at(3) }
        : { kind: 'missing-call', service: caller, target: oldTarget, ...at(3) },
    },
    { label: 'latency ×5 (severity)', slot: 4, fault: { kind: 'latency', service: lat, addMs: 4 * p50, ...at(4) } },
    { label: 'latency ×1.5 (severity)', slot: 5, fault: { kind: 'latency', service: lat, addMs: 0.5 * p50, ...at(5) } },
  ];
  return cases.map((c) => ({ ...c, seed, messy }));
}

function matches(c: Case, a: Anomaly, entry: Set<string>): boolean {
  const f = c.fault;
  switch (f.kind) {
    case 'latency':
      return a.kind === 'latency_spike' && a.service === f.service;
    case 'error':
      return a.kind === 'error_rate_spike' && a.service === f.service;
    case 'volume':
      return a.kind === ((f.factor ?? 1) > 1 ? 'volume_spike' : 'volume_drop') && entry.has(a.service);
    case 'new-call':
    case 'missing-call':
      return (
        a.kind === 'call_path_change' &&
        a.service === f.service &&
        a.callPath?.callee === f.target &&
        a.callPath.change === (f.kind === 'new-call' ? 'added' : 'removed')
      );
    default:
      return false;
  }
}

const outcomes: Outcome[] = [];
const streamDelays: number[] = [];
let streamMissed = 0;
const t0 = performance.now();
for (let seed = 1; seed <= SEEDS; seed++) {
  const messy = seed % 3 === 0;
  const base: ScenarioOptions = {
    seed: 100 + seed,
    services: 16,
    durationSeconds: BASE_S + 6 * SLOT_S,
    tracesPerSecond: 4,
    lowTrafficServices: 2,
    dailyAmplitude: 0.2,
    startHourOfDay: (seed * 5) % 24,
    messy,
  };
  const cases = planFaults(seed, messy, base);
  const { table, truth } = generateScenario({ ...base, faults: cases.map((c) => c.fault) });
  const entry = new Set(truth.entries.map((e) => e.service));
  const baseline = traceWindow(table, 0, BASE_S);
  const baseSeries = traceSeries(baseline);
  for (const c of cases) {
    const from = BASE_S + c.slot * SLOT_S;
    const target: SpanTable = traceWindow(table, from, from + SLOT_S);
    const report = detectAnomalies(target, { baseline: baseSeries });
    const fStart = Date.parse(new Date(Number(truth.faults[c.slot]!.startUnixNano / 1_000_000n)).toISOString());
    const fEnd = Date.parse(new Date(Number(truth.faults[c.slot]!.endUnixNano / 1_000_000n)).toISOString());
    const hit = report.anomalies.find(
      (a) => matches(c, a, entry) && Date.parse(a.start) <= fEnd + 30_000 && Date.parse(a.end) >= fStart,
    );
    // Anomalies starting outside [fault start − 1 bucket, fault end + 2 min] are false positives of this slot.
    const fp = report.anomalies.filter(
      (a) => Date.parse(a.start) < fStart - 30_000 || Date.parse(a.start) > fEnd + 120_000,
    ).length;
    if (process.argv.includes('--verbose') && (!hit || fp > 0)) {
      console.error(`  seed ${seed} ${c.label} ${JSON.stringify(c.fault)} detected=${!!hit}`);
      for (const a of report.anomalies)
        console.error(
          `    ${a.kind} ${a.service} ${a.operation} ${a.start}..${a.end} ${a.score} ${a.change} ${a.callPath ? JSON.stringify(a.callPath) : ''}`,
        );
    }
    outcomes.push({
      ...c,
      detected: hit !== undefined,
      delayS: hit ? (Date.parse(hit.start) - fStart) / 1000 : Number.NaN,
      top1: report.rootCauseCandidates[0]?.service ?? '',
      score: hit?.score ?? 0,
      fpInSlot: fp,
    });
    if (c.slot === 0) {
      // Streaming: push the slot in 10 s chunks; delay = data time pushed when the anomaly is first returned.
      const stream = createAnomalyStream({ baseline: baseSeries });
      const shift = Number(target.times.baseUnixNano - table.times.baseUnixNano) / 1e9;
      let delay = Number.NaN;
      for (let t = from; t < from + SLOT_S && Number.isNaN(delay); t += 10) {
        const chunk = traceWindow(target, t - shift, t - shift + 10);
        for (const a of stream.push(chunk)) {
          if (matches(c, a, entry) && Number.isNaN(delay)) delay = t + 10;
        }
      }
      const d = delay - c.fault.startSeconds;
      if (Number.isNaN(delay)) streamMissed++;
      else streamDelays.push(d);
    }
  }
  console.error(
    `seed ${seed}${messy ? ' (messy)' : ''}: ${table.numSpans} spans, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
}

const kinds = ['latency +300%', 'error rate', 'volume', 'call path'];
const rows: string[] = [];
for (const k of kinds) {
  const xs = outcomes.filter((o) => o.label.startsWith(k));
  const det = xs.filter((o) => o.detected);
  const delays = det.map((o) => o.delayS).sort((a, b) => a - b);
  const messyXs = xs.filter((o) => o.messy);
  rows.push(
    `| ${k} | ${pct(det.length, xs.length)} | ${pct(messyXs.filter((o) => o.detected).length, messyXs.length)} | ${delays.length ? `${delays[delays.length >> 1]} s / ${delays[delays.length - 1]} s` : '–'} |`,
  );
}
const rc = outcomes.filter((o) => (o.fault.kind === 'latency' || o.fault.kind === 'error') && o.slot <= 1);
const rcOk = rc.filter((o) => o.top1 === o.fault.service);
const rcMessy = rc.filter((o) => o.messy);
const sev = [];
for (let seed = 1; seed <= SEEDS; seed++) {
  const a = outcomes.find((o) => o.seed === seed && o.slot === 4)!;
  const b = outcomes.find((o) => o.seed === seed && o.slot === 5)!;
  sev.push({ seed, x5: a.score, x15: b.score, ok: a.detected && a.score > b.score });
}
const slotFp = outcomes.filter((o) => o.fpInSlot > 0).length;
streamDelays.sort((a, b) => a - b);
console.log('\n| fault | detected | of which messy | delay (batch, median / max) |\n| --- | --- | --- | --- |');
console.log(rows.join('\n'));
console.log(
  `\nroot-cause top-1 (latency + error faults): ${pct(rcOk.length, rc.length)}; messy: ${pct(rcMessy.filter((o) => o.top1 === o.fault.service).length, rcMessy.length)}`,
);
for (const o of rc.filter((x) => x.top1 !== x.fault.service))
  console.log(`  miss: seed ${o.seed} ${o.label} ${o.fault.service} → top-1 ${o.top1 || '(none)'}`);
console.log(
  `severity ×5 > ×1.5: ${pct(sev.filter((x) => x.ok).length, sev.length)}; scores ${sev.map((x) => `${x.x5}/${x.x15}`).join(', ')}`,
);
console.log(`slots with an anomaly outside the fault: ${pct(slotFp, outcomes.length)}`);
console.log(
  `streaming detection delay (latency +300%, 10 s pushes, 30 s buckets): median ${streamDelays[streamDelays.length >> 1]} s, max ${streamDelays[streamDelays.length - 1]} s, missed ${streamMissed}/${SEEDS}`,
);

// False positives on fault-free days: baseline days 1..(FP_DAYS-1), target the last day, in 30-minute windows.
if (FP_DAYS >= 2) {
  const day = 86400;
  const { table } = generateScenario({
    seed: 900,
    services: 12,
    durationSeconds: FP_DAYS * day,
    tracesPerSecond: 0.3,
    dailyAmplitude: 0.6,
    lowTrafficServices: 2,
    latencySigma: 0.35,
    backgroundErrorRate: 0.001,
  });
  const baseline = traceWindow(table, 0, (FP_DAYS - 1) * day);
  const target = traceWindow(table, (FP_DAYS - 1) * day, FP_DAYS * day);
  for (const useBaseline of [true, false]) {
    const report = detectAnomalies(target, useBaseline ? { baseline } : {});
    const startMs = Date.parse(report.from);
    const windows = 48;
    const flagged = new Set<number>();
    for (const a of report.anomalies) {
      const s = Math.floor((Date.parse(a.start) - startMs) / 1_800_000);
      const e = Math.floor((Date.parse(a.end) - 1 - startMs) / 1_800_000);
      for (let w = Math.max(0, s); w <= Math.min(windows - 1, e); w++) flagged.add(w);
    }
    console.log(
      `fault-free day (${table.numSpans} spans over ${FP_DAYS} days, seasonality ${report.seasonality}, ${useBaseline ? `${FP_DAYS - 1}-day baseline` : 'no baseline'}): ${report.anomalies.length} anomalies, false-positive windows ${pct(flagged.size, windows)}`,
    );
    for (const a of report.anomalies.slice(0, 5))
      console.log(`  ${a.kind} ${a.service} ${a.operation} ${a.start} ${a.change}`);
  }
}
console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(0)} s`);
