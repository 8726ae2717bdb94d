// The critical path of one trace: the chain of spans that determines its end-to-end latency, with exclusive time
// per span and per service on that path, and what was wrong with the data on the way.
//
//   0 root   |==================================|   0..100
//   1 db        |=======|                           10..40
//   2 cache                 |==========|            50..80
//   critical path, latest first: root 80..100, cache 50..80, root 40..50, db 10..40, root 0..10
//
//   0 root   |====================|                 0..60
//   1 async            |===================|        30..90   child that outlives its parent: clipped to 30..60
//   critical path, latest first: async 30..60, root 0..30
//
// Algorithm: walk back from the end of the head span; at each point take the child that finished last before
// it, recurse into that child, continue from the child's start (CRISP). Children are clipped to their parent;
// FOLLOWS_FROM children never block their parent; children wholly outside their parent are left off the path.
// Reference: CRISP, Zhang et al., ATC'22 (critical path of a trace); jaeger-ui computeCriticalPath.
import {
  buildTraceTree,
  type CriticalPathSegment,
  type SpanTable,
  spanIdAt,
  type TraceTree,
  traceIdAt,
} from '@aiops/span-model';
import { graftOrphans } from './internal/graft.ts';
import { chooseHeads, HEAD_ORPHAN } from './internal/heads.ts';
import { createWalker, walkCriticalPath } from './internal/walk.ts';

/** Options of {@link criticalPath}. */
export interface CriticalPathOptions {
  /** A prebuilt tree of the same table (saves rebuilding it). */
  readonly tree?: TraceTree;
  /** Trace ordinal in `tree.traces`. Default 0 (the first trace of the table). */
  readonly trace?: number;
  /** Row of the span whose subtree to follow instead of the trace's head (an orphan subtree, a service's entry). */
  readonly head?: number;
  /**
   * Put orphan subtrees (their parent span was lost) back under the span that encloses them in time, so the path
   * follows the time the caller waited into them. Default true.
   */
  readonly graftOrphans?: boolean;
  /** Clock-skew tolerance when matching an orphan to its enclosing span, ns. Default 5 ms. */
  readonly graftToleranceNano?: number;
}

const DEFAULTS = { graftOrphans: true, graftToleranceNano: 5e6 } as const;

/** A span that heads a subtree of the trace: its root, another root, or an orphan (parent missing). */
export interface CriticalPathHead {
  /** Span row. */
  readonly row: number;
  /** Span id, 16 hex digits. */
  readonly spanId: string;
  /** 'root' (no parent), 'orphan' (parent not in the trace) or 'given' (chosen by the caller). */
  readonly kind: 'root' | 'orphan' | 'given';
  /** Service name. */
  readonly service: string;
  /** Operation name. */
  readonly operation: string;
  /** Span duration, ns. */
  readonly durationNano: number;
}

/** One span on the critical path and the time the trace waited on it alone. */
export interface CriticalPathSpan {
  /** Span row. */
  readonly row: number;
  /** Span id, 16 hex digits. */
  readonly spanId: string;
  /** Service name. */
  readonly service: string;
  /** Operation name. */
  readonly operation: string;
  /** Span duration, ns (unclipped). */
  readonly durationNano: number;
  /** Time on the path owned by this span alone, ns. */
  readonly exclusiveNano: number;
  /** `exclusiveNano` / total (0..1). */
  readonly share: number;
}

/** A service's time on the critical path. */
export interface CriticalPathService {
  /** Service name. */
  readonly service: string;
  /** Sum of the exclusive times of its spans on the path, ns. */
  readonly exclusiveNano: number;
  /** `exclusiveNano` / total (0..1). */
  readonly share: number;
  /** Number of its spans on the path. */
  readonly spans: number;
}

/** Something in the data that shaped the path: reported, never silently fixed. */
export interface CriticalPathWarning {
  /**
   * - `no-root`: the trace has no root span; the path tiles the longest orphan subtree instead.
   * - `several-roots`: the trace has several root spans; the path tiles the longest.
   * - `orphan-subtree`: a subtree whose parent is missing; not on the path (compute it with `options.head`).
   * - `orphan-grafted`: a subtree whose parent is missing, grafted under the span enclosing it in time (the lost
   *   span's caller); its time counts on the path.
   * - `child-clipped`: a child sticks out of its parent (clock skew or async work); only its part inside counts.
   * - `child-outside-parent`: a child lies wholly outside its parent; it and its subtree are left off the path.
   */
  readonly kind:
    | 'no-root'
    | 'several-roots'
    | 'orphan-subtree'
    | 'orphan-grafted'
    | 'child-clipped'
    | 'child-outside-parent';
  /** The span concerned. */
  readonly row: number;
  /** Its id, 16 hex digits. */
  readonly spanId: string;
  /** What happened, in words, with the figures. */
  readonly message: string;
}

/** The critical path of one trace. */
export interface CriticalPathResult {
  /** Trace id, 32 hex digits ('' for an empty table). */
  readonly traceId: string;
  /** Trace ordinal in the tree. */
  readonly trace: number;
  /** The span whose interval the path tiles, or undefined when the trace has none. */
  readonly head: CriticalPathHead | undefined;
  /** Segments, latest first; times in ns relative to `table.times.baseUnixNano`. They tile the head exactly. */
  readonly segments: readonly CriticalPathSegment[];
  /** Spans on the path by exclusive time, largest first (spans fully covered by a child have 0). */
  readonly spans: readonly CriticalPathSpan[];
  /** Services on the path by exclusive time, largest first. */
  readonly services: readonly CriticalPathService[];
  /** Duration of the head, ns: the sum of all segments. */
  readonly totalNano: number;
  /** Other roots and orphan subtree heads of the trace, not on the path (grafted orphans are not listed). */
  readonly otherHeads: readonly CriticalPathHead[];
  /** Data problems met. */
  readonly warnings: readonly CriticalPathWarning[];
}

/**
 * The critical path of one trace: which spans, latest first, the end-to-end latency waited on, and how long.
 *
 * **Details**
 * - The path tiles the head span's interval exactly once; exclusive times on it sum to the head's duration.
 * - Concurrent children: only the last to finish before each point blocks its parent.
 * - A child sticking out of its parent (clock skew, async work) is clipped to it; wholly outside, it is left off.
 * - FOLLOWS_FROM children (fire-and-forget) never block their parent and never extend it.
 * - Several roots: the longest is the head. No root (root span lost): the longest orphan subtree is the head.
 *   Both cases, orphans and clipped children are listed in `warnings`.
 * - Lost spans: an orphan subtree of a rooted trace is grafted under the tightest span that encloses it in time
 *   (within `graftToleranceNano`; never a database call, preferring a childless call), so the caller's wait is
 *   followed into the callee's work instead of being blamed on the caller (`orphan-grafted` warning).
 * - Zero-duration spans own no time and never appear in segments.
 *
 * **Complexity** O(spans of the trace) plus O(n) buffers for the table; use {@link criticalPaths} for many traces.
 *
 * **Gotchas** Times are relative to `table.times.baseUnixNano` (exact float64 ns); add them to that base as BigInt
 * to print absolute times. Rows index the table passed in.
 *
 * @example
 * ```ts
 * const path = criticalPath(table);
 * path.segments[0];          // { row, startNano, endNano } — the latest segment
 * path.services[0].service;  // the service with most time on the path
 * ```
 */
export function criticalPath(table: SpanTable, options: CriticalPathOptions = {}): CriticalPathResult {
  const tree = options.tree ?? buildTraceTree(table);
  if (tree.table !== table) throw new TypeError('critical-path: options.tree was built on another table');
  const trace = options.trace ?? 0;
  const traceCount = tree.traces.traceCount;
  if (traceCount === 0) {
    return {
      traceId: '',
      trace,
      head: undefined,
      segments: [],
      spans: [],
      services: [],
      totalNano: 0,
      otherHeads: [],
      warnings: [],
    };
  }
  if (!Number.isInteger(trace) || trace < 0 || trace >= traceCount) {
    throw new RangeError(`critical-path: trace ${trace} is out of range (the table has ${traceCount} traces)`);
  }
  const rows = tree.traces.rows.subarray(tree.traces.offsets[trace]!, tree.traces.offsets[trace + 1]!);
  const heads = chooseHeads(tree);
  let headRow = heads.head[trace]!;
  let headKind: CriticalPathHead['kind'] = heads.kind[trace] === HEAD_ORPHAN ? 'orphan' : 'root';
  if (options.head !== undefined) {
    if (tree.traces.traceOfRow[options.head] !== trace) {
      throw new RangeError(`critical-path: head row ${options.head} is not in trace ${trace}`);
    }
    headRow = options.head;
    headKind = 'given';
  }
  const { startNano, endNano, durationNano } = table.times;
  const svc = table.dict('service');
  const op = table.dict('operation');
  const headOf = (row: number, kind: CriticalPathHead['kind']): CriticalPathHead => ({
    row,
    spanId: spanIdAt(table, row),
    kind,
    service: svc.values[svc.codes[row]!]!,
    operation: op.values[op.codes[row]!]!,
    durationNano: durationNano[row]!,
  });
  const warnings: CriticalPathWarning[] = [];
  const warn = (kind: CriticalPathWarning['kind'], row: number, message: string): void => {
    warnings.push({ kind, row, spanId: spanIdAt(table, row), message });
  };
  const otherHeads: CriticalPathHead[] = [];
  const ref = table.columns.parentRefType;
  const graft =
    (options.graftOrphans ?? DEFAULTS.graftOrphans) && headKind === 'root'
      ? graftOrphans(tree, options.graftToleranceNano ?? DEFAULTS.graftToleranceNano, trace)
      : undefined;
  for (const r of rows) {
    if (tree.links.parent[r] !== -1 || r === headRow) continue;
    const kind = ref[r] === 0 ? 'root' : 'orphan';
    if (graft && graft.grafted > 0 && graft.graftParent[r]! >= 0) {
      const p = graft.graftParent[r]!;
      warn(
        'orphan-grafted',
        r,
        `span ${spanIdAt(table, r)} has a parent missing from the trace; grafted under span ${spanIdAt(table, p)} (${svc.values[svc.codes[p]!]} ${op.values[op.codes[p]!]}), which encloses it in time`,
      );
      continue;
    }
    otherHeads.push(headOf(r, kind));
    if (kind === 'orphan') {
      warn(
        'orphan-subtree',
        r,
        `span ${spanIdAt(table, r)} has a parent missing from the trace; its subtree is not on the path`,
      );
    }
  }
  if (headRow >= 0 && headKind === 'orphan') {
    warn('no-root', headRow, `the trace has no root span; the path follows the longest orphan subtree`);
  }
  if (heads.rootCount[trace]! > 1 && headKind === 'root') {
    warn('several-roots', headRow, `the trace has ${heads.rootCount[trace]} root spans; the path follows the longest`);
  }
  for (const skew of tree.issues.clockSkew) {
    if (tree.traces.traceOfRow[skew.row] !== trace || skew.followsFrom) continue;
    const outside =
      startNano[skew.row]! >= endNano[skew.parentRow]! || endNano[skew.row]! <= startNano[skew.parentRow]!;
    const ms = (x: number): string => `${(x / 1e6).toFixed(3)} ms`;
    if (outside && durationNano[skew.parentRow]! > 0) {
      warn('child-outside-parent', skew.row, `span lies wholly outside its parent; left off the path`);
    } else if (!outside) {
      warn(
        'child-clipped',
        skew.row,
        `span starts ${ms(skew.startsBeforeParentNano)} before and ends ${ms(skew.endsAfterParentNano)} after its parent; clipped to it`,
      );
    }
  }
  if (headRow < 0) {
    return {
      traceId: traceIdAt(table, rows[0]!),
      trace,
      head: undefined,
      segments: [],
      spans: [],
      services: [],
      totalNano: 0,
      otherHeads,
      warnings,
    };
  }
  const w = createWalker(tree, 16, graft ?? tree.links);
  const hs = startNano[headRow]!;
  const he = endNano[headRow]!;
  walkCriticalPath(w, headRow, hs, he);
  const totalNano = he - hs;
  const segments: CriticalPathSegment[] = [];
  for (let i = 0; i < w.segCount; i++) {
    segments.push({ row: w.segRow[i]!, startNano: w.segStart[i]!, endNano: w.segEnd[i]! });
  }
  const share = (x: number): number => (totalNano > 0 ? x / totalNano : 0);
  const spans: CriticalPathSpan[] = [];
  const bySvc = new Map<number, { exclusiveNano: number; spans: number }>();
  for (const r of rows) {
    if (!w.onPath[r]) continue;
    const x = w.exclusive[r]!;
    spans.push({
      row: r,
      spanId: spanIdAt(table, r),
      service: svc.values[svc.codes[r]!]!,
      operation: op.values[op.codes[r]!]!,
      durationNano: durationNano[r]!,
      exclusiveNano: x,
      share: share(x),
    });
    const s = bySvc.get(svc.codes[r]!) ?? { exclusiveNano: 0, spans: 0 };
    s.exclusiveNano += x;
    s.spans++;
    bySvc.set(svc.codes[r]!, s);
  }
  spans.sort((a, b) => b.exclusiveNano - a.exclusiveNano || startNano[a.row]! - startNano[b.row]! || a.row - b.row);
  const services: CriticalPathService[] = [...bySvc]
    .map(([code, s]) => ({
      service: svc.values[code]!,
      exclusiveNano: s.exclusiveNano,
      share: share(s.exclusiveNano),
      spans: s.spans,
    }))
    .sort((a, b) => b.exclusiveNano - a.exclusiveNano || (a.service < b.service ? -1 : 1));
  return {
    traceId: traceIdAt(table, rows[0]!),
    trace,
    head: headOf(headRow, headKind),
    segments,
    spans,
    services,
    totalNano,
    otherHeads,
    warnings,
  };
}
