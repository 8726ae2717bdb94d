// Root-cause hypotheses in words, from the ranked contributions and the status and attribute changes.
import type { SpanTable } from '@aiops/span-model';
import type {
  AttributeChange,
  ChangedSpan,
  DiffTraceSummary,
  Finding,
  FindingKind,
  Hypothesis,
  OneSidedSpan,
  StatusChange,
} from '../diff-traces.ts';
import type { Alignment } from './align.ts';
import { STATEMENT_KEYS } from './attributes.ts';
import type { AttributionMode } from './attribution.ts';
import { failureText, isCacheLike } from './findings.ts';
import { childrenOf, spanFailed, type TraceView } from './trace-view.ts';

/** What the hypotheses are built from. */
export interface HypothesisInput {
  readonly normal: DiffTraceSummary;
  readonly abnormal: DiffTraceSummary;
  readonly durationDiffMs: number;
  readonly attribution: AttributionMode;
  readonly added: readonly OneSidedSpan[];
  readonly removed: readonly OneSidedSpan[];
  readonly changed: readonly ChangedSpan[];
  readonly statusChanges: readonly StatusChange[];
  readonly attributeChanges: readonly AttributeChange[];
  /** Ranked findings: hypotheses follow their order. */
  readonly findings: readonly Finding[];
}

/** Context: the two trace views and their alignment. */
export interface HypothesisContext {
  readonly normal: TraceView;
  readonly abnormal: TraceView;
  readonly alignment: Alignment;
  readonly maxHypotheses: number;
  readonly minShare: number;
}

const MODE_FACTOR: Readonly<Record<AttributionMode, number>> = {
  'critical-path': 1,
  'critical-path-estimated': 0.9,
  'exclusive-time': 0.75,
};

/** `4,812 ms`, `12.5 ms`, `0.512 ms`. */
export function formatMs(ms: number): string {
  const a = Math.abs(ms);
  if (a >= 100) return `${Math.round(ms).toLocaleString('en-US')} ms`;
  if (a >= 1) return `${Number(ms.toFixed(1)).toLocaleString('en-US')} ms`;
  return `${Number(ms.toFixed(3))} ms`;
}

/** A difference: `4.8 s` from one second on, else as {@link formatMs}. */
function formatDiff(ms: number): string {
  const a = Math.abs(ms);
  if (a >= 1000) return `${Number((ms / 1000).toFixed(a >= 10_000 ? 1 : 2))} s`;
  return formatMs(ms);
}

function formatPct(ratio: number | null): string {
  if (ratio === null) return 'from 0';
  const p = Math.round(ratio * 100);
  return `${p >= 0 ? '+' : ''}${p.toLocaleString('en-US')}%`;
}

function sharePct(share: number): string {
  const p = share * 100;
  return `${Math.abs(p) >= 10 ? Math.round(p) : Number(p.toFixed(1))}%`;
}

function quote(v: string | null): string {
  if (v === null) return '(absent)';
  const t = v.length > 120 ? `${v.slice(0, 117)}...` : v;
  return `"${t}"`;
}

/** `service operation`, plus the called database, cache or peer when the span names one (`on orders-db`). */
function labelOf(table: SpanTable, row: number): string {
  const service = table.stringAt('service', row);
  const peer = table.stringAt('peerService', row) || table.stringAt('dbName', row);
  const base = `${service} ${table.stringAt('operation', row)}`;
  return peer && peer !== service && !base.includes(peer) ? `${base} on ${peer}` : base;
}

function confidence(share: number, corroborated: boolean, mode: AttributionMode): number {
  const base = 0.35 + 0.55 * Math.min(1, Math.abs(share)) + (corroborated ? 0.05 : 0);
  return Math.round(Math.min(0.99, base * MODE_FACTOR[mode]) * 100) / 100;
}

interface Candidate extends Hypothesis {
  readonly rank: number;
  /** The abnormal row the hypothesis is about, or -1. */
  readonly row: number;
  /** The normal row the hypothesis is about (missing calls), or -1. */
  readonly normalRow: number;
}

/** Builds the hypotheses, best first. */
export function buildHypotheses(input: HypothesisInput, ctx: HypothesisContext): Hypothesis[] {
  const total = input.durationDiffMs;
  const totalText = formatDiff(total);
  const mode = input.attribution;
  const nt = ctx.normal.table;
  const at = ctx.abnormal.table;
  const { abnormalToNormal, normalToAbnormal } = ctx.alignment;
  const out: Candidate[] = [];
  const statusByAbnormal = new Map<number, StatusChange>();
  for (const s of input.statusChanges) statusByAbnormal.set(s.abnormalRow, s);
  const attrsByAbnormal = new Map<number, AttributeChange[]>();
  for (const c of input.attributeChanges) {
    const list = attrsByAbnormal.get(c.abnormalRow);
    if (list) list.push(c);
    else attrsByAbnormal.set(c.abnormalRow, [c]);
  }
  const explained = (share: number): string =>
    total === 0
      ? ''
      : ` and ${share >= 0 ? 'explains' : 'offsets'} ${sharePct(Math.abs(share))} of the ${totalText} difference`;
  const covered = new Set<number>();
  // A difference under ~10% of the normal duration is within ordinary jitter: latency findings rank and weigh less.
  const significance = Math.min(1, Math.abs(total) / Math.max(1e-9, 0.1 * input.normal.durationMs));
  const weigh = (c: number): number => Math.round(c * (0.5 + 0.5 * significance) * 100) / 100;
  const pickAttribute = (attrs: readonly AttributeChange[]): AttributeChange | undefined =>
    attrs.find((x) => STATEMENT_KEYS.has(x.key)) ??
    attrs.find((x) => x.key === 'service.version') ??
    attrs.find((x) => x.key !== 'host') ??
    attrs[0];

  // 1. Paired spans whose own time changed.
  for (const c of input.changed) {
    if (c.share < ctx.minShare || total === 0) continue;
    const evidence: string[] = [
      `duration ${formatMs(c.normalMs)} → ${formatMs(c.abnormalMs)} (${c.diffMs >= 0 ? '+' : ''}${formatMs(c.diffMs)}, ${formatPct(c.relativeChange)})`,
      `exclusive time ${formatMs(c.normalSelfMs)} → ${formatMs(c.abnormalSelfMs)}`,
      `contribution ${formatMs(c.contributionMs)} = ${sharePct(c.share)} of ${totalText} (${mode})`,
    ];
    if (mode !== 'exclusive-time') evidence.push(`${formatMs(c.criticalPathMs)} on the abnormal critical path`);
    let text = `${labelOf(at, c.abnormalRow)} took ${formatMs(c.abnormalMs)} instead of ${formatMs(c.normalMs)} (${formatPct(c.relativeChange)})${explained(c.share)}`;
    let corroborated = false;
    const attrs = attrsByAbnormal.get(c.abnormalRow) ?? [];
    for (const a of attrs) evidence.push(`${a.key}: ${quote(a.normalValue)} → ${quote(a.abnormalValue)}`);
    const a = pickAttribute(attrs);
    if (a) {
      text += `; ${a.key} changed from ${quote(a.normalValue)} to ${quote(a.abnormalValue)}`;
      corroborated = a.key !== 'host';
    }
    const st = statusByAbnormal.get(c.abnormalRow);
    if (st && spanFailed(at, c.abnormalRow)) {
      text += `; it failed (${failureText(at, c.abnormalRow)})`;
      evidence.push(`status ${st.normalStatus} → ${st.abnormalStatus}`);
      covered.add(c.abnormalRow);
      corroborated = true;
    }
    if (c.diffMs > 0 && c.abnormalSelfMs - c.normalSelfMs >= 0.8 * c.diffMs) {
      text += '; the time is spent in the span itself, not in its child calls';
    }
    out.push({
      text: `${text}.`,
      confidence: weigh(confidence(c.share, corroborated, mode)),
      evidence,
      service: c.service,
      operation: c.operation,
      kind: c.diffMs >= 0 ? 'slower' : 'faster',
      contributionMs: c.contributionMs,
      share: c.share,
      rank: Math.abs(c.share) * significance,
      row: c.abnormalRow,
      normalRow: -1,
    });
  }

  // 1b. Large changes off the critical path: they did not move the end-to-end latency, which is worth saying,
  // the more so when the latency barely changed.
  if (mode !== 'exclusive-time') {
    const threshold = Math.max(1, 0.02 * input.normal.durationMs);
    const offPath = input.changed
      .filter(
        (c) =>
          c.criticalPathMs === 0 &&
          c.selfDiffMs >= threshold &&
          c.normalSelfMs > 0 &&
          c.selfDiffMs / c.normalSelfMs >= 0.5,
      )
      .sort((x, y) => y.selfDiffMs - x.selfDiffMs)
      .slice(0, 2);
    for (const c of offPath) {
      const attrs = attrsByAbnormal.get(c.abnormalRow) ?? [];
      const a = pickAttribute(attrs);
      const parent = ctx.abnormal.tree.links.parent[c.abnormalRow];
      out.push({
        text:
          `${labelOf(at, c.abnormalRow)} took ${formatMs(c.abnormalMs)} instead of ${formatMs(c.normalMs)} ` +
          `(${formatPct(c.relativeChange)}) but is off the critical path${parent >= 0 ? ` (${labelOf(at, parent)} waited on other calls)` : ''}, ` +
          `so it did not add to the end-to-end latency` +
          `${a && a.key !== 'host' ? `; ${a.key} changed from ${quote(a.normalValue)} to ${quote(a.abnormalValue)}` : ''}.`,
        confidence: weigh(0.5),
        evidence: [
          `duration ${formatMs(c.normalMs)} → ${formatMs(c.abnormalMs)}, exclusive ${formatMs(c.normalSelfMs)} → ${formatMs(c.abnormalSelfMs)}`,
          'not on the abnormal critical path',
          ...attrs.map((x) => `${x.key}: ${quote(x.normalValue)} → ${quote(x.abnormalValue)}`),
        ],
        service: c.service,
        operation: c.operation,
        kind: 'slower',
        contributionMs: c.contributionMs,
        share: c.share,
        rank: 0.05 + 0.3 * (1 - significance),
        row: c.abnormalRow,
        normalRow: -1,
      });
    }
  }

  // 2. New calls, grouped by parent and key.
  const groups = new Map<string, OneSidedSpan[]>();
  for (const s of input.added) {
    const p = ctx.abnormal.tree.links.parent[s.row];
    const g = `${p}\u0000${ctx.abnormal.key[s.row]}`;
    const list = groups.get(g);
    if (list) list.push(s);
    else groups.set(g, [s]);
  }
  for (const list of groups.values()) {
    const share = list.reduce((x, s) => x + s.share, 0);
    if (share < ctx.minShare || total === 0) continue;
    const first = list[0]!;
    const contribution = list.reduce((x, s) => x + s.contributionMs, 0);
    const duration = list.reduce((x, s) => x + s.durationMs, 0);
    const parentA = ctx.abnormal.tree.links.parent[first.row];
    const key = ctx.abnormal.key[first.row];
    const evidence: string[] = list
      .slice(0, 5)
      .map(
        (s) =>
          `new span ${s.spanId}: ${s.service} ${s.operation}, ${formatMs(s.durationMs)}, ${s.status}, ${s.spanCount} span(s)`,
      );
    if (list.length > 5) evidence.push(`... and ${list.length - 5} more`);
    evidence.push(`contribution ${formatMs(contribution)} = ${sharePct(share)} of ${totalText} (${mode})`);
    const calls = list.length === 1 ? 'a new call' : `${list.length} new calls`;
    let text = `${calls} to ${labelOf(at, first.row)}`;
    if (first.parentService) text += ` from ${first.parentService} ${first.parentOperation}`;
    text += ` (not in the normal trace) take${list.length === 1 ? 's' : ''} ${formatMs(duration)}${explained(share)}`;
    let corroborated = false;
    if (parentA >= 0) {
      const siblings = childrenOf(ctx.abnormal, parentA);
      let sameKey = 0;
      let failedBefore = -1;
      let cacheSibling = -1;
      for (const s of siblings) {
        if (ctx.abnormal.key[s] === key) {
          sameKey++;
          if (spanFailed(at, s) && at.times.startNano[s] < at.times.startNano[first.row]) failedBefore = s;
        } else if (isCacheLike(at, s) && !isCacheLike(at, first.row)) {
          cacheSibling = s;
        }
      }
      const normalParent = abnormalToNormal[parentA];
      let cacheRemoved = -1;
      if (normalParent >= 0) {
        for (const s of childrenOf(ctx.normal, normalParent)) {
          if (normalToAbnormal[s] < 0 && isCacheLike(nt, s)) cacheRemoved = s;
        }
      }
      if (failedBefore >= 0) {
        text += `; they look like retries: an earlier ${first.service} ${first.operation} call failed (${failureText(at, failedBefore)})`;
        evidence.push(`earlier same call failed: ${failureText(at, failedBefore)}`);
        corroborated = true;
      } else if (sameKey >= 3 && sameKey > list.length) {
        text += `; ${first.service} ${first.operation} is now called ${sameKey} times instead of ${sameKey - list.length} (repeated calls, e.g. N+1 queries or retries)`;
        evidence.push(`calls under the parent: ${sameKey - list.length} → ${sameKey}`);
        corroborated = true;
      }
      if (isCacheLike(at, first.row) && /\b(set|setex|put|write|add|store)\b/i.test(first.operation)) {
        const read = siblings.find(
          (x) => x !== first.row && isCacheLike(at, x) && at.times.startNano[x] < at.times.startNano[first.row],
        );
        text += '; a cache write after a read means the read missed';
        if (read !== undefined) {
          const hit = (attrsByAbnormal.get(read) ?? []).find((x) => /hit|miss|found/i.test(x.key));
          text += `: ${at.stringAt('service', read)} ${at.stringAt('operation', read)} ran first`;
          if (hit) text += ` and ${hit.key} changed from ${quote(hit.normalValue)} to ${quote(hit.abnormalValue)}`;
        }
        corroborated = true;
      } else if (cacheSibling >= 0 && !isCacheLike(at, first.row)) {
        const cacheAttrs = attrsByAbnormal.get(cacheSibling) ?? [];
        const hit = cacheAttrs.find((a) => /hit|miss|found/i.test(a.key));
        text += `; this looks like a cache miss: ${at.stringAt('service', cacheSibling)} ${at.stringAt('operation', cacheSibling)} ran first`;
        if (hit) {
          text += ` and ${hit.key} changed from ${quote(hit.normalValue)} to ${quote(hit.abnormalValue)}`;
          evidence.push(`${hit.key}: ${quote(hit.normalValue)} → ${quote(hit.abnormalValue)}`);
        }
        corroborated = true;
      } else if (cacheRemoved >= 0) {
        text += `; the cache lookup ${nt.stringAt('service', cacheRemoved)} ${nt.stringAt('operation', cacheRemoved)} of the normal trace is missing, so this looks like a bypassed or failed cache`;
        evidence.push(
          `missing span: ${nt.stringAt('service', cacheRemoved)} ${nt.stringAt('operation', cacheRemoved)}`,
        );
        corroborated = true;
      }
    }
    const failedNew = list.filter((s) => s.status === 'error').length;
    if (failedNew > 0) evidence.push(`${failedNew} of the new call(s) failed`);
    out.push({
      text: `${text.charAt(0).toUpperCase()}${text.slice(1)}.`,
      confidence: weigh(confidence(share, corroborated, mode)),
      evidence,
      service: first.service,
      operation: first.operation,
      kind: 'new-calls',
      contributionMs: contribution,
      share,
      rank: Math.abs(share) * significance,
      row: first.row,
      normalRow: -1,
    });
  }

  // 3. Missing calls that account for the difference (the abnormal trace is faster without them, or they were
  // on the normal path and their replacement is elsewhere).
  for (const s of input.removed) {
    if (s.share < ctx.minShare || total === 0) continue;
    out.push({
      text:
        `${s.service} ${s.operation}${s.parentService ? ` (called from ${s.parentService} ${s.parentOperation})` : ''} ` +
        `took ${formatMs(s.durationMs)} in the normal trace and is missing from the abnormal one${explained(s.share)}.`,
      confidence: weigh(confidence(s.share, false, mode)),
      evidence: [
        `missing span ${s.spanId}: ${formatMs(s.durationMs)}, ${s.spanCount} span(s)`,
        `contribution ${formatMs(s.contributionMs)} = ${sharePct(s.share)} of ${totalText} (${mode})`,
      ],
      service: s.service,
      operation: s.operation,
      kind: 'missing-calls',
      contributionMs: s.contributionMs,
      share: s.share,
      rank: Math.abs(s.share) * significance,
      row: -1,
      normalRow: s.row,
    });
  }

  // 4. Calls that now fail. An origin is a newly failing span none of whose calls newly failed; the spans above it
  // that newly failed are its propagation, folded into its hypothesis.
  const newlyFailed = new Set<number>();
  for (const st of input.statusChanges) {
    if (spanFailed(at, st.abnormalRow) && !spanFailed(nt, st.normalRow)) newlyFailed.add(st.abnormalRow);
  }
  for (const s of input.added) if (spanFailed(at, s.row)) newlyFailed.add(s.row);
  const parentA = ctx.abnormal.tree.links.parent;
  const isOrigin = (r: number): boolean => !childrenOf(ctx.abnormal, r).some((c) => newlyFailed.has(c));
  for (const st of input.statusChanges) {
    const r = st.abnormalRow;
    if (!newlyFailed.has(r) || !isOrigin(r) || covered.has(r)) continue;
    const propagated: string[] = [];
    for (let p = parentA[r]; p >= 0 && newlyFailed.has(p); p = parentA[p]) {
      propagated.push(`${at.stringAt('service', p)} ${at.stringAt('operation', p)}`);
    }
    const c = input.changed.find((x) => x.abnormalRow === r);
    const share = c?.share ?? 0;
    const attrs = attrsByAbnormal.get(r) ?? [];
    const evidence = [
      `status ${st.normalStatus} → ${st.abnormalStatus}`,
      ...(st.normalHttpStatus !== st.abnormalHttpStatus
        ? [`HTTP ${st.normalHttpStatus} → ${st.abnormalHttpStatus}`]
        : []),
      ...(st.message ? [`message: "${st.message}"`] : []),
      ...(propagated.length > 0 ? [`propagated to ${propagated.join(' → ')}`] : []),
      ...attrs.map((a) => `${a.key}: ${quote(a.normalValue)} → ${quote(a.abnormalValue)}`),
    ];
    const timing = c ? ` after ${formatMs(c.abnormalMs)} (${formatMs(c.normalMs)} in the normal trace)` : '';
    const a = pickAttribute(attrs);
    out.push({
      text:
        `${labelOf(at, r)} failed in the abnormal trace (${failureText(at, r)})${timing} where it ` +
        `succeeded in the normal one${propagated.length > 0 ? `, and the failure propagated to ${propagated.join(' → ')}` : ''}` +
        `${a && a.key !== 'host' && !a.key.includes('status') ? `; ${a.key} changed from ${quote(a.normalValue)} to ${quote(a.abnormalValue)}` : ''}` +
        `${total !== 0 && share >= 0.05 ? explained(share) : ''}.`,
      confidence:
        Math.round(Math.min(0.95, (0.6 + 0.3 * Math.min(1, Math.abs(share))) * MODE_FACTOR[mode]) * 100) / 100,
      evidence,
      service: st.service,
      operation: st.operation,
      kind: 'failed',
      contributionMs: c?.contributionMs ?? 0,
      share,
      // A new failure is worth stating even when it costs no time: it ranks with a 30% latency contribution.
      rank: Math.max(Math.abs(share) * significance, 0.3),
      row: r,
      normalRow: -1,
    });
  }

  out.sort((x, y) => y.rank - x.rank || y.confidence - x.confidence);
  return orderByFindings(out, input, ctx);
}

/**
 * Orders the hypotheses as the findings are ranked: for each finding, best first, the hypothesis about its spans
 * (the kind that fits it best), or one worded from the finding itself; then the remaining hypotheses.
 */
function orderByFindings(candidates: Candidate[], input: HypothesisInput, ctx: HypothesisContext): Hypothesis[] {
  const result: Hypothesis[] = [];
  const taken = new Set<Candidate>();
  const preferred: Readonly<Record<FindingKind, readonly Hypothesis['kind'][]>> = {
    failure: ['failed', 'slower', 'faster'],
    retry: ['new-calls', 'failed'],
    'cache-miss': [],
    'changed-query': ['slower', 'faster', 'failed'],
    'new-calls': ['new-calls'],
    'missing-calls': ['missing-calls'],
    slower: ['slower'],
    faster: ['faster'],
  };
  for (const f of input.findings) {
    if (result.length >= ctx.maxHypotheses) break;
    const aRows = new Set(f.abnormalRows);
    const nRows = new Set(f.normalRows);
    const mine = candidates.filter(
      (c) => !taken.has(c) && ((c.row >= 0 && aRows.has(c.row)) || (c.normalRow >= 0 && nRows.has(c.normalRow))),
    );
    let pick: Candidate | undefined;
    if (f.kind === 'retry') {
      // The attempt that cost the most time tells the story: a slow failed attempt, or the retry and its back-off.
      for (const c of mine) if (!pick || Math.abs(c.share) > Math.abs(pick.share)) pick = c;
    }
    for (const k of preferred[f.kind]) {
      if (pick) break;
      pick = mine.find((c) => c.kind === k && (c.row === f.abnormalRow || c.normalRow === f.normalRow));
      pick ??= mine.find((c) => c.kind === k);
    }
    if (pick) taken.add(pick);
    if (f.signal === 'noise' && !pick) continue;
    const h = pick ? stripRank(pick) : hypothesisOfFinding(f, input, ctx);
    result.push(f.signal === 'noise' ? { ...h, confidence: Math.min(h.confidence, 0.3) } : h);
  }
  for (const c of candidates) {
    if (result.length >= ctx.maxHypotheses) break;
    if (!taken.has(c)) result.push(stripRank(c));
  }
  return result;
}

function stripRank(c: Candidate): Hypothesis {
  const { rank: _rank, row: _row, normalRow: _normalRow, ...h } = c;
  return h;
}

/** A hypothesis worded from a finding that no span-level hypothesis covers (small share, structural kinds). */
function hypothesisOfFinding(f: Finding, input: HypothesisInput, ctx: HypothesisContext): Hypothesis {
  const at = ctx.abnormal.table;
  const nt = ctx.normal.table;
  const total = input.durationDiffMs;
  const label = f.abnormalRow >= 0 ? labelOf(at, f.abnormalRow) : labelOf(nt, f.normalRow);
  const part =
    total === 0
      ? ''
      : `; together ${f.share >= 0 ? 'they explain' : 'they offset'} ${sharePct(Math.abs(f.share))} of the ${formatDiff(total)} difference`;
  let text: string;
  let kind: Hypothesis['kind'];
  switch (f.kind) {
    case 'cache-miss':
      text = `The cache read ${label} missed in the abnormal trace: ${f.evidence.slice(1).join('; ')} (not in the normal trace)${part}`;
      kind = 'new-calls';
      break;
    case 'retry':
      text = `${label} was retried: ${f.evidence.join('; ')}${part}`;
      kind = 'new-calls';
      break;
    case 'failure':
      text = `${label} failed in the abnormal trace where it succeeded in the normal one: ${f.evidence.join('; ')}`;
      kind = 'failed';
      break;
    case 'changed-query': {
      const a = input.attributeChanges.find((x) => x.abnormalRow === f.abnormalRow && STATEMENT_KEYS.has(x.key));
      text =
        `${label} ran a different statement${a ? `: ${a.key} changed from ${quote(a.normalValue)} to ${quote(a.abnormalValue)}` : ''}` +
        `${f.normalMs !== null && f.abnormalMs !== null ? `; it took ${formatMs(f.abnormalMs)} instead of ${formatMs(f.normalMs)}` : ''}${part}`;
      kind = f.selfDiffMs >= 0 ? 'slower' : 'faster';
      break;
    }
    case 'new-calls':
      text = `New call(s) to ${label} (not in the normal trace)${part}`;
      kind = 'new-calls';
      break;
    case 'missing-calls':
      text = `${label} was called in the normal trace and is missing from the abnormal one${part}`;
      kind = 'missing-calls';
      break;
    default:
      text =
        `${label} took ${formatMs(f.abnormalMs ?? 0)} instead of ${formatMs(f.normalMs ?? 0)}; its exclusive time ` +
        `changed by ${formatMs(f.selfDiffMs)}, beyond the noise of its peers${part}`;
      kind = f.kind === 'faster' ? 'faster' : 'slower';
  }
  const base = f.signal === 'noise' ? 0.3 : 0.5 + 0.4 * Math.min(1, Math.abs(f.share));
  return {
    text: `${text}.`,
    confidence: Math.round(Math.min(0.95, base * MODE_FACTOR[input.attribution]) * 100) / 100,
    evidence: f.evidence,
    service: f.service,
    operation: f.operation,
    kind,
    contributionMs: f.contributionMs,
    share: f.share,
  };
}
