// What every rendering of a trace needs per span: display order, tree connectors, and error/slow/critical flags.
import {
  buildTraceTree,
  type CriticalPathSegment,
  FailureSignal,
  normalizeId,
  SpanKind,
  type SpanTable,
  spanFailureSignals,
  type TraceTree,
  writeHexId,
} from '@aiops/span-model';

/** Bit flags per span. */
export const SpanFlag = {
  Error: 1,
  Slow: 2,
  Critical: 4,
  Orphan: 8,
  ClockSkew: 16,
  Bottleneck: 32,
} as const;

/** Options of {@link layoutTrace}. */
export interface LayoutOptions {
  readonly criticalPath?: readonly CriticalPathSegment[] | undefined;
  readonly slowThresholdMs?: number | undefined;
  readonly bottleneckSpanId?: string | undefined;
  /** When no threshold is given: a span is slow when its exclusive time is at least this share of its trace. */
  readonly slowShare?: number | undefined;
  readonly tree?: TraceTree | undefined;
}

/** Per-span display data of a whole table. */
export interface TraceLayout {
  readonly tree: TraceTree;
  /** Rows in display order (depth-first, children by start). */
  readonly order: Int32Array;
  /** {@link SpanFlag} bits per row. */
  readonly flags: Uint8Array;
  /** 1 when the row is the last child of its parent (or the last subtree head of its trace). */
  readonly lastChild: Uint8Array;
  /** Critical-path segments of row r: `segments[2k], segments[2k+1]` for k in `segOffsets[r]..segOffsets[r+1]`. */
  readonly segOffsets: Int32Array;
  /** Start/end ns pairs relative to `table.times.baseUnixNano`. */
  readonly segments: Float64Array;
  /** Earliest start and latest end in the table, ns relative to the base. */
  readonly minStartNano: number;
  readonly maxEndNano: number;
  /** Threshold used for the slow flag, or undefined when the share rule was used. */
  readonly slowThresholdNano: number | undefined;
  /** Data problems worth showing, in words. */
  readonly warnings: readonly string[];
}

/**
 * Shown as an error on any span: status ERROR, HTTP 5xx, a gRPC server-error code, an error tag, an exception, an
 * `error.type`. HTTP 4xx only on client spans (a server answering 404 did its job).
 */
const SHOWN_AS_ERROR =
  FailureSignal.Status |
  FailureSignal.Http5xx |
  FailureSignal.GrpcServer |
  FailureSignal.ErrorTag |
  FailureSignal.Exception |
  FailureSignal.ErrorType;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Computes the display order and flags of every span of `table`. */
export function layoutTrace(table: SpanTable, options: LayoutOptions = {}): TraceLayout {
  const n = table.numSpans;
  const tree = options.tree ?? buildTraceTree(table);
  const c = table.columns;
  const { startNano, endNano, durationNano } = table.times;
  const flags = new Uint8Array(n);
  const warnings: string[] = [];

  const { signals } = spanFailureSignals(table);
  for (let r = 0; r < n; r++) {
    const sig = signals[r]!;
    if (sig & SHOWN_AS_ERROR || (sig & FailureSignal.Http4xx && c.kind[r] === SpanKind.Client))
      flags[r]! |= SpanFlag.Error;
  }

  // Slow: an explicit threshold on duration, else a large share of the trace in the span's own (exclusive) time.
  let minStartNano = Number.POSITIVE_INFINITY;
  let maxEndNano = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < n; r++) {
    if (startNano[r]! < minStartNano) minStartNano = startNano[r]!;
    if (endNano[r]! > maxEndNano) maxEndNano = endNano[r]!;
  }
  if (n === 0) minStartNano = maxEndNano = 0;
  const slowThresholdNano = options.slowThresholdMs === undefined ? undefined : options.slowThresholdMs * 1e6;
  if (slowThresholdNano !== undefined) {
    for (let r = 0; r < n; r++) if (durationNano[r]! >= slowThresholdNano) flags[r]! |= SpanFlag.Slow;
  } else {
    const share = options.slowShare ?? 0.2;
    const { traces } = tree;
    for (let t = 0; t < traces.traceCount; t++) {
      let s = Number.POSITIVE_INFINITY;
      let e = Number.NEGATIVE_INFINITY;
      for (let k = traces.offsets[t]!; k < traces.offsets[t + 1]!; k++) {
        const r = traces.rows[k]!;
        if (startNano[r]! < s) s = startNano[r]!;
        if (endNano[r]! > e) e = endNano[r]!;
      }
      const limit = (e - s) * share;
      if (!(limit > 0)) continue;
      for (let k = traces.offsets[t]!; k < traces.offsets[t + 1]!; k++) {
        const r = traces.rows[k]!;
        if (tree.selfNano[r]! >= limit) flags[r]! |= SpanFlag.Slow;
      }
    }
  }

  for (const r of tree.issues.orphans) flags[r]! |= SpanFlag.Orphan;
  for (const s of tree.issues.clockSkew) flags[s.row]! |= SpanFlag.ClockSkew;

  // Critical path segments grouped by row.
  const segCount = new Int32Array(n + 1);
  let outside = 0;
  const path = options.criticalPath ?? [];
  for (const seg of path) {
    if (Number.isInteger(seg.row) && seg.row >= 0 && seg.row < n) segCount[seg.row]!++;
    else outside++;
  }
  if (outside > 0) warnings.push(`${plural(outside, 'critical-path segment')} refer to spans not in this table`);
  const segOffsets = new Int32Array(n + 1);
  for (let r = 0; r < n; r++) segOffsets[r + 1] = segOffsets[r]! + segCount[r]!;
  const fill = segOffsets.slice(0, n);
  const segments = new Float64Array(segOffsets[n]! * 2);
  for (const seg of path) {
    if (!(Number.isInteger(seg.row) && seg.row >= 0 && seg.row < n)) continue;
    const k = fill[seg.row]!++;
    segments[2 * k] = seg.startNano;
    segments[2 * k + 1] = seg.endNano;
    flags[seg.row]! |= SpanFlag.Critical;
  }

  if (options.bottleneckSpanId) {
    const hex = normalizeId(options.bottleneckSpanId, 8);
    const want = new Uint8Array(8);
    let found = false;
    if (hex && writeHexId(hex, want, 0, 8)) {
      for (let r = 0; r < n; r++) {
        let same = true;
        for (let i = 0; i < 8; i++) {
          if (c.spanId[r * 8 + i] !== want[i]) {
            same = false;
            break;
          }
        }
        if (same) {
          flags[r]! |= SpanFlag.Bottleneck;
          found = true;
        }
      }
    }
    if (!found) warnings.push(`bottleneck span ${options.bottleneckSpanId} is not in this trace`);
  }

  // Tree connectors: the last child of each parent, and the last subtree head of each trace.
  const lastChild = new Uint8Array(n);
  const { childOffsets, children } = tree.links;
  for (let p = 0; p < n; p++) {
    const b = childOffsets[p + 1]!;
    if (b > childOffsets[p]!) lastChild[children[b - 1]!] = 1;
  }
  for (let t = 0; t < tree.traces.traceCount; t++) {
    let lastHead = -1;
    for (let k = tree.orderOffsets[t]!; k < tree.orderOffsets[t + 1]!; k++) {
      const r = tree.order[k]!;
      if (tree.depth[r] === 0) lastHead = r;
    }
    if (lastHead >= 0) lastChild[lastHead] = 1;
  }

  const { issues } = tree;
  if (issues.orphans.length > 0) {
    warnings.push(`${plural(issues.orphans.length, 'span')} whose parent is missing (shown as extra roots)`);
  }
  const skewed = issues.clockSkew.filter((s) => !s.followsFrom).length;
  if (skewed > 0) warnings.push(`${plural(skewed, 'span')} outside their parent's interval (clock skew?)`);
  if (issues.duplicateSpanIds.length > 0) {
    warnings.push(`${plural(issues.duplicateSpanIds.length, 'duplicate span id')}`);
  }
  if (issues.cycles.length > 0) warnings.push(`${plural(issues.cycles.length, 'span')} in a parent cycle`);
  if (tree.traces.traceCount > 1) warnings.push(`the table holds ${tree.traces.traceCount} traces, drawn together`);

  return {
    tree,
    order: tree.order,
    flags,
    lastChild,
    segOffsets,
    segments,
    minStartNano,
    maxEndNano,
    slowThresholdNano,
    warnings,
  };
}
