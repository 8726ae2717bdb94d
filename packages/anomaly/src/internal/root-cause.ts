// Root-cause candidates across anomalies: per incident (anomalies overlapping in time), the services whose own
// exclusive time or own errors grew, in proportion to what they added; callers that are slow only because a callee
// is slow add no exclusive time and so rank low. Call-path changes point at the caller, traffic changes at entries.
// Algorithm: exclusive-time attribution (self time + incoming network gap) vs the seasonal baseline, weighted by
// requests; own errors = failures without a failed downstream call.
// Reference: the "exclusive latency" signal of MicroRank (Yu et al., WWW'21) and TraceRCA (Li et al., IWQoS'21).
import type { RootCauseCandidate } from '../anomaly-report.ts';
import type { Draft } from './assemble.ts';
import { type ExplainContext, windowStats } from './context.ts';
import { seriesKey } from './model.ts';

interface Incident {
  start: number;
  end: number;
  drafts: Draft[];
  severity: number;
}

function incidents(drafts: readonly Draft[]): Incident[] {
  const sorted = [...drafts].sort((a, b) => a.startBucket - b.startBucket);
  const out: Incident[] = [];
  for (const d of sorted) {
    const last = out[out.length - 1];
    if (last && d.startBucket <= last.end + 1) {
      last.end = Math.max(last.end, d.endBucket);
      last.drafts.push(d);
      last.severity = Math.max(last.severity, d.anomaly.score);
    } else out.push({ start: d.startBucket, end: d.endBucket, drafts: [d], severity: d.anomaly.score });
  }
  return out;
}

function r1(x: number): number {
  return Math.round(x * 10) / 10;
}

/** Ranks the likely origins of the anomalies. */
export function rootCauseCandidates(ctx: ExplainContext, drafts: readonly Draft[]): RootCauseCandidate[] {
  const best = new Map<string, RootCauseCandidate>();
  const offer = (c: RootCauseCandidate): void => {
    const prev = best.get(c.service);
    if (!prev || c.score > prev.score) best.set(c.service, c);
  };
  const thr = ctx.settings.zThreshold;
  for (const inc of incidents(drafts)) {
    // Each kind of evidence is weighed by the severity of the anomalies of that kind: a small slowdown that comes
    // with a critical error spike (retry back-off in the callers) must not outrank the service the errors start in.
    let latSeverity = 0;
    let errSeverity = 0;
    for (const d of inc.drafts) {
      if (d.kind === 'latency_spike' || d.kind === 'timeout_spike')
        latSeverity = Math.max(latSeverity, d.anomaly.score);
      if (d.kind === 'error_rate_spike' || d.kind === 'timeout_spike')
        errSeverity = Math.max(errSeverity, d.anomaly.score);
    }
    const hasLatency = latSeverity > 0;
    const hasErrors = errSeverity > 0;
    const lat: {
      service: string;
      added: number;
      z: number;
      ratio: number;
      op: string;
      base: number;
      now: number;
      mean: boolean;
    }[] = [];
    const err: { service: string; excess: number; own: number; total: number; op: string }[] = [];
    for (const [service, idx] of ctx.serviceSeries) {
      const ws = windowStats(ctx, idx, inc.start, inc.end);
      const m = ctx.model.series.get(seriesKey(ctx.target.series[idx]!));
      if (!ws || !m || ws.requests === 0) continue;
      // The operation of this service that added the most exclusive time / own errors.
      let op = '';
      let opAdded = 0;
      let opErr = 0;
      let errOp = '';
      for (const i of ctx.operationSeries.get(service) ?? []) {
        const w = windowStats(ctx, i, inc.start, inc.end);
        if (!w) continue;
        if (w.addedSelfMs > opAdded) {
          opAdded = w.addedSelfMs;
          op = ctx.target.series[i]!.operation;
        }
        if (w.ownErrors > opErr) {
          opErr = w.ownErrors;
          errOp = ctx.target.series[i]!.operation;
        }
      }
      if (hasLatency) {
        // The median exclusive time sees a fault that slows every request (CPU contention); the mean also sees one
        // that hits only some of them (packet loss, pauses). The stronger of the two decides.
        const small = Math.sqrt(Math.max(1, m.typicalCount / Math.max(1, ws.requests / (inc.end - inc.start + 1))));
        const zOf = (now: number, base: number, sigma: number): number =>
          Number.isFinite(now) && Number.isFinite(base) && now > base
            ? Math.log(now / Math.max(base, 1e-6)) / (Math.max(sigma, 0.05) * small)
            : 0;
        const zMed = zOf(ws.selfP50Ms, ws.baseSelfP50Ms, m.logSelfP50.sigma);
        const zMean = zOf(ws.selfMeanMs, ws.baseSelfMeanMs, m.logSelfMean.sigma);
        const useMean = zMean > zMed;
        const z = useMean ? zMean : zMed;
        const added = useMean ? ws.addedSelfMeanMs : ws.addedSelfMs;
        const base = useMean ? ws.baseSelfMeanMs : ws.baseSelfP50Ms;
        const now = useMean ? ws.selfMeanMs : ws.selfP50Ms;
        if (z >= 2 && added > 0) {
          lat.push({ service, added, z, ratio: now / Math.max(base, 1e-6), op, base, now, mean: useMean });
        }
      }
      if (hasErrors) {
        const excess = ws.ownErrors - ws.expectedErrors;
        if (excess >= ctx.settings.minErrors)
          err.push({ service, excess, own: ws.ownErrors, total: ws.errors, op: errOp });
      }
    }
    const latTotal = lat.reduce((a, x) => a + x.added, 0);
    for (const x of lat) {
      const share = x.added / latTotal;
      const sig = Math.min(1, x.z / thr);
      offer({
        service: x.service,
        operation: x.op,
        score: Math.round(latSeverity * share * sig * 1000) / 1000,
        evidence: [
          `${x.mean ? 'mean' : 'median'} exclusive time ${r1(x.base)} → ${r1(x.now)} ms per request (×${r1(x.ratio)}, ${r1(x.z)} σ)`,
          `${Math.round(share * 100)}% of the exclusive time added across services in the incident`,
        ],
      });
    }
    const errTotal = err.reduce((a, x) => a + x.excess, 0);
    for (const x of err) {
      const share = x.excess / errTotal;
      offer({
        service: x.service,
        operation: x.op,
        score: Math.round(errSeverity * share * 1000) / 1000,
        evidence: [
          `${x.own} failed requests start in ${x.service} (no failed downstream call), ${Math.round(x.excess)} above the baseline`,
          `${Math.round(share * 100)}% of the excess errors that start in any service`,
        ],
      });
    }
    for (const d of inc.drafts) {
      if (d.kind === 'call_path_change') {
        offer({
          service: d.service,
          operation: d.anomaly.operation,
          score: Math.round(0.8 * d.anomaly.score * 1000) / 1000,
          evidence: [`call path ${d.service} → ${d.anomaly.callPath!.callee} ${d.anomaly.callPath!.change}`],
        });
      } else if (
        (d.kind === 'volume_spike' || d.kind === 'volume_drop') &&
        (ctx.callers.get(d.service)?.size ?? 0) === 0
      ) {
        offer({
          service: d.service,
          operation: d.anomaly.operation,
          score: Math.round(0.6 * d.anomaly.score * 1000) / 1000,
          evidence: [
            `traffic into entry ${d.service} changed ×${r1(d.anomaly.observed / Math.max(d.anomaly.baseline, 1e-9))}`,
          ],
        });
      }
    }
  }
  return [...best.values()]
    .filter((c) => c.score > 0.01)
    .sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
}
