// compareTraceGroups: which services, operations and attribute values set two groups of traces apart
// (fast vs slow traces of an endpoint, before vs after a deploy): BubbleUp for traces.
//
//   baseline  200 traces  p50 180 ms   checkout SELECT  12 ms/trace   service.version=1.4.0 100%
//   target     40 traces  p50 4.9 s    checkout SELECT 4.7 s/trace    service.version=1.5.0 100%   ← ranked first
//
// Algorithm: one pass per group over typed arrays: spans keyed by interned (service, operation), per-trace presence
// counted with trace stamps, exclusive time summed per key, span durations bucketed per key by counting sort;
// attribute values interned from their UTF-8 bytes. Operations are ranked by the change of their mean exclusive
// time per trace (what they add to an average trace), attribute values by the change of the share of traces
// carrying them. Effect sizes: Cliff's delta for durations, Cohen's h for proportions.
// Reference: Honeycomb BubbleUp (compare a selection against a baseline, rank dimensions by difference);
// N. Cliff, "Dominance statistics", 1993; J. Cohen, "Statistical Power Analysis", 1988 (h for proportions).
import {
  buildTraceIndex,
  buildTraceTree,
  type SpanTable,
  STATUS_CODE_NAMES,
  StringDictionary,
} from '@aiops/span-model';
import {
  HOST_KEY,
  isPathKey,
  isVolatileKey,
  pathShape,
  STATEMENT_KEYS,
  statementShape,
  VERSION_KEY,
} from './internal/attributes.ts';
import { formatMs } from './internal/hypotheses.ts';
import { cliffsDelta, cohensH, quantile } from './internal/stats.ts';
import { KeySpace } from './internal/trace-view.ts';

/** Options of {@link compareTraceGroups}. */
export interface CompareTraceGroupsOptions {
  /** Keep at most this many entries per ranked list. Default 25. */
  readonly limit?: number;
  /** Attribute keys with more distinct values than this (over both groups) are left out. Default 50. */
  readonly maxValuesPerKey?: number;
  /** Only these attribute keys (plus `status`, `host`, `service.version`). Default: every non-volatile key. */
  readonly attributeKeys?: readonly string[];
}

const DEFAULTS = { limit: 25, maxValuesPerKey: 50 } as const;

/** Size and latency of one group. */
export interface TraceGroupSummary {
  readonly traceCount: number;
  readonly spanCount: number;
  /** Mean end-to-end duration (root span), ms. */
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
}

/** How one operation (or service) differs between the groups. */
export interface OperationShift {
  readonly service: string;
  /** '' in the per-service list. */
  readonly operation: string;
  /** Traces with at least one such span. */
  readonly baselineTraces: number;
  readonly targetTraces: number;
  /** baselineTraces / baseline trace count. */
  readonly baselineFrequency: number;
  readonly targetFrequency: number;
  /** Spans per trace. */
  readonly baselineCallsPerTrace: number;
  readonly targetCallsPerTrace: number;
  /** Exclusive time per trace (all traces of the group), ms. */
  readonly baselineSelfMsPerTrace: number;
  readonly targetSelfMsPerTrace: number;
  /** targetSelfMsPerTrace − baselineSelfMsPerTrace: what the operation adds to an average trace. */
  readonly deltaSelfMsPerTrace: number;
  /** deltaSelfMsPerTrace / the change of the mean trace duration (0 when the means are equal). */
  readonly shareOfDelta: number;
  /** Median and 95th percentile span duration, ms (NaN when absent from the group). */
  readonly baselineP50Ms: number;
  readonly targetP50Ms: number;
  readonly baselineP95Ms: number;
  readonly targetP95Ms: number;
  /** Cliff's delta of the span durations, target against baseline, −1..1. */
  readonly effectSize: number;
}

/** How often one attribute value occurs in each group. */
export interface AttributeShift {
  /** Attribute key; `status`, `host` and `service.version` stand for the span status and the resource. */
  readonly key: string;
  /** The value (statements by shape, literals as `?`). */
  readonly value: string;
  /** Traces with a span carrying the value. */
  readonly baselineTraces: number;
  readonly targetTraces: number;
  readonly baselineFrequency: number;
  readonly targetFrequency: number;
  /** targetFrequency − baselineFrequency. */
  readonly delta: number;
  /** Cohen's h of the two frequencies. */
  readonly effectSize: number;
}

/** A group-level finding in words. */
export interface GroupHypothesis {
  readonly text: string;
  readonly confidence: number;
  readonly evidence: readonly string[];
}

/** The comparison of two groups of traces; JSON-ready. */
export interface TraceGroupComparison {
  readonly baseline: TraceGroupSummary;
  readonly target: TraceGroupSummary;
  /** target.meanMs − baseline.meanMs. */
  readonly meanDiffMs: number;
  /** Operations by |deltaSelfMsPerTrace|, then |frequency change|. */
  readonly operations: readonly OperationShift[];
  /** Services, ranked the same way. */
  readonly services: readonly OperationShift[];
  /** Attribute values by |delta|. */
  readonly attributes: readonly AttributeShift[];
  readonly hypotheses: readonly GroupHypothesis[];
  readonly warnings: readonly string[];
}

interface GroupStats {
  readonly traceCount: number;
  readonly spanCount: number;
  readonly traceDurations: Float64Array;
  readonly tracesWith: Int32Array;
  readonly calls: Int32Array;
  readonly selfSum: Float64Array;
  readonly svcTracesWith: Int32Array;
  readonly svcCalls: Int32Array;
  readonly svcSelfSum: Float64Array;
  /** Span durations sorted within each key: key k owns durations[offsets[k]..offsets[k+1]). */
  readonly offsets: Int32Array;
  readonly durations: Float64Array;
  readonly svcOffsets: Int32Array;
  readonly svcDurations: Float64Array;
}

function bucketSorted(
  n: number,
  bucketOf: (r: number) => number,
  buckets: number,
  value: Float64Array,
): { offsets: Int32Array; values: Float64Array } {
  const offsets = new Int32Array(buckets + 1);
  for (let r = 0; r < n; r++) offsets[bucketOf(r) + 1]++;
  for (let b = 0; b < buckets; b++) offsets[b + 1] += offsets[b];
  const fill = offsets.slice(0, buckets);
  const values = new Float64Array(n);
  for (let r = 0; r < n; r++) values[fill[bucketOf(r)]++] = value[r];
  for (let b = 0; b < buckets; b++) values.subarray(offsets[b], offsets[b + 1]).sort();
  return { offsets, values };
}

function groupStats(
  table: SpanTable,
  key: Int32Array,
  keyCount: number,
  svcOfKey: Int32Array,
  svcCount: number,
): GroupStats {
  const tree = buildTraceTree(table);
  const { traces, selfNano } = tree;
  const n = table.numSpans;
  const { durationNano, startNano, endNano } = table.times;
  const { parentRefType } = table.columns;
  const parent = tree.links.parent;
  const traceDurations = new Float64Array(traces.traceCount);
  const tracesWith = new Int32Array(keyCount);
  const calls = new Int32Array(keyCount);
  const selfSum = new Float64Array(keyCount);
  const svcTracesWith = new Int32Array(svcCount);
  const svcCalls = new Int32Array(svcCount);
  const svcSelfSum = new Float64Array(svcCount);
  const stamp = new Int32Array(keyCount).fill(-1);
  const svcStamp = new Int32Array(svcCount).fill(-1);
  for (let t = 0; t < traces.traceCount; t++) {
    let root = -1;
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (let i = traces.offsets[t]; i < traces.offsets[t + 1]; i++) {
      const r = traces.rows[i];
      if (startNano[r] < lo) lo = startNano[r];
      if (endNano[r] > hi) hi = endNano[r];
      if (parent[r] === -1 && parentRefType[r] === 0 && (root < 0 || durationNano[r] > durationNano[root])) root = r;
      const k = key[r];
      const s = svcOfKey[k];
      calls[k]++;
      selfSum[k] += selfNano[r];
      svcCalls[s]++;
      svcSelfSum[s] += selfNano[r];
      if (stamp[k] !== t) {
        stamp[k] = t;
        tracesWith[k]++;
      }
      if (svcStamp[s] !== t) {
        svcStamp[s] = t;
        svcTracesWith[s]++;
      }
    }
    traceDurations[t] = root >= 0 ? durationNano[root] : hi - lo;
  }
  traceDurations.sort();
  const byKey = bucketSorted(n, (r) => key[r], keyCount, durationNano);
  const bySvc = bucketSorted(n, (r) => svcOfKey[key[r]], svcCount, durationNano);
  return {
    traceCount: traces.traceCount,
    spanCount: n,
    traceDurations,
    tracesWith,
    calls,
    selfSum,
    svcTracesWith,
    svcCalls,
    svcSelfSum,
    offsets: byKey.offsets,
    durations: byKey.values,
    svcOffsets: bySvc.offsets,
    svcDurations: bySvc.values,
  };
}

function summaryOf(g: GroupStats): TraceGroupSummary {
  let sum = 0;
  for (const d of g.traceDurations) sum += d;
  return {
    traceCount: g.traceCount,
    spanCount: g.spanCount,
    meanMs: g.traceCount > 0 ? sum / g.traceCount / 1e6 : Number.NaN,
    p50Ms: quantile(g.traceDurations, 0.5) / 1e6,
    p95Ms: quantile(g.traceDurations, 0.95) / 1e6,
  };
}

/** Interns attribute (key, value) features of both groups and counts the traces carrying each. */
class FeatureCounter {
  readonly keys: string[] = [];
  readonly #keyIds = new Map<string, number>();
  readonly values = new StringDictionary();
  readonly #shapeOf = new Map<number, number>();
  readonly #ids = new Map<number, number>();
  readonly featureKey: number[] = [];
  readonly featureValue: number[] = [];
  readonly counts: [number[], number[]] = [[], []];
  readonly #stamp: number[] = [];

  keyId(key: string): number {
    let k = this.#keyIds.get(key);
    if (k === undefined) {
      k = this.keys.length;
      this.keys.push(key);
      this.#keyIds.set(key, k);
    }
    return k;
  }

  /** Code of the shape of value `valueCode`: kind 1 a statement, kind 2 a URL or path. */
  shape(valueCode: number, kind: number): number {
    const id = valueCode * 4 + kind;
    let s = this.#shapeOf.get(id);
    if (s === undefined) {
      const text = this.values.values[valueCode];
      s = this.values.intern(kind === 1 ? statementShape(text) : pathShape(text));
      this.#shapeOf.set(id, s);
    }
    return s;
  }

  /** Counts feature (key, value) for trace `stamp` of `group` once. */
  see(group: 0 | 1, stamp: number, keyId: number, valueCode: number): void {
    const id = keyId * 0x200000 + valueCode;
    let f = this.#ids.get(id);
    if (f === undefined) {
      f = this.featureKey.length;
      this.#ids.set(id, f);
      this.featureKey.push(keyId);
      this.featureValue.push(valueCode);
      this.counts[0].push(0);
      this.counts[1].push(0);
      this.#stamp.push(-1);
    }
    if (this.#stamp[f] !== stamp) {
      this.#stamp[f] = stamp;
      this.counts[group][f]++;
    }
  }
}

function countFeatures(
  fc: FeatureCounter,
  table: SpanTable,
  group: 0 | 1,
  stampBase: number,
  only: ReadonlySet<string> | undefined,
): number {
  const traces = buildTraceIndex(table);
  const c = table.columns;
  const localKey = new Int32Array(c.attrKeys.length);
  const shapeKind = new Uint8Array(c.attrKeys.length);
  c.attrKeys.forEach((k, i) => {
    const keep = !isVolatileKey(k) && (only === undefined || only.has(k));
    localKey[i] = keep ? fc.keyId(k) : -1;
    shapeKind[i] = STATEMENT_KEYS.has(k) ? 1 : isPathKey(k) ? 2 : 0;
  });
  const statusKey = fc.keyId('status');
  const hostKey = fc.keyId(HOST_KEY);
  const versionKey = fc.keyId(VERSION_KEY);
  const statusCodes = STATUS_CODE_NAMES.map((s) => fc.values.intern(s));
  const host = table.dict('host');
  const hostCodes = host.values.map((v) => fc.values.intern(v));
  const version = table.dict('serviceVersion');
  const versionCodes = version.values.map((v) => fc.values.intern(v));
  const { offsets: vo, bytes } = c.attrValues;
  for (let t = 0; t < traces.traceCount; t++) {
    const stamp = stampBase + t;
    for (let i = traces.offsets[t]; i < traces.offsets[t + 1]; i++) {
      const r = traces.rows[i];
      for (let a = c.attrOffsets[r]; a < c.attrOffsets[r + 1]; a++) {
        const lk = c.attrKey[a];
        const gk = localKey[lk];
        if (gk < 0) continue;
        let v = fc.values.internUtf8(bytes, vo[a], vo[a + 1]);
        if (shapeKind[lk] !== 0) v = fc.shape(v, shapeKind[lk]);
        fc.see(group, stamp, gk, v);
      }
      fc.see(group, stamp, statusKey, statusCodes[c.statusCode[r]] ?? statusCodes[0]);
      if (host.codes[r] !== 0) fc.see(group, stamp, hostKey, hostCodes[host.codes[r]]);
      if (version.codes[r] !== 0) fc.see(group, stamp, versionKey, versionCodes[version.codes[r]]);
    }
  }
  return traces.traceCount;
}

/**
 * Compares two groups of traces and ranks the services, operations and attribute values that set them apart, with
 * counts and effect sizes.
 *
 * **Details**
 * - Operations (service + operation) and services are ranked by the change of their exclusive time per trace: the
 *   milliseconds they add to (or remove from) an average trace of the target group. Each entry also carries the
 *   share of traces with it, calls per trace, median and p95 span duration and Cliff's delta of span durations.
 * - Attribute values (span attributes, plus the pseudo-keys `status`, `host` and `service.version`) are ranked by the
 *   change of the share of traces carrying them, with Cohen's h. Volatile keys (ids, timestamps, ports) are skipped
 *   by the same rule as {@link diffTraces}; statements and URLs are compared by shape; keys with more than
 *   `maxValuesPerKey` distinct values are left out (listed in `warnings`).
 * - `hypotheses` words the strongest operation and attribute shifts.
 *
 * **Complexity** O(n log n) for n spans in both groups (sorting durations per key); memory O(n) in typed arrays.
 *
 * **Gotchas** Exclusive time per trace adds up work, not wall-clock time: concurrent calls add more than the
 * latency they cause. Each trace counts once per feature however many spans carry it. A trace's duration is its
 * longest parent-less span (its extent when it has none).
 *
 * @example
 * ```ts
 * const c = compareTraceGroups(fastTraces, slowTraces);
 * c.operations[0];   // { service: 'inventory', operation: 'SELECT stock', deltaSelfMsPerTrace: 4700, ... }
 * c.attributes[0];   // { key: 'service.version', value: '1.5.0', baselineFrequency: 0, targetFrequency: 1, ... }
 * ```
 */
export function compareTraceGroups(
  baseline: SpanTable,
  target: SpanTable,
  options: CompareTraceGroupsOptions = {},
): TraceGroupComparison {
  const opts = { ...DEFAULTS, ...options };
  const warnings: string[] = [];
  const keys = new KeySpace();
  const keyB = keys.keysOf(baseline);
  const keyT = keys.keysOf(target);
  const keyCount = keys.services.length;
  const svcIds = new Map<string, number>();
  const svcNames: string[] = [];
  const svcOfKey = new Int32Array(keyCount);
  for (let k = 0; k < keyCount; k++) {
    const s = keys.services[k];
    let id = svcIds.get(s);
    if (id === undefined) {
      id = svcNames.length;
      svcNames.push(s);
      svcIds.set(s, id);
    }
    svcOfKey[k] = id;
  }
  const b = groupStats(baseline, keyB, keyCount, svcOfKey, svcNames.length);
  const t = groupStats(target, keyT, keyCount, svcOfKey, svcNames.length);
  if (b.traceCount === 0 || t.traceCount === 0) {
    warnings.push(`the ${b.traceCount === 0 ? 'baseline' : 'target'} group has no traces`);
  }
  const baselineSummary = summaryOf(b);
  const targetSummary = summaryOf(t);
  const meanDiffMs = b.traceCount > 0 && t.traceCount > 0 ? targetSummary.meanMs - baselineSummary.meanMs : Number.NaN;
  const perTrace = (x: number, count: number): number => (count > 0 ? x / count : 0);

  const shift = (
    service: string,
    operation: string,
    i: number,
    tw: [Int32Array, Int32Array],
    calls: [Int32Array, Int32Array],
    self: [Float64Array, Float64Array],
    offsets: [Int32Array, Int32Array],
    durs: [Float64Array, Float64Array],
  ): OperationShift => {
    const db = durs[0].subarray(offsets[0][i], offsets[0][i + 1]);
    const dt = durs[1].subarray(offsets[1][i], offsets[1][i + 1]);
    const bs = perTrace(self[0][i], b.traceCount) / 1e6;
    const ts = perTrace(self[1][i], t.traceCount) / 1e6;
    return {
      service,
      operation,
      baselineTraces: tw[0][i],
      targetTraces: tw[1][i],
      baselineFrequency: perTrace(tw[0][i], b.traceCount),
      targetFrequency: perTrace(tw[1][i], t.traceCount),
      baselineCallsPerTrace: perTrace(calls[0][i], b.traceCount),
      targetCallsPerTrace: perTrace(calls[1][i], t.traceCount),
      baselineSelfMsPerTrace: bs,
      targetSelfMsPerTrace: ts,
      deltaSelfMsPerTrace: ts - bs,
      shareOfDelta: meanDiffMs ? (ts - bs) / meanDiffMs : 0,
      baselineP50Ms: quantile(db, 0.5) / 1e6,
      targetP50Ms: quantile(dt, 0.5) / 1e6,
      baselineP95Ms: quantile(db, 0.95) / 1e6,
      targetP95Ms: quantile(dt, 0.95) / 1e6,
      effectSize: cliffsDelta(db, dt),
    };
  };
  const rank = (x: OperationShift, y: OperationShift): number =>
    Math.abs(y.deltaSelfMsPerTrace) - Math.abs(x.deltaSelfMsPerTrace) ||
    Math.abs(y.targetFrequency - y.baselineFrequency) - Math.abs(x.targetFrequency - x.baselineFrequency) ||
    x.service.localeCompare(y.service) ||
    x.operation.localeCompare(y.operation);
  const operations: OperationShift[] = [];
  for (let k = 0; k < keyCount; k++) {
    operations.push(
      shift(
        keys.services[k],
        keys.operations[k],
        k,
        [b.tracesWith, t.tracesWith],
        [b.calls, t.calls],
        [b.selfSum, t.selfSum],
        [b.offsets, t.offsets],
        [b.durations, t.durations],
      ),
    );
  }
  operations.sort(rank);
  const services: OperationShift[] = [];
  for (let s = 0; s < svcNames.length; s++) {
    services.push(
      shift(
        svcNames[s],
        '',
        s,
        [b.svcTracesWith, t.svcTracesWith],
        [b.svcCalls, t.svcCalls],
        [b.svcSelfSum, t.svcSelfSum],
        [b.svcOffsets, t.svcOffsets],
        [b.svcDurations, t.svcDurations],
      ),
    );
  }
  services.sort(rank);

  const fc = new FeatureCounter();
  const only = opts.attributeKeys ? new Set(opts.attributeKeys) : undefined;
  const bTraces = countFeatures(fc, baseline, 0, 0, only);
  countFeatures(fc, target, 1, bTraces, only);
  const distinct = new Int32Array(fc.keys.length);
  for (const k of fc.featureKey) distinct[k]++;
  const dropped = fc.keys.filter((_, k) => distinct[k] > opts.maxValuesPerKey);
  if (dropped.length > 0) {
    warnings.push(
      `left out attribute key(s) with more than ${opts.maxValuesPerKey} distinct values: ${dropped.sort().join(', ')}`,
    );
  }
  const attributes: AttributeShift[] = [];
  for (let f = 0; f < fc.featureKey.length; f++) {
    const k = fc.featureKey[f];
    if (distinct[k] > opts.maxValuesPerKey) continue;
    const bf = perTrace(fc.counts[0][f], b.traceCount);
    const tf = perTrace(fc.counts[1][f], t.traceCount);
    if (bf === tf) continue;
    attributes.push({
      key: fc.keys[k],
      value: fc.values.values[fc.featureValue[f]],
      baselineTraces: fc.counts[0][f],
      targetTraces: fc.counts[1][f],
      baselineFrequency: bf,
      targetFrequency: tf,
      delta: tf - bf,
      effectSize: cohensH(bf, tf),
    });
  }
  attributes.sort(
    (x, y) =>
      Math.abs(y.delta) - Math.abs(x.delta) ||
      Math.abs(y.effectSize) - Math.abs(x.effectSize) ||
      x.key.localeCompare(y.key) ||
      x.value.localeCompare(y.value),
  );

  const hypotheses: GroupHypothesis[] = [];
  const pct = (x: number): string => `${Math.round(x * 100)}%`;
  const op = operations[0];
  if (op && Number.isFinite(meanDiffMs) && meanDiffMs !== 0 && op.deltaSelfMsPerTrace * Math.sign(meanDiffMs) > 0) {
    const share = op.deltaSelfMsPerTrace / meanDiffMs;
    hypotheses.push({
      text:
        `${op.service} ${op.operation} adds ${formatMs(op.deltaSelfMsPerTrace)} of exclusive time per trace in the target ` +
        `group (${formatMs(op.baselineSelfMsPerTrace)} → ${formatMs(op.targetSelfMsPerTrace)}), ${pct(Math.min(1, share))} of ` +
        `the ${formatMs(meanDiffMs)} change of the mean trace duration.`,
      confidence:
        Math.round(Math.min(0.95, 0.3 + 0.5 * Math.min(1, Math.abs(share)) + 0.15 * Math.abs(op.effectSize)) * 100) /
        100,
      evidence: [
        `traces with it: ${op.baselineTraces}/${b.traceCount} → ${op.targetTraces}/${t.traceCount}`,
        `calls per trace: ${op.baselineCallsPerTrace.toFixed(2)} → ${op.targetCallsPerTrace.toFixed(2)}`,
        `span p50 ${formatMs(op.baselineP50Ms)} → ${formatMs(op.targetP50Ms)}, Cliff's delta ${op.effectSize.toFixed(2)}`,
      ],
    });
  }
  for (const a of attributes.slice(0, 3)) {
    if (Math.abs(a.delta) < 0.3) break;
    hypotheses.push({
      text:
        `${a.key}=${a.value} is on ${pct(a.targetFrequency)} of the target traces and ${pct(a.baselineFrequency)} of the ` +
        'baseline traces.',
      confidence: Math.round(Math.min(0.9, 0.2 + 0.6 * Math.abs(a.delta)) * 100) / 100,
      evidence: [
        `traces: ${a.baselineTraces}/${b.traceCount} → ${a.targetTraces}/${t.traceCount}`,
        `Cohen's h ${a.effectSize.toFixed(2)}`,
      ],
    });
  }

  return {
    baseline: baselineSummary,
    target: targetSummary,
    meanDiffMs,
    operations: operations.slice(0, opts.limit),
    services: services.slice(0, opts.limit),
    attributes: attributes.slice(0, opts.limit),
    hypotheses,
    warnings,
  };
}
