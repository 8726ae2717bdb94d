// Root-cause hypotheses in words, written from the per-service tallies of errorPropagation.
import type { ErrorType } from '../classify-error.ts';
import type { Hypothesis, RootCause } from '../error-propagation.ts';

/** Aggregated facts about one origin service. */
export interface ServiceTally {
  service: string;
  traces: number;
  types: number[];
  operations: Map<string, number>;
  evidence: Map<string, number>;
  peers: Map<string, number>;
  callers: Map<string, number>;
  slowCallee: number;
  hosts: Map<string, number>;
  versions: Map<string, number>;
}

/** What the hypotheses are written from. */
export interface HypothesisInput {
  readonly tallies: readonly ServiceTally[];
  readonly rootCauses: readonly RootCause[];
  readonly failedTraces: number;
  readonly traces: number;
  readonly multiOrigin: number;
  readonly handledOnly: number;
  /**
   * The data records no status, HTTP or gRPC code (only error tags): failures, callers and types were partly
   * inferred from timing and call-site statistics, so confidence is lowered.
   */
  readonly inferred: boolean;
}

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const round2 = (x: number): number => Math.round(Math.max(0, Math.min(1, x)) * 100) / 100;

function top<K>(m: Map<K, number>): [K, number] | undefined {
  let best: [K, number] | undefined;
  for (const e of m) if (!best || e[1] > best[1]) best = e;
  return best;
}

/** The most frequent evidence line that is not a bare code, for quoting in the text. */
function quotable(t: ServiceTally): string {
  const sorted = [...t.evidence.entries()].sort((a, b) => b[1] - a[1]);
  const words = sorted.find(([e]) => /"/.test(e));
  return (words ?? sorted[0])?.[0] ?? '';
}

function conclusion(t: ServiceTally, type: ErrorType, caller: string): string {
  const named = top(t.peers)?.[0];
  // A callee that left no span is itself the origin: speak of its callers, not of its own calls.
  const isCallee = named === t.service;
  const peer = isCallee ? undefined : named;
  const ev = quotable(t);
  const how = ev ? ` (${ev})` : '';
  switch (type) {
    case 'unavailable':
      if (isCallee) {
        return `${caller ? `its callers in ${caller}` : 'its callers'} get no response from it${how} → ${t.service} is down or refusing connections`;
      }
      return peer
        ? `its calls to ${peer} fail without a response${how} → ${peer} is down or refusing connections`
        : `it cannot reach a dependency${how} → a dependency of ${t.service} is down, or ${t.service} itself is not reachable`;
    case 'timeout':
      if (t.slowCallee >= t.traces / 2) {
        return `${caller || 'its callers'} time out waiting for it while it is still working${how} → ${t.service} is slow (saturation, a slow query, a lock or a slow dependency); look at its latency, not at the callers`;
      }
      if (isCallee)
        return `calls to it from ${caller || 'its callers'} time out${how} → ${t.service} is slow or unreachable`;
      return peer
        ? `its calls to ${peer} time out${how} → ${peer} is slow or unreachable; check its latency and the timeout settings`
        : `its operations time out${how} → ${t.service} or a dependency it does not trace is slow`;
    case 'http5xx':
      return `it answers with server errors${how} → an internal failure in ${t.service}; check its logs, resources and recent deploys`;
    case 'business':
      return `it throws application errors${how} → a business-logic failure (bad data or a bug in ${t.service}), not infrastructure`;
    case 'http4xx':
      return `it rejects requests${how} → callers send requests it refuses (input, auth, missing resource); check recent changes on the calling side`;
    default:
      return `its spans fail without a recorded code or message${how} → inspect ${t.service}'s logs for these traces`;
  }
}

/** Hypotheses, most confident first. */
export function writeHypotheses(input: HypothesisInput): Hypothesis[] {
  const { tallies, rootCauses, failedTraces } = input;
  const out: Hypothesis[] = [];
  if (failedTraces === 0) return out;
  const strong = rootCauses.filter((r) => r.share >= 0.2);
  for (let i = 0; i < Math.min(3, rootCauses.length); i++) {
    const r = rootCauses[i]!;
    const t = tallies[i]!;
    if (i > 0 && r.share < 0.1) break;
    const consistency = (r.byType[r.errorType] ?? 0) / r.traces;
    const sample = Math.min(1, Math.sqrt(r.traces / 20));
    const caller = top(t.callers)?.[0] ?? '';
    let text = `${r.service} is the origin of ${pct(r.share)} of failed traces; ${conclusion(t, r.errorType, caller)}`;
    const evidence = [...r.evidence];
    const instance = r.evidence.find((e) => / of origins on (host|version) /.test(e));
    if (instance) text += `; the errors concentrate on one ${/on host/.test(instance) ? 'instance' : 'version'}`;
    let confidence = r.share * (0.5 + 0.5 * consistency) * sample;
    if (strong.length > 1) confidence *= 0.8;
    if (input.inferred) {
      confidence *= 0.7;
      evidence.push('no status codes in the data: failures of unmarked callers and error types inferred from timing');
    }
    if (consistency < 1) evidence.push(`${pct(consistency)} of its origins are ${r.errorType}`);
    out.push({ text, confidence: round2(confidence), evidence, services: [r.service] });
  }
  if (strong.length > 1) {
    const names = strong.map((r) => `${r.service} ${pct(r.share)}`).join(', ');
    const peers = new Map<string, number>();
    for (const r of strong) {
      const t = tallies.find((x) => x.service === r.service);
      const p = t && top(t.peers)?.[0];
      if (p) peers.set(p, (peers.get(p) ?? 0) + 1);
    }
    const shared = [...peers.entries()].find(([, k]) => k === strong.length)?.[0];
    const evidence = strong.map((r) => `${r.traces} failed traces originate in ${r.service} (${r.errorType})`);
    if (input.multiOrigin > 0) evidence.push(`${input.multiOrigin} traces have errors starting in more than one place`);
    const text = shared
      ? `errors start in several services at once (${names}), all calling ${shared} → a shared dependency, ${shared}, is failing`
      : `errors start in several services at once (${names}) → independent faults, not one root cause propagating`;
    const covered = strong.reduce((s, r) => s + r.share, 0);
    out.push({
      text,
      confidence: round2(Math.min(1, covered) * (shared ? 0.8 : 0.7)),
      evidence,
      services: strong.map((r) => r.service),
    });
  }
  if (input.handledOnly > 0 && input.handledOnly >= 0.05 * input.traces) {
    out.push({
      text: `${input.handledOnly} traces had errors that callers recovered from (retries, fallbacks) → no user impact yet, but a dependency is flaky`,
      confidence: round2(Math.min(0.6, input.handledOnly / Math.max(1, input.traces))),
      evidence: [`${input.handledOnly} of ${input.traces} traces had only handled errors`],
      services: [],
    });
  }
  return out.sort((a, b) => b.confidence - a.confidence);
}
