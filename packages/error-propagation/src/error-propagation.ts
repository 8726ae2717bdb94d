// Error propagation: where the errors of failed traces start, how they spread to the callers, and why.
//
//   0 frontend GET /checkout  |=============================| 500       propagated to the root
//   1 checkout  POST /order      |========================|   500       failed because of 2
//   2 checkout  → payment           |========|                ECONNREFUSED   ← origin (client span, no server span)
//   3 checkout  → inventory                    |====|          error, then 4 retried it:
//   4 checkout  → inventory                          |==|      ok          3 is a handled error (retry)
//   chain: 2 → 1 → 0, path payment-client(checkout) → checkout → frontend, type unavailable
//
// Algorithm: mark failed spans (failedSpans); classify each (classifyError); in one post-order pass per trace,
// link every failed span to the failed child that explains it — among the unhandled failed children that ended
// before it: the one its message names, else not one it carried on past (a later call failed) or one at a call site
// its callers survive when that call fails alone (learnt over all traces), else one whose error agrees with its code (504 ← timeout, 503 ← unreachable/503, 4xx ← same 4xx, 500 ← 5xx), else the first call made
// (retry loops from their first attempt) — so each failed span knows its origin. A failed child under a successful
// parent, one the parent carried on past, or one followed by a retry of the same call, is handled. Chains are read
// from their heads: a head under nothing failed is propagated, under a successful parent handled, beside the cause
// of a failed parent independent — or handled, when that cause's chain was absorbed further up. A timeout origin
// whose callee was still running hands the blame down to the slow callee. On tag-only data, unmarked callers are
// implied to have failed unless they carried on or their call site absorbs failures (learnt over all traces), and
// timeouts / unreachable callees are inferred from timing. Traces are then counted by origin service, path and
// type, and hypotheses are written from the counts.
// Reference: MicroRank (Yu et al., WWW'21) and TraceAnomaly's use of error status for root-cause services;
//   OpenTelemetry "Recording errors" semantics.
import {
  buildTraceTree,
  ParentRefType,
  SpanKind,
  type SpanTable,
  StatusCode,
  spanIdAt,
  type TraceTree,
  traceIdAt,
  workloadName,
} from '@aiops/span-model';
import type { ErrorType } from './classify-error.ts';
import { failedSpans } from './failed-spans.ts';
import { chainPass, E_FAILED, E_INFERRED, E_UNMARKED, H_MOVED_ON, H_RETRY } from './internal/chains.ts';
import {
  calleeOf,
  classifyRow,
  ERROR_TYPE_NAMES,
  errorContext,
  looksLikeClient,
  outlivingChild,
  T_OTHER,
  T_TIMEOUT,
} from './internal/error-context.ts';
import { type ServiceTally, writeHypotheses } from './internal/hypotheses.ts';

/** One span of an error chain. */
export interface ChainSpan {
  /** Row in the span table. */
  readonly row: number;
  /** 16 hex digits. */
  readonly spanId: string;
  /** Service name. */
  readonly service: string;
  /** Operation name. */
  readonly operation: string;
  /** Whether {@link failedSpans} marks it (false for a slow callee, or a span that only answered with an error code). */
  readonly failed: boolean;
  /** Its own error type, or null when it has no error of its own (slow callee, unmarked middle span). */
  readonly errorType: ErrorType | null;
  /**
   * False for a callee that left no span (connection refused, an untraced database or external API): known only
   * from its caller's `peer.service` / URL / `server.address`; then `row` is -1 and `spanId` is ''.
   */
  readonly observed: boolean;
}

/** How an error chain ended. */
export type ChainKind = 'propagated' | 'handled' | 'independent';

/** An error chain: from the origin up through the callers that failed because of it. */
export interface ErrorChain {
  /** propagated: reached the top of the trace; handled: a caller recovered; independent: a second origin. */
  readonly kind: ChainKind;
  /** Spans from the origin (first) to the head of the chain (last). */
  readonly spans: readonly ChainSpan[];
  /** Services along the chain, origin first, repeats in a row collapsed: `['payment', 'checkout', 'frontend']`. */
  readonly path: readonly string[];
  /** The error type of the chain: the first specific type from the origin up. */
  readonly errorType: ErrorType;
  /** Facts behind the type, from the span that decided it. */
  readonly evidence: readonly string[];
  /** Whether the origin is a slow callee that had not failed when its caller timed out. */
  readonly slowCallee: boolean;
  /**
   * How many spans at the start of `spans` lie below the deepest failed span the chain was traced to: the slow
   * callee and its slow descendants, or a callee known only by name. 0 when the origin failed by itself.
   */
  readonly calleeSpans: number;
  /**
   * For handled chains: 'retry' (the caller made the same call again), 'fallback' (the caller succeeded anyway) or
   * 'async' (a consumer or FOLLOWS_FROM span failed after its producer had moved on).
   */
  readonly handling: 'retry' | 'fallback' | 'async' | null;
  /** For handled chains: the retry (which may have failed too, carrying the failure on) or the parent. */
  readonly handledBy: ChainSpan | null;
}

/** The errors of one trace. */
export interface TraceErrors {
  /** 32 hex digits. */
  readonly traceId: string;
  /** Whether an error went unhandled (propagated or independent chains exist). */
  readonly failed: boolean;
  /** All chains, the primary one first when the trace failed. */
  readonly chains: readonly ErrorChain[];
  /** Distinct origins of unhandled chains; > 1 means independent errors in one trace. */
  readonly origins: number;
}

/** A service where failed traces originate. */
export interface RootCause {
  /** Service name. */
  readonly service: string;
  /** Its most frequent origin operation. */
  readonly operation: string;
  /** Failed traces with an unhandled error originating in this service. */
  readonly traces: number;
  /** `traces / failedTraces`. */
  readonly share: number;
  /** The most frequent error type of those origins. */
  readonly errorType: ErrorType;
  /** Origins per error type. */
  readonly byType: Readonly<Record<ErrorType, number>>;
  /** Facts, most frequent first: counts, messages, codes, peers, hosts. */
  readonly evidence: readonly string[];
}

/** A path errors travel along, with how many failed traces took it. */
export interface PropagationPath {
  /** Services from the origin to the top of the trace. */
  readonly path: readonly string[];
  /** Failed traces whose primary chain took this path. */
  readonly traces: number;
  /** The most frequent error type on this path. */
  readonly errorType: ErrorType;
}

/** A root-cause hypothesis in words. */
export interface Hypothesis {
  /** The hypothesis, e.g. `payment is the origin of 92% of failed traces; ... → the gateway is down`. */
  readonly text: string;
  /** 0..1. */
  readonly confidence: number;
  /** The facts it rests on. */
  readonly evidence: readonly string[];
  /** The services it blames. */
  readonly services: readonly string[];
}

/** The result of {@link errorPropagation}; maps one to one onto `aiops analyze-errors --json`. */
export interface ErrorPropagationResult {
  /** Traces analysed (after the `service` filter). */
  readonly traces: number;
  /** Traces with an unhandled error. */
  readonly failedTraces: number;
  /** `failedTraces / traces` (0 when there are no traces). */
  readonly errorRate: number;
  /** Traces whose only errors were handled (retries, fallbacks). */
  readonly tracesWithHandledErrors: number;
  /** Spans marked failed in the analysed traces. */
  readonly failedSpans: number;
  /** Failed traces by the error type of their primary chain. */
  readonly byType: Readonly<Record<ErrorType, number>>;
  /** Services ranked by failed traces originating in them. */
  readonly rootCauses: readonly RootCause[];
  /** Primary-chain paths ranked by failed traces. */
  readonly propagationPaths: readonly PropagationPath[];
  /** Root-cause hypotheses, most confident first. */
  readonly hypotheses: readonly Hypothesis[];
  /** Per trace with any error (failed or handled), in table order. Empty when `traceDetails` is false. */
  readonly traceErrors: readonly TraceErrors[];
  /** Data problems that limit the analysis. */
  readonly warnings: readonly string[];
  /**
   * Baseline traces (option `baselineTraces`) with a failed span or an entry that answered with an error code: 0
   * when the selection held every trace with an error. Not counted anywhere else.
   */
  readonly baselineTracesWithErrors: number;
}

/** Options of {@link errorPropagation}. */
export interface ErrorPropagationOptions {
  /** A prebuilt tree of the table. */
  readonly tree?: TraceTree;
  /** Prebuilt {@link failedSpans} marks. */
  readonly failed?: Uint8Array;
  /** Only traces with at least one span of this service. */
  readonly service?: string;
  /** Keep per-trace chains in `traceErrors` (default true). */
  readonly traceDetails?: boolean;
  /** Root causes to return (default 10). */
  readonly maxRootCauses?: number;
  /** Propagation paths to return (default 20). */
  readonly maxPaths?: number;
  /** Evidence lines per root cause (default 6). */
  readonly maxEvidence?: number;
  /**
   * Whether the data records success at all (status OK, HTTP or gRPC codes, or status ERROR on data with span
   * kinds). Default: detected — when no span in scope has any, errors are visible only as tags (status ERROR on
   * kind-less spans is what Jaeger and Zipkin decoders make of an `error=true` tag), and an unmarked caller of a
   * failed span is taken to have failed with it (unless it retried), since nothing says it succeeded.
   */
  readonly statusKnown?: boolean;
  /**
   * Report Kubernetes Deployment pod names used as service names (`cart-7d9f8b5c4-x2k4p`, common in exported
   * datasets) as their service (`cart`) in chains, paths and root causes (default true).
   */
  readonly podNamesToServices?: boolean;
  /**
   * For a table that holds a selection of the window's traces rather than all of them (the failed traces plus a
   * sample of the others, as `aiops analyze-errors` loads them from a store): flags per trace of `tree.traces`
   * (1 = a baseline trace). Baseline traces only teach what normal looks like — the call-site statistics, which
   * operations usually have children, the host and version shares of the origin services, whether the data records
   * status — and are never counted: not in `traces`, `failedTraces`, `tracesWithHandledErrors` nor any chain.
   * Those that hold failed spans anyway are counted in `baselineTracesWithErrors`.
   */
  readonly baselineTraces?: Uint8Array;
  /**
   * Per trace of `tree.traces`: how many traces of the window it stands for (default 1 each). With a stratified
   * sample of failed traces (n of a stratum of N loaded), each sampled trace weighs N / n; every count of the
   * result (failed traces, types, root causes, paths, evidence counts) is then the weighted sum, rounded. The
   * statistics learnt over the traces (call sites, calls that usually reach a server, host and version shares)
   * count each trace, baseline traces included, by its weight too, so that their minimum counts mean the same as
   * over the whole window.
   */
  readonly traceWeights?: Float64Array;
  /**
   * The number of traces in scope when the table holds only a selection of them (see `baselineTraces`):
   * `traces` and `errorRate` use it instead of the traces counted in the table.
   */
  readonly traces?: number;
}

const DEFAULTS = {
  traceDetails: true,
  maxRootCauses: 10,
  maxPaths: 20,
  maxEvidence: 6,
  podNamesToServices: true,
} as const;

function bump<K>(m: Map<K, number>, k: K, by = 1): void {
  m.set(k, (m.get(k) ?? 0) + by);
}

function top<K>(m: Map<K, number>): [K, number] | undefined {
  let best: [K, number] | undefined;
  for (const e of m) if (!best || e[1] > best[1]) best = e;
  return best;
}

function typeRecord(counts: readonly number[]): Record<ErrorType, number> {
  return {
    timeout: counts[0]!,
    http5xx: counts[1]!,
    http4xx: counts[2]!,
    unavailable: counts[3]!,
    business: counts[4]!,
    other: counts[5]!,
  };
}

function argmax(counts: readonly number[]): number {
  let b = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i]! > counts[b]!) b = i;
  return b;
}

/** How far past its caller's end a child must end to count as failing after the caller gave up. */
const LATE_SLACK_NANO = 10e6;

const pct = (x: number): string => `${Math.round(x * 100)}%`;

/**
 * Error chains, error types, root-cause services, propagation paths and hypotheses for the traces of `table`.
 *
 * **Details**
 * - Per trace: each failed span is linked to the failed child that explains it. Candidates: the failed children
 *   that were not handled and ended before it (+5 ms for a child on another host). First decisive rule wins: the
 *   one child its status/exception message names (callee host, service or route); not a child it carried on past
 *   (another failed call started after that one failed: the earlier failure was a fallback, `handled`), nor one at
 *   a call site whose callers, over all traces, failed in ≤ 20% of ≥ 5 cases where that call was their only failure
 *   (a fallback or optional call; data with status only; also `handled`); a child whose error agrees with its code or type (504 ← timeout, 503 ← unreachable or 503, 4xx ← same 4xx, 500/502 ←
 *   5xx or business); the first call made, a retry loop counted from its first attempt. The deepest span reached
 *   that way is the origin. A failed child under a successful parent is a handled error ('fallback'); a failed
 *   call followed by a call to the same service and operation from the same parent is handled ('retry'); a failed
 *   child of a failed parent that is not the parent's cause starts an independent chain, which is handled when the
 *   parent's own chain was absorbed further up.
 * - Tag-only data (no status, HTTP or gRPC code anywhere): an unmarked caller of a failed span failed with it,
 *   unless it started another call after the failure (a fallback) or its call site absorbs failures over all
 *   traces (callers marked at ≤ 25% of the overall rate, ≥ 8 failed calls). An unmarked call that ended at a round
 *   limit while its callee kept running is an inferred timeout; a marked span with no failed child takes as origin
 *   an unmarked child that gave up on its callee, or that left no server span where that call usually has one
 *   (unavailable); a marked server-role span with no failed callee is a 5xx. Hypotheses get a 0.7 confidence factor.
 * - A timeout whose callee was still running when the caller gave up is blamed on the callee (descending while a
 *   child outlives its parent, timed out itself, or fills ≥ 50% of it): the origin is that slow callee (`slowCallee: true`).
 * - A span that answered its failed caller with an error code (a server span with 404) extends the chain even
 *   though OTel does not mark it failed; a span with no mark and no code between a failed caller and a failed
 *   callee (messy data) is passed through.
 * - A trace failed when an error went unhandled. Its primary chain is the one reaching its root; `byType` and
 *   `propagationPaths` count primary chains, `rootCauses` count every distinct origin service of a trace.
 *
 * **Complexity** O(spans + attributes) plus O(children²) for parents with failed children (retry matching); the
 * tree is built when not given (O(n log k)).
 *
 * **Gotchas** "First call made" follows callers that collect concurrent results in issue order; a fail-fast
 * caller (errgroup, Promise.all) that returned on the first failure shows it by ending before the others, which
 * then do not qualify. Orphan spans head their own subtree; a failed chain ending at one is counted as propagated (its
 * parent is missing, so nothing shows it was handled) and reported in `warnings`. Spans with status OK are never
 * failed, whatever their codes say.
 *
 * @example
 * ```ts
 * const r = errorPropagation(table);
 * r.failedTraces;                  // 412
 * r.rootCauses[0];                 // { service: 'payment', share: 0.92, errorType: 'unavailable', ... }
 * r.propagationPaths[0].path;      // ['payment', 'checkout', 'frontend']
 * r.hypotheses[0].text;            // 'payment is the origin of 92% of failed traces; ...'
 * ```
 */
export function errorPropagation(table: SpanTable, options: ErrorPropagationOptions = {}): ErrorPropagationResult {
  const tree = options.tree ?? buildTraceTree(table);
  if (tree.table !== table) throw new TypeError('error-propagation: options.tree was built from another table');
  const failed = options.failed ?? failedSpans(table);
  if (failed.length !== table.numSpans) {
    throw new RangeError(`error-propagation: options.failed has ${failed.length} entries, expected ${table.numSpans}`);
  }
  const traceDetails = options.traceDetails ?? DEFAULTS.traceDetails;
  const maxRootCauses = options.maxRootCauses ?? DEFAULTS.maxRootCauses;
  const maxPaths = options.maxPaths ?? DEFAULTS.maxPaths;
  const maxEvidence = options.maxEvidence ?? DEFAULTS.maxEvidence;
  const normalize = options.podNamesToServices ?? DEFAULTS.podNamesToServices;
  const baseline = options.baselineTraces;
  const weights = options.traceWeights;
  if (baseline && baseline.length !== tree.traces.traceCount) {
    throw new RangeError(
      `error-propagation: options.baselineTraces has ${baseline.length} entries, expected ${tree.traces.traceCount} (one per trace)`,
    );
  }
  if (weights && weights.length !== tree.traces.traceCount) {
    throw new RangeError(
      `error-propagation: options.traceWeights has ${weights.length} entries, expected ${tree.traces.traceCount} (one per trace)`,
    );
  }
  const ctx = errorContext(table);
  const traces = tree.traces;
  const svcDict = table.dict('service');
  const opDict = table.dict('operation');
  const hostDict = table.dict('host');
  const versionDict = table.dict('serviceVersion');
  const c = table.columns;
  const { parent, childOffsets, children } = tree.links;
  const { startNano, endNano, durationNano } = table.times;

  // Traces in scope, and which of them have any failed span.
  const inScope = new Uint8Array(traces.traceCount);
  const hasErr = new Uint8Array(traces.traceCount);
  let scopeCount = 0;
  let baselineWithErrors = 0;
  const wanted = options.service === undefined ? -2 : svcDict.values.indexOf(options.service);
  for (let t = 0; t < traces.traceCount; t++) {
    let keep = wanted === -2;
    let anyFailed = false;
    for (let k = traces.offsets[t]!; k < traces.offsets[t + 1]!; k++) {
      const r = traces.rows[k]!;
      // A failed span, or an entry that answered with an error code (a 4xx root is not failed by OTel rules).
      if (failed[r]) anyFailed = true;
      else if (c.parentRefType[r] === 0 && c.statusCode[r] !== 1 && (ctx.http[r]! >= 400 || ctx.rpc[r]! > 0)) {
        anyFailed = true;
      }
      if (!keep && svcDict.codes[r] === wanted) keep = true;
    }
    if (keep) {
      inScope[t] = 1;
      if (baseline?.[t]) {
        if (anyFailed) baselineWithErrors++;
        continue;
      }
      scopeCount++;
      if (anyFailed) hasErr[t] = 1;
    }
  }
  if (options.traces !== undefined) scopeCount = options.traces;

  // Tag-only data (no status OK, no HTTP or gRPC code and no span kind on any span in scope): an unmarked span is
  // unknown, not a success. Status ERROR alone does not make success known: Jaeger and Zipkin decoders turn an
  // `error=true` tag into status ERROR, and without kinds nothing says the exporter would have marked every failure
  // (an OTel SDK span has a kind, and there UNSET means success).
  let statusKnown = false;
  let errorStatus = false;
  for (let r = 0; r < table.numSpans && !statusKnown; r++) {
    if (!inScope[traces.traceOfRow[r]!]) continue;
    if (c.statusCode[r] === StatusCode.Ok || ctx.http[r]! > 0 || ctx.rpc[r]! >= 0) statusKnown = true;
    else if (c.statusCode[r] === StatusCode.Error) errorStatus = true;
  }
  if (errorStatus && !statusKnown) {
    for (let r = 0; r < table.numSpans && !statusKnown; r++) {
      if (c.kind[r] !== SpanKind.Unspecified && inScope[traces.traceOfRow[r]!]) statusKnown = true;
    }
  }
  const tagOnly = options.statusKnown === undefined ? !statusKnown : !options.statusKnown;
  const st = chainPass(ctx, tree, failed, hasErr, tagOnly, inScope, weights);
  const { err, type, cause, origin, handled, retriedBy } = st;

  const serviceNames = normalize ? svcDict.values.map((v) => workloadName(v)) : svcDict.values;
  const chainSpan = (r: number): ChainSpan => ({
    row: r,
    spanId: spanIdAt(table, r),
    service: serviceNames[svcDict.codes[r]!]!,
    operation: opDict.values[opDict.codes[r]!]!,
    failed: failed[r] !== 0,
    errorType: type[r]! >= 0 && err[r] !== 3 ? ERROR_TYPE_NAMES[type[r]!]! : null,
    observed: true,
  });

  const podService = svcDict.values.map((v) => workloadName(v));
  /** Whether `r` serves a call: an entry span, or a span in another service than its parent (kinds may be missing). */
  const isServerRole = (r: number): boolean => {
    if (c.kind[r] === SpanKind.Server) return true;
    if (c.kind[r] !== SpanKind.Unspecified) return false;
    const p = parent[r]!;
    if (p < 0) return c.parentRefType[r] === ParentRefType.None;
    return podService[svcDict.codes[p]!] !== podService[svcDict.codes[r]!];
  };

  /** The slow callee below a timed-out origin, or the origin itself. */
  const slowDescent = (o: number): number[] => {
    const path: number[] = [];
    let cur = o;
    for (let guard = 0; guard < 64; guard++) {
      let next = outlivingChild(tree, cur);
      // A callee that timed out itself, later: the slowness lies below it.
      for (let k = childOffsets[cur]!; k < childOffsets[cur + 1]! && next < 0; k++) {
        const ch = children[k]!;
        if (failed[ch] && type[ch] === T_TIMEOUT) next = ch;
      }
      if (next < 0) {
        const need = durationNano[cur]! * (cur === o ? 0.9 : 0.5);
        for (let k = childOffsets[cur]!; k < childOffsets[cur + 1]!; k++) {
          const ch = children[k]!;
          if (c.parentRefType[ch] === ParentRefType.FollowsFrom) continue;
          if (durationNano[ch]! >= need && (next < 0 || durationNano[ch]! > durationNano[next]!)) next = ch;
        }
      }
      if (next < 0) break;
      path.push(next);
      cur = next;
    }
    return path;
  };

  const tally = new Map<string, ServiceTally>();
  const pathCounts = new Map<string, { path: string[]; traces: number; types: number[] }>();
  const typeCounts = [0, 0, 0, 0, 0, 0];
  const traceErrors: TraceErrors[] = [];
  let failedTraces = 0;
  let handledOnly = 0;
  let failedSpanCount = 0;
  let orphanHeads = 0;
  let multiOrigin = 0;

  type Fate = readonly [ChainKind, 'retry' | 'fallback' | 'async' | null, number];
  const fates = new Map<number, Fate>();
  /**
   * How the chain headed by `h` ended. A second origin under a failed caller (independent) shares the fate of the
   * caller's chain: when a caller further up absorbed that chain, it absorbed this one too.
   */
  const fateOf = (h: number): Fate => {
    const known = fates.get(h);
    if (known) return known;
    const p = parent[h]!;
    let fate: Fate;
    if (handled[h] === H_RETRY) fate = ['handled', 'retry', retriedBy[h]!];
    else if (handled[h] === H_MOVED_ON) fate = ['handled', 'fallback', p];
    else if (p >= 0 && !err[p]) {
      const async = c.parentRefType[h] === ParentRefType.FollowsFrom || c.kind[h] === SpanKind.Consumer;
      fate = ['handled', async ? 'async' : 'fallback', p];
    } else if (p >= 0) {
      let head = p;
      for (let q = parent[head]!; q >= 0 && err[q] && cause[q] === head && !handled[head]; q = parent[head]!) head = q;
      const outer = fateOf(head);
      fate = outer[0] === 'handled' ? outer : ['independent', null, -1];
    } else fate = ['propagated', null, -1];
    fates.set(h, fate);
    return fate;
  };
  const heads: number[] = [];
  for (let t = 0; t < traces.traceCount; t++) {
    if (!hasErr[t]) continue;
    const w = weights ? weights[t]! : 1;
    heads.length = 0;
    fates.clear();
    for (let k = traces.offsets[t]!; k < traces.offsets[t + 1]!; k++) {
      const r = traces.rows[k]!;
      if (failed[r]) failedSpanCount += w;
      if (!err[r]) continue;
      const p = parent[r]!;
      if (p >= 0 && err[p] && !handled[r] && cause[p] !== r && endNano[r]! > endNano[p]! + LATE_SLACK_NANO) {
        // Failed after its caller had already given up: part of the caller's (slow-callee) chain, not a new one.
        continue;
      }
      if (p < 0 || !err[p] || handled[r] || cause[p] !== r) heads.push(r);
    }
    heads.sort((a, b) => startNano[a]! - startNano[b]! || a - b);
    const chains: {
      chain: ErrorChain;
      origin: number;
      originService: string;
      originOperation: string;
      decider: number;
      root: boolean;
    }[] = [];
    for (const h of heads) {
      const p = parent[h]!;
      const [kind, handling, handledBy] = fateOf(h);
      if (kind === 'propagated' && p < 0 && c.parentRefType[h] !== ParentRefType.None) orphanHeads++;
      // Spans from the origin up to the head.
      const rows: number[] = [];
      const o = origin[h]!;
      for (let r = o; r >= 0; r = parent[r]!) {
        rows.push(r);
        if (r === h) break;
      }
      // The type: the first specific one from the origin up.
      let decider = -1;
      for (const r of rows) {
        if (err[r] === 3 || type[r]! < 0) continue;
        if (decider < 0) decider = r;
        if (type[r] !== T_OTHER) {
          decider = r;
          break;
        }
      }
      if (decider < 0) decider = o;
      let slow: number[] = [];
      if (type[o] === T_TIMEOUT && (err[o] === E_FAILED || err[o] === E_INFERRED)) slow = slowDescent(o);
      const all = [...slow.reverse(), ...rows];
      const spans = all.map(chainSpan);
      // An outgoing call that failed with no span under it: the callee it names is where the error starts.
      const deepest = all[0]!;
      let calleeName = '';
      if (
        (failed[deepest] || err[deepest] === E_INFERRED) &&
        childOffsets[deepest + 1] === childOffsets[deepest] &&
        looksLikeClient(table, deepest)
      ) {
        calleeName = calleeOf(table, deepest);
        if (calleeName) {
          spans.unshift({
            row: -1,
            spanId: '',
            service: calleeName,
            operation: opDict.values[opDict.codes[deepest]!]!,
            failed: false,
            errorType: null,
            observed: false,
          });
        }
      }
      const path: string[] = [];
      for (const s of spans) if (path[path.length - 1] !== s.service) path.push(s.service);
      const evidence: string[] = [];
      if (err[decider] === E_INFERRED) evidence.push('no error mark: failure inferred from timing');
      if (err[decider] === E_UNMARKED) {
        evidence.push('no error mark: the only call of a failed caller, with nothing failed below it');
      }
      // Tag-only data: a server span that failed with no failed callee raised the error itself (a 5xx).
      const serverError = tagOnly && decider === o && (failed[o] !== 0 || err[o] === E_UNMARKED) && isServerRole(o);
      const tIdx = classifyRow(ctx, decider, tree, evidence, serverError);
      chains.push({
        chain: {
          kind,
          spans,
          path,
          errorType: ERROR_TYPE_NAMES[tIdx]!,
          evidence,
          slowCallee: slow.length > 0,
          calleeSpans: spans.length - rows.length,
          handling,
          handledBy: handledBy >= 0 ? chainSpan(handledBy) : null,
        },
        origin: all[0]!,
        originService: spans[0]!.service,
        originOperation: spans[0]!.operation,
        decider,
        root: p < 0 && c.parentRefType[h] === ParentRefType.None,
      });
    }
    const unhandled = chains.filter((x) => x.chain.kind !== 'handled');
    // Primary: the chain reaching the true root, else the earliest head.
    let primaryIdx = -1;
    for (let i = 0; i < chains.length; i++) {
      const x = chains[i]!;
      if (x.chain.kind === 'handled') continue;
      if (primaryIdx < 0 || (x.root && !chains[primaryIdx]!.root)) primaryIdx = i;
    }
    const originSet = new Set(unhandled.map((x) => `${x.originService}\u0000${x.originOperation}\u0000${x.origin}`));
    if (originSet.size > 1) multiOrigin += w;
    if (primaryIdx > 0) chains.unshift(chains.splice(primaryIdx, 1)[0]!);
    const isFailed = unhandled.length > 0;
    if (isFailed) {
      failedTraces += w;
      const primary = chains[0]!;
      const ti = ERROR_TYPE_NAMES.indexOf(primary.chain.errorType);
      typeCounts[ti]! += w;
      const key = primary.chain.path.join('\u0000');
      let pc = pathCounts.get(key);
      if (!pc) {
        pc = { path: [...primary.chain.path], traces: 0, types: [0, 0, 0, 0, 0, 0] };
        pathCounts.set(key, pc);
      }
      pc.traces += w;
      pc.types[ti]! += w;
      const seen = new Set<string>();
      for (const x of [primary, ...unhandled.filter((u) => u !== primary)]) {
        const name = x.originService;
        if (seen.has(name)) continue;
        seen.add(name);
        let s = tally.get(name);
        if (!s) {
          s = {
            service: name,
            traces: 0,
            types: [0, 0, 0, 0, 0, 0],
            operations: new Map(),
            evidence: new Map(),
            peers: new Map(),
            callers: new Map(),
            slowCallee: 0,
            hosts: new Map(),
            versions: new Map(),
          };
          tally.set(name, s);
        }
        s.traces += w;
        s.types[ERROR_TYPE_NAMES.indexOf(x.chain.errorType)]! += w;
        bump(s.operations, x.originOperation, w);
        for (const e of x.chain.evidence) bump(s.evidence, e.replace(/ \([^)]*\)$/, ''), w);
        const peer = looksLikeClient(table, x.decider) ? calleeOf(table, x.decider) : '';
        if (peer) bump(s.peers, peer, w);
        const caller = x.chain.path.find((svc) => svc !== s.service);
        if (caller) bump(s.callers, caller, w);
        if (x.chain.slowCallee) s.slowCallee += w;
        // A callee that left no span has no host or version of its own.
        if (x.chain.spans[0]!.observed) {
          const host = hostDict.values[hostDict.codes[x.origin]!]!;
          if (host) bump(s.hosts, host, w);
          const version = versionDict.values[versionDict.codes[x.origin]!]!;
          if (version) bump(s.versions, version, w);
        }
      }
    } else if (chains.length > 0) handledOnly += w;
    if (traceDetails && chains.length > 0) {
      traceErrors.push({
        traceId: traceIdAt(table, traces.rows[traces.offsets[t]!]!),
        failed: isFailed,
        chains: chains.map((x) => x.chain),
        origins: originSet.size,
      });
    }
  }

  if (weights) {
    // Weighted sums (a sample standing for its stratum) become whole trace counts before anything is ranked.
    failedTraces = Math.round(failedTraces);
    handledOnly = Math.round(handledOnly);
    multiOrigin = Math.round(multiOrigin);
    failedSpanCount = Math.round(failedSpanCount);
    roundAll(typeCounts);
    for (const pc of pathCounts.values()) {
      pc.traces = Math.round(pc.traces);
      roundAll(pc.types);
    }
    for (const s of tally.values()) {
      s.traces = Math.round(s.traces);
      s.slowCallee = Math.round(s.slowCallee);
      roundAll(s.types);
      for (const m of [s.operations, s.evidence, s.peers, s.callers, s.hosts, s.versions]) {
        for (const [k, v] of m) m.set(k, Math.round(v));
      }
    }
  }

  // Hosts and versions of the top services over all their spans, to tell one bad instance from a whole service.
  // With a baseline sample, over its spans only: the failed traces, all loaded, would over-represent a bad instance.
  const ranked = [...tally.entries()].sort(
    (a, b) => b[1].traces - a[1].traces || (a[1].service < b[1].service ? -1 : 1),
  );
  const topCodes = new Map<string, { hosts: Map<string, number>; versions: Map<string, number>; spans: number }>();
  for (const [name] of ranked.slice(0, 3)) topCodes.set(name, { hosts: new Map(), versions: new Map(), spans: 0 });
  if (topCodes.size > 0) {
    const accOfCode = serviceNames.map((name) => topCodes.get(name));
    for (let r = 0; r < table.numSpans; r++) {
      const acc = accOfCode[svcDict.codes[r]!];
      const t = traces.traceOfRow[r]!;
      if (!acc || !inScope[t] || (baseline && !baseline[t])) continue;
      acc.spans++;
      const h = hostDict.codes[r]!;
      if (h) bump(acc.hosts, hostDict.values[h]!);
      const v = versionDict.codes[r]!;
      if (v) bump(acc.versions, versionDict.values[v]!);
    }
  }

  const rootCauses: RootCause[] = ranked.slice(0, maxRootCauses).map(([code, s]) => {
    const ti = argmax(s.types);
    const evidence: string[] = [
      `${s.traces} of ${failedTraces} failed traces (${pct(s.traces / failedTraces)}) originate in ${s.service}`,
    ];
    const [op, opN] = top(s.operations) ?? ['', 0];
    if (op) evidence.push(`origin operation "${op}" in ${opN} of them`);
    if (s.slowCallee) evidence.push(`${s.slowCallee} × still running when its caller timed out`);
    const byCount = [...s.evidence.entries()].sort((a, b) => b[1] - a[1]);
    for (const [e, k] of byCount.slice(0, 3)) evidence.push(`${k} × ${e}`);
    const [peer, peerN] = top(s.peers) ?? ['', 0];
    if (peer) evidence.push(`${peerN} origin spans call ${peer}`);
    const all = topCodes.get(code);
    if (all) {
      for (const [label, mine, theirs] of [
        ['host', s.hosts, all.hosts],
        ['version', s.versions, all.versions],
      ] as const) {
        const best = top(mine);
        if (!best || theirs.size < 2) continue;
        const originShare = best[1] / s.traces;
        const spanShare = (theirs.get(best[0]) ?? 0) / all.spans;
        if (originShare >= 0.8 && spanShare < 0.6) {
          evidence.push(
            `${pct(originShare)} of origins on ${label} ${best[0]}, which serves ${pct(spanShare)} of ${s.service}'s spans`,
          );
        }
      }
    }
    return {
      service: s.service,
      operation: op,
      traces: s.traces,
      share: failedTraces ? s.traces / failedTraces : 0,
      errorType: ERROR_TYPE_NAMES[ti]!,
      byType: typeRecord(s.types),
      evidence: evidence.slice(0, maxEvidence),
    };
  });

  const propagationPaths: PropagationPath[] = [...pathCounts.values()]
    .sort((a, b) => b.traces - a.traces || (a.path.join() < b.path.join() ? -1 : 1))
    .slice(0, maxPaths)
    .map((p) => ({ path: p.path, traces: p.traces, errorType: ERROR_TYPE_NAMES[argmax(p.types)]! }));

  const warnings: string[] = [];
  if (orphanHeads > 0) {
    warnings.push(
      `${orphanHeads} error chains end at a span whose parent is missing: counted as unhandled, the caller may have recovered`,
    );
  }
  if (tree.issues.cycles.length > 0) warnings.push(`${tree.issues.cycles.length} spans in parent cycles`);

  const hypotheses = writeHypotheses({
    tallies: ranked.map(([, s]) => s),
    rootCauses,
    failedTraces,
    traces: scopeCount,
    multiOrigin,
    handledOnly,
    inferred: tagOnly,
  });

  return {
    traces: scopeCount,
    failedTraces,
    errorRate: scopeCount ? failedTraces / scopeCount : 0,
    tracesWithHandledErrors: handledOnly,
    failedSpans: failedSpanCount,
    byType: typeRecord(typeCounts),
    rootCauses,
    propagationPaths,
    hypotheses,
    traceErrors,
    warnings,
    baselineTracesWithErrors: baselineWithErrors,
  };
}

function roundAll(xs: number[]): void {
  for (let i = 0; i < xs.length; i++) xs[i] = Math.round(xs[i]!);
}
