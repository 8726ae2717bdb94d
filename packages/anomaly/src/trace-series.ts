// Time-bucketed request series per service, operation and entry endpoint, derived from spans on typed arrays:
// request rate, error / timeout / 429 counts, latency P50/P95/P99 and exclusive (self) time per request, plus the
// call paths (caller → callee edges) seen in each endpoint's traces and a sample of trace-level features.
//
//   trace  frontend GET /checkout |==============================|      ingress of frontend (a request)
//          frontend HTTP POST       |====================|            client span: its gap is network into cart
//          cart     POST /cart        |================|              ingress of cart (a request of cart)
//          cart     SELECT              |====|                        leaf with peer.service=cart-db → cart-db
//   exclusive(cart) = self(POST /cart) + gap(HTTP POST);  exclusive(cart-db) = duration(SELECT)
//
// Algorithm: pointer jumping assigns each span to the request (ingress span) of its logical service; counting
// sort groups requests by (series, bucket); each group is sorted once for its quantiles.
// Reference: RED method (rate, errors, duration) per service; exclusive time as in jaeger-ui trace statistics.
import { buildTraceTree, type SpanTable, type TraceTree } from '@aiops/span-model';
import { jump, PairSet } from './internal/pointer-jump.ts';
import { spanSignals } from './internal/span-signals.ts';
import { quantilesInPlace } from './internal/stats.ts';

/** What a series aggregates: all requests of a service, of one of its operations, or of an entry endpoint. */
export type SeriesLevel = 'service' | 'operation' | 'endpoint';

/** Request metrics of one service / operation per time bucket (NaN where a bucket has no request). */
export interface MetricSeries {
  /** Aggregation level. */
  readonly level: SeriesLevel;
  /** Logical service (pod names folded). */
  readonly service: string;
  /** Operation ('' for the service level). */
  readonly operation: string;
  /** Requests (ingress spans of the service) per bucket. */
  readonly count: Float64Array;
  /** Failed requests per bucket. */
  readonly errors: Float64Array;
  /** Failed requests whose failure did not come from a failed downstream call (errors that start here). */
  readonly ownErrors: Float64Array;
  /** Requests that timed out (or saw a downstream call time out). */
  readonly timeouts: Float64Array;
  /** Requests that got or answered HTTP 429 / gRPC RESOURCE_EXHAUSTED. */
  readonly rateLimited: Float64Array;
  /** Latency percentiles of the requests, ms. */
  readonly p50Ms: Float64Array;
  /** 95th percentile, ms. */
  readonly p95Ms: Float64Array;
  /** 99th percentile, ms. */
  readonly p99Ms: Float64Array;
  /** Median exclusive time per request (own spans' self time plus the network gap of the incoming call), ms. */
  readonly selfP50Ms: Float64Array;
  /** Mean exclusive time per request, ms. */
  readonly selfMeanMs: Float64Array;
  /**
   * Mean of ln(latency in ms) over the requests (the log of their geometric mean). Unlike a percentile it pools
   * exactly over buckets (weighted by `count`), so sparse series can be tested over several buckets at once.
   */
  readonly meanLogMs: Float64Array;
  /** Standard deviation of ln(latency in ms) over the requests (0 for a single request). */
  readonly sdLogMs: Float64Array;
}

/** How many traces of an entry endpoint contain a caller → callee call, per bucket. */
export interface CallPathSeries {
  /** Entry service of the traces. */
  readonly endpointService: string;
  /** Entry operation of the traces. */
  readonly endpointOperation: string;
  /** Calling service. */
  readonly caller: string;
  /** The caller's operation (the request it was serving). */
  readonly callerOperation: string;
  /** Called service (or store, by `peer.service`). */
  readonly callee: string;
  /** Traces of the endpoint containing this call, per bucket. */
  readonly traces: Float64Array;
}

/** Names of the trace-level features, in the order of {@link TraceFeatureSample.values}. */
export const TRACE_FEATURE_NAMES: readonly string[] = [
  'log root duration ms',
  'log span count',
  'error span share',
  'max exclusive share',
];

/** A bounded sample of trace-level feature vectors (for the Isolation Forest). */
export interface TraceFeatureSample {
  /** Bucket of each sampled trace. */
  readonly bucket: Int32Array;
  /** Index in `series` of the trace's endpoint series. */
  readonly endpoint: Int32Array;
  /** Feature vectors, `TRACE_FEATURE_NAMES.length` values per trace. */
  readonly values: Float64Array;
}

/** A service version seen in the spans, with the buckets where it appears. */
export interface VersionSpan {
  /** Logical service. */
  readonly service: string;
  /** `service.version`. */
  readonly version: string;
  /** First and last bucket with spans of this version. */
  readonly firstBucket: number;
  /** Last bucket. */
  readonly lastBucket: number;
}

/** The series of a span table. Bucket `b` covers `[(firstBucket + b) · bucketSeconds, +bucketSeconds)` Unix s. */
export interface TraceSeries {
  /** Bucket width, seconds. */
  readonly bucketSeconds: number;
  /** Absolute index of bucket 0 (Unix seconds / bucketSeconds). */
  readonly firstBucket: number;
  /** Number of buckets. */
  readonly buckets: number;
  /** Earliest and latest request start, Unix seconds (the first and last buckets may be partly covered). */
  readonly startSeconds: number;
  /** Latest span start, Unix seconds. */
  readonly endSeconds: number;
  /** Series per service, operation and endpoint. */
  readonly series: readonly MetricSeries[];
  /** Call paths per endpoint. */
  readonly callPaths: readonly CallPathSeries[];
  /** Sampled trace-level features. */
  readonly traceFeatures: TraceFeatureSample;
  /** Versions per service. */
  readonly versions: readonly VersionSpan[];
  /** Data problems met (reported, not fixed). */
  readonly warnings: readonly string[];
}

/** Options of {@link traceSeries}. */
export interface TraceSeriesOptions {
  /** Bucket width in seconds (buckets are aligned to the Unix epoch). Default 30. */
  readonly bucketSeconds?: number;
  /** Fold pod names (`checkout-7d9f8b5c4-x2k4p`) to workload names. Default true. */
  readonly foldPodNames?: boolean;
  /** Per-operation series besides per-service ones. Default true. */
  readonly operations?: boolean;
  /** Traces sampled per endpoint and bucket for trace-level features. Default 32. */
  readonly traceSamplesPerBucket?: number;
  /** A prebuilt trace tree of the same table. */
  readonly tree?: TraceTree;
}

const DEFAULTS = {
  bucketSeconds: 30,
  foldPodNames: true,
  operations: true,
  traceSamplesPerBucket: 32,
} as const;

const NS_PER_MS = 1e6;
const QUANTILES: readonly number[] = [0.5, 0.95, 0.99];
const MEDIAN: readonly number[] = [0.5];
/** Latencies below 1 µs count as 1 µs on the log scale. */
const LOG_FLOOR_MS = 1e-3;

/**
 * Time-bucketed request series of every service and operation of `table`.
 *
 * **Details**
 * - A request of service S is an ingress span of S: a span whose parent is missing or belongs to another service.
 *   Works without span kinds. Leaf client spans with `peer.service` (databases, caches, external APIs) count as
 *   requests of that store.
 * - A request failed when its ingress span failed (status, HTTP/gRPC status, `error` tag, exception); when the
 *   ingress span carries no outcome at all, when any span of the request failed.
 * - Exclusive time of a request: self time of the service's own spans of that request, plus the network gap of the
 *   calling client span (a client span with one child in another service), so a slow network into S counts for S.
 * - Operation series whose requests are trace roots are labelled `endpoint`.
 *
 * **Complexity** O(n) for the pass over spans plus O(r log r) to sort the r requests within their buckets.
 *
 * **Gotchas** Buckets are by request start. Orphans (parent missing) start requests of their own. Two tables give
 * aligned buckets when they use the same `bucketSeconds`.
 *
 * @example
 * ```ts
 * const s = traceSeries(table, { bucketSeconds: 60 });
 * const cart = s.series.find((x) => x.level === 'service' && x.service === 'cart');
 * cart?.p95Ms[0]; // P95 latency of cart's requests in the first minute
 * ```
 */
export function traceSeries(table: SpanTable, options: TraceSeriesOptions = {}): TraceSeries {
  const bucketSeconds = options.bucketSeconds ?? DEFAULTS.bucketSeconds;
  if (!(bucketSeconds > 0)) throw new RangeError(`anomaly: bucketSeconds must be > 0, got ${bucketSeconds}`);
  const withOps = options.operations ?? DEFAULTS.operations;
  const samplesPerBucket = options.traceSamplesPerBucket ?? DEFAULTS.traceSamplesPerBucket;
  const n = table.numSpans;
  const warnings: string[] = [];
  if (n === 0) {
    return {
      bucketSeconds,
      firstBucket: 0,
      buckets: 0,
      startSeconds: 0,
      endSeconds: 0,
      series: [],
      callPaths: [],
      traceFeatures: { bucket: new Int32Array(0), endpoint: new Int32Array(0), values: new Float64Array(0) },
      versions: [],
      warnings,
    };
  }
  const tree = options.tree ?? buildTraceTree(table);
  const { parent, childOffsets } = tree.links;
  const self = tree.selfNano;
  const sig = spanSignals(table, (i) => childOffsets[i + 1]! - childOffsets[i]!, options.foldPodNames ?? true);
  const svc = sig.service;
  const { startNano, durationNano } = table.times;
  const baseSec = Number(table.times.baseUnixNano) / 1e9;
  const opCodes = table.dict('operation').codes;
  const opValues = table.dict('operation').values;
  const { parentRefType } = table.columns;

  // Bucket of every span (absolute), and the range.
  let minB = Number.POSITIVE_INFINITY;
  let maxB = Number.NEGATIVE_INFINITY;
  const bucketOf = new Int32Array(n);
  {
    const inv = 1 / (bucketSeconds * 1e9);
    const baseB = baseSec / bucketSeconds;
    for (let i = 0; i < n; i++) {
      const b = Math.floor(baseB + startNano[i]! * inv);
      bucketOf[i] = b;
      if (b < minB) minB = b;
      if (b > maxB) maxB = b;
    }
    for (let i = 0; i < n; i++) bucketOf[i] = bucketOf[i]! - minB;
  }
  let maxStart = 0;
  for (let i = 0; i < n; i++) if (startNano[i]! > maxStart) maxStart = startNano[i]!;
  const B = maxB - minB + 1;

  // Requests: ingress spans. own[i] = the ingress span whose request span i belongs to; head[i] = subtree head.
  // Pointer jumping (each pass halves the remaining chain) instead of a pre-order walk.
  const own = new Int32Array(n);
  const head = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const p = parent[i]!;
    own[i] = p < 0 || svc[p] !== svc[i] ? i : p;
    head[i] = p < 0 ? i : p;
  }
  jump(own);
  jump(head);
  const excl = new Float64Array(n);
  const reqErrAny = new Uint8Array(n);
  const downstreamErr = new Uint8Array(n);
  const reqTimeout = new Uint8Array(n);
  const req429 = new Uint8Array(n);
  const traceSpans = new Int32Array(n);
  const traceErrs = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let target = own[i]!;
    const c0 = childOffsets[i]!;
    // A client span (inside a request, not its ingress) with one callee: its self time is the network gap into
    // the callee, so it counts for the callee.
    if (own[i] !== i && childOffsets[i + 1]! - c0 === 1) {
      const c = tree.links.children[c0]!;
      if (svc[c] !== svc[i]) target = c;
    }
    excl[target] = excl[target]! + self[i]!;
    const o = own[i]!;
    if (sig.error[i]) reqErrAny[o] = 1;
    if (sig.timeout[i]) reqTimeout[o] = 1;
    if (sig.rateLimited[i]) req429[o] = 1;
    const h = head[i]!;
    traceSpans[h]!++;
    if (sig.error[i]) traceErrs[h]!++;
  }
  // A request failed: its ingress span's own outcome when it has one, else any of its spans.
  const reqErr = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (own[i] !== i) continue;
    reqErr[i] = sig.hasOutcome[i] ? sig.error[i]! : reqErrAny[i]!;
  }
  for (let i = 0; i < n; i++) {
    if (own[i] !== i || !reqErr[i]) continue;
    const p = parent[i]!;
    if (p >= 0) downstreamErr[own[p]!] = 1;
  }

  // Series keys: service codes first, then (service, operation) pairs.
  const S = sig.services.length;
  // (service, operation) → series key: a typed lookup table when it is small enough, else a Map.
  const nOps = opValues.length;
  const opTable = S * nOps <= 1 << 24 ? new Int32Array(S * nOps).fill(-1) : undefined;
  const opKey = new Map<number, number>();
  const opKeyList: number[] = [];
  const keyOfReq = new Int32Array(n).fill(-1);
  const opKeyOfReq = new Int32Array(n).fill(-1);
  let requests = 0;
  for (let i = 0; i < n; i++) {
    if (own[i] !== i) continue;
    requests++;
    keyOfReq[i] = svc[i]!;
    if (withOps) {
      const code = svc[i]! * nOps + opCodes[i]!;
      let k = opTable ? opTable[code]! : (opKey.get(code) ?? -1);
      if (k < 0) {
        k = S + opKeyList.length;
        if (opTable) opTable[code] = k;
        else opKey.set(code, k);
        opKeyList.push(code);
      }
      opKeyOfReq[i] = k;
    }
  }
  const K = S + opKeyList.length;
  const G = K * B;
  const count = new Float64Array(G);
  const errors = new Float64Array(G);
  const ownErrors = new Float64Array(G);
  const timeouts = new Float64Array(G);
  const limited = new Float64Array(G);
  const selfSum = new Float64Array(G);
  const roots = new Float64Array(K);
  const add = (key: number, i: number): void => {
    const g = key * B + bucketOf[i]!;
    count[g]!++;
    if (reqErr[i]) {
      errors[g]!++;
      if (!downstreamErr[i]) ownErrors[g]!++;
    }
    if (reqTimeout[i]) timeouts[g]!++;
    if (req429[i]) limited[g]!++;
    selfSum[g] = selfSum[g]! + excl[i]!;
  };
  for (let i = 0; i < n; i++) {
    const k = keyOfReq[i]!;
    if (k < 0) continue;
    add(k, i);
    const ko = opKeyOfReq[i]!;
    if (ko >= 0) {
      add(ko, i);
      if (parent[i]! < 0 && parentRefType[i] === 0) roots[ko]!++;
    }
  }
  // Counting sort of durations and exclusive times by group, then quantiles per group.
  const offsets = new Int32Array(G + 1);
  for (let g = 0; g < G; g++) offsets[g + 1] = offsets[g]! + count[g]!;
  const fill = offsets.slice(0, G);
  const dur = new Float64Array(offsets[G]!);
  const ex = new Float64Array(offsets[G]!);
  for (let i = 0; i < n; i++) {
    const k = keyOfReq[i]!;
    if (k < 0) continue;
    const d = durationNano[i]! / NS_PER_MS;
    const e = excl[i]! / NS_PER_MS;
    let w = fill[k * B + bucketOf[i]!]!++;
    dur[w] = d;
    ex[w] = e;
    const ko = opKeyOfReq[i]!;
    if (ko >= 0) {
      w = fill[ko * B + bucketOf[i]!]!++;
      dur[w] = d;
      ex[w] = e;
    }
  }
  const p50 = new Float64Array(G).fill(Number.NaN);
  const p95 = new Float64Array(G).fill(Number.NaN);
  const p99 = new Float64Array(G).fill(Number.NaN);
  const selfP50 = new Float64Array(G).fill(Number.NaN);
  const selfMean = new Float64Array(G).fill(Number.NaN);
  const meanLog = new Float64Array(G).fill(Number.NaN);
  const sdLog = new Float64Array(G).fill(Number.NaN);
  const q3 = new Float64Array(3);
  const q1 = new Float64Array(1);
  for (let g = 0; g < G; g++) {
    const a = offsets[g]!;
    const b = offsets[g + 1]!;
    if (a === b) continue;
    let sl = 0;
    let sq = 0;
    for (let k = a; k < b; k++) {
      const l = Math.log(dur[k]! > LOG_FLOOR_MS ? dur[k]! : LOG_FLOOR_MS);
      sl += l;
      sq += l * l;
    }
    const m = sl / (b - a);
    meanLog[g] = m;
    sdLog[g] = b - a > 1 ? Math.sqrt(Math.max(0, (sq - m * sl) / (b - a - 1))) : 0;
    quantilesInPlace(dur, a, b, QUANTILES, q3);
    p50[g] = q3[0]!;
    p95[g] = q3[1]!;
    p99[g] = q3[2]!;
    quantilesInPlace(ex, a, b, MEDIAN, q1);
    selfP50[g] = q1[0]!;
    selfMean[g] = selfSum[g]! / NS_PER_MS / (b - a);
  }
  const series: MetricSeries[] = [];
  const keyLevel = (k: number): SeriesLevel => {
    if (k < S) return 'service';
    let total = 0;
    for (let b = 0; b < B; b++) total += count[k * B + b]!;
    return roots[k]! >= 0.9 * total ? 'endpoint' : 'operation';
  };
  for (let k = 0; k < K; k++) {
    let total = 0;
    for (let b = 0; b < B; b++) total += count[k * B + b]!;
    if (total === 0) continue;
    const s = k < S ? k : Math.floor(opKeyList[k - S]! / nOps);
    const sub = (arr: Float64Array): Float64Array => arr.slice(k * B, (k + 1) * B);
    series.push({
      level: keyLevel(k),
      service: sig.services[s]!,
      operation: k < S ? '' : opValues[opKeyList[k - S]! % nOps]!,
      count: sub(count),
      errors: sub(errors),
      ownErrors: sub(ownErrors),
      timeouts: sub(timeouts),
      rateLimited: sub(limited),
      p50Ms: sub(p50),
      p95Ms: sub(p95),
      p99Ms: sub(p99),
      selfP50Ms: sub(selfP50),
      selfMeanMs: sub(selfMean),
      meanLogMs: sub(meanLog),
      sdLogMs: sub(sdLog),
    });
  }
  const seriesIndex = new Map<number, number>();
  {
    // Map op key → index in `series` for endpoint lookups.
    let w = 0;
    for (let k = 0; k < K; k++) {
      let total = 0;
      for (let b = 0; b < B; b++) total += count[k * B + b]!;
      if (total > 0) seriesIndex.set(k, w++);
    }
  }

  // Call paths: distinct (endpoint, caller service, caller operation, callee) per trace.
  const callPaths: CallPathSeries[] = [];
  const edgeIds = new Map<number, number>();
  // Traces whose rows are contiguous (as stores and exporters write them) need no set of (trace, edge) pairs: the
  // last trace that counted an edge is enough. Otherwise fall back to the pair set.
  let contiguous = true;
  {
    const seenHead = new Uint8Array(n);
    let prev = -1;
    for (let i = 0; i < n && contiguous; i++) {
      const h = head[i]!;
      if (h === prev) continue;
      if (seenHead[h]) contiguous = false;
      seenHead[h] = 1;
      prev = h;
    }
  }
  let lastHead = new Int32Array(64).fill(-1);
  const edgeCounts: Float64Array[] = [];
  const seenPairs = new PairSet(1024);
  for (let i = 0; i < n; i++) {
    const p = parent[i]!;
    if (p < 0 || own[i] !== i) continue;
    const h = head[i]!;
    if (parentRefType[h] !== 0) continue; // orphan subtree: endpoint unknown
    const ep = opKeyOfReq[h]!;
    if (ep < 0) continue;
    const callerReq = own[p]!;
    // Numeric key (< 2^53 for any realistic number of series, services and operations).
    const id = ((ep * S + svc[callerReq]!) * nOps + opCodes[callerReq]!) * S + svc[i]!;
    let e = edgeIds.get(id);
    if (e === undefined) {
      e = edgeCounts.length;
      edgeIds.set(id, e);
      if (e >= lastHead.length) {
        const grown = new Int32Array(lastHead.length * 2).fill(-1);
        grown.set(lastHead);
        lastHead = grown;
      }
      edgeCounts.push(new Float64Array(B));
      callPaths.push({
        endpointService: sig.services[svc[h]!]!,
        endpointOperation: opValues[opCodes[h]!]!,
        caller: sig.services[svc[callerReq]!]!,
        callerOperation: opValues[opCodes[callerReq]!]!,
        callee: sig.services[svc[i]!]!,
        traces: edgeCounts[e]!,
      });
    }
    if (contiguous) {
      if (lastHead[e] !== h) {
        lastHead[e] = h;
        edgeCounts[e]![bucketOf[h]!]!++;
      }
    } else if (seenPairs.add(h, e)) edgeCounts[e]![bucketOf[h]!]!++;
  }

  // Trace-level features, sampled per endpoint and bucket (first come).
  const maxExcl = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (own[i] !== i) continue;
    const h = head[i]!;
    if (excl[i]! > maxExcl[h]!) maxExcl[h] = excl[i]!;
  }
  const taken = new Int32Array(K * B);
  const fb: number[] = [];
  const fe: number[] = [];
  const fv: number[] = [];
  for (let i = 0; i < n; i++) {
    if (parent[i]! >= 0 || parentRefType[i] !== 0) continue;
    const ep = opKeyOfReq[i]!;
    const si = ep >= 0 ? seriesIndex.get(ep) : undefined;
    if (si === undefined) continue;
    const slot = ep * B + bucketOf[i]!;
    if (taken[slot]! >= samplesPerBucket) continue;
    taken[slot]!++;
    const d = durationNano[i]!;
    fb.push(bucketOf[i]!);
    fe.push(si);
    fv.push(
      Math.log(d / NS_PER_MS + 1e-3),
      Math.log(traceSpans[i]!),
      traceErrs[i]! / traceSpans[i]!,
      d > 0 ? maxExcl[i]! / d : 0,
    );
  }

  // Versions per service.
  const versions: VersionSpan[] = [];
  {
    const ver = table.dict('serviceVersion');
    if (ver.values.length > 1) {
      const seen = new Map<number, { first: number; last: number }>();
      const nv = ver.values.length;
      for (let i = 0; i < n; i++) {
        const v = ver.codes[i]!;
        if (v === 0) continue;
        const key = svc[i]! * nv + v;
        const b = bucketOf[i]!;
        const r = seen.get(key);
        if (!r) seen.set(key, { first: b, last: b });
        else {
          if (b < r.first) r.first = b;
          if (b > r.last) r.last = b;
        }
      }
      for (const [key, r] of seen) {
        versions.push({
          service: sig.services[Math.floor(key / nv)]!,
          version: ver.values[key % nv]!,
          firstBucket: r.first,
          lastBucket: r.last,
        });
      }
    }
  }
  if (tree.issues.orphans.length > 0)
    warnings.push(`${tree.issues.orphans.length} spans have a parent missing from the data`);
  if (sig.foldedPods > 0) warnings.push(`${sig.foldedPods} spans named by pod; folded to workload names`);
  if (requests === 0) warnings.push('no requests found');
  return {
    bucketSeconds,
    firstBucket: minB,
    buckets: B,
    startSeconds: baseSec,
    endSeconds: baseSec + maxStart / 1e9,
    series,
    callPaths,
    traceFeatures: { bucket: Int32Array.from(fb), endpoint: Int32Array.from(fe), values: Float64Array.from(fv) },
    versions,
    warnings,
  };
}
