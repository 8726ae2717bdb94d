// diffTraces: what differs between a normal and an abnormal trace (structure, timing, status, attributes) and why.
//
//   normal    api GET /checkout |======|                       0..200 ms
//             inventory SELECT     |=|                         12 ms
//   abnormal  api GET /checkout |==============================| 0..5000 ms
//             inventory SELECT     |=========================|  4812 ms   ← explains 96% of +4.8 s
//
// Algorithm: top-down tree alignment (siblings bucketed by service + operation, then a minimum-cost assignment
// within each bucket, see internal/align.ts); contributions are differences of time on the critical paths
// (internal/attribution.ts), so they sum to the end-to-end difference; findings group them by cause and rank signal
// above noise (internal/findings.ts); hypotheses follow the findings.
// Reference: Jaeger UI trace comparison (structure by service + operation); critical-path attribution as in
// CRISP (Zhang et al., ATC'22).
import { type CriticalPathSegment, type SpanTable, STATUS_CODE_NAMES, spanIdAt } from '@aiops/span-model';
import { type AlignedEntry, alignTraces } from './internal/align.ts';
import { comparableAttributes, STATEMENT_KEYS, valuesDiffer } from './internal/attributes.ts';
import { type AttributionMode, attribute } from './internal/attribution.ts';

export type { AttributionMode };

import { buildFindings, type FindingKind, type FindingSignal } from './internal/findings.ts';
import { buildHypotheses } from './internal/hypotheses.ts';
import { childrenOf, KeySpace, type TraceView, traceView } from './internal/trace-view.ts';

/** Options of {@link diffTraces}. */
export interface DiffTracesOptions {
  /**
   * Critical path of the abnormal trace (rows of the `abnormal` table), e.g. from `@aiops/critical-path`.
   * Without it, the difference is attributed by exclusive-time change (see {@link TraceDiff.attribution}).
   */
  readonly criticalPath?: readonly CriticalPathSegment[];
  /** Critical path of the normal trace (rows of the `normal` table). Without it, the normal side is estimated. */
  readonly normalCriticalPath?: readonly CriticalPathSegment[];
  /** Which trace of the `normal` table to compare (hex id). Default: the first trace in the table. */
  readonly normalTraceId?: string;
  /** Which trace of the `abnormal` table to compare (hex id). Default: the first trace in the table. */
  readonly abnormalTraceId?: string;
  /** At most this many hypotheses. Default 5. */
  readonly maxHypotheses?: number;
  /** Contributions below this share of the total difference get no hypothesis of their own. Default 0.05. */
  readonly minHypothesisShare?: number;
  /**
   * Absolute floor of a significant latency change (exclusive time), ms; the floor is at least 0.5% of the normal
   * duration. Default 0.5.
   */
  readonly minChangeMs?: number;
  /**
   * A latency change is significant when |log(abnormal / normal exclusive time)| is at least this many times the
   * spread of that log ratio among the paired spans of the same role (its peers). Default 4.
   */
  readonly noiseK?: number;
  /** Structural and status findings rank by this many times their contribution against latency-only ones. Default 2. */
  readonly structureWeight?: number;
}

const DEFAULTS = {
  maxHypotheses: 5,
  minHypothesisShare: 0.05,
  minChangeMs: 0.5,
  noiseK: 4,
  structureWeight: 2,
} as const;

/** One side of the comparison. */
export interface DiffTraceSummary {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** Duration of the root span, ms (exact ns / 1e6). */
  readonly durationMs: number;
  /** Duration of the root span, ns. */
  readonly durationNano: number;
  /** Number of spans in the trace. */
  readonly spanCount: number;
  /** Number of distinct services in the trace. */
  readonly serviceCount: number;
  /** Service of the root span. */
  readonly rootService: string;
  /** Operation of the root span. */
  readonly rootOperation: string;
}

/** A span present in both traces whose timing changed. */
export interface ChangedSpan {
  readonly service: string;
  readonly operation: string;
  readonly normalSpanId: string;
  readonly abnormalSpanId: string;
  readonly normalRow: number;
  readonly abnormalRow: number;
  readonly depth: number;
  /** Duration in the normal trace, ms. */
  readonly normalMs: number;
  /** Duration in the abnormal trace, ms. */
  readonly abnormalMs: number;
  /** abnormalMs − normalMs. */
  readonly diffMs: number;
  /** diffMs / normalMs, or null when the normal duration is 0. */
  readonly relativeChange: number | null;
  /** Exclusive (self) time in the normal trace, ms. */
  readonly normalSelfMs: number;
  /** Exclusive (self) time in the abnormal trace, ms. */
  readonly abnormalSelfMs: number;
  /** abnormalSelfMs − normalSelfMs. */
  readonly selfDiffMs: number;
  /** How much of the end-to-end difference this span explains, ms (its own time, not its children's). */
  readonly contributionMs: number;
  /** contributionMs / durationDiffMs (0 when the traces last equally long). */
  readonly share: number;
  /** Time of the span on the abnormal critical path, ms. */
  readonly criticalPathMs: number;
}

/** A subtree present in one trace only: new calls (added) or missing calls (removed). */
export interface OneSidedSpan {
  readonly service: string;
  readonly operation: string;
  readonly spanId: string;
  readonly row: number;
  readonly depth: number;
  /** Service and operation of the parent ('' for a subtree head without parent). */
  readonly parentService: string;
  readonly parentOperation: string;
  readonly durationMs: number;
  /** Spans in the subtree (1 for a leaf). */
  readonly spanCount: number;
  /** 'unset', 'ok' or 'error'. */
  readonly status: string;
  /** How much of the end-to-end difference the whole subtree explains, ms (negative for removed calls). */
  readonly contributionMs: number;
  readonly share: number;
}

/** A paired span whose status differs. */
export interface StatusChange {
  readonly service: string;
  readonly operation: string;
  readonly normalSpanId: string;
  readonly abnormalSpanId: string;
  readonly normalRow: number;
  readonly abnormalRow: number;
  /** 'unset', 'ok' or 'error'. */
  readonly normalStatus: string;
  readonly abnormalStatus: string;
  /** HTTP status code, 0 when absent. */
  readonly normalHttpStatus: number;
  readonly abnormalHttpStatus: number;
  /** gRPC status code, -1 when absent. */
  readonly normalRpcStatus: number;
  readonly abnormalRpcStatus: number;
  /** Status or exception message of the abnormal span ('' when none). */
  readonly message: string;
}

/** A paired span whose attribute differs. */
export interface AttributeChange {
  readonly service: string;
  readonly operation: string;
  readonly normalSpanId: string;
  readonly abnormalSpanId: string;
  readonly normalRow: number;
  readonly abnormalRow: number;
  /** Attribute key; 'host' and 'service.version' stand for the resource's host and version. */
  readonly key: string;
  /** Value in the normal span, or null when absent. */
  readonly normalValue: string | null;
  /** Value in the abnormal span, or null when absent. */
  readonly abnormalValue: string | null;
}

/**
 * One difference between the traces, with the spans it groups; `TraceDiff.findings` ranks them (see the README's
 * ranking rule). `service`/`operation` name the primary span: a failure's origin, a retried callee, the cache read
 * that missed, the span whose statement or latency changed, the first new or missing call.
 */
export interface Finding {
  /** 1 for the first finding. */
  readonly rank: number;
  readonly kind: FindingKind;
  /**
   * Why it counts: 'failure-at-root' (the request's outcome changed), 'structure' (new, missing, retried calls, a
   * cache miss, a changed statement), 'status' (a new failure that was handled), 'latency' (beyond the peers'
   * noise) or 'noise'.
   */
  readonly signal: FindingSignal;
  readonly service: string;
  readonly operation: string;
  /** Called peer (peer.service or db name) of the primary span, '' when none. */
  readonly peer: string;
  /** Primary span in each trace (-1 when it exists on one side only). */
  readonly normalRow: number;
  readonly abnormalRow: number;
  readonly normalSpanId: string;
  readonly abnormalSpanId: string;
  /** Duration of the primary span, ms, or null on the side where it is absent. */
  readonly normalMs: number | null;
  readonly abnormalMs: number | null;
  /** Change of the primary span's exclusive time, ms (0 when one-sided). */
  readonly selfDiffMs: number;
  /** |log ratio of the exclusive times| / the peers' noise spread (0 when one-sided). */
  readonly noiseRatio: number;
  /** Sum of the contributions of all the finding's spans, ms. */
  readonly contributionMs: number;
  readonly share: number;
  /** Rows of the finding's spans in each table. */
  readonly abnormalRows: readonly number[];
  readonly normalRows: readonly number[];
  /** Facts, one per line. */
  readonly evidence: readonly string[];
}

export type { FindingKind, FindingSignal };

/** The noise model used to separate latency signal from noise. */
export interface DiffNoise {
  /** Absolute floor of a significant exclusive-time change, ms. */
  readonly floorMs: number;
  /** Required multiple of the peers' spread. */
  readonly k: number;
  /** Spread (1.4826 × MAD) of log(abnormal / normal exclusive time) by tree role. */
  readonly leaf: number;
  readonly wrapper: number;
  readonly inner: number;
}

/** A root-cause hypothesis in words. */
export interface Hypothesis {
  /** One or two sentences naming the span, the measured change and the evidence. */
  readonly text: string;
  /** 0..1. */
  readonly confidence: number;
  /** The facts the hypothesis rests on, one per line. */
  readonly evidence: readonly string[];
  readonly service: string;
  readonly operation: string;
  /** What kind of change it is. */
  readonly kind: 'slower' | 'faster' | 'new-calls' | 'missing-calls' | 'failed';
  /** Part of the end-to-end difference it accounts for, ms. */
  readonly contributionMs: number;
  readonly share: number;
}

/** One line of the aligned tree, in pre-order. */
export interface AlignedSpan {
  readonly depth: number;
  /** Normal row, or -1 for a new span. */
  readonly normalRow: number;
  /** Abnormal row, or -1 for a missing span. */
  readonly abnormalRow: number;
  readonly service: string;
  readonly operation: string;
  /** Duration in the normal trace, ms, or null. */
  readonly normalMs: number | null;
  /** Duration in the abnormal trace, ms, or null. */
  readonly abnormalMs: number | null;
  /** This span's own contribution, ms (for one-sided subtrees, the head carries the whole subtree's). */
  readonly contributionMs: number;
  /** 'same' (paired, same duration and status), 'changed', 'added' or 'removed'. */
  readonly mark: 'same' | 'changed' | 'added' | 'removed';
}

/** The comparison of two traces; JSON-ready. */
export interface TraceDiff {
  readonly normal: DiffTraceSummary;
  readonly abnormal: DiffTraceSummary;
  /** abnormal.durationMs − normal.durationMs, from exact ns. */
  readonly durationDiffMs: number;
  /** The same in ns. */
  readonly durationDiffNano: number;
  /** How contributions were computed: both critical paths, the abnormal one only, or exclusive time. */
  readonly attribution: AttributionMode;
  /** New subtrees (retries, fallbacks, extra queries), by contribution. */
  readonly added: readonly OneSidedSpan[];
  /** Missing subtrees (calls the abnormal trace did not make), by contribution. */
  readonly removed: readonly OneSidedSpan[];
  /** Paired spans whose duration or contribution is not 0, by |contribution|. */
  readonly changed: readonly ChangedSpan[];
  readonly statusChanges: readonly StatusChange[];
  readonly attributeChanges: readonly AttributeChange[];
  /** What differs, grouped by cause and ranked: the first finding is the top contributor to explain. */
  readonly findings: readonly Finding[];
  /** The noise model behind `findings[].signal`. */
  readonly noise: DiffNoise;
  /** Best first, in the order of `findings`. */
  readonly hypotheses: readonly Hypothesis[];
  /** The aligned tree in pre-order, for side-by-side display. */
  readonly aligned: readonly AlignedSpan[];
  readonly warnings: readonly string[];
}

const MS = 1e6;

function summary(view: TraceView): DiffTraceSummary {
  const svc = view.table.dict('service').codes;
  const services = new Set<number>();
  for (const r of view.rows) services.add(svc[r]);
  return {
    traceId: view.traceId,
    durationMs: view.durationNano / MS,
    durationNano: view.durationNano,
    spanCount: view.rows.length,
    serviceCount: services.size,
    rootService: view.table.stringAt('service', view.root),
    rootOperation: view.table.stringAt('operation', view.root),
  };
}

function statusName(table: SpanTable, row: number): string {
  return STATUS_CODE_NAMES[table.columns.statusCode[row]] ?? 'unset';
}

/**
 * Compares a normal and an abnormal trace: aligned structure, timing, status and attribute changes, the share of
 * the end-to-end difference each span explains, and root-cause hypotheses.
 *
 * **Details**
 * - Spans are paired by call structure: the roots, then recursively the children of paired spans by service +
 *   operation, same-keyed siblings by a minimum-cost assignment over rank, relative start, duration, statement shape,
 *   status and child count. Span ids play no part, so retries, N+1 queries and reordered concurrent calls align.
 * - Contributions: with `options.criticalPath` (and `options.normalCriticalPath`), the change of each span's time on
 *   the critical path; without, the exclusive-time change along the tree (a warning says so). Paired spans carry
 *   their own time only, one-sided subtrees their whole time; all parts sum to `durationDiffNano`.
 * - Attribute changes skip keys that differ between any two calls (ids, timestamps, ports, sizes: last key segment
 *   in a fixed list, see the README), and compare `db.statement` by shape (literals replaced by `?`).
 * - `findings` is the ranked explanation (first = top contributor): failures with their propagation and skipped
 *   calls, retries with their back-off, cache misses (read, fallback query, write), changed statements, new and
 *   missing calls, and latency changes that pass the noise rule (exclusive-time change ≥ `minChangeMs` and ≥
 *   `noiseK` × the log-ratio spread of the span's peers); a failure that reached the root ranks first, then
 *   signal by weighted magnitude, then noise. `hypotheses` follow that order.
 * - Data problems (several traces in a table, no root, orphans, a critical path that does not cover the root) are
 *   reported in `warnings`.
 *
 * **Complexity** O(n log n) for n spans, plus O(p·q·min(p,q)) per bucket of p and q same-keyed siblings (buckets
 * above about 100 × 100 are paired by start order, with a warning).
 *
 * **Gotchas** The end-to-end latency is the duration of the root span (the longest parent-less span). Throws a
 * RangeError when a table is empty or the requested trace id is not in it.
 *
 * @example
 * ```ts
 * const d = diffTraces(normal, abnormal, { criticalPath: criticalPath(abnormal).segments });
 * d.durationDiffMs;          // 4800
 * d.changed[0].service;      // 'inventory'
 * d.hypotheses[0].text;      // 'inventory SELECT … took 4,812 ms instead of 12 ms …'
 * ```
 */
export function diffTraces(normal: SpanTable, abnormal: SpanTable, options: DiffTracesOptions = {}): TraceDiff {
  const opts = { ...DEFAULTS, ...options };
  const warnings: string[] = [];
  const keys = new KeySpace();
  const nv = traceView(normal, keys, opts.normalTraceId, 'normal', warnings);
  const av = traceView(abnormal, keys, opts.abnormalTraceId, 'abnormal', warnings);
  if (keys.services[nv.key[nv.root]] !== keys.services[av.key[av.root]]) {
    warnings.push(
      `the root spans differ (${normal.stringAt('service', nv.root)} ${normal.stringAt('operation', nv.root)} vs ` +
        `${abnormal.stringAt('service', av.root)} ${abnormal.stringAt('operation', av.root)}); paired them anyway`,
    );
  } else if (nv.key[nv.root] !== av.key[av.root]) {
    warnings.push(
      `the root operations differ (${normal.stringAt('operation', nv.root)} vs ${abnormal.stringAt('operation', av.root)}); paired them anyway`,
    );
  }
  const alignment = alignTraces(nv, av);
  if (alignment.orderPairedGroups > 0) {
    warnings.push(
      `${alignment.orderPairedGroups} group(s) of many same-named sibling calls were paired by start order, not by cost`,
    );
  }
  const attr = attribute(nv, av, alignment, opts.criticalPath, opts.normalCriticalPath, warnings);
  const totalNano = av.durationNano - nv.durationNano;
  const shareOf = (nano: number): number => (totalNano !== 0 ? nano / totalNano : 0);

  const durN = normal.times.durationNano;
  const durA = abnormal.times.durationNano;
  const selfN = nv.tree.selfNano;
  const selfA = av.tree.selfNano;
  const depthA = av.tree.depth;
  const { normalToAbnormal, abnormalToNormal } = alignment;

  const changed: ChangedSpan[] = [];
  const statusChanges: StatusChange[] = [];
  const attributeChanges: AttributeChange[] = [];
  const cN = normal.columns;
  const cA = abnormal.columns;
  for (const ra of av.rows) {
    const rn = abnormalToNormal[ra];
    if (rn < 0) continue;
    const dDur = durA[ra] - durN[rn];
    const contribution = attr.abnormalNano[ra];
    if (dDur !== 0 || contribution !== 0) {
      changed.push({
        service: abnormal.stringAt('service', ra),
        operation: abnormal.stringAt('operation', ra),
        normalSpanId: spanIdAt(normal, rn),
        abnormalSpanId: spanIdAt(abnormal, ra),
        normalRow: rn,
        abnormalRow: ra,
        depth: depthA[ra],
        normalMs: durN[rn] / MS,
        abnormalMs: durA[ra] / MS,
        diffMs: dDur / MS,
        relativeChange: durN[rn] > 0 ? dDur / durN[rn] : null,
        normalSelfMs: selfN[rn] / MS,
        abnormalSelfMs: selfA[ra] / MS,
        selfDiffMs: (selfA[ra] - selfN[rn]) / MS,
        contributionMs: contribution / MS,
        share: shareOf(contribution),
        criticalPathMs: attr.abnormalPathNano[ra] / MS,
      });
    }
    const rpcN = cN.rpcStatusCode[rn];
    const rpcA = cA.rpcStatusCode[ra];
    if (
      cN.statusCode[rn] !== cA.statusCode[ra] ||
      cN.httpStatusCode[rn] !== cA.httpStatusCode[ra] ||
      (rpcN >= 0 && rpcA >= 0 && rpcN !== rpcA)
    ) {
      statusChanges.push({
        service: abnormal.stringAt('service', ra),
        operation: abnormal.stringAt('operation', ra),
        normalSpanId: spanIdAt(normal, rn),
        abnormalSpanId: spanIdAt(abnormal, ra),
        normalRow: rn,
        abnormalRow: ra,
        normalStatus: statusName(normal, rn),
        abnormalStatus: statusName(abnormal, ra),
        normalHttpStatus: cN.httpStatusCode[rn],
        abnormalHttpStatus: cA.httpStatusCode[ra],
        normalRpcStatus: rpcN,
        abnormalRpcStatus: rpcA,
        message: abnormal.stringAt('statusMessage', ra) || abnormal.stringAt('exceptionMessage', ra),
      });
    }
    const an = comparableAttributes(normal, rn);
    const aa = comparableAttributes(abnormal, ra);
    const push = (key: string, nval: string | null, aval: string | null): void => {
      attributeChanges.push({
        service: abnormal.stringAt('service', ra),
        operation: abnormal.stringAt('operation', ra),
        normalSpanId: spanIdAt(normal, rn),
        abnormalSpanId: spanIdAt(abnormal, ra),
        normalRow: rn,
        abnormalRow: ra,
        key,
        normalValue: nval,
        abnormalValue: aval,
      });
    };
    for (const [k, v] of an) {
      const w = aa.get(k);
      if (w === undefined) push(k, v, null);
      else if (valuesDiffer(k, v, w)) push(k, v, w);
    }
    for (const [k, w] of aa) if (!an.has(k)) push(k, null, w);
  }
  changed.sort(
    (x, y) =>
      Math.abs(y.contributionMs) - Math.abs(x.contributionMs) ||
      Math.abs(y.diffMs) - Math.abs(x.diffMs) ||
      x.abnormalRow - y.abnormalRow,
  );

  const noisyKeys = alwaysDifferingKeys(attributeChanges, alignment.normalToAbnormal, nv, normal, abnormal);
  const keptAttributeChanges = attributeChanges.filter((c) => !noisyKeys.has(c.key));
  if (noisyKeys.size > 0) {
    warnings.push(`ignored attribute(s) that differ in every paired span: ${[...noisyKeys].sort().join(', ')}`);
  }

  const oneSided = (view: TraceView, isAbnormal: boolean): { heads: OneSidedSpan[]; subtreeNano: Float64Array } => {
    const table = view.table;
    const match = isAbnormal ? abnormalToNormal : normalToAbnormal;
    const contrib = isAbnormal ? attr.abnormalNano : attr.normalNano;
    const parent = view.tree.links.parent;
    const subtreeNano = new Float64Array(table.numSpans);
    const heads: OneSidedSpan[] = [];
    for (const r of view.rows) {
      if (match[r] >= 0) continue;
      const p = parent[r];
      if (p >= 0 && match[p] < 0) continue;
      let sum = 0;
      let count = 0;
      const stack = [r];
      while (stack.length > 0) {
        const x = stack.pop()!;
        sum += contrib[x];
        count++;
        for (const c of childrenOf(view, x)) stack.push(c);
      }
      subtreeNano[r] = sum;
      heads.push({
        service: table.stringAt('service', r),
        operation: table.stringAt('operation', r),
        spanId: spanIdAt(table, r),
        row: r,
        depth: view.tree.depth[r],
        parentService: p >= 0 ? table.stringAt('service', p) : '',
        parentOperation: p >= 0 ? table.stringAt('operation', p) : '',
        durationMs: table.times.durationNano[r] / MS,
        spanCount: count,
        status: statusName(table, r),
        contributionMs: sum / MS,
        share: shareOf(sum),
      });
    }
    heads.sort((x, y) => Math.abs(y.contributionMs) - Math.abs(x.contributionMs) || x.row - y.row);
    return { heads, subtreeNano };
  };
  const added = oneSided(av, true);
  const removed = oneSided(nv, false);

  const aligned = alignment.entries.map((e: AlignedEntry): AlignedSpan => {
    const { normalRow: rn, abnormalRow: ra, depth } = e;
    const table = ra >= 0 ? abnormal : normal;
    const row = ra >= 0 ? ra : rn;
    let mark: AlignedSpan['mark'];
    let contributionNano: number;
    if (rn >= 0 && ra >= 0) {
      contributionNano = attr.abnormalNano[ra];
      mark =
        durN[rn] !== durA[ra] || cN.statusCode[rn] !== cA.statusCode[ra] || contributionNano !== 0 ? 'changed' : 'same';
    } else if (ra >= 0) {
      mark = 'added';
      contributionNano = added.subtreeNano[ra];
    } else {
      mark = 'removed';
      contributionNano = removed.subtreeNano[rn];
    }
    return {
      depth,
      normalRow: rn,
      abnormalRow: ra,
      service: table.stringAt('service', row),
      operation: table.stringAt('operation', row),
      normalMs: rn >= 0 ? durN[rn] / MS : null,
      abnormalMs: ra >= 0 ? durA[ra] / MS : null,
      contributionMs: contributionNano / MS,
      mark,
    };
  });

  const statementChanged = new Set<number>();
  for (const c of keptAttributeChanges) if (STATEMENT_KEYS.has(c.key)) statementChanged.add(c.abnormalRow);
  const raw = buildFindings({
    normal: nv,
    abnormal: av,
    alignment,
    abnormalNano: attr.abnormalNano,
    normalNano: attr.normalNano,
    statementChanged,
    minChangeMs: opts.minChangeMs,
    noiseK: opts.noiseK,
    structureWeight: opts.structureWeight,
  });
  const findings = raw.findings.map((f, i): Finding => {
    const onA = f.abnormalRow >= 0;
    const table = onA ? abnormal : normal;
    const row = onA ? f.abnormalRow : f.normalRow;
    return {
      rank: i + 1,
      kind: f.kind,
      signal: f.signal,
      service: table.stringAt('service', row),
      operation: table.stringAt('operation', row),
      peer: table.stringAt('peerService', row) || table.stringAt('dbName', row),
      normalRow: f.normalRow,
      abnormalRow: f.abnormalRow,
      normalSpanId: f.normalRow >= 0 ? spanIdAt(normal, f.normalRow) : '',
      abnormalSpanId: onA ? spanIdAt(abnormal, f.abnormalRow) : '',
      normalMs: f.normalRow >= 0 ? durN[f.normalRow] / MS : null,
      abnormalMs: onA ? durA[f.abnormalRow] / MS : null,
      selfDiffMs: f.selfDiffNano / MS,
      noiseRatio: Math.round(f.noiseRatio * 100) / 100,
      contributionMs: f.contributionNano / MS,
      share: shareOf(f.contributionNano),
      abnormalRows: f.abnormalRows,
      normalRows: f.normalRows,
      evidence: f.evidence,
    };
  });
  const noise: DiffNoise = {
    floorMs: raw.floorNano / MS,
    k: opts.noiseK,
    leaf: round3(raw.noise.leaf),
    wrapper: round3(raw.noise.wrapper),
    inner: round3(raw.noise.inner),
  };

  const result = {
    normal: summary(nv),
    abnormal: summary(av),
    durationDiffMs: totalNano / MS,
    durationDiffNano: totalNano,
    attribution: attr.mode,
    added: added.heads,
    removed: removed.heads,
    changed,
    statusChanges,
    attributeChanges: keptAttributeChanges,
    findings,
  };
  const hypotheses = buildHypotheses(result, {
    normal: nv,
    abnormal: av,
    alignment,
    maxHypotheses: opts.maxHypotheses,
    minShare: opts.minHypothesisShare,
  });
  return { ...result, noise, hypotheses, aligned, warnings };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/**
 * Keys that differ in every paired span carrying them, among at least 4 such pairs: per-call values the name rule
 * missed (request counters, nonces). Statement and resource keys are never treated so.
 */
function alwaysDifferingKeys(
  changes: readonly AttributeChange[],
  normalToAbnormal: Int32Array,
  nv: TraceView,
  normal: SpanTable,
  abnormal: SpanTable,
): Set<string> {
  const changedPairs = new Map<string, number>();
  for (const c of changes) {
    if (c.normalValue === null || c.abnormalValue === null) continue;
    changedPairs.set(c.key, (changedPairs.get(c.key) ?? 0) + 1);
  }
  const out = new Set<string>();
  for (const [key, count] of changedPairs) {
    if (count < 4 || key === 'host' || key === 'service.version' || key.startsWith('db.')) continue;
    let both = 0;
    for (const rn of nv.rows) {
      const ra = normalToAbnormal[rn];
      if (ra < 0) continue;
      if (hasKey(normal, rn, key) && hasKey(abnormal, ra, key)) both++;
    }
    if (both === count) out.add(key);
  }
  return out;
}

function hasKey(table: SpanTable, row: number, key: string): boolean {
  const c = table.columns;
  for (let a = c.attrOffsets[row]; a < c.attrOffsets[row + 1]; a++) if (c.attrKeys[c.attrKey[a]] === key) return true;
  return false;
}
