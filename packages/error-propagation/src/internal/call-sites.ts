// Which call sites absorb their callees' failures, learnt over all traces: for data with no status codes, where a
// caller without an error tag may have failed (the tag is missing) or recovered (a fallback).
import { type TraceTree, workloadName } from '@aiops/span-model';

/** Failed calls a call site needs before its rate is trusted. */
const MIN_FAILED_CALLS = 8;
/** A call site absorbs when its callers carry the mark this much less often than callers do overall. */
const ABSORB_RATIO = 0.25;

/**
 * Per call site (caller service and operation → callee service and operation): failed calls, failed callers. With
 * per-trace weights (a sample standing for the window), the counts are weighted sums: estimates of the window's.
 */
export interface CallSites {
  /** Whether the caller `p` of the failed span `ch` sits at a call site whose callers almost never fail with it. */
  absorbs(p: number, ch: number): boolean;
  /** Failed calls and how many of their callers were marked failed too, at the call site of `p` → `ch`. */
  counts(p: number, ch: number): readonly [number, number];
  /**
   * Whether spans of this service and operation usually have a child (a call that normally reaches a traced
   * server): ≥ 5 of them, and ≥ 10% of all, have children.
   */
  usuallyHasChildren(row: number): boolean;
  /** Over all call sites: the share of failed calls whose caller is marked failed too. */
  readonly markedCallerRate: number;
}

/**
 * Counts, per call site, the marked spans and how many of their parents are marked as well. With error tags kept
 * on a fraction q of failed spans, a call site whose failures propagate shows a rate near q; a fallback or an
 * optional call shows a rate near 0. Pod names are folded into services so that the pods of one Deployment share
 * their call sites.
 */
export function callSites(
  tree: TraceTree,
  failed: Uint8Array,
  traceMask: Uint8Array,
  weights?: Float64Array,
): CallSites {
  const table = tree.table;
  const svcDict = table.dict('service');
  const svcOf = workloadCodes(svcDict.values);
  const svc = svcDict.codes;
  const op = table.dict('operation').codes;
  const nOp = table.dict('operation').values.length;
  const nSvc = svcDict.values.length;
  const { parent } = tree.links;
  const traceOfRow = tree.traces.traceOfRow;
  const parentRef = table.columns.parentRefType;
  const key = (p: number, ch: number): number =>
    ((svcOf[svc[p]!]! * nOp + op[p]!) * nSvc + svcOf[svc[ch]!]!) * nOp + op[ch]!;
  const calls = new Map<number, number>();
  const marked = new Map<number, number>();
  let allCalls = 0;
  let allMarked = 0;
  for (let r = 0; r < failed.length; r++) {
    if (!failed[r] || !traceMask[traceOfRow[r]!]) continue;
    const p = parent[r]!;
    if (p < 0 || parentRef[r] === 2) continue;
    const w = weights ? weights[traceOfRow[r]!]! : 1;
    const k = key(p, r);
    calls.set(k, (calls.get(k) ?? 0) + w);
    allCalls += w;
    if (failed[p]) {
      marked.set(k, (marked.get(k) ?? 0) + w);
      allMarked += w;
    }
  }
  // Spans with children, per service and operation.
  const { childOffsets } = tree.links;
  const seen = new Map<number, number>();
  const withKids = new Map<number, number>();
  for (let r = 0; r < failed.length; r++) {
    if (!traceMask[traceOfRow[r]!]) continue;
    const w = weights ? weights[traceOfRow[r]!]! : 1;
    const k = svcOf[svc[r]!]! * nOp + op[r]!;
    seen.set(k, (seen.get(k) ?? 0) + w);
    if (childOffsets[r + 1]! > childOffsets[r]!) withKids.set(k, (withKids.get(k) ?? 0) + w);
  }
  const rate = allCalls > 0 ? allMarked / allCalls : 0;
  return {
    markedCallerRate: rate,
    counts: (p, ch) => {
      const k = key(p, ch);
      return [calls.get(k) ?? 0, marked.get(k) ?? 0];
    },
    usuallyHasChildren: (row) => {
      const k = svcOf[svc[row]!]! * nOp + op[row]!;
      const total = seen.get(k) ?? 0;
      // Failures make childless spans too, and retries multiply them (an outage of most of the window, each call
      // tried three times, leaves ~85% childless), so a tenth with children is enough to say the call normally
      // reaches a traced server; a server is rarely traced on so few of its calls.
      const kids = withKids.get(k) ?? 0;
      return kids >= 5 && kids >= total * 0.1;
    },
    absorbs: (p, ch) => {
      const k = key(p, ch);
      const n = calls.get(k) ?? 0;
      return n >= MIN_FAILED_CALLS && (marked.get(k) ?? 0) <= n * rate * ABSORB_RATIO;
    },
  };
}

/** Sole failures a call site needs before its survival rate is trusted. */
const MIN_SOLE_FAILURES = 5;
/** A call site is absorbed when its caller failed after at most this share of its sole failures. */
const SURVIVED_RATIO = 0.2;

/** Per call site, on data with status: whether callers carry on when that call is their only failure. */
export interface SoleFailures {
  /**
   * Whether the call site of `p` → `ch` is absorbed by its callers: over all traces, when a call there was the
   * caller's only failed call (and not retried), the caller failed in ≤ 20% of ≥ 5 cases (a fallback, an optional
   * call). Such a call beside another failed call is not what failed the caller.
   */
  absorbed(p: number, ch: number): boolean;
}

/**
 * Learns, per call site (caller service and operation → callee service and operation), how often the caller fails
 * when that call is its only failed call. `callerFailed(p)` says whether a caller failed (a mark, or an error code
 * it answered with). Calls repeated after they failed (retries) are skipped: their fate is the retry's.
 */
export function soleFailures(
  tree: TraceTree,
  failed: Uint8Array,
  traceMask: Uint8Array,
  callerFailed: (p: number) => boolean,
  weights?: Float64Array,
): SoleFailures {
  const table = tree.table;
  const svcOf = workloadCodes(table.dict('service').values);
  const svcRaw = table.dict('service').codes;
  const op = table.dict('operation').codes;
  const nOp = table.dict('operation').values.length;
  const nSvc = table.dict('service').values.length;
  const { parent, childOffsets, children } = tree.links;
  const { startNano, endNano } = table.times;
  const traceOfRow = tree.traces.traceOfRow;
  const parentRef = table.columns.parentRefType;
  const key = (p: number, ch: number): number =>
    ((svcOf[svcRaw[p]!]! * nOp + op[p]!) * nSvc + svcOf[svcRaw[ch]!]!) * nOp + op[ch]!;
  const calls = new Map<number, number>();
  const survived = new Map<number, number>();
  outer: for (let r = 0; r < failed.length; r++) {
    if (!failed[r] || !traceMask[traceOfRow[r]!]) continue;
    const p = parent[r]!;
    if (p < 0 || parentRef[r] === 2) continue;
    for (let j = childOffsets[p]!; j < childOffsets[p + 1]!; j++) {
      const ch = children[j]!;
      if (ch === r) continue;
      if (failed[ch]) continue outer;
      if (svcRaw[ch] === svcRaw[r] && op[ch] === op[r] && startNano[ch]! >= endNano[r]! - 1e6) continue outer;
    }
    const w = weights ? weights[traceOfRow[r]!]! : 1;
    const k = key(p, r);
    calls.set(k, (calls.get(k) ?? 0) + w);
    if (!callerFailed(p)) survived.set(k, (survived.get(k) ?? 0) + w);
  }
  return {
    absorbed: (p, ch) => {
      const k = key(p, ch);
      const n = calls.get(k) ?? 0;
      return n >= MIN_SOLE_FAILURES && n - (survived.get(k) ?? 0) <= n * SURVIVED_RATIO;
    },
  };
}

/** A code per service dictionary value, equal for the pods of one workload (`cart-7d9f8b5c4-x2k4p` → `cart`). */
function workloadCodes(values: readonly string[]): Int32Array {
  const normal = new Map<string, number>();
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const name = workloadName(values[i]!);
    let code = normal.get(name);
    if (code === undefined) {
      code = normal.size;
      normal.set(name, code);
    }
    out[i] = code;
  }
  return out;
}
