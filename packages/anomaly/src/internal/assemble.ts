// From runs of flagged buckets to anomalies: merge operation runs into their service's run, merge call-path runs
// across endpoints, compute values, severity, confidence, evidence per detector and the pattern analysis.
import type { Anomaly, AnomalyKind, DetectorEvidence, PatternAnalysis } from '../anomaly-report.ts';
import { severityLevel } from '../anomaly-report.ts';
import { TRACE_FEATURE_NAMES } from '../trace-series.ts';
import { bucketIso, type ExplainContext, overlaps } from './context.ts';
import type { BucketHit, Run } from './detect-core.ts';
import { clamp, median, poissonLogUpperTail, zFromLogP } from './stats.ts';

/** An anomaly before its hypotheses: the runs behind it and its bucket range. */
export interface Draft {
  readonly primary: Run;
  readonly members: Run[];
  readonly service: string;
  readonly kind: AnomalyKind;
  startBucket: number;
  endBucket: number;
  anomaly: Omit<Anomaly, 'hypotheses' | 'pattern'> & { pattern?: PatternAnalysis };
}

function maxAbsZ(hits: readonly BucketHit[]): number {
  let z = 0;
  for (const h of hits) if (Math.abs(h.z) > z) z = Math.abs(h.z);
  return z;
}

function magnitude(kind: AnomalyKind, observed: number, baseline: number): number {
  switch (kind) {
    case 'latency_spike':
    case 'latency_drop':
      return 1 - Math.exp(-Math.abs(Math.log(Math.max(observed, 1e-9) / Math.max(baseline, 1e-9))) / 0.6);
    case 'error_rate_spike':
    case 'timeout_spike':
      return 1 - Math.exp(-Math.max(0, observed - baseline) / 0.12);
    case 'volume_spike':
    case 'volume_drop':
      return 1 - Math.exp(-Math.abs(Math.log(Math.max(observed, 0.5) / Math.max(baseline, 0.5))) / 0.8);
    case 'call_path_change':
      return 1 - Math.exp(-Math.abs(observed - baseline) / 0.25);
  }
}

const UNIT: Record<AnomalyKind, Anomaly['unit']> = {
  latency_spike: 'ms',
  latency_drop: 'ms',
  error_rate_spike: 'ratio',
  timeout_spike: 'ratio',
  volume_spike: 'requests/bucket',
  volume_drop: 'requests/bucket',
  call_path_change: 'ratio',
};

function round(x: number, digits = 3): number {
  if (!Number.isFinite(x)) return x > 0 ? 1e6 : 0;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Trace-level Isolation Forest: share of sampled traces above the baseline threshold per (endpoint series, bucket). */
export interface TraceForestScores {
  readonly flagged: Uint8Array;
  readonly threshold: number;
  readonly scores: Float64Array;
}

function traceForestEvidence(
  ctx: ExplainContext,
  scores: TraceForestScores | undefined,
  service: string,
  a: number,
  b: number,
): DetectorEvidence | undefined {
  if (!scores) return undefined;
  const f = ctx.target.traceFeatures;
  const endpoints = new Set<number>();
  const epIndex = new Map<string, number>();
  ctx.target.series.forEach((s, i) => {
    if (s.level !== 'service') epIndex.set(`${s.service}\u0000${s.operation}`, i);
  });
  for (const e of ctx.target.callPaths) {
    if (e.caller === service || e.callee === service) {
      const i = epIndex.get(`${e.endpointService}\u0000${e.endpointOperation}`);
      if (i !== undefined) endpoints.add(i);
    }
  }
  for (const i of ctx.operationSeries.get(service) ?? []) endpoints.add(i);
  let total = 0;
  let flagged = 0;
  let top = 0;
  for (let r = 0; r < f.bucket.length; r++) {
    const bk = f.bucket[r]!;
    if (bk < a || bk > b || !endpoints.has(f.endpoint[r]!)) continue;
    total++;
    if (scores.flagged[r]) {
      flagged++;
      if (scores.scores[r]! > top) top = scores.scores[r]!;
    }
  }
  if (total === 0) return undefined;
  const share = flagged / total;
  const z = flagged > 0 ? zFromLogP(poissonLogUpperTail(flagged, total * 0.01)) : 0;
  const fired = flagged >= 3 && share >= 0.05 && z >= 3;
  return {
    detector: 'isolation-forest',
    fired,
    score: round(share),
    detail: `${flagged} of ${total} sampled traces through ${service} are outliers on (${TRACE_FEATURE_NAMES.join(', ')}) vs 1% in the baseline${top > 0 ? `; top score ${round(top, 2)}` : ''}`,
  };
}

function runEvidence(run: Run, ctx: ExplainContext): DetectorEvidence[] {
  const ev: DetectorEvidence[] = [];
  const statHits = run.hits.filter((h) => h.stat).length;
  const cpHits = run.hits.filter((h) => h.changepoint).length;
  const mlHits = run.hits.filter((h) => h.ml).length;
  const z = maxAbsZ(run.hits);
  const thr = ctx.settings.zThreshold;
  const isCount = run.kind === 'error_rate_spike' || run.kind === 'timeout_spike';
  if (run.kind === 'call_path_change') {
    ev.push({
      detector: 'call-path',
      fired: true,
      score: round(z, 2),
      detail: `${run.service} → ${run.callPath?.callee} ${run.callPath?.change === 'added' ? 'appears in' : 'disappears from'} traces of ${run.callPath?.endpoint} (Poisson z ${round(z, 1)})`,
    });
    return ev;
  }
  ev.push({
    detector: isCount ? 'poisson' : 'robust-seasonal',
    fired: statHits > 0,
    score: round(z, 2),
    detail: isCount
      ? `${statHits} of ${run.hits.length} buckets beyond the Poisson tail of the baseline rate (z ≥ ${thr})`
      : `${statHits} of ${run.hits.length} buckets beyond ${thr} robust σ of the seasonal median`,
  });
  // Two-window mean test around the onset: mean residual after vs before.
  const B = run.residualZ.length;
  const w = Math.max(3, run.endBucket - run.startBucket + 1);
  let after = 0;
  let na = 0;
  for (let k = run.startBucket; k <= Math.min(B - 1, run.startBucket + w - 1); k++) {
    after += run.residualZ[k]!;
    na++;
  }
  let before = 0;
  let nb = 0;
  for (let k = Math.max(0, run.startBucket - w); k < run.startBucket; k++) {
    before += run.residualZ[k]!;
    nb++;
  }
  const shift = na > 0 ? after / na - (nb > 0 ? before / nb : 0) : 0;
  ev.push({
    detector: 'changepoint',
    fired: cpHits > 0 || (nb >= 2 && shift >= thr),
    score: round(shift, 2),
    detail: `CUSUM ${cpHits > 0 ? `alarmed in ${cpHits} buckets` : 'did not alarm'}; level shift of ${round(shift, 1)} σ at ${bucketIso(ctx.target, run.onsetBucket)} (two-window mean test)`,
  });
  if (ctx.settings.algorithm === 'ml') {
    const top = Math.max(...run.hits.map((h) => h.mlScore));
    ev.push({
      detector: 'isolation-forest',
      fired: mlHits > 0,
      score: round(top),
      detail: `per-bucket residual vector (P50, P95, errors, timeouts, volume) scored ${round(top, 2)} by the series' Isolation Forest`,
    });
  }
  return ev;
}

function draftFromRun(run: Run, ctx: ExplainContext, scores: TraceForestScores | undefined): Draft {
  const hits = run.hits;
  const observed = median(hits.map((h) => h.observed));
  const baseline = median(hits.map((h) => h.expected));
  const z = maxAbsZ(hits);
  const thr = ctx.settings.zThreshold;
  const sev = clamp(0.85 * magnitude(run.kind, observed, baseline) + 0.15 * Math.min(1, z / (3 * thr)), 0, 1);
  const evidence = runEvidence(run, ctx);
  const ifEv =
    run.kind !== 'call_path_change'
      ? traceForestEvidence(ctx, scores, run.service, run.startBucket, run.endBucket)
      : undefined;
  if (ifEv && ctx.settings.algorithm !== 'ml') evidence.push(ifEv);
  const counts = hits.map((h) => h.count);
  let conf = 0.5;
  if (evidence.some((e) => e.detector === 'changepoint' && e.fired)) conf += 0.15;
  if (ifEv?.fired) conf += 0.15;
  if (hits.length >= 2) conf += 0.1;
  if (z >= 2 * thr) conf += 0.1;
  if (median(counts) < 10 && run.kind !== 'call_path_change') conf *= 0.75;
  let affected = 0;
  for (const h of hits) affected += h.affected;
  const change = baseline > 0 ? observed / baseline - 1 : observed > 0 ? 1000 : 0;
  return {
    primary: run,
    members: [run],
    service: run.service,
    kind: run.kind,
    startBucket: run.startBucket,
    endBucket: run.endBucket,
    anomaly: {
      service: run.service,
      operation: run.operation,
      kind: run.kind,
      start: bucketIso(ctx.target, run.startBucket),
      end: bucketIso(ctx.target, run.endBucket + 1),
      severity: severityLevel(sev),
      score: round(sev),
      confidence: round(Math.min(0.99, conf)),
      affectedRequests: Math.max(0, Math.round(affected)),
      affectedOperations: run.level === 'service' || run.level === 'call-path' ? [] : [run.operation],
      baseline: round(baseline, 4),
      observed: round(observed, 4),
      change: round(Math.min(change, 1000)),
      unit: UNIT[run.kind],
      ...(run.callPath
        ? { callPath: { callee: run.callPath.callee, change: run.callPath.change, endpoints: [run.callPath.endpoint] } }
        : {}),
      evidence,
    },
  };
}

/** Turns runs into drafts: service runs absorb overlapping operation runs; call paths merge across endpoints. */
export function draftAnomalies(ctx: ExplainContext, scores: TraceForestScores | undefined): Draft[] {
  const drafts: Draft[] = [];
  const serviceRuns = ctx.runs.filter((r) => r.level === 'service');
  const opRuns = ctx.runs.filter((r) => r.level === 'operation' || r.level === 'endpoint');
  const pathRuns = ctx.runs.filter((r) => r.level === 'call-path');
  for (const r of serviceRuns) drafts.push(draftFromRun(r, ctx, scores));
  const opDrafts = opRuns.map((r) => draftFromRun(r, ctx, scores)).sort((a, b) => b.anomaly.score - a.anomaly.score);
  for (const od of opDrafts) {
    const host = drafts.find(
      (d) =>
        d.primary.level === 'service' &&
        d.service === od.service &&
        d.kind === od.kind &&
        overlaps(d.startBucket, d.endBucket, od.startBucket, od.endBucket),
    );
    if (host) {
      host.members.push(od.primary);
      const ops = host.anomaly.affectedOperations as string[];
      if (!ops.includes(od.primary.operation)) ops.push(od.primary.operation);
      if (host.anomaly.operation === '') host.anomaly = { ...host.anomaly, operation: od.primary.operation };
      continue;
    }
    const same = drafts.find(
      (d) =>
        d.primary.level !== 'service' &&
        d.service === od.service &&
        d.kind === od.kind &&
        d.anomaly.operation === od.primary.operation &&
        overlaps(d.startBucket, d.endBucket, od.startBucket, od.endBucket),
    );
    if (same) continue; // the same operation as operation and as endpoint
    drafts.push(od);
  }
  const pathDrafts = pathRuns
    .map((r) => draftFromRun(r, ctx, scores))
    .sort((a, b) => b.anomaly.score - a.anomaly.score);
  for (const pd of pathDrafts) {
    const host = drafts.find(
      (d) =>
        d.kind === 'call_path_change' &&
        d.service === pd.service &&
        d.anomaly.callPath?.callee === pd.anomaly.callPath?.callee &&
        d.anomaly.callPath?.change === pd.anomaly.callPath?.change &&
        overlaps(d.startBucket, d.endBucket, pd.startBucket, pd.endBucket),
    );
    if (host) {
      host.members.push(pd.primary);
      const eps = host.anomaly.callPath!.endpoints as string[];
      const ep = pd.primary.callPath!.endpoint;
      if (!eps.includes(ep)) eps.push(ep);
      host.startBucket = Math.min(host.startBucket, pd.startBucket);
      host.endBucket = Math.max(host.endBucket, pd.endBucket);
      host.anomaly = {
        ...host.anomaly,
        start: bucketIso(ctx.target, host.startBucket),
        end: bucketIso(ctx.target, host.endBucket + 1),
        affectedRequests: host.anomaly.affectedRequests + pd.anomaly.affectedRequests,
      };
      continue;
    }
    drafts.push(pd);
  }
  for (const d of drafts) {
    if (d.kind === 'call_path_change') {
      const ops = d.anomaly.affectedOperations as string[];
      for (const ep of d.anomaly.callPath!.endpoints) if (!ops.includes(ep)) ops.push(ep);
    }
  }
  return drafts;
}

/** Pattern analysis of each draft against the others. */
export function analysePatterns(ctx: ExplainContext, drafts: Draft[]): void {
  for (const d of drafts) {
    const run = d.primary;
    const z = run.residualZ;
    let peak = 0;
    for (let k = run.startBucket; k <= Math.min(run.endBucket, run.startBucket + 3); k++)
      peak = Math.max(peak, Math.abs(z[k] ?? 0));
    const first = Math.abs(z[run.startBucket] ?? 0);
    const onset: PatternAnalysis['onset'] =
      run.startBucket - run.onsetBucket <= 1 && first >= 0.5 * peak ? 'sudden' : 'gradual';
    const sameKind = drafts
      .filter((o) => o.service === d.service && o.kind === d.kind && o.anomaly.operation === d.anomaly.operation)
      .map((o) => o.startBucket)
      .sort((a, b) => a - b);
    let periodic = false;
    if (sameKind.length >= 3) {
      const gaps = sameKind.slice(1).map((s, i) => s - sameKind[i]!);
      const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
      const sd = Math.sqrt(gaps.reduce((a, b) => a + (b - mean) ** 2, 0) / gaps.length);
      periodic = mean > 1 && sd / mean < 0.25;
    }
    const correlated = new Set<string>();
    let up = false;
    let down = false;
    const callees = ctx.callees.get(d.service) ?? new Set<string>();
    const callers = ctx.callers.get(d.service) ?? new Set<string>();
    for (const o of drafts) {
      if (o === d || o.service === d.service) continue;
      if (!overlaps(d.startBucket, d.endBucket, o.startBucket, o.endBucket)) continue;
      correlated.add(o.service);
      if (callees.has(o.service) && o.startBucket <= d.startBucket) down = true;
      if (callers.has(o.service)) up = true;
    }
    d.anomaly = {
      ...d.anomaly,
      pattern: {
        periodic,
        onset,
        correlatedServices: [...correlated].sort().slice(0, 12),
        propagation: down ? 'downstream' : up ? 'upstream' : 'isolated',
      },
    };
  }
}
