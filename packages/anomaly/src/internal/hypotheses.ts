// Hypotheses per anomaly: which cause fits the evidence (own exclusive time, every operation slower, a slower or
// failing callee that moved first, 429s with more traffic, a new version or call path), ranked by confidence.
import type { Hypothesis } from '../anomaly-report.ts';
import type { Draft } from './assemble.ts';
import { bucketIso, type ExplainContext, overlaps, windowStats } from './context.ts';
import { clamp } from './stats.ts';

function r1(x: number): number {
  return Math.round(x * 10) / 10;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function verifyFor(ctx: ExplainContext, d: Draft, service: string, cause: Hypothesis['cause']): string[] {
  const from = bucketIso(ctx.target, d.startBucket);
  const to = bucketIso(ctx.target, d.endBucket + 1);
  const win = `--from ${from} --to ${to}`;
  if (cause === 'own-errors' || cause === 'rate-limiting' || cause === 'retry-storm') {
    return [
      `aiops analyze-errors --service ${service} ${win}`,
      `aiops search-traces --service ${service} --failed ${win}`,
    ];
  }
  if (cause === 'deploy-or-config-change') {
    return [
      `aiops search-traces --service ${service} ${win}`,
      `aiops detect-trace-anomaly --service ${service} ${win} --json`,
    ];
  }
  return [
    `aiops analyze-slow-traces --service ${service} ${win}`,
    `aiops search-traces --service ${service} ${win} --limit 20`,
  ];
}

function anomalousOverlapping(
  drafts: readonly Draft[],
  d: Draft,
  service: string,
  kinds: readonly string[],
): Draft | undefined {
  return drafts.find(
    (o) =>
      o.service === service &&
      kinds.includes(o.kind) &&
      overlaps(o.startBucket, o.endBucket, d.startBucket, d.endBucket),
  );
}

function newVersions(ctx: ExplainContext, service: string, d: Draft): string[] {
  const out: string[] = [];
  for (const v of ctx.target.versions) {
    if (v.service !== service || ctx.model.versions.has(`${v.service}\u0000${v.version}`)) continue;
    if (v.firstBucket <= d.endBucket) out.push(v.version);
  }
  return out;
}

/** Hypotheses for one draft, best first. */
export function hypothesesFor(ctx: ExplainContext, drafts: readonly Draft[], d: Draft): Hypothesis[] {
  const out: Hypothesis[] = [];
  const S = d.service;
  const idx = ctx.serviceSeries.get(S);
  const ws = idx !== undefined ? windowStats(ctx, idx, d.startBucket, d.endBucket) : undefined;
  const add = (
    cause: Hypothesis['cause'],
    service: string,
    confidence: number,
    description: string,
    evidence: string[],
  ): void => {
    if (confidence <= 0.05) return;
    out.push({
      cause,
      service,
      confidence: Math.round(clamp(confidence, 0, 0.99) * 100) / 100,
      description,
      evidence,
      verify: verifyFor(ctx, d, service, cause),
    });
  };
  const callees = [...(ctx.callees.get(S) ?? [])];
  const callers = [...(ctx.callers.get(S) ?? [])];
  const versions = newVersions(ctx, S, d);
  if (versions.length > 0) {
    add('deploy-or-config-change', S, 0.55, `${S} runs a version not seen in the baseline (${versions.join(', ')})`, [
      `version ${versions.join(', ')} of ${S} first seen at or before the end of the anomaly`,
    ]);
  }
  switch (d.kind) {
    case 'latency_spike':
    case 'timeout_spike': {
      const dLat = ws ? ws.p50Ms - ws.baseP50Ms : 0;
      const dSelf = ws ? ws.selfP50Ms - ws.baseSelfP50Ms : 0;
      const own = ws && dLat > 0 ? clamp(dSelf / dLat, 0, 1) : 0;
      // Callees that slowed (or started timing out / failing) in the same window.
      let best: { service: string; added: number; start: number } | undefined;
      for (const c of callees) {
        const o = anomalousOverlapping(drafts, d, c, ['latency_spike', 'timeout_spike', 'error_rate_spike']);
        if (!o) continue;
        const ci = ctx.serviceSeries.get(c);
        const cw = ci !== undefined ? windowStats(ctx, ci, d.startBucket, d.endBucket) : undefined;
        const added = cw ? cw.p50Ms - cw.baseP50Ms : 0;
        if (!best || added > best.added) best = { service: c, added, start: o.startBucket };
      }
      if (d.kind === 'timeout_spike') {
        if (best) {
          add(
            'downstream-timeout',
            best.service,
            0.85,
            `calls from ${S} to ${best.service} time out: ${best.service} got slower`,
            [
              `${best.service} anomalous from ${bucketIso(ctx.target, best.start)}`,
              ws ? `${ws.timeouts} timed-out requests in ${S}` : '',
            ].filter(Boolean),
          );
        } else {
          add('own-slowness', S, 0.45, `${S} itself is too slow for its callers' deadlines`, [
            ws ? `${ws.timeouts} timed-out requests` : 'timeouts rose',
          ]);
        }
        break;
      }
      if (ws && dLat > 0) {
        const opIdx = ctx.operationSeries.get(S) ?? [];
        let slowOps = 0;
        let ops = 0;
        for (const i of opIdx) {
          const w = windowStats(ctx, i, d.startBucket, d.endBucket);
          if (!w || w.requests < ctx.settings.minRequests || !Number.isFinite(w.baseP50Ms)) continue;
          ops++;
          if (w.p50Ms >= w.baseP50Ms * (1 + ctx.settings.minLatencyChange)) slowOps++;
        }
        const selfEv = `exclusive time of ${S} ${r1(ws.baseSelfP50Ms)} → ${r1(ws.selfP50Ms)} ms (P50) while its latency went ${r1(ws.baseP50Ms)} → ${r1(ws.p50Ms)} ms: ${pct(own)} of the increase is its own`;
        if (ops >= 2 && slowOps / ops >= 0.7 && own >= 0.5) {
          add(
            'shared-resource',
            S,
            0.9 * own * (slowOps / ops),
            `every operation of ${S} slowed at once: a shared resource (CPU, connection or thread pool, GC) in ${S}`,
            [`${slowOps} of ${ops} operations of ${S} slower by ≥ ${pct(ctx.settings.minLatencyChange)}`, selfEv],
          );
        }
        const isStore = callees.length === 0 && callers.length > 0;
        if (isStore) {
          add(
            'slow-dependency',
            S,
            0.8 * Math.max(own, 0.5),
            `${S} (a store or external API called by ${callers.slice(0, 3).join(', ')}) answers slower`,
            [selfEv],
          );
        } else {
          add(
            'own-slowness',
            S,
            0.85 * own,
            `the time is spent inside ${S} (its own code, CPU, locks or a slow network into it)`,
            [selfEv],
          );
        }
        if (best) {
          add(
            'propagated',
            best.service,
            0.85 * (1 - own) * (best.start <= d.startBucket ? 1 : 0.6),
            `propagated from ${best.service}, which slowed ${best.start <= d.startBucket ? 'first' : 'in the same window'}`,
            [`${best.service} latency +${r1(best.added)} ms (P50) from ${bucketIso(ctx.target, best.start)}`, selfEv],
          );
        } else if (own < 0.5 && callees.length > 0) {
          add(
            'slow-dependency',
            S,
            0.6 * (1 - own),
            `${S} waits longer on its downstream calls (${callees.slice(0, 4).join(', ')}) though none of them alarmed alone`,
            [selfEv],
          );
        }
      }
      break;
    }
    case 'latency_drop':
      add(
        'traffic-change',
        S,
        0.4,
        `${S} answers faster: requests may be failing early or skipping work (cache, shorter path)`,
        [ws ? `latency ${r1(ws.baseP50Ms)} → ${r1(ws.p50Ms)} ms (P50)` : 'latency fell'],
      );
      break;
    case 'error_rate_spike': {
      if (!ws) break;
      const excess = Math.max(1, ws.errors - ws.expectedErrors);
      const ownShare = ws.errors > 0 ? ws.ownErrors / ws.errors : 0;
      const limitedShare = ws.errors > 0 ? ws.rateLimited / ws.errors : 0;
      if (limitedShare >= 0.5) {
        const volumeUp =
          ws.volumeRatio >= 1.2 ||
          drafts.some(
            (o) => o.kind === 'volume_spike' && overlaps(o.startBucket, o.endBucket, d.startBucket, d.endBucket),
          );
        add(
          'rate-limiting',
          S,
          volumeUp ? 0.9 : 0.6,
          volumeUp
            ? `rate limiting: ${pct(limitedShare)} of the errors are 429 while traffic rose`
            : `${pct(limitedShare)} of the errors are 429: a quota or limit was lowered`,
          [
            `${ws.rateLimited} of ${ws.errors} failed requests got 429`,
            `traffic ×${r1(ws.volumeRatio)} vs the baseline`,
          ],
        );
      }
      add(
        'own-errors',
        S,
        0.85 * ownShare * (limitedShare >= 0.5 ? 0.6 : 1),
        `errors start in ${S} (its own code or a dependency outside the traces)`,
        [
          `${ws.ownErrors} of ${ws.errors} failed requests of ${S} had no failed downstream call (${Math.round(excess)} above the baseline rate)`,
        ],
      );
      let best: { service: string; errors: number } | undefined;
      for (const c of callees) {
        if (!anomalousOverlapping(drafts, d, c, ['error_rate_spike', 'timeout_spike'])) continue;
        const ci = ctx.serviceSeries.get(c);
        const cw = ci !== undefined ? windowStats(ctx, ci, d.startBucket, d.endBucket) : undefined;
        if (cw && (!best || cw.errors > best.errors)) best = { service: c, errors: cw.errors };
      }
      if (best) {
        add('propagated', best.service, 0.85 * (1 - ownShare), `errors propagate from ${best.service}`, [
          `${best.service} failed ${best.errors} requests in the window`,
          `${ws.errors - ws.ownErrors} of ${ws.errors} failures of ${S} follow a failed downstream call`,
        ]);
      }
      const retries = anomalousOverlapping(drafts, d, S, ['volume_spike']);
      if (retries && callers.length > 0) {
        add('retry-storm', S, 0.5, `callers of ${S} retry its failures, multiplying its traffic`, [
          `volume of ${S} ×${r1(ws.volumeRatio)}`,
        ]);
      }
      break;
    }
    case 'volume_spike':
    case 'volume_drop': {
      const upstream = callers.filter((c) => anomalousOverlapping(drafts, d, c, [d.kind]));
      if (upstream.length > 0) {
        add('traffic-change', upstream[0]!, 0.7, `traffic from ${upstream.join(', ')} changed the same way`, [
          `${upstream.join(', ')}: ${d.kind.replace('_', ' ')} overlapping`,
        ]);
      } else {
        add(
          'traffic-change',
          S,
          callers.length === 0 ? 0.75 : 0.5,
          callers.length === 0
            ? `traffic to entry ${S} changed (users, clients, a batch job)`
            : `traffic to ${S} changed without its callers changing`,
          [ws ? `requests ×${r1(ws.volumeRatio)} vs the seasonal baseline` : 'volume changed'],
        );
      }
      if (d.kind === 'volume_spike' && ws && ws.errors > ws.expectedErrors * 3 && ws.errors >= 5) {
        add('retry-storm', S, 0.55, `failures of ${S} are retried, inflating its traffic`, [
          `${ws.errors} failed requests`,
        ]);
      }
      if (d.kind === 'volume_drop') {
        const removed = drafts.find(
          (o) =>
            o.kind === 'call_path_change' &&
            o.anomaly.callPath?.callee === S &&
            overlaps(o.startBucket, o.endBucket, d.startBucket, d.endBucket),
        );
        if (removed) {
          add('deploy-or-config-change', removed.service, 0.8, `${removed.service} stopped calling ${S}`, [
            `call path ${removed.service} → ${S} ${removed.anomaly.callPath!.change}`,
          ]);
        }
      }
      break;
    }
    case 'call_path_change': {
      const cp = d.anomaly.callPath!;
      const callerVersions = newVersions(ctx, S, d);
      add(
        'deploy-or-config-change',
        S,
        callerVersions.length > 0 ? 0.9 : 0.7,
        `${S} ${cp.change === 'added' ? 'started' : 'stopped'} calling ${cp.callee}: a deploy, feature flag or configuration change in ${S}`,
        [
          `${S} → ${cp.callee} in ${pct(d.anomaly.observed)} of the traces of ${cp.endpoints.join(', ')} (baseline ${pct(d.anomaly.baseline)})`,
          ...(callerVersions.length > 0 ? [`new version ${callerVersions.join(', ')} of ${S}`] : []),
        ],
      );
      if (cp.change === 'removed') {
        const fail = anomalousOverlapping(drafts, d, S, ['error_rate_spike']);
        if (fail)
          add('own-errors', S, 0.5, `${S} fails before reaching ${cp.callee}`, [
            `error-rate spike of ${S} in the same window`,
          ]);
      }
      break;
    }
  }
  return out.sort((a, b) => b.confidence - a.confidence);
}
