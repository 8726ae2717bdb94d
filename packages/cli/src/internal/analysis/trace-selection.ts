// Selection pushdown for the analysis commands: from a store's trace summaries (trace-level columns, no spans),
// decide which traces an analysis needs whole, then load only those, in windows of nearby traces.
import { concatSpanTables, type SpanTable, type TraceSource, type TraceSummary } from '@aiops/span-model';
import type { TimeWindow } from '../time.ts';

/**
 * Sources whose `searchTraces` reads trace-level columns only, so that summaries of a whole window are cheap and
 * loading a chosen set of traces by id is a pushed-down query. Every other source (files, Jaeger, Tempo, Zipkin)
 * is read whole, as before.
 */
const SUMMARY_SOURCES: ReadonlySet<string> = new Set(['duckdb', 'clickhouse']);

/** Whether `source` answers trace summaries cheaply (the embedded store, ClickHouse). */
export function hasSummaries(source: TraceSource): boolean {
  return SUMMARY_SOURCES.has(source.kind);
}

/** Trace ids per `spans({ traceIds })` call: the store tests ids one by one, so long lists cost quadratically. */
const IDS_PER_QUERY = 200;

/** 32-bit FNV-1a of a trace id: a deterministic order that does not follow how ids were made (time-prefixed ids). */
function idHash(traceId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < traceId.length; i++) {
    h ^= traceId.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The first `n` summaries in hash order of their trace ids: a deterministic sample that is the same every run. */
export function hashSample(summaries: readonly TraceSummary[], n: number): TraceSummary[] {
  if (summaries.length <= n) return [...summaries];
  return [...summaries]
    .map((s) => ({ s, h: idHash(s.traceId) }))
    .sort((a, b) => a.h - b.h || (a.s.traceId < b.s.traceId ? -1 : 1))
    .slice(0, n)
    .map((x) => x.s);
}

/** A sample of traces with how many traces of the window each one stands for. */
export interface WeightedSample {
  /** The sampled traces. */
  readonly traces: readonly TraceSummary[];
  /** Weight per trace id (absent: 1). */
  readonly weights: ReadonlyMap<string, number>;
  /** Whether some traces were left out (then counts are scaled). */
  readonly sampled: boolean;
  /** Strata the traces fall into. */
  readonly strata: number;
  /**
   * 95% margin of a share estimated from the sample (1.96 · √(¼ / n), finite-population corrected): a root cause
   * at 44% ± 3 points is tied with one at 43%. 0 when nothing was sampled.
   */
  readonly shareMargin95: number;
}

/** Traces every stratum keeps at least (all of a smaller one): a rare failure pattern is never sampled away. */
const MIN_PER_STRATUM = 5;
/** Error-span counts above this share a stratum. */
const MAX_ERROR_STRATUM = 8;

/**
 * All `summaries` when there are at most `max`; otherwise a sample stratified by what the summaries know of a
 * trace's failure pattern: root service and operation, and the number of spans with an error status (capped at 8;
 * 0 for traces without errors). Each stratum keeps its share of `max` (at least 5, or all of a smaller stratum),
 * chosen in id-hash order, and each kept trace weighs (stratum size) / (kept). The total may exceed `max` by the
 * per-stratum minimums.
 */
export function stratifiedSample(summaries: readonly TraceSummary[], max: number): WeightedSample {
  const strata = new Map<string, TraceSummary[]>();
  for (const s of summaries) {
    const key = `${s.rootService}\u0000${s.rootOperation}\u0000${Math.min(s.errorCount, MAX_ERROR_STRATUM)}`;
    let list = strata.get(key);
    if (!list) {
      list = [];
      strata.set(key, list);
    }
    list.push(s);
  }
  if (summaries.length <= max) {
    return { traces: summaries, weights: new Map(), sampled: false, strata: strata.size, shareMargin95: 0 };
  }
  const traces: TraceSummary[] = [];
  const weights = new Map<string, number>();
  for (const list of strata.values()) {
    const keep = Math.min(list.length, Math.max(MIN_PER_STRATUM, Math.round((max * list.length) / summaries.length)));
    const w = list.length / keep;
    for (const s of hashSample(list, keep)) {
      traces.push(s);
      if (w !== 1) weights.set(s.traceId, w);
    }
  }
  const n = traces.length;
  const N = summaries.length;
  const shareMargin95 = n < N ? 1.96 * Math.sqrt(0.25 / n) * Math.sqrt((N - n) / Math.max(1, N - 1)) : 0;
  return { traces, weights, sampled: n < N, strata: strata.size, shareMargin95 };
}

/**
 * Whole traces by id from `source`, in one table. Ids are sorted by start time and loaded `IDS_PER_QUERY` at a time,
 * each query narrowed to the time range of its ids (within `window`), so that the store tests each id against few
 * traces. Full detail: the embedded store's lighter 'analysis' read scans the span table up to the last trace
 * selected, which costs a near-full scan for a few hundred scattered traces.
 */
export async function loadTracesById(
  source: TraceSource,
  summaries: readonly TraceSummary[],
  window: TimeWindow,
): Promise<SpanTable> {
  const sorted = [...summaries].sort((a, b) => (a.startUnixNano < b.startUnixNano ? -1 : 1));
  const tables: SpanTable[] = [];
  for (let i = 0; i < sorted.length; i += IDS_PER_QUERY) {
    const chunk = sorted.slice(i, i + IDS_PER_QUERY);
    let from = chunk[0]!.startUnixNano;
    let to = chunk[chunk.length - 1]!.startUnixNano + 1n;
    if (window.fromUnixNano !== undefined && window.fromUnixNano > from) from = window.fromUnixNano;
    if (window.toUnixNano !== undefined && window.toUnixNano < to) to = window.toUnixNano;
    const t = await source.spans({
      traceIds: chunk.map((s) => s.traceId),
      fromUnixNano: from,
      toUnixNano: to,
    });
    if (t.numSpans > 0) tables.push(t);
  }
  return concatSpanTables(tables);
}
